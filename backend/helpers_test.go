package backend

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/manga-alert-italia/mangaalert/integration"
	"github.com/manga-alert-italia/mangaalert/store"
	"github.com/manga-alert-italia/mangaalert/store/bolt"
)

func TestMain(m *testing.M) { integration.Main(m) }

// clock is a settable time: tests move it instead of sleeping.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// memMailer keeps what the backend sends.
type memMailer struct {
	mu    sync.Mutex
	mails []Mail
	fail  error
	sent  chan struct{} // closed and replaced at each mail: a broadcast
}

func (m *memMailer) Send(_ context.Context, mail Mail) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.fail != nil {
		return m.fail
	}
	m.mails = append(m.mails, mail)
	if m.sent != nil {
		close(m.sent)
	}
	m.sent = make(chan struct{})
	return nil
}

// next is closed at the next mail.
func (m *memMailer) next() <-chan struct{} {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.sent == nil {
		m.sent = make(chan struct{})
	}
	return m.sent
}

func (m *memMailer) all() []Mail {
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.Clone(m.mails)
}

func (m *memMailer) to(addr string) []Mail {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []Mail
	for _, x := range m.mails {
		if x.To == addr {
			out = append(out, x)
		}
	}
	return out
}

// Wednesday 12 March 2025, 10:00 in Rome.
var t0 = time.Date(2025, time.March, 12, 10, 0, 0, 0, store.Rome)

var (
	key1 = bytes.Repeat([]byte{1}, 32)
	key2 = bytes.Repeat([]byte{2}, 32)
)

// env is a Backend on a fresh embedded store with a small catalogue.
type env struct {
	t      testing.TB
	b      *Backend
	st     store.Store
	clock  *clock
	mail   *memMailer
	logs   *bytes.Buffer
	logsMu *sync.Mutex
}

type lockedWriter struct {
	mu *sync.Mutex
	w  io.Writer
}

func (l lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// newEnv is an env on the embedded store.
func newEnv(t testing.TB, tweak ...func(*Config)) *env {
	t.Helper()
	return newEnvOn(t, func(now func() time.Time) store.Store {
		st, err := bolt.Open(filepath.Join(t.TempDir(), "store.db"), func(o *bolt.Options) { o.NoSync = true }, func(o *bolt.Options) { o.Now = now })
		require.NoError(t, err)
		return st
	}, tweak...)
}

// newEnvOn is an env on the store open makes, with the env's clock.
func newEnvOn(t testing.TB, open func(now func() time.Time) store.Store, tweak ...func(*Config)) *env {
	t.Helper()
	clk := &clock{t: t0}
	st := open(clk.Now)
	t.Cleanup(func() { _ = st.Close() })
	seed(t, st, clk.Now())
	e := &env{t: t, st: st, clock: clk, mail: &memMailer{}, logs: &bytes.Buffer{}, logsMu: &sync.Mutex{}}
	logger := slog.New(slog.NewJSONHandler(lockedWriter{e.logsMu, e.logs}, &slog.HandlerOptions{Level: slog.LevelDebug}))
	cfg := Config{
		Store:   st,
		Keys:    StaticKeys{Current: key1},
		Mailer:  e.mail,
		BaseURL: "https://mangaalert.test",
		Logger:  logger,
		Now:     clk.Now,
		PerIP:   Off,
		// Forms and the mails of one client address are limited in their
		// own tests (every request here comes from one address).
		FormsPerIP: Off,
		MailsPerIP: -1,
	}
	for _, f := range tweak {
		f(&cfg)
	}
	var err error
	e.b, err = New(cfg)
	require.NoError(t, err)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = e.b.Shutdown(ctx)
	})
	return e
}

func (e *env) logText() string {
	e.logsMu.Lock()
	defer e.logsMu.Unlock()
	return e.logs.String()
}

// The catalogue: dates around t0 (this week is 10-16 March 2025, next
// 17-23 March).
var seedSeries = []store.Series{
	{ID: "one-piece", Title: "One Piece", Publisher: "Star Comics"},
	{ID: "jujutsu-kaisen", Title: "Jujutsu Kaisen", Aliases: []string{"Jujutsu Kaisen - Sorcery Fight"}, Publisher: "Panini Comics"},
	{ID: "solo-leveling", Title: "Solo Leveling", Publisher: "Star Comics"},
	{ID: "citta-di-vetro", Title: "Città di vetro", Publisher: "J-POP"},
}

func seedVolumes() []store.Volume {
	return []store.Volume{
		{SeriesID: "one-piece", Number: 108, Title: "ONE PIECE n. 108", Publisher: "Star Comics", ReleaseDate: store.NewDate(2025, 3, 12), PriceCents: 590, Edition: store.First},
		{SeriesID: "one-piece", Number: 109, Title: "ONE PIECE n. 109", Publisher: "Star Comics", ReleaseDate: store.NewDate(2025, 6, 4), PriceCents: 590, Edition: store.First},
		{SeriesID: "one-piece", Number: 108, Edition: store.Variant, Key: "cover-b", Title: "ONE PIECE n. 108 Variant", Publisher: "Star Comics", ReleaseDate: store.NewDate(2025, 3, 12), PriceCents: 990},
		{SeriesID: "jujutsu-kaisen", Number: 27, Title: "Jujutsu Kaisen - Sorcery Fight 27", Publisher: "Panini Comics", ReleaseDate: store.NewDate(2025, 3, 20), PriceCents: 520, Edition: store.First},
		{SeriesID: "solo-leveling", Number: 19, Title: "SOLO LEVELING n. 19", Publisher: "Star Comics", ReleaseDate: store.NewDate(2025, 3, 27), PriceCents: 690, Edition: store.First},
		{SeriesID: "citta-di-vetro", Number: 1, Title: "Città di vetro 1", Publisher: "J-POP", Edition: store.First},
	}
}

func seed(t testing.TB, st store.Store, now time.Time) {
	ctx := context.Background()
	for _, s := range seedSeries {
		require.NoError(t, st.PutSeries(ctx, s))
	}
	_, err := st.UpsertVolumes(ctx, seedVolumes(), now.Add(-48*time.Hour))
	require.NoError(t, err)
}

// do sends a request to the Backend and returns the recorded answer.
func (e *env) do(method, target string, body io.Reader, hdr ...string) *httptest.ResponseRecorder {
	e.t.Helper()
	r := httptest.NewRequest(method, target, body)
	r.RemoteAddr = "192.0.2.10:40000"
	for i := 0; i+1 < len(hdr); i += 2 {
		r.Header.Set(hdr[i], hdr[i+1])
	}
	w := httptest.NewRecorder()
	e.b.ServeHTTP(w, r)
	return w
}

func (e *env) get(target string, hdr ...string) *httptest.ResponseRecorder {
	return e.do(http.MethodGet, target, nil, hdr...)
}

func (e *env) postForm(target string, v url.Values, hdr ...string) *httptest.ResponseRecorder {
	return e.do(http.MethodPost, target, strings.NewReader(v.Encode()), append([]string{"Content-Type", "application/x-www-form-urlencoded"}, hdr...)...)
}

func (e *env) postJSON(target string, v any, hdr ...string) *httptest.ResponseRecorder {
	b, err := json.Marshal(v)
	require.NoError(e.t, err)
	return e.do(http.MethodPost, target, bytes.NewReader(b), append([]string{"Content-Type", "application/json"}, hdr...)...)
}

// stuck bounds the waits for mail: a test that waits this long has hung,
// it is not slow.
const stuck = time.Minute

// waitMail waits for the nth mail (1-based) to addr: the queue sends
// asynchronously.
func (e *env) waitMail(addr string, n int) Mail {
	e.t.Helper()
	give := time.NewTimer(stuck)
	defer give.Stop()
	for {
		next := e.mail.next() // before looking, so no mail slips between
		if ms := e.mail.to(addr); len(ms) >= n {
			return ms[n-1]
		}
		select {
		case <-next:
		case <-give.C:
			e.t.Fatalf("no mail #%d to %s (have %d): hung", n, addr, len(e.mail.to(addr)))
		}
	}
}

// drain waits until every mail enqueued so far is sent (or given up on),
// so what was sent can be asserted, "nothing" included.
func (e *env) drain() {
	e.t.Helper()
	done := make(chan struct{})
	go func() { e.b.mailq.wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(stuck):
		e.t.Fatal("the mail queue never drained: hung")
	}
}

var linkRE = regexp.MustCompile(`https://mangaalert\.test(/[a-z]+/[A-Za-z0-9_.\-]+)`)

// linkIn returns the path of the first link of kind ("conferma",
// "gestisci") in a mail's text.
func linkIn(t testing.TB, m Mail, kind string) string {
	t.Helper()
	for _, l := range linkRE.FindAllStringSubmatch(m.Text, -1) {
		if strings.HasPrefix(l[1], "/"+kind+"/") {
			return l[1]
		}
	}
	t.Fatalf("no /%s/ link in mail %q", kind, m.Text)
	return ""
}

// confirmed signs addr up for series and confirms, returning the reader.
func (e *env) confirmed(addr, series string) store.Subscriber {
	e.t.Helper()
	n := len(e.mail.to(addr))
	w := e.postForm("/iscriviti", url.Values{"email": {addr}, "series_id": {series}})
	require.Equal(e.t, http.StatusOK, w.Code, w.Body.String())
	link := linkIn(e.t, e.waitMail(addr, n+1), "conferma")
	w = e.postForm(link, nil)
	require.Equal(e.t, http.StatusSeeOther, w.Code, w.Body.String())
	s, err := e.st.SubscriberByEmail(context.Background(), addr)
	require.NoError(e.t, err)
	return s
}

func (e *env) links() *Links {
	l, err := e.b.Links(context.Background())
	require.NoError(e.t, err)
	return l
}

// pathOf strips the base URL.
func pathOf(u string) string { return strings.TrimPrefix(u, "https://mangaalert.test") }
