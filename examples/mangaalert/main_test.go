package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/manga-alert-italia/mangaalert/integration"
	"github.com/manga-alert-italia/mangaalert/scraper"
	"github.com/manga-alert-italia/mangaalert/scraper/fetch"
	"github.com/manga-alert-italia/mangaalert/store/bolt"
)

// mangaalert runs the command in-process.
func mangaalert(args ...string) (code int, stdout, stderr string) {
	var out, errb bytes.Buffer
	code = run(context.Background(), args, &out, &errb)
	return code, out.String(), errb.String()
}

const testdata = "../../scraper/sample/pages"

// realPage finds a page of ../shared/fixtures/publishers beside the
// repository; the test is skipped when the folder is not there, and fails
// under CI=true, where it must be.
func realPage(t *testing.T, name string) string {
	t.Helper()
	dir, err := os.Getwd()
	require.NoError(t, err)
	for {
		p := filepath.Join(dir, "shared", "fixtures", "publishers", name)
		if _, err := os.Stat(p); err == nil {
			return p
		}
		if filepath.Dir(dir) == dir {
			integration.SkipOrFail(t, "real publisher page %s not found in ../shared/fixtures/publishers beside the repository", name)
		}
		dir = filepath.Dir(dir)
	}
}

// lines decodes --json output, checking every line has exactly the keys.
func lines(t *testing.T, out string) []map[string]any {
	t.Helper()
	var vs []map[string]any
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		var v map[string]any
		require.NoError(t, json.Unmarshal([]byte(l), &v), l)
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		assert.ElementsMatch(t, []string{"series", "number", "edition", "title", "release_date", "price_cents", "publisher", "url", "sku"}, keys)
		vs = append(vs, v)
	}
	return vs
}

func TestScrapeFileStarComics(t *testing.T) {
	code, out, errOut := mangaalert("scrape", "--file", realPage(t, "starcomics-series-solo-leveling-2024-09.html"), "--source", "starcomics", "--json")
	require.Equal(t, 0, code, errOut)
	vs := lines(t, out)
	require.Len(t, vs, 20)
	assert.Equal(t, map[string]any{
		"series": "Solo Leveling", "number": 19.0, "edition": "first", "title": "SOLO LEVELING n. 19",
		"release_date": "2024-10-29", "price_cents": 990.0, "publisher": "Star Comics",
		"url": "https://www.starcomics.com/fumetto/solo-leveling-19", "sku": "",
	}, vs[0])
	assert.Equal(t, "variant", vs[3]["edition"])
	assert.Equal(t, "https://www.starcomics.com/fumetto/solo-leveling-1-anime-variant", vs[3]["url"])
	// The exact bytes of a line: key order, no HTML escaping.
	assert.Equal(t, `{"series":"Solo Leveling","number":19,"edition":"first","title":"SOLO LEVELING n. 19","release_date":"2024-10-29","price_cents":990,"publisher":"Star Comics","url":"https://www.starcomics.com/fumetto/solo-leveling-19","sku":""}`,
		strings.SplitN(out, "\n", 2)[0])
}

func TestScrapeFilePanini(t *testing.T) {
	code, out, errOut := mangaalert("scrape", "--source", "panini", "--json", "--file", realPage(t, "panini-search-jujutsu-kaisen-2024-09.html"))
	require.Equal(t, 0, code, errOut)
	vs := lines(t, out)
	require.Len(t, vs, 24)
	editions := map[string]int{}
	for _, v := range vs {
		editions[v["edition"].(string)]++
		assert.Equal(t, "Jujutsu Kaisen", v["series"])
	}
	assert.Equal(t, map[string]int{"first": 8, "reprint": 14, "special": 1, "other": 1}, editions)
}

func TestScrapeFileTestdata(t *testing.T) {
	// Unknown dates print null; --base resolves relative links.
	page := filepath.Join(t.TempDir(), "page.html")
	require.NoError(t, os.WriteFile(page, []byte(`<div class="card fumetto-card"><a href="/fumetto/x-1"></a><h4 class="card-title">X n. 1</h4></div>`), 0o600))
	code, out, errOut := mangaalert("scrape", "--file", page, "--source", "starcomics", "--json", "--base", "http://127.0.0.1:8080/titoli-fumetti/x")
	require.Equal(t, 0, code, errOut)
	vs := lines(t, out)
	require.Len(t, vs, 1)
	assert.Nil(t, vs[0]["release_date"])
	assert.Equal(t, "http://127.0.0.1:8080/fumetto/x-1", vs[0]["url"])

	for _, tt := range []struct{ file, source string }{
		{"animeclick-calendario-manga-2024-09-09.html", "animeclick"},
		{"animeclick-week-2024-12-30-written.json", "animeclick"},
		{"panini-calendar-2024-09-09.html", "panini"},
		{"starcomics-uscite.html", "starcomics"},
	} {
		code, out, errOut := mangaalert("scrape", "--file", filepath.Join(testdata, tt.file), "--source", tt.source)
		require.Equal(t, 0, code, errOut)
		assert.True(t, strings.HasPrefix(out, "SERIES"), "a table without --json")
	}
}

func TestScrapeUsageErrors(t *testing.T) {
	star := filepath.Join(testdata, "starcomics-uscite.html")
	dir := t.TempDir()
	empty := filepath.Join(dir, "empty.html")
	require.NoError(t, os.WriteFile(empty, nil, 0o600))
	noCards := filepath.Join(dir, "nocards.html")
	require.NoError(t, os.WriteFile(noCards, []byte(`<html><head><title>Star Comics | Uscite</title></head><body></body></html>`), 0o600))
	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"no command", nil, 2, "Usage: mangaalert COMMAND"},
		{"unknown command", []string{"scrap"}, 2, `unknown command "scrap"`},
		{"unknown source", []string{"scrape", "--file", star, "--source", "mangaworld"}, 2, `unknown source "mangaworld": want one of animeclick, panini, starcomics`},
		{"no source", []string{"scrape", "--file", star}, 2, "--source is required"},
		{"missing file", []string{"scrape", "--file", filepath.Join(dir, "nope.html"), "--source", "starcomics"}, 2, "cannot read the page"},
		{"a directory", []string{"scrape", "--file", dir, "--source", "starcomics"}, 2, "is a directory"},
		{"empty file", []string{"scrape", "--file", empty, "--source", "starcomics"}, 2, "is empty"},
		{"wrong kind of page", []string{"scrape", "--file", star, "--source", "panini"}, 2, "is not a panini page the scraper reads"},
		{"a challenge", []string{"scrape", "--file", filepath.Join(testdata, "challenge-cloudflare.html"), "--source", "panini"}, 3, "a Cloudflare waiting room or anti-bot challenge"},
		{"queue-it", []string{"scrape", "--file", filepath.Join(testdata, "queueit-panini-written.html"), "--source", "panini"}, 3, "is a Queue-it waiting room"},
		{"bad base", []string{"scrape", "--file", star, "--source", "starcomics", "--base", "/relative"}, 2, "is not an http(s) URL"},
		{"bad flag", []string{"scrape", "--files", star}, 2, "flag provided but not defined: -files"},
		{"extra argument", []string{"scrape", "--source", "panini", "x.html"}, 2, `unexpected argument "x.html"`},
		{"unknown store", []string{"scrape", "--store", "sqlite:x"}, 2, "want dynamodb:TABLE or bolt:PATH"},
		{"unknown source to read", []string{"scrape", "--store", "bolt:" + os.DevNull + "/db", "--sources", "mangaworld"}, 2, `unknown source "mangaworld"`},
		{"a site that is no URL", []string{"scrape", "--store", "bolt:" + os.DevNull + "/db", "--sites", "starcomics=ftp://x"}, 2, "want NAME=URL"},
		{"impolite", []string{"scrape", "--store", "bolt:" + os.DevNull + "/db", "--delay", "0s"}, 2, "be polite"},
		{"bad today", []string{"scrape", "--store", "bolt:" + os.DevNull + "/db", "--today", "9/9/2024"}, 2, "want a date such as"},
		{"a trusted proxy that is no address", []string{"serve", "--trusted-proxies", "10.0.0.0/8,alb"}, 2, `--trusted-proxies: "alb" is neither an address nor a CIDR prefix`},
		{"a stop timeout of zero", []string{"serve", "--stop-timeout", "0s"}, 2, `--stop-timeout 0s: give a positive duration`},
		{"a page of the source with no volume", []string{"scrape", "--file", noCards, "--source", "starcomics"}, 1, "lists no volume"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errOut := mangaalert(tt.args...)
			assert.Equal(t, tt.code, code)
			assert.Empty(t, out, "nothing on stdout")
			assert.Contains(t, errOut, tt.want)
		})
	}
}

func TestHelp(t *testing.T) {
	for _, args := range [][]string{{"--help"}, {"-h"}, {"help"}} {
		code, out, _ := mangaalert(args...)
		assert.Equal(t, 0, code)
		assert.Contains(t, out, "scrape")
		assert.Contains(t, out, "read publisher pages")
	}
	for _, args := range [][]string{{"scrape", "--help"}, {"help", "scrape"}} {
		code, out, _ := mangaalert(args...)
		assert.Equal(t, 0, code)
		assert.Contains(t, out, "mangaalert scrape --file PAGE --source NAME")
		assert.Contains(t, out, "-json")
	}
}

func TestScrapeIntoStore(t *testing.T) {
	// The whole-run path the binary will call once configured.
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/uscite" {
			http.ServeFile(w, r, filepath.Join(testdata, "starcomics-uscite.html"))
			return
		}
		http.NotFound(w, r)
	}))
	defer srv.Close()
	st, err := bolt.Open(filepath.Join(t.TempDir(), "db"), func(o *bolt.Options) { o.NoSync = true })
	require.NoError(t, err)
	defer st.Close()
	var logs bytes.Buffer
	log := slog.New(slog.NewJSONHandler(&logs, nil))
	cfg := scraper.Config{
		Store:   st,
		Sources: []scraper.SourceConfig{{Source: "starcomics", Site: srv.URL, Calendar: true}},
		Fetcher: fetch.New(func(f *fetch.Fetcher) { f.Pages = st; f.Delay = -1; f.Retries = -1 }),
		Now:     func() time.Time { return time.Date(2024, 9, 9, 10, 0, 0, 0, time.UTC) },
	}
	assert.Equal(t, 0, scrapeIntoStore(context.Background(), cfg, log))
	assert.Contains(t, logs.String(), `"msg":"scrape source","source":"starcomics"`)
	assert.Contains(t, logs.String(), `"volumes_new":7`)

	cfg.Sources[0].Site = srv.URL + "/nothing-here"
	cfg.Sources = append(cfg.Sources, scraper.SourceConfig{Source: "panini", Site: "http://127.0.0.1:1", Calendar: true})
	srv.Close()
	logs.Reset()
	assert.Equal(t, 1, scrapeIntoStore(context.Background(), cfg, log), "nothing succeeded")
	assert.Contains(t, logs.String(), "scrape failed")
}

func Example() {
	page := filepath.Join(os.TempDir(), "mangaalert-example.html")
	_ = os.WriteFile(page, []byte(`<div class="card fumetto-card"><a href="/fumetto/solo-leveling-19"></a>
		<h4 class="card-title">SOLO LEVELING n. 19</h4><p class="card-text"><span>29/10/2024</span></p><div>€ 9,90</div></div>`), 0o600)
	defer os.Remove(page)
	run(context.Background(), []string{"scrape", "--file", page, "--source", "starcomics", "--json"}, os.Stdout, os.Stderr)
	// Output:
	// {"series":"Solo Leveling","number":19,"edition":"first","title":"SOLO LEVELING n. 19","release_date":"2024-10-29","price_cents":990,"publisher":"Star Comics","url":"https://www.starcomics.com/fumetto/solo-leveling-19","sku":""}
}

// TestScrapeIntoStoreBlocked: a source behind a waiting room fails the
// run (exit 1) and the log names the source and the wall, although the
// other source was stored.
func TestScrapeIntoStoreBlocked(t *testing.T) {
	star := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/uscite" {
			http.ServeFile(w, r, filepath.Join(testdata, "starcomics-uscite.html"))
			return
		}
		http.NotFound(w, r)
	}))
	defer star.Close()
	panini := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/robots.txt" {
			http.NotFound(w, r)
			return
		}
		http.ServeFile(w, r, filepath.Join(testdata, "queueit-panini-written.html"))
	}))
	defer panini.Close()
	st, err := bolt.Open(filepath.Join(t.TempDir(), "db"), func(o *bolt.Options) { o.NoSync = true })
	require.NoError(t, err)
	defer st.Close()
	var logs bytes.Buffer
	cfg := scraper.Config{
		Store: st,
		Sources: []scraper.SourceConfig{{Source: "starcomics", Site: star.URL, Calendar: true, Weeks: 1},
			{Source: "panini", Site: panini.URL, Calendar: true, Weeks: 1}},
		Fetcher: fetch.New(func(f *fetch.Fetcher) { f.Pages = st; f.Delay = -1; f.Retries = -1 }),
		Now:     func() time.Time { return time.Date(2024, 9, 9, 10, 0, 0, 0, time.UTC) },
	}
	assert.Equal(t, 1, scrapeIntoStore(context.Background(), cfg, slog.New(slog.NewJSONHandler(&logs, nil))))
	assert.Contains(t, logs.String(), `"volumes_new":7`, "the other source was stored")
	assert.Contains(t, logs.String(), "source panini blocked")
	assert.Contains(t, logs.String(), "Queue-it")
}

// TestScrapeIntoStoreBroken: a listing that goes from 7 cards to none
// fails the run, saying which source and what to do.
func TestScrapeIntoStoreBroken(t *testing.T) {
	var empty atomic.Bool
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.URL.Path == "/uscite" && empty.Load():
			fmt.Fprint(w, `<html><head><meta content="Starcomics" name="copyright"><title>Star Comics | Uscite</title></head><body></body></html>`)
		case r.URL.Path == "/uscite":
			http.ServeFile(w, r, filepath.Join(testdata, "starcomics-uscite.html"))
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	st, err := bolt.Open(filepath.Join(t.TempDir(), "db"), func(o *bolt.Options) { o.NoSync = true })
	require.NoError(t, err)
	defer st.Close()
	var logs bytes.Buffer
	log := slog.New(slog.NewJSONHandler(&logs, nil))
	cfg := scraper.Config{
		Store:   st,
		Sources: []scraper.SourceConfig{{Source: "starcomics", Site: srv.URL, Calendar: true, Weeks: 1}},
		Fetcher: fetch.New(func(f *fetch.Fetcher) { f.Pages = st; f.Delay = -1; f.Retries = -1 }),
		Now:     func() time.Time { return time.Date(2024, 9, 9, 10, 0, 0, 0, time.UTC) },
	}
	require.Equal(t, 0, scrapeIntoStore(context.Background(), cfg, log))
	empty.Store(true)
	assert.Equal(t, 1, scrapeIntoStore(context.Background(), cfg, log))
	assert.Contains(t, logs.String(), "source starcomics broken")
	assert.Contains(t, logs.String(), "listed 7 items at its last read and none now")
	assert.Contains(t, logs.String(), "mangaalert scrape --file PAGE --source starcomics")
}

// TestScrapeFileCards: `scrape --file` on a real Star Comics page prints
// every card, each with its date, price and edition. The real page is a
// series page (Solo Leveling, September 2024): no capture of the weekly
// calendar (/uscite?data=) exists, whose cards are the same fumetto-card
// cards; the written sample of it is printed too.
func TestScrapeFileCards(t *testing.T) {
	code, out, errOut := mangaalert("scrape", "--file", realPage(t, "starcomics-series-solo-leveling-2024-09.html"), "--source", "starcomics")
	require.Equal(t, 0, code, errOut)
	rows := strings.Split(strings.TrimSpace(out), "\n")
	require.Len(t, rows, 21, "a heading and the 20 cards")
	assert.Regexp(t, `^SERIES\s+N\.\s+EDITION\s+RELEASE\s+PRICE\s+TITLE\s+SKU$`, rows[0])
	card := regexp.MustCompile(`^Solo Leveling\s+(\d+)\s+(first|variant)\s+(\d{4}-\d\d-\d\d)\s+9,90 €\s+SOLO LEVELING n\. \d+\s*$`)
	editions := map[string]int{}
	for _, r := range rows[1:] {
		m := card.FindStringSubmatch(r)
		require.NotNil(t, m, "a card with its number, edition, date and price: %q", r)
		editions[m[2]]++
	}
	assert.Equal(t, map[string]int{"first": 19, "variant": 1}, editions)
	assert.Contains(t, out, "Solo Leveling  19  first    2024-10-29  9,90 €  SOLO LEVELING n. 19")

	code, out, errOut = mangaalert("scrape", "--file", filepath.Join(testdata, "starcomics-uscite.html"), "--source", "starcomics")
	require.Equal(t, 0, code, errOut)
	assert.Len(t, strings.Split(strings.TrimSpace(out), "\n"), 8, "a heading and the written week's 7 cards")
}
