// Package fetch gets publisher pages politely: one request at a time per
// host with a delay between them (1 s by default, longer when robots.txt
// asks), robots.txt honoured, a User-Agent that names the project and how
// to reach it, timeouts, retries with backoff and jitter on 5xx and 429
// (Retry-After honoured), a cap on body size, conditional GET with the
// ETag and Last-Modified remembered per URL, a content hash that tells an
// unchanged page from a changed one when the site sends neither, and
// waiting rooms (Queue-it) and anti-bot challenges (Cloudflare, DataDome,
// Akamai, PerimeterX) reported as a *BlockedError naming the kind, never
// as empty pages.
//
// What the fetcher remembers of a page is written only by Remember, after
// the caller has processed the body: a run that dies between fetching and
// storing fetches the page again next time.
package fetch

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/manga-alert-italia/mangaalert/internal/poll"
	"github.com/manga-alert-italia/mangaalert/scraper/source"
	"github.com/manga-alert-italia/mangaalert/store"
)

// DefaultUserAgent names the project and where to read about it.
const DefaultUserAgent = "MangaAlertItalia/1.0 (+https://github.com/manga-alert-italia/mangaalert; scraper for release alerts)"

// Pages is what the fetcher remembers of URLs: store.Pages.
type Pages interface {
	Page(ctx context.Context, url string) (store.Page, error)
	PutPage(ctx context.Context, p store.Page) error
}

// Clock tells the time and waits; tests pass one that waits for nothing.
type Clock interface {
	Now() time.Time
	// Sleep waits d or until ctx is done (then it returns ctx.Err()).
	Sleep(ctx context.Context, d time.Duration) error
}

// RealClock is the wall clock.
type RealClock struct{}

// Now is time.Now.
func (RealClock) Now() time.Time { return time.Now() }

// Sleep waits d, or until ctx is done.
func (RealClock) Sleep(ctx context.Context, d time.Duration) error { return poll.Sleep(ctx, d) }

// Fetcher gets pages. Zero fields mean the documented defaults; build it
// with New. It is safe for concurrent use; requests to one host wait for
// each other.
type Fetcher struct {
	Client    *http.Client // default: a client with the timeouts below
	UserAgent string       // default DefaultUserAgent
	// Delay is the least time between two requests to one host: 0 means
	// 1 s, a negative value means none (tests, local servers). A longer
	// robots.txt Crawl-delay wins, up to MaxCrawlDelay.
	Delay         time.Duration
	MaxCrawlDelay time.Duration // default 30 s
	Timeout       time.Duration // per attempt; default 30 s
	MaxBody       int64         // bytes; default 8 MiB: a longer body is an error, never cut
	// Retries is how many times a 5xx, a 429 or a network error is
	// retried: 0 means 3, negative means never.
	Retries       int
	BackoffBase   time.Duration // default 1 s, doubled each retry, with jitter
	BackoffMax    time.Duration // default 60 s
	MaxRetryAfter time.Duration // a longer Retry-After gives up; default 5 min
	IgnoreRobots  bool          // only for tests against local servers
	// Pages remembers ETags, Last-Modified and content hashes; nil fetches
	// everything unconditionally.
	Pages Pages
	// Version is mixed into content hashes: a new parser version re-reads
	// pages that did not change. Default "1".
	Version string
	Clock   Clock          // default RealClock
	Jitter  func() float64 // in [0, 1); default math/rand/v2
	Logger  *slog.Logger   // default slog.Default().WithGroup("fetch")

	mu    sync.Mutex
	hosts map[string]*hostState
}

type hostState struct {
	fetching sync.Mutex // held while robots.txt is fetched, so it is fetched once

	mu     sync.Mutex
	robots *Robots
	err    error     // why robots.txt could not be read (robots is DisallowAll then)
	next   time.Time // the earliest time of the next request
}

// New returns a Fetcher with the defaults filled in, then opts applied.
func New(opts ...func(*Fetcher)) *Fetcher {
	f := &Fetcher{}
	for _, o := range opts {
		o(f)
	}
	f.defaults()
	return f
}

func (f *Fetcher) defaults() {
	if f.UserAgent == "" {
		f.UserAgent = DefaultUserAgent
	}
	if f.Delay == 0 {
		f.Delay = time.Second
	}
	if f.MaxCrawlDelay == 0 {
		f.MaxCrawlDelay = 30 * time.Second
	}
	if f.Timeout == 0 {
		f.Timeout = 30 * time.Second
	}
	if f.MaxBody == 0 {
		f.MaxBody = 8 << 20
	}
	if f.Retries == 0 {
		f.Retries = 3
	}
	if f.BackoffBase == 0 {
		f.BackoffBase = time.Second
	}
	if f.BackoffMax == 0 {
		f.BackoffMax = 60 * time.Second
	}
	if f.MaxRetryAfter == 0 {
		f.MaxRetryAfter = 5 * time.Minute
	}
	if f.Version == "" {
		f.Version = "1"
	}
	if f.Clock == nil {
		f.Clock = RealClock{}
	}
	if f.Jitter == nil {
		f.Jitter = rand.Float64
	}
	if f.Logger == nil {
		f.Logger = slog.Default().WithGroup("fetch")
	}
	if f.Client == nil {
		tr := http.DefaultTransport.(*http.Transport).Clone()
		tr.ResponseHeaderTimeout = f.Timeout
		tr.MaxIdleConnsPerHost = 4
		f.Client = &http.Client{Transport: tr}
	}
	if f.hosts == nil {
		f.hosts = map[string]*hostState{}
	}
	if f.Client.CheckRedirect == nil {
		c := *f.Client
		c.CheckRedirect = f.checkRedirect
		f.Client = &c
	}
}

// Result is a fetched page.
type Result struct {
	URL      string // as asked
	FinalURL string // after redirects
	Status   int
	Header   http.Header
	// Body is the page; nil when NotModified or Unchanged.
	Body []byte
	// NotModified: the server answered 304 to a conditional request.
	NotModified bool
	// Unchanged: the server sent the same bytes as the last time.
	Unchanged bool
	Attempts  int

	page    store.Page // what Remember writes
	changed bool       // page differs from what is remembered
}

// Get fetches rawURL with the extra headers given. The errors: ErrDisallowed
// (robots.txt), *BlockedError (errors.Is ErrBlocked and source.ErrChallenge), ErrTooLarge,
// *StatusError, or the context's error.
func (f *Fetcher) Get(ctx context.Context, rawURL string, header map[string]string) (*Result, error) {
	f.once()
	u, err := url.Parse(rawURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("get %q: not an http(s) URL", rawURL)
	}
	if err := f.allowed(ctx, u); err != nil {
		return nil, fmt.Errorf("get %s: %w", rawURL, err)
	}
	mem := f.memory(ctx, rawURL)
	var last error
	for attempt := 0; ; attempt++ {
		res, retryIn, err := f.attempt(ctx, u, header, mem)
		if err == nil {
			res.Attempts = attempt + 1
			return res, nil
		}
		last = err
		if retryIn < 0 || attempt >= f.retries() {
			break
		}
		if retryIn == 0 {
			retryIn = f.backoff(attempt)
		}
		f.Logger.DebugContext(ctx, "retry", "url", rawURL, "attempt", attempt+1, "in", retryIn, "error", err)
		if err := f.Clock.Sleep(ctx, retryIn); err != nil {
			return nil, fmt.Errorf("get %s: %w", rawURL, err)
		}
	}
	return nil, fmt.Errorf("get %s: %w", rawURL, last)
}

func (f *Fetcher) once() {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.hosts == nil { // a Fetcher{} not made by New
		f.defaults()
	}
}

func (f *Fetcher) retries() int {
	if f.Retries < 0 {
		return 0
	}
	return f.Retries
}

// backoff is the wait before retry n (0-based): BackoffBase doubled n
// times, at most BackoffMax, half of it random so clients spread out.
func (f *Fetcher) backoff(n int) time.Duration {
	d := f.BackoffBase << min(n, 20)
	if d > f.BackoffMax || d <= 0 {
		d = f.BackoffMax
	}
	return d/2 + time.Duration(f.Jitter()*float64(d/2))
}

// memory returns what is remembered of u that is still usable.
func (f *Fetcher) memory(ctx context.Context, u string) store.Page {
	if f.Pages == nil {
		return store.Page{}
	}
	p, err := f.Pages.Page(ctx, u)
	if err != nil {
		if !errors.Is(err, store.ErrNotFound) {
			f.Logger.DebugContext(ctx, "page memory unreadable: fetching unconditionally", "url", u, "error", err)
		}
		return store.Page{}
	}
	if !strings.HasPrefix(p.ContentHash, f.Version+":") {
		// Written by another parser version: read the page again.
		return store.Page{URL: u}
	}
	return p
}

// attempt makes one request. retryIn < 0 means the error is final; 0 means
// retry after the usual backoff.
func (f *Fetcher) attempt(ctx context.Context, u *url.URL, header map[string]string, mem store.Page) (*Result, time.Duration, error) {
	if err := f.wait(ctx, u.Host); err != nil {
		return nil, -1, err
	}
	actx, cancel := context.WithTimeout(ctx, f.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(actx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, -1, err
	}
	req.Header.Set("User-Agent", f.UserAgent)
	req.Header.Set("Accept", "text/html,application/xhtml+xml;q=0.9,*/*;q=0.8")
	req.Header.Set("Accept-Language", "it-IT,it;q=0.9,en;q=0.5")
	for k, v := range header {
		req.Header.Set(k, v)
	}
	if mem.ETag != "" {
		req.Header.Set("If-None-Match", mem.ETag)
	}
	if mem.LastModified != "" {
		req.Header.Set("If-Modified-Since", mem.LastModified)
	}
	resp, err := f.Client.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return nil, -1, ctx.Err()
		}
		if errors.Is(err, ErrDisallowed) || errors.Is(err, ErrBlocked) {
			return nil, -1, err
		}
		return nil, 0, err // network trouble and timeouts: retry
	}
	defer resp.Body.Close()
	res := &Result{URL: u.String(), FinalURL: resp.Request.URL.String(), Status: resp.StatusCode, Header: resp.Header}
	f.Logger.DebugContext(ctx, "fetched", "url", res.URL, "status", resp.StatusCode)

	if b := blocked(resp, nil, res.URL); b != nil {
		return nil, -1, b
	}
	switch {
	case resp.StatusCode == http.StatusNotModified && (mem.ETag != "" || mem.LastModified != ""):
		res.NotModified = true
		return res, 0, nil
	case resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500:
		body, _ := f.read(resp, 64<<10)
		if b := blocked(resp, body, res.URL); b != nil {
			return nil, -1, b
		}
		serr := &StatusError{URL: res.URL, Status: resp.StatusCode}
		if ra, ok := retryAfter(resp.Header.Get("Retry-After"), f.Clock.Now()); ok {
			serr.RetryAfter = ra
			if ra > f.MaxRetryAfter {
				return nil, -1, serr // the site asks for more than a run can wait
			}
			return nil, max(ra, time.Millisecond), serr
		}
		return nil, 0, serr
	case resp.StatusCode == http.StatusForbidden:
		body, _ := f.read(resp, 64<<10)
		if b := blocked(resp, body, res.URL); b != nil {
			return nil, -1, b
		}
		return nil, -1, &StatusError{URL: res.URL, Status: resp.StatusCode}
	case resp.StatusCode < 200 || resp.StatusCode > 299:
		body, _ := f.read(resp, 64<<10)
		if b := blocked(resp, body, res.URL); b != nil {
			return nil, -1, b
		}
		return nil, -1, &StatusError{URL: res.URL, Status: resp.StatusCode}
	}
	if resp.ContentLength > f.MaxBody {
		return nil, -1, fmt.Errorf("%w: %d bytes announced, limit %d", ErrTooLarge, resp.ContentLength, f.MaxBody)
	}
	body, err := f.read(resp, f.MaxBody)
	if err != nil {
		if errors.Is(err, ErrTooLarge) || ctx.Err() != nil {
			return nil, -1, err
		}
		return nil, 0, err // the connection broke mid-body: retry
	}
	if b := blocked(resp, body, res.URL); b != nil {
		return nil, -1, b
	}
	sum := sha256.Sum256(body)
	res.page = store.Page{
		URL:          res.URL,
		ETag:         resp.Header.Get("ETag"),
		LastModified: resp.Header.Get("Last-Modified"),
		ContentHash:  f.Version + ":" + hex.EncodeToString(sum[:]),
	}
	res.changed = res.page.ETag != mem.ETag || res.page.LastModified != mem.LastModified || res.page.ContentHash != mem.ContentHash
	if mem.ContentHash != "" && mem.ContentHash == res.page.ContentHash {
		res.Unchanged = true
		return res, 0, nil
	}
	res.Body = body
	return res, 0, nil
}

// read reads at most limit bytes of the body; more is ErrTooLarge.
func (f *Fetcher) read(resp *http.Response, limit int64) ([]byte, error) {
	var buf bytes.Buffer
	if resp.ContentLength > 0 && resp.ContentLength <= limit {
		buf.Grow(int(resp.ContentLength))
	}
	n, err := buf.ReadFrom(io.LimitReader(resp.Body, limit+1))
	if err != nil {
		return nil, err
	}
	if n > limit {
		return nil, fmt.Errorf("%w: more than %d bytes", ErrTooLarge, limit)
	}
	return buf.Bytes(), nil
}

// Remember writes what the fetcher learnt of the page (its ETag,
// Last-Modified and content hash), once the caller has stored what the
// page said. It writes nothing when nothing changed.
func (f *Fetcher) Remember(ctx context.Context, res *Result) error {
	if f.Pages == nil || res == nil || !res.changed || res.NotModified {
		return nil
	}
	p := res.page
	p.FetchedAt = f.Clock.Now().UTC()
	if err := f.Pages.PutPage(ctx, p); err != nil {
		return fmt.Errorf("remember %s: %w", res.URL, err)
	}
	res.changed = false
	return nil
}

// wait takes the host's next request slot and waits for it.
func (f *Fetcher) wait(ctx context.Context, host string) error {
	if f.Delay < 0 {
		return ctx.Err()
	}
	h := f.host(host)
	delay := f.Delay
	h.mu.Lock()
	if h.robots != nil {
		delay = max(delay, min(h.robots.CrawlDelay(f.UserAgent), f.MaxCrawlDelay))
	}
	now := f.Clock.Now()
	at := now
	if h.next.After(at) {
		at = h.next
	}
	h.next = at.Add(delay)
	h.mu.Unlock()
	return f.Clock.Sleep(ctx, at.Sub(now))
}

func (f *Fetcher) host(host string) *hostState {
	f.mu.Lock()
	defer f.mu.Unlock()
	h, ok := f.hosts[host]
	if !ok {
		h = &hostState{}
		f.hosts[host] = h
	}
	return h
}

// allowed checks u against its host's robots.txt, fetched once.
func (f *Fetcher) allowed(ctx context.Context, u *url.URL) error {
	if f.IgnoreRobots {
		return nil
	}
	h := f.host(u.Host)
	h.fetching.Lock()
	h.mu.Lock()
	r, rerr := h.robots, h.err
	h.mu.Unlock()
	if r == nil {
		r, rerr = f.fetchRobots(ctx, u)
		if ctx.Err() != nil { // not an answer: ask again next time
			h.fetching.Unlock()
			return ctx.Err()
		}
		h.mu.Lock()
		h.robots, h.err = r, rerr
		h.mu.Unlock()
	}
	h.fetching.Unlock()
	if !r.Allowed(f.UserAgent, u) {
		if rerr != nil {
			return fmt.Errorf("%w: %v", ErrDisallowed, rerr)
		}
		return fmt.Errorf("%w: %s", ErrDisallowed, u.EscapedPath())
	}
	return nil
}

// fetchRobots reads the host's robots.txt: 2xx is its rules, 4xx means
// no rules, anything else (5xx, no answer) means stay out (RFC 9309 2.3.1).
func (f *Fetcher) fetchRobots(ctx context.Context, u *url.URL) (*Robots, error) {
	ru := &url.URL{Scheme: u.Scheme, Host: u.Host, Path: "/robots.txt"}
	if err := f.wait(ctx, u.Host); err != nil {
		return DisallowAll, err
	}
	actx, cancel := context.WithTimeout(ctx, f.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(actx, http.MethodGet, ru.String(), nil)
	if err != nil {
		return DisallowAll, err
	}
	req.Header.Set("User-Agent", f.UserAgent)
	// Redirects are followed (up to 5) by a plain client: robots.txt is
	// not subject to itself.
	c := *f.Client
	c.CheckRedirect = nil
	resp, err := c.Do(req)
	if err != nil {
		return DisallowAll, fmt.Errorf("robots.txt of %s unreachable: %w", u.Host, err)
	}
	defer resp.Body.Close()
	switch {
	case resp.StatusCode >= 200 && resp.StatusCode <= 299:
		// RFC 9309: parse at least the first 500 KiB; the rest is ignored.
		body, err := io.ReadAll(io.LimitReader(resp.Body, 500<<10))
		if err != nil {
			return DisallowAll, fmt.Errorf("robots.txt of %s: %w", u.Host, err)
		}
		if b := blocked(resp, body, ru.String()); b != nil {
			return DisallowAll, b
		}
		return ParseRobots(body), nil
	case resp.StatusCode >= 400 && resp.StatusCode <= 499 && resp.StatusCode != http.StatusTooManyRequests:
		if b := blocked(resp, nil, ru.String()); b != nil {
			return DisallowAll, b
		}
		return AllowAll, nil
	default:
		return DisallowAll, fmt.Errorf("robots.txt of %s answered %d: the site is off limits until it answers (RFC 9309)", u.Host, resp.StatusCode)
	}
}

// checkRedirect follows at most 5 redirects, each allowed by robots.txt.
func (f *Fetcher) checkRedirect(req *http.Request, via []*http.Request) error {
	if len(via) >= 5 {
		return errors.New("more than 5 redirects")
	}
	// Queue-it sends visitors to its own host when the site is busy.
	if h := req.URL.Hostname(); h == "queue-it.net" || strings.HasSuffix(h, ".queue-it.net") {
		b := &BlockedError{Kind: source.QueueIt, Host: via[0].URL.Host, URL: via[0].URL.String()}
		if req.Response != nil {
			b.Status = req.Response.StatusCode
		}
		return b
	}
	return f.allowed(req.Context(), req.URL)
}

// retryAfter reads a Retry-After header: seconds or an HTTP date.
func retryAfter(v string, now time.Time) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	if s, err := strconv.ParseInt(v, 10, 64); err == nil {
		if s < 0 {
			return 0, false
		}
		return time.Duration(min(s, 1<<31)) * time.Second, true
	}
	t, err := http.ParseTime(v)
	if err != nil {
		return 0, false
	}
	return max(t.Sub(now), 0), true
}
