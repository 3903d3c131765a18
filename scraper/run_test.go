package scraper_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/manga-alert-italia/mangaalert/scraper"
	"github.com/manga-alert-italia/mangaalert/scraper/fetch"
	"github.com/manga-alert-italia/mangaalert/scraper/source"
	"github.com/manga-alert-italia/mangaalert/store"
	"github.com/manga-alert-italia/mangaalert/store/bolt"
)

func openBolt(t testing.TB) *bolt.Store {
	t.Helper()
	st, err := bolt.Open(filepath.Join(t.TempDir(), "mangaalert.db"), func(o *bolt.Options) { o.NoSync = true })
	require.NoError(t, err)
	t.Cleanup(func() { st.Close() })
	return st
}

// checkCatalogue checks what a run over the local sites must have stored.
func checkCatalogue(t *testing.T, ss *sites, st store.CatalogReader) {
	ctx := context.Background()
	// The same volume on Panini's calendar and on AnimeClick's: one record,
	// the publisher's page wins whichever was stored first.
	v, err := st.Volume(ctx, "jujutsu-kaisen/26")
	require.NoError(t, err)
	assert.Equal(t, "https://www.panini.it/shp_ita_it/jujutsu-kaisen-sorcery-fight-26-maher061-it08.html", v.SourceURL)
	assert.Equal(t, "Jujutsu Kaisen – Sorcery Fight 26", v.Title)
	assert.Equal(t, "2024-09-12", v.ReleaseDate.String())

	// AnimeClick's publishers.
	v, err = st.Volume(ctx, "takamine-rimettiti-le-mutandine/5")
	require.NoError(t, err)
	assert.Equal(t, "Magic Press", v.Publisher)

	// Editions kept apart.
	vols, err := st.VolumesOfSeries(ctx, "mob-psycho-100")
	require.NoError(t, err)
	kinds := map[store.Edition]int{}
	for _, v := range vols {
		kinds[v.Edition]++
	}
	assert.Equal(t, map[store.Edition]int{store.First: 4, store.Variant: 1, store.Special: 1, store.BoxSet: 1}, kinds)

	s, err := st.Series(ctx, "jujutsu-kaisen")
	require.NoError(t, err)
	assert.Equal(t, "Jujutsu Kaisen", s.Title)
	assert.Contains(t, s.Aliases, "Jujutsu Kaisen - Sorcery Fight")

	if ss.real {
		vols, err := st.VolumesOfSeries(ctx, "solo-leveling")
		require.NoError(t, err)
		firsts := 0
		for _, v := range vols {
			if v.Edition == store.First {
				firsts++
			}
		}
		assert.Equal(t, 19, firsts)
		vols, err = st.VolumesOfSeries(ctx, "jujutsu-kaisen")
		require.NoError(t, err)
		assert.GreaterOrEqual(t, len(vols), 24+1) // the search page, and the calendar's 26
	}
}

// TestRunTwiceBolt runs the whole scrape twice into the embedded store:
// the second run writes nothing, whether it skips the unchanged pages or
// (Force) reads them all again.
func TestRunTwiceBolt(t *testing.T) {
	ss := newSites(t)
	st := &counting{Store: openBolt(t)}

	rep := run(t, ss.config(st))
	tot := rep.Totals()
	assert.Empty(t, tot.Errors)
	assert.Greater(t, tot.New, 30)
	assert.Zero(t, tot.NotModified)
	checkCatalogue(t, ss, st)
	writes, calls := st.Store.Writes(), st.Writes()
	before := dump(t, st)

	rep = run(t, ss.config(st))
	tot = rep.Totals()
	assert.Empty(t, tot.Errors)
	assert.Equal(t, int64(1), st.Store.Writes()-writes, "the second run writes its report, nothing else")
	assert.Equal(t, 0, st.Writes()-calls, "the second run calls no write")
	assert.Zero(t, tot.New+tot.Changed)
	assert.Zero(t, tot.Fetched, "every page had the same bytes")
	assert.Equal(t, tot.Pages, tot.Unchanged)

	cfg := ss.config(st)
	cfg.Force = true
	rep = run(t, cfg)
	tot = rep.Totals()
	assert.Empty(t, tot.Errors)
	assert.Equal(t, int64(2), st.Store.Writes()-writes, "reading every page again writes nothing but its report either")
	assert.Equal(t, 0, st.Writes()-calls)
	assert.Zero(t, tot.New+tot.Changed)
	assert.Equal(t, tot.Pages, tot.Fetched)
	assert.Greater(t, tot.UnchangedVolumes, 30)
	assert.Equal(t, before, dump(t, st), "the catalogue is the same, to the last LastSeen")

	// A price changes on one page: that volume and that page are written.
	page := testdata(t, "starcomics-series-mob-psycho-100.html")
	ss.star.set("/titoli-fumetti/mob-psycho-100", bytes.Replace(page, []byte("€ 19,50"), []byte("€ 21,00"), 1))
	rep = run(t, ss.config(st))
	star := rep.Sources[0]
	assert.Equal(t, 1, star.Fetched)
	assert.Equal(t, 1, star.Changed)
	assert.Equal(t, 6, star.UnchangedVolumes)
	assert.Equal(t, int64(2+3), st.Store.Writes()-writes, "the volume, then the page's memory, then the report")
	v, err := st.Volume(context.Background(), "mob-psycho-100/1/boxset/mob-psycho-100-cofanetto-1")
	require.NoError(t, err)
	assert.Equal(t, 2100, v.PriceCents)
}

func TestRunSourcesIndependent(t *testing.T) {
	ss := newSites(t)
	ss.panini.fail = func(w http.ResponseWriter, r *http.Request) bool {
		w.WriteHeader(http.StatusBadGateway)
		return true
	}
	ss.animeclick.fail = func(w http.ResponseWriter, r *http.Request) bool {
		w.Header().Set("cf-mitigated", "challenge")
		w.WriteHeader(http.StatusForbidden)
		w.Write([]byte("<title>Just a moment...</title>"))
		return true
	}
	st := openBolt(t)
	rep := run(t, ss.config(st))
	require.True(t, rep.OK())
	star, panini, ac := rep.Sources[0], rep.Sources[1], rep.Sources[2]
	assert.Empty(t, star.Errors)
	assert.Greater(t, star.New, 10)

	assert.False(t, panini.OK())
	require.NotEmpty(t, panini.Errors)
	var serr *fetch.StatusError
	require.ErrorAs(t, panini.Errors[0], &serr)
	assert.Equal(t, http.StatusBadGateway, serr.Status)

	assert.False(t, ac.OK())
	require.NotEmpty(t, ac.Errors)
	require.ErrorIs(t, ac.Errors[0], scraper.ErrChallenge)
	assert.Equal(t, 1, ac.Pages, "after a challenge the site is left alone")
	assert.Contains(t, ac.Errors[1].Error(), "not asked for after the Cloudflare wall")
	assert.Contains(t, ac.Blocked, "Cloudflare")
	assert.Zero(t, ac.New, "a challenge is never zero volumes")
}

func TestRunNothingSucceeded(t *testing.T) {
	ss := newSites(t)
	for _, s := range []*site{ss.star, ss.panini, ss.animeclick} {
		s.fail = func(w http.ResponseWriter, r *http.Request) bool {
			w.WriteHeader(http.StatusServiceUnavailable)
			return true
		}
	}
	rep, err := scraper.Run(context.Background(), ss.config(openBolt(t)))
	require.ErrorIs(t, err, scraper.ErrNothingSucceeded)
	assert.False(t, rep.OK())
	var serr *fetch.StatusError
	assert.ErrorAs(t, err, &serr)
	assert.Len(t, rep.Sources, 3)
}

func TestRunZeroItems(t *testing.T) {
	ss := newSites(t)
	st := openBolt(t)
	// A series page that is suddenly something else, and one with no card.
	ss.star.set("/titoli-fumetti/mob-psycho-100", testdata(t, "panini-series-chainsaw-man.html"))
	ss.star.set("/titoli-fumetti/empty", []byte(`<html><head><meta content="Starcomics" name="copyright"><title>Star Comics | X</title></head><body><h1>X</h1></body></html>`))
	cfg := ss.config(st)
	cfg.Sources = []scraper.SourceConfig{{Source: "starcomics", Site: ss.star.URL,
		Series: []string{"/titoli-fumetti/mob-psycho-100", "/titoli-fumetti/empty", "/titoli-fumetti/missing"}, Calendar: true, Weeks: 2}}
	rep := run(t, cfg)
	s := rep.Sources[0]
	require.Len(t, s.Errors, 3)
	assert.ErrorIs(t, s.Errors[0], source.ErrUnrecognized)
	assert.ErrorIs(t, s.Errors[1], scraper.ErrNoItems)
	var serr *fetch.StatusError
	assert.ErrorAs(t, s.Errors[2], &serr)
	assert.Equal(t, 4, s.Fetched, "only the calendar's weeks and the home page")
	assert.True(t, s.OK())

	// Failed pages are not remembered: the next run reads them again.
	_, err := st.Page(context.Background(), ss.star.URL+"/titoli-fumetti/empty")
	require.ErrorIs(t, err, store.ErrNotFound)
	_, err = st.Page(context.Background(), ss.star.URL+"/uscite?data=2024-09-09")
	require.NoError(t, err)
}

func TestRunCancel(t *testing.T) {
	// SIGTERM while the first page is being stored: that page is stored
	// and remembered all the same, and no other page is asked for.
	ss := newSites(t)
	st := &counting{Store: openBolt(t)}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	st.onUpsert = cancel
	cfg := ss.config(st)
	cfg.Sources = cfg.Sources[:1]
	rep, err := scraper.Run(ctx, cfg)
	require.NoError(t, err, "the first page succeeded")
	s := rep.Sources[0]
	assert.True(t, s.Interrupted)
	assert.Equal(t, 1, s.Pages)
	assert.Equal(t, 1, s.Fetched)

	_, err = st.Page(context.Background(), ss.star.URL+"/titoli-fumetti/mob-psycho-100")
	require.NoError(t, err, "the stored page is remembered")
	_, err = st.Volume(context.Background(), "mob-psycho-100/16")
	require.NoError(t, err)
	assert.Equal(t, int64(2), ss.star.requests.Load(), "robots.txt, the page, and nothing after")

	// The next run picks up the rest.
	rep = run(t, ss.config(st))
	assert.Equal(t, 1, rep.Sources[0].Unchanged)
	_, err = st.Volume(context.Background(), "one-piece/109")
	require.NoError(t, err)
}

func TestRunConfigErrors(t *testing.T) {
	st := openBolt(t)
	tests := []struct {
		cfg  scraper.Config
		want string
	}{
		{scraper.Config{Sources: []scraper.SourceConfig{{Source: "panini", Calendar: true}}}, "no store"},
		{scraper.Config{Store: st}, "no source"},
		{scraper.Config{Store: st, Sources: []scraper.SourceConfig{{Source: "mangaworld", Calendar: true}}}, `unknown source "mangaworld" (want one of animeclick, panini, starcomics)`},
		{scraper.Config{Store: st, Sources: []scraper.SourceConfig{{Source: "panini", Site: "ftp://x", Calendar: true}}}, "not an http(s) URL"},
		{scraper.Config{Store: st, Sources: []scraper.SourceConfig{{Source: "panini"}}}, "neither series pages, followed series nor the calendar"},
	}
	for _, tt := range tests {
		_, err := scraper.Run(context.Background(), tt.cfg)
		require.ErrorContains(t, err, tt.want)
	}
}

func TestReportLog(t *testing.T) {
	rep := scraper.Report{
		Started: monday, Finished: monday.Add(3 * time.Second),
		Sources: []scraper.SourceReport{
			{Source: "starcomics", Pages: 2, Fetched: 2, Items: 27, New: 20, UnchangedVolumes: 7},
			{Source: "panini", Pages: 3, Errors: []*scraper.PageError{{URL: "http://x/p", Err: errors.New("boom")}}},
		},
	}
	var buf bytes.Buffer
	rep.Log(context.Background(), slog.New(slog.NewJSONHandler(&buf, nil)))
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	require.Len(t, lines, 2, "one line per source")
	var star, panini map[string]any
	require.NoError(t, json.Unmarshal([]byte(lines[0]), &star))
	require.NoError(t, json.Unmarshal([]byte(lines[1]), &panini))
	assert.Equal(t, "INFO", star["level"])
	assert.Equal(t, "scrape source", star["msg"])
	assert.Equal(t, "starcomics", star["source"])
	assert.EqualValues(t, 20, star["volumes_new"])
	assert.EqualValues(t, 7, star["volumes_unchanged"])
	assert.Equal(t, "ERROR", panini["level"])
	assert.EqualValues(t, 1, panini["errors"])
	assert.Equal(t, []any{"http://x/p: boom"}, panini["error_samples"])
	assert.True(t, rep.OK())

	b, err := json.Marshal(rep.Sources[1].Errors)
	require.NoError(t, err)
	assert.JSONEq(t, `[{"url":"http://x/p","error":"boom"}]`, string(b))
}

// dump is every series and volume of the store.
func dump(t *testing.T, st store.CatalogReader) map[string]any {
	t.Helper()
	ctx := context.Background()
	series, err := st.ListSeries(ctx)
	require.NoError(t, err)
	out := map[string]any{"series": series}
	for _, s := range series {
		vols, err := st.VolumesOfSeries(ctx, s.ID)
		require.NoError(t, err)
		out[s.ID] = vols
	}
	return out
}
