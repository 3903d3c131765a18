package scraper_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/manga-alert-italia/mangaalert/integration"
	"github.com/manga-alert-italia/mangaalert/scraper"
	"github.com/manga-alert-italia/mangaalert/scraper/fetch"
	"github.com/manga-alert-italia/mangaalert/scraper/sample"
	"github.com/manga-alert-italia/mangaalert/store"
	"github.com/manga-alert-italia/mangaalert/store/bolt"
)

// monday is the day the test runs think it is: the Panini calendar's first
// week starts on it.
var monday = time.Date(2024, time.September, 9, 10, 0, 0, 0, store.Rome)

func testdata(t testing.TB, name string) []byte {
	t.Helper()
	b := sample.Page(name)
	require.NotNil(t, b, "sample page %s", name)
	return b
}

// realPage returns a page of ../shared/fixtures/publishers, or nil when
// that folder is not beside the repository; under CI=true, where the
// real pages must be, their absence fails the test.
func realPage(t testing.TB, name string) []byte {
	t.Helper()
	dir, err := os.Getwd()
	require.NoError(t, err)
	for {
		b, err := os.ReadFile(filepath.Join(dir, "shared", "fixtures", "publishers", name))
		if err == nil {
			return b
		}
		if filepath.Dir(dir) == dir {
			if integration.InCI() {
				t.Fatalf("real publisher page %s not found in ../shared/fixtures/publishers beside the repository: CI must have it", name)
			}
			return nil
		}
		dir = filepath.Dir(dir)
	}
}

// site is a local stand-in for a publisher's site: pages by path (and
// query), a count of requests, and a switch to break it.
type site struct {
	*httptest.Server
	mu       sync.Mutex
	pages    map[string][]byte // by path, or path?query
	fail     func(w http.ResponseWriter, r *http.Request) bool
	requests atomic.Int64
	onPage   func(r *http.Request) // called before a page is served
}

func newSite(t testing.TB) *site {
	s := &site{pages: map[string][]byte{}}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.Close)
	return s
}

func (s *site) serve(w http.ResponseWriter, r *http.Request) {
	s.requests.Add(1)
	s.mu.Lock()
	fail, onPage := s.fail, s.onPage
	body, ok := s.pages[r.URL.Path+"?"+r.URL.RawQuery]
	if !ok {
		body, ok = s.pages[r.URL.Path]
	}
	s.mu.Unlock()
	if r.URL.Path == "/robots.txt" {
		w.Write([]byte("User-agent: *\nDisallow: /accedi\n"))
		return
	}
	if fail != nil && fail(w, r) {
		return
	}
	if onPage != nil {
		onPage(r)
	}
	if !ok {
		http.NotFound(w, r)
		return
	}
	if strings.HasPrefix(strings.TrimSpace(string(body)), "{") {
		w.Header().Set("Content-Type", "application/json")
	} else {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
	}
	w.Write(body)
}

func (s *site) set(path string, body []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.pages[path] = body
}

// sites are the three sources, served locally from testdata (and the real
// pages when they are there).
type sites struct {
	star, panini, animeclick *site
	real                     bool // the real pages are served too
}

func newSites(t testing.TB) *sites {
	ss := &sites{star: newSite(t), panini: newSite(t), animeclick: newSite(t)}
	for _, sample := range sample.Sites() {
		site := map[string]*site{"starcomics": ss.star, "panini": ss.panini, "animeclick": ss.animeclick}[sample.Source]
		for req, name := range sample.Pages {
			site.set(req, testdata(t, name))
		}
	}
	if sl := realPage(t, "starcomics-series-solo-leveling-2024-09.html"); sl != nil {
		if jjk := realPage(t, "panini-search-jujutsu-kaisen-2024-09.html"); jjk != nil {
			ss.real = true
			ss.star.set("/titoli-fumetti/solo-leveling", sl)
			ss.panini.set("/shp_ita_it/catalogsearch/result/?q=jujutsu+kaisen", jjk)
		}
	}
	return ss
}

// sources is the configuration of a run over the local sites.
func (ss *sites) sources() []scraper.SourceConfig {
	star := []string{"/titoli-fumetti/mob-psycho-100"}
	panini := []string{"/shp_ita_it/chainsaw-man.html"}
	if ss.real {
		star = append(star, "/titoli-fumetti/solo-leveling")
		panini = append(panini, "/shp_ita_it/catalogsearch/result/?q=jujutsu+kaisen")
	}
	return []scraper.SourceConfig{
		{Source: "starcomics", Site: ss.star.URL, Series: star, Calendar: true},
		{Source: "panini", Site: ss.panini.URL, Series: panini, Calendar: true, Weeks: 2},
		{Source: "animeclick", Site: ss.animeclick.URL, Calendar: true, Weeks: 2},
	}
}

// config is a run over the local sites into st, politeness off.
func (ss *sites) config(st scraper.Store) scraper.Config {
	return scraper.Config{
		Store:   st,
		Sources: ss.sources(),
		Fetcher: fetch.New(func(f *fetch.Fetcher) {
			f.Pages = st
			f.Delay = -1
			f.Retries = -1
			f.Version = scraper.ParserVersion
		}),
		Now: func() time.Time { return monday },
	}
}

func run(t testing.TB, cfg scraper.Config) scraper.Report {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	rep, err := scraper.Run(ctx, cfg)
	require.NoError(t, err)
	return rep
}

// counting wraps a store and counts the write calls the scraper makes.
type counting struct {
	*bolt.Store
	mu       sync.Mutex
	writes   int
	onUpsert func()
}

func (c *counting) count() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.writes++
}

func (c *counting) Writes() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.writes
}

func (c *counting) PutSeries(ctx context.Context, s store.Series) error {
	c.count()
	return c.Store.PutSeries(ctx, s)
}

func (c *counting) UpsertVolumes(ctx context.Context, vs []store.Volume, now time.Time) ([]store.UpsertResult, error) {
	res, err := c.Store.UpsertVolumes(ctx, vs, now)
	for _, r := range res {
		if r.Outcome != store.Unchanged {
			c.count()
			break
		}
	}
	if c.onUpsert != nil {
		c.onUpsert()
	}
	return res, err
}

func (c *counting) PutPage(ctx context.Context, p store.Page) error {
	c.count()
	return c.Store.PutPage(ctx, p)
}
