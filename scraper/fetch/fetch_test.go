package fetch_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/manga-alert-italia/mangaalert/scraper/fetch"
	"github.com/manga-alert-italia/mangaalert/scraper/sample"
	"github.com/manga-alert-italia/mangaalert/scraper/source"
	"github.com/manga-alert-italia/mangaalert/store"
)

// fakeClock is a clock whose Sleep advances time instead of waiting, and
// remembers every wait.
type fakeClock struct {
	mu     sync.Mutex
	now    time.Time
	frozen bool // Sleep records but time stands still (for concurrent callers)
	sleeps []time.Duration
}

func newClock() *fakeClock { return &fakeClock{now: time.Date(2024, 9, 9, 8, 0, 0, 0, time.UTC)} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if d > 0 {
		if !c.frozen {
			c.now = c.now.Add(d)
		}
		c.sleeps = append(c.sleeps, d)
	}
	return nil
}

func (c *fakeClock) Sleeps() []time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]time.Duration(nil), c.sleeps...)
}

// memPages is a page memory that counts its writes.
type memPages struct {
	mu     sync.Mutex
	pages  map[string]store.Page
	writes int
}

func (m *memPages) Page(_ context.Context, u string) (store.Page, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	p, ok := m.pages[u]
	if !ok {
		return store.Page{}, store.ErrNotFound
	}
	return p, nil
}

func (m *memPages) PutPage(_ context.Context, p store.Page) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.pages == nil {
		m.pages = map[string]store.Page{}
	}
	m.pages[p.URL] = p
	m.writes++
	return nil
}

// site is a local site: robots.txt and handlers by path, and a log of
// what was asked, at what (fake) time.
type site struct {
	*httptest.Server
	clock  *fakeClock
	robots func(w http.ResponseWriter)
	mu     sync.Mutex
	log    []hit
	pages  map[string]http.HandlerFunc
}

type hit struct {
	path string
	at   time.Time
	req  *http.Request
}

func newSite(t *testing.T, clock *fakeClock) *site {
	s := &site{clock: clock, pages: map[string]http.HandlerFunc{}}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.log = append(s.log, hit{r.URL.RequestURI(), clock.Now(), r})
		h := s.pages[r.URL.Path]
		robots := s.robots
		s.mu.Unlock()
		if r.URL.Path == "/robots.txt" {
			if robots == nil {
				http.NotFound(w, r)
				return
			}
			robots(w)
			return
		}
		if h == nil {
			http.NotFound(w, r)
			return
		}
		h(w, r)
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *site) handle(path string, h http.HandlerFunc) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.pages[path] = h
}

func (s *site) hits(path string) []hit {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []hit
	for _, h := range s.log {
		if path == "" || h.path == path {
			out = append(out, h)
		}
	}
	return out
}

func text(body string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, body) }
}

func newFetcher(clock *fakeClock, opts ...func(*fetch.Fetcher)) *fetch.Fetcher {
	return fetch.New(append([]func(*fetch.Fetcher){func(f *fetch.Fetcher) {
		f.Clock = clock
		f.Jitter = func() float64 { return 0.5 }
	}}, opts...)...)
}

func TestPoliteness(t *testing.T) {
	clock := newClock()
	a, b := newSite(t, clock), newSite(t, clock)
	for _, s := range []*site{a, b} {
		s.handle("/p", text("page"))
	}
	f := newFetcher(clock)
	ctx := context.Background()
	for i := 0; i < 3; i++ {
		_, err := f.Get(ctx, a.URL+"/p", nil)
		require.NoError(t, err)
	}
	hits := a.hits("")
	require.Len(t, hits, 4, "robots.txt once, then three pages")
	assert.Equal(t, "/robots.txt", hits[0].path)
	for i := 1; i < len(hits); i++ {
		assert.GreaterOrEqual(t, hits[i].at.Sub(hits[i-1].at), time.Second, "request %d came too soon", i)
	}
	// Another host has its own slot: it does not wait for a's.
	before := clock.Now()
	_, err := f.Get(ctx, b.URL+"/p", nil)
	require.NoError(t, err)
	assert.Equal(t, before, b.hits("/robots.txt")[0].at, "b's first request waits for nobody")
	assert.Equal(t, time.Second, b.hits("/p")[0].at.Sub(before))

	// Crawl-delay asks for more.
	clock2 := newClock()
	c := newSite(t, clock2)
	c.robots = func(w http.ResponseWriter) { fmt.Fprint(w, "User-agent: *\nCrawl-delay: 5\n") }
	c.handle("/p", text("page"))
	f2 := newFetcher(clock2)
	for i := 0; i < 3; i++ {
		_, err := f2.Get(ctx, c.URL+"/p", nil)
		require.NoError(t, err)
	}
	ph := c.hits("/p")
	assert.Equal(t, 5*time.Second, ph[1].at.Sub(ph[0].at))
	assert.Equal(t, 5*time.Second, ph[2].at.Sub(ph[1].at))

	// Politeness off: nobody sleeps.
	clock3 := newClock()
	d := newSite(t, clock3)
	d.handle("/p", text("page"))
	f3 := newFetcher(clock3, func(f *fetch.Fetcher) { f.Delay = -1 })
	for i := 0; i < 3; i++ {
		_, err := f3.Get(ctx, d.URL+"/p", nil)
		require.NoError(t, err)
	}
	assert.Empty(t, clock3.Sleeps())
}

func TestPolitenessConcurrent(t *testing.T) {
	// Goroutines sharing a host still get one request per second between
	// them. Time stands still here, so each waits for its own slot: 1 s,
	// 2 s, ... 8 s after robots.txt.
	clock := newClock()
	clock.frozen = true
	s := newSite(t, clock)
	s.handle("/p", text("page"))
	f := newFetcher(clock)
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := f.Get(context.Background(), s.URL+"/p", nil)
			assert.NoError(t, err)
		}()
	}
	wg.Wait()
	assert.Len(t, s.hits("/robots.txt"), 1)
	var want []time.Duration
	for i := 1; i <= 8; i++ {
		want = append(want, time.Duration(i)*time.Second)
	}
	assert.ElementsMatch(t, want, clock.Sleeps())
}

func TestRobotsHonoured(t *testing.T) {
	clock := newClock()
	s := newSite(t, clock)
	s.robots = func(w http.ResponseWriter) {
		fmt.Fprint(w, "User-agent: *\nDisallow: /titoli-fumetti/\nAllow: /titoli-fumetti/solo-leveling\n")
	}
	s.handle("/titoli-fumetti/solo-leveling", text("ok"))
	s.handle("/titoli-fumetti/other", text("secret"))
	f := newFetcher(clock)
	ctx := context.Background()

	res, err := f.Get(ctx, s.URL+"/titoli-fumetti/solo-leveling", nil)
	require.NoError(t, err)
	assert.Equal(t, "ok", string(res.Body))
	_, err = f.Get(ctx, s.URL+"/titoli-fumetti/other", nil)
	require.ErrorIs(t, err, fetch.ErrDisallowed)
	assert.Empty(t, s.hits("/titoli-fumetti/other"), "a disallowed page is never asked for")
	assert.Len(t, s.hits("/robots.txt"), 1, "robots.txt is fetched once per host")

	// A redirect into a disallowed path is refused too.
	s.handle("/go", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/titoli-fumetti/other", http.StatusFound)
	})
	_, err = f.Get(ctx, s.URL+"/go", nil)
	require.ErrorIs(t, err, fetch.ErrDisallowed)
	assert.Empty(t, s.hits("/titoli-fumetti/other"))

	// robots.txt failing with 5xx keeps us out, and says why.
	clock2 := newClock()
	down := newSite(t, clock2)
	down.robots = func(w http.ResponseWriter) { w.WriteHeader(http.StatusServiceUnavailable) }
	down.handle("/p", text("page"))
	_, err = newFetcher(clock2).Get(ctx, down.URL+"/p", nil)
	require.ErrorIs(t, err, fetch.ErrDisallowed)
	assert.Contains(t, err.Error(), "answered 503")
	assert.Empty(t, down.hits("/p"))

	// No robots.txt (404): everything is allowed.
	clock3 := newClock()
	open := newSite(t, clock3)
	open.handle("/p", text("page"))
	_, err = newFetcher(clock3).Get(ctx, open.URL+"/p", nil)
	require.NoError(t, err)
}

func TestUserAgent(t *testing.T) {
	clock := newClock()
	s := newSite(t, clock)
	s.handle("/p", text("page"))
	_, err := newFetcher(clock).Get(context.Background(), s.URL+"/p", map[string]string{"X-Requested-With": "XMLHttpRequest"})
	require.NoError(t, err)
	for _, h := range s.hits("") {
		assert.Equal(t, fetch.DefaultUserAgent, h.req.UserAgent())
	}
	assert.Contains(t, fetch.DefaultUserAgent, "MangaAlertItalia")
	assert.Contains(t, fetch.DefaultUserAgent, "https://github.com/manga-alert-italia/mangaalert")
	assert.Equal(t, "XMLHttpRequest", s.hits("/p")[0].req.Header.Get("X-Requested-With"))
}

func TestConditionalGet(t *testing.T) {
	clock := newClock()
	s := newSite(t, clock)
	s.handle("/etag", func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("If-None-Match") == `"v1"` {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		w.Header().Set("ETag", `"v1"`)
		fmt.Fprint(w, "etag page")
	})
	const lm = "Mon, 09 Sep 2024 08:00:00 GMT"
	s.handle("/lm", func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("If-Modified-Since") == lm {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		w.Header().Set("Last-Modified", lm)
		fmt.Fprint(w, "lm page")
	})
	mem := &memPages{}
	f := newFetcher(clock, func(f *fetch.Fetcher) { f.Pages = mem })
	ctx := context.Background()

	for _, path := range []string{"/etag", "/lm"} {
		res, err := f.Get(ctx, s.URL+path, nil)
		require.NoError(t, err)
		assert.NotEmpty(t, res.Body)
		assert.False(t, res.NotModified)
		writes := mem.writes
		require.NoError(t, f.Remember(ctx, res))
		assert.Equal(t, writes+1, mem.writes, "remembered once the caller is done")

		res, err = f.Get(ctx, s.URL+path, nil)
		require.NoError(t, err)
		assert.True(t, res.NotModified, path)
		assert.Nil(t, res.Body)
		assert.Equal(t, http.StatusNotModified, res.Status)
		require.NoError(t, f.Remember(ctx, res))
		assert.Equal(t, writes+1, mem.writes, "a 304 writes nothing")
	}
	p, err := mem.Page(ctx, s.URL+"/etag")
	require.NoError(t, err)
	assert.Equal(t, `"v1"`, p.ETag)
	// robots.txt at 8:00:00, the page a second later: remembered then, by the fetcher's clock.
	assert.Equal(t, time.Date(2024, 9, 9, 8, 0, 1, 0, time.UTC), p.FetchedAt)
}

func TestContentHash(t *testing.T) {
	clock := newClock()
	s := newSite(t, clock)
	var body atomic.Value
	body.Store("version one")
	s.handle("/p", func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, body.Load()) })
	mem := &memPages{}
	f := newFetcher(clock, func(f *fetch.Fetcher) { f.Pages = mem })
	ctx := context.Background()

	res, err := f.Get(ctx, s.URL+"/p", nil)
	require.NoError(t, err)
	require.NoError(t, f.Remember(ctx, res))
	assert.Equal(t, 1, mem.writes)

	res, err = f.Get(ctx, s.URL+"/p", nil)
	require.NoError(t, err)
	assert.True(t, res.Unchanged, "same bytes, no validators: unchanged by hash")
	assert.Nil(t, res.Body)
	require.NoError(t, f.Remember(ctx, res))
	assert.Equal(t, 1, mem.writes)

	body.Store("version two")
	res, err = f.Get(ctx, s.URL+"/p", nil)
	require.NoError(t, err)
	assert.False(t, res.Unchanged)
	assert.Equal(t, "version two", string(res.Body))
	require.NoError(t, f.Remember(ctx, res))
	assert.Equal(t, 2, mem.writes)

	// Not remembered (the caller failed to store the page): fetched in full again.
	body.Store("version three")
	_, err = f.Get(ctx, s.URL+"/p", nil)
	require.NoError(t, err)
	res, err = f.Get(ctx, s.URL+"/p", nil)
	require.NoError(t, err)
	assert.Equal(t, "version three", string(res.Body))

	// A new parser version reads unchanged pages again.
	require.NoError(t, f.Remember(ctx, res))
	f2 := newFetcher(clock, func(f *fetch.Fetcher) { f.Pages = mem; f.Version = "2" })
	res, err = f2.Get(ctx, s.URL+"/p", nil)
	require.NoError(t, err)
	assert.False(t, res.Unchanged)
	assert.Equal(t, "version three", string(res.Body))
}

func TestRetries(t *testing.T) {
	ctx := context.Background()
	t.Run("5xx then success, with backoff", func(t *testing.T) {
		clock := newClock()
		s := newSite(t, clock)
		var n atomic.Int32
		s.handle("/p", func(w http.ResponseWriter, r *http.Request) {
			if n.Add(1) <= 2 {
				http.Error(w, "busy", http.StatusBadGateway)
				return
			}
			fmt.Fprint(w, "ok")
		})
		f := newFetcher(clock, func(f *fetch.Fetcher) { f.Delay = -1 })
		res, err := f.Get(ctx, s.URL+"/p", nil)
		require.NoError(t, err)
		assert.Equal(t, 3, res.Attempts)
		// Jitter 0.5: base/2 + 0.5*base/2 = 750 ms, then 1.5 s.
		assert.Equal(t, []time.Duration{750 * time.Millisecond, 1500 * time.Millisecond}, clock.Sleeps())
	})
	t.Run("429 with Retry-After seconds", func(t *testing.T) {
		clock := newClock()
		s := newSite(t, clock)
		var n atomic.Int32
		s.handle("/p", func(w http.ResponseWriter, r *http.Request) {
			if n.Add(1) == 1 {
				w.Header().Set("Retry-After", "7")
				w.WriteHeader(http.StatusTooManyRequests)
				return
			}
			fmt.Fprint(w, "ok")
		})
		f := newFetcher(clock, func(f *fetch.Fetcher) { f.Delay = -1 })
		_, err := f.Get(ctx, s.URL+"/p", nil)
		require.NoError(t, err)
		assert.Equal(t, []time.Duration{7 * time.Second}, clock.Sleeps())
	})
	t.Run("503 with Retry-After date", func(t *testing.T) {
		clock := newClock()
		s := newSite(t, clock)
		var n atomic.Int32
		s.handle("/p", func(w http.ResponseWriter, r *http.Request) {
			if n.Add(1) == 1 {
				w.Header().Set("Retry-After", clock.Now().Add(30*time.Second).UTC().Format(http.TimeFormat))
				w.WriteHeader(http.StatusServiceUnavailable)
				return
			}
			fmt.Fprint(w, "ok")
		})
		f := newFetcher(clock, func(f *fetch.Fetcher) { f.Delay = -1 })
		_, err := f.Get(ctx, s.URL+"/p", nil)
		require.NoError(t, err)
		assert.Equal(t, []time.Duration{30 * time.Second}, clock.Sleeps())
	})
	t.Run("Retry-After beyond the limit gives up", func(t *testing.T) {
		clock := newClock()
		s := newSite(t, clock)
		s.handle("/p", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Retry-After", "3600")
			w.WriteHeader(http.StatusTooManyRequests)
		})
		f := newFetcher(clock, func(f *fetch.Fetcher) { f.Delay = -1 })
		_, err := f.Get(ctx, s.URL+"/p", nil)
		var serr *fetch.StatusError
		require.ErrorAs(t, err, &serr)
		assert.Equal(t, http.StatusTooManyRequests, serr.Status)
		assert.Equal(t, time.Hour, serr.RetryAfter)
		assert.Len(t, s.hits("/p"), 1)
		assert.Empty(t, clock.Sleeps())
	})
	t.Run("5xx forever", func(t *testing.T) {
		clock := newClock()
		s := newSite(t, clock)
		s.handle("/p", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusInternalServerError) })
		f := newFetcher(clock, func(f *fetch.Fetcher) { f.Delay = -1; f.Retries = 2 })
		_, err := f.Get(ctx, s.URL+"/p", nil)
		var serr *fetch.StatusError
		require.ErrorAs(t, err, &serr)
		assert.Equal(t, 500, serr.Status)
		assert.Len(t, s.hits("/p"), 3)
	})
	t.Run("4xx is not retried", func(t *testing.T) {
		clock := newClock()
		s := newSite(t, clock)
		f := newFetcher(clock, func(f *fetch.Fetcher) { f.Delay = -1 })
		_, err := f.Get(ctx, s.URL+"/missing", nil)
		var serr *fetch.StatusError
		require.ErrorAs(t, err, &serr)
		assert.Equal(t, 404, serr.Status)
		assert.Len(t, s.hits("/missing"), 1)
	})
	t.Run("timeouts are retried", func(t *testing.T) {
		clock := newClock()
		s := newSite(t, clock)
		var n atomic.Int32
		release := make(chan struct{})
		t.Cleanup(func() { close(release) })
		s.handle("/p", func(w http.ResponseWriter, r *http.Request) {
			if n.Add(1) == 1 {
				select {
				case <-release:
				case <-r.Context().Done():
				}
				return
			}
			fmt.Fprint(w, "ok")
		})
		f := newFetcher(clock, func(f *fetch.Fetcher) { f.Delay = -1; f.Timeout = 100 * time.Millisecond })
		res, err := f.Get(ctx, s.URL+"/p", nil)
		require.NoError(t, err)
		assert.Equal(t, 2, res.Attempts)
	})
}

func TestBodyCap(t *testing.T) {
	clock := newClock()
	s := newSite(t, clock)
	big := strings.Repeat("x", 2048)
	s.handle("/sized", text(big)) // with a Content-Length
	s.handle("/chunked", func(w http.ResponseWriter, r *http.Request) {
		for i := 0; i < 4; i++ {
			fmt.Fprint(w, big[:512])
			w.(http.Flusher).Flush()
		}
	})
	s.handle("/fits", text(big[:1024]))
	f := newFetcher(clock, func(f *fetch.Fetcher) { f.Delay = -1; f.MaxBody = 1024 })
	for _, p := range []string{"/sized", "/chunked"} {
		_, err := f.Get(context.Background(), s.URL+p, nil)
		require.ErrorIs(t, err, fetch.ErrTooLarge, p)
		assert.Len(t, s.hits(p), 1, "not retried")
	}
	res, err := f.Get(context.Background(), s.URL+"/fits", nil)
	require.NoError(t, err)
	assert.Len(t, res.Body, 1024)
}

func TestChallenge(t *testing.T) {
	const cf = `<!DOCTYPE html><html><head><title>Just a moment...</title></head><body>
	<script>window._cf_chl_opt={cType:'managed'}</script></body></html>`
	clock := newClock()
	s := newSite(t, clock)
	s.handle("/403", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Server", "cloudflare")
		w.WriteHeader(http.StatusForbidden)
		fmt.Fprint(w, cf)
	})
	s.handle("/503", func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusServiceUnavailable)
		fmt.Fprint(w, cf)
	})
	s.handle("/header", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("cf-mitigated", "challenge")
		fmt.Fprint(w, "<html></html>")
	})
	s.handle("/200", text(cf))
	s.handle("/plain403", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusForbidden) })
	f := newFetcher(clock, func(f *fetch.Fetcher) { f.Delay = -1 })
	for _, p := range []string{"/403", "/503", "/header", "/200"} {
		_, err := f.Get(context.Background(), s.URL+p, nil)
		require.ErrorIs(t, err, source.ErrChallenge, p)
		var ce *fetch.ChallengeError
		require.ErrorAs(t, err, &ce, p)
		assert.Contains(t, err.Error(), "anti-bot challenge")
		assert.Len(t, s.hits(p), 1, "%s: a challenge is not retried", p)
	}
	_, err := f.Get(context.Background(), s.URL+"/plain403", nil)
	require.Error(t, err)
	assert.False(t, errors.Is(err, source.ErrChallenge), "a bare 403 is not a challenge")
}

func TestCancel(t *testing.T) {
	clock := newClock()
	s := newSite(t, clock)
	s.handle("/p", text("page"))
	f := newFetcher(clock)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := f.Get(ctx, s.URL+"/p", nil)
	require.ErrorIs(t, err, context.Canceled)
	assert.Empty(t, s.hits("/p"))

	// A real clock's sleep ends with the context.
	ctx, cancel = context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	err = fetch.RealClock{}.Sleep(ctx, time.Hour)
	require.ErrorIs(t, err, context.DeadlineExceeded)
}

func TestBadURL(t *testing.T) {
	f := newFetcher(newClock())
	for _, u := range []string{"", "ftp://x/y", "/relative", "http://", "::"} {
		_, err := f.Get(context.Background(), u, nil)
		require.Error(t, err, u)
	}
}

func ExampleFetcher() {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/robots.txt" {
			fmt.Fprint(w, "User-agent: *\nDisallow: /private\n")
			return
		}
		w.Header().Set("ETag", `"1"`)
		if r.Header.Get("If-None-Match") == `"1"` {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		fmt.Fprint(w, "<html>uscite</html>")
	}))
	defer srv.Close()

	mem := &memPages{}
	f := fetch.New(func(f *fetch.Fetcher) { f.Pages = mem; f.Delay = -1 })
	ctx := context.Background()
	res, _ := f.Get(ctx, srv.URL+"/uscite", nil)
	fmt.Println(res.Status, string(res.Body))
	_ = f.Remember(ctx, res) // after the page's volumes are stored
	res, _ = f.Get(ctx, srv.URL+"/uscite", nil)
	fmt.Println(res.Status, res.NotModified)
	_, err := f.Get(ctx, srv.URL+"/private", nil)
	fmt.Println(errors.Is(err, fetch.ErrDisallowed))
	// Output:
	// 200 <html>uscite</html>
	// 304 true
	// true
}

func TestRobotsTooLong(t *testing.T) {
	// Only the first 500 KiB of a robots.txt are read: a rule in them holds.
	clock := newClock()
	s := newSite(t, clock)
	s.robots = func(w http.ResponseWriter) {
		fmt.Fprint(w, "User-agent: *\nDisallow: /private\n")
		fmt.Fprint(w, strings.Repeat("# padding\n", 100_000))
		fmt.Fprint(w, "Disallow: /late\n")
	}
	s.handle("/late", text("late"))
	f := newFetcher(clock, func(f *fetch.Fetcher) { f.Delay = -1 })
	_, err := f.Get(context.Background(), s.URL+"/private/x", nil)
	require.ErrorIs(t, err, fetch.ErrDisallowed)
	_, err = f.Get(context.Background(), s.URL+"/late", nil)
	require.NoError(t, err, "rules after 500 KiB are not read")
}

func TestBlocked(t *testing.T) {
	queueit := string(sample.Page("queueit-panini-written.html"))
	clock := newClock()
	s := newSite(t, clock)
	s.handle("/queueit", text(queueit))
	s.handle("/cloudflare", func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusForbidden)
		fmt.Fprint(w, `<html><head><title>Just a moment...</title></head><body><script src="/cdn-cgi/challenge-platform/x.js"></script></body></html>`)
	})
	s.handle("/datadome", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Set-Cookie", "datadome=abc; Path=/")
		w.WriteHeader(http.StatusForbidden)
		fmt.Fprint(w, `<script src="https://ct.captcha-delivery.com/c.js"></script>`)
	})
	s.handle("/akamai", func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusForbidden)
		fmt.Fprint(w, "<HTML><HEAD><TITLE>Access Denied</TITLE></HEAD><BODY>Reference #18.6f2e1002</BODY></HTML>")
	})
	s.handle("/perimeterx", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Set-Cookie", "_pxhd=abc; Path=/")
		w.WriteHeader(http.StatusForbidden)
		fmt.Fprint(w, `<div id="px-captcha"></div>`)
	})
	s.handle("/redirect", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "https://panini.queue-it.net/?c=panini&e=paniniitaly", http.StatusFound)
	})
	f := newFetcher(clock, func(f *fetch.Fetcher) { f.Delay = -1 })
	host := strings.TrimPrefix(s.URL, "http://")
	for p, kind := range map[string]string{
		"/queueit": source.QueueIt, "/cloudflare": source.Cloudflare, "/datadome": source.DataDome,
		"/akamai": source.Akamai, "/perimeterx": source.PerimeterX, "/redirect": source.QueueIt,
	} {
		res, err := f.Get(context.Background(), s.URL+p, nil)
		require.ErrorIs(t, err, fetch.ErrBlocked, p)
		require.ErrorIs(t, err, source.ErrChallenge, p)
		assert.Nil(t, res, p)
		var b *fetch.BlockedError
		require.ErrorAs(t, err, &b, p)
		assert.Equal(t, kind, b.Kind, p)
		assert.Equal(t, host, b.Host, p)
		assert.Contains(t, err.Error(), kind, p)
		assert.Len(t, s.hits(p), 1, "%s: a wall is not retried", p)
	}
}
