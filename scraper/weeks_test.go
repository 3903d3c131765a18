package scraper_test

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/manga-alert-italia/mangaalert/scraper"
	"github.com/manga-alert-italia/mangaalert/scraper/fetch"
	"github.com/manga-alert-italia/mangaalert/scraper/sample"
	"github.com/manga-alert-italia/mangaalert/scraper/source"
)

// fakeClock moves only when the fetcher sleeps.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Sleep(ctx context.Context, d time.Duration) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if d > 0 {
		c.now = c.now.Add(d)
	}
	return ctx.Err()
}

// TestRunStarComicsWeeks: the calendar walks ?data= week by week, this
// week and the --weeks after it, one request at a time, a second apart
// (on the fetcher's clock).
func TestRunStarComicsWeeks(t *testing.T) {
	clock := &fakeClock{now: monday}
	var mu sync.Mutex
	type req struct {
		data string
		at   time.Time
	}
	var reqs []req
	star := sample.Sites()[0]
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/uscite" {
			mu.Lock()
			reqs = append(reqs, req{r.URL.Query().Get("data"), clock.Now()})
			mu.Unlock()
		}
		star.ServeHTTP(w, r)
	}))
	defer srv.Close()
	st := openBolt(t)
	thursday := monday.AddDate(0, 0, 3)
	cfg := scraper.Config{
		Store:   st,
		Sources: []scraper.SourceConfig{{Source: "starcomics", Site: srv.URL, Calendar: true}}, // Weeks 0: 8
		Fetcher: fetch.New(func(f *fetch.Fetcher) { f.Pages = st; f.Clock = clock; f.Jitter = func() float64 { return 0 } }),
		Now:     func() time.Time { return thursday },
	}
	rep := run(t, cfg)
	s := rep.Sources[0]
	assert.Empty(t, s.Errors)
	assert.Equal(t, 10, s.Pages, "nine weeks and the home page")
	assert.Equal(t, 10, s.New, "the first week's seven cards and the home page's three more")
	require.Len(t, reqs, 9)
	want := []string{"2024-09-09", "2024-09-16", "2024-09-23", "2024-09-30", "2024-10-07", "2024-10-14", "2024-10-21", "2024-10-28", "2024-11-04"}
	for i, r := range reqs {
		assert.Equal(t, want[i], r.data)
		if i > 0 {
			assert.GreaterOrEqual(t, r.at.Sub(reqs[i-1].at), time.Second, "week %s: the default delay between requests", r.data)
		}
	}
	assert.Contains(t, s.PerPage, scraper.PageCount{URL: srv.URL + "/uscite?data=2024-09-09", Items: 7})
	assert.Contains(t, s.PerPage, scraper.PageCount{URL: srv.URL + "/uscite?data=2024-09-16", Items: 0})
	assert.Contains(t, s.PerPage, scraper.PageCount{URL: srv.URL + "/", Items: 4}, "the home page's two carousels")
}

// TestStarComicsHomeCarousels: the home page's "ULTIME USCITE" and
// "PROSSIME USCITE" carousels are read card by card, with the dates,
// prices and covers the cards give.
func TestStarComicsHomeCarousels(t *testing.T) {
	items, err := source.StarComics.Parse(bytes.NewReader(testdata(t, "starcomics-home-written.html")), nil)
	require.NoError(t, err)
	var got []string
	for _, it := range items {
		got = append(got, fmt.Sprintf("%s %s %s %d %t", it.VolumeID(), it.Edition, it.ReleaseDate, it.PriceCents, it.CoverURL != ""))
	}
	assert.Equal(t, []string{
		"solo-leveling/18 first 2024-09-03 990 true",
		"blue-giant-supreme/10 first 2024-08-27 750 true",
		"one-piece/110 first 2024-10-08 490 false",
		"blue-giant-supreme/11 first 2024-10-29 750 false",
	}, got)
	assert.Equal(t, "https://www.starcomics.com/", source.StarComicsHomeURL(nil))
}
