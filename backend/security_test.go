package backend

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/manga-alert-italia/mangaalert/store"
)

func TestSecurityHeaders(t *testing.T) {
	e := newEnv(t)
	s := e.confirmed("h@example.it", "one-piece")
	for _, path := range []string{"/", "/serie/one-piece", "/api/v1/releases", "/non-esiste", pathOf(e.links().CalendarURL(s))} {
		t.Run(path, func(t *testing.T) {
			w := e.get(path)
			h := w.Header()
			csp := h.Get("Content-Security-Policy")
			assert.Contains(t, csp, "default-src 'none'")
			assert.Contains(t, csp, "frame-ancestors 'none'")
			assert.NotContains(t, csp, "unsafe-inline")
			assert.NotContains(t, csp, "script-src")
			assert.Equal(t, "nosniff", h.Get("X-Content-Type-Options"))
			assert.Equal(t, "no-referrer", h.Get("Referrer-Policy"))
			assert.Equal(t, "DENY", h.Get("X-Frame-Options"))
			assert.Empty(t, h.Get("Strict-Transport-Security"), "no HSTS over plain HTTP")
		})
	}
	r := httptest.NewRequest("GET", "/", nil)
	r.TLS = &tls.ConnectionState{}
	w := httptest.NewRecorder()
	e.b.ServeHTTP(w, r)
	assert.Equal(t, "max-age=63072000", w.Header().Get("Strict-Transport-Security"))
}

func TestCrossOriginPostsAreRefused(t *testing.T) {
	e := newEnv(t)
	form := url.Values{"email": {"x@example.it"}, "series_id": {"one-piece"}}
	tests := []struct {
		name   string
		hdr    []string
		status int
	}{
		{"same origin", []string{"Sec-Fetch-Site", "same-origin"}, http.StatusOK},
		{"no browser headers", nil, http.StatusOK},
		{"cross site", []string{"Sec-Fetch-Site", "cross-site"}, http.StatusForbidden},
		{"same site", []string{"Sec-Fetch-Site", "same-site"}, http.StatusForbidden},
		{"foreign origin", []string{"Origin", "https://evil.example"}, http.StatusForbidden},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := e.postForm("/iscriviti", form, tt.hdr...)
			assert.Equal(t, tt.status, w.Code)
			if tt.status == http.StatusForbidden {
				assert.Contains(t, w.Body.String(), "da un altro sito")
			}
		})
	}
	w := e.postJSON("/api/v1/subscriptions", map[string]string{"email": "x@example.it", "series_id": "one-piece"}, "Sec-Fetch-Site", "cross-site")
	assert.Equal(t, http.StatusForbidden, w.Code)
	assert.JSONEq(t, `{"error":{"code":"cross_origin","message":"Richiesta rifiutata: il modulo è stato inviato da un altro sito. Riprova da questa pagina."}}`, w.Body.String())
}

func TestBodyLimit(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.MaxBodyBytes = 1024 })
	big := strings.Repeat("a", 2000)
	w := e.postForm("/iscriviti", url.Values{"email": {big}, "series_id": {"one-piece"}})
	assert.Equal(t, http.StatusRequestEntityTooLarge, w.Code)
	w = e.postJSON("/api/v1/subscriptions", map[string]string{"email": big, "series_id": "one-piece"})
	assert.Equal(t, http.StatusRequestEntityTooLarge, w.Code)
	assert.Contains(t, w.Body.String(), `"too_large"`)

	// Without a Content-Length the limit still holds, while reading.
	r := httptest.NewRequest("POST", "/api/v1/subscriptions", strings.NewReader(`{"email":"`+big+`","series_id":"x"}`))
	r.ContentLength = -1
	r.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	e.b.ServeHTTP(rec, r)
	assert.Equal(t, http.StatusRequestEntityTooLarge, rec.Code)
}

func TestPerIPRateLimit(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.PerIP = Limit{Every: time.Second, Burst: 3} })
	from := func(addr string) int {
		r := httptest.NewRequest("GET", "/api/v1/series", nil)
		r.RemoteAddr = addr
		w := httptest.NewRecorder()
		e.b.ServeHTTP(w, r)
		if w.Code == http.StatusTooManyRequests {
			assert.NotEmpty(t, w.Header().Get("Retry-After"))
			assert.Contains(t, w.Body.String(), `"rate_limited"`)
		}
		return w.Code
	}
	for range 3 {
		assert.Equal(t, 200, from("192.0.2.1:1000"))
	}
	assert.Equal(t, 429, from("192.0.2.1:1001"))
	assert.Equal(t, 200, from("192.0.2.2:1000"), "another address has its own bucket")
	for range 3 {
		from("[2001:db8:1:2::1]:1000")
	}
	assert.Equal(t, 429, from("[2001:db8:1:2::99]:1000"), "an IPv6 /64 is one client")
	assert.Equal(t, 200, from("[2001:db8:1:3::1]:1000"))

	r := httptest.NewRequest("GET", "/healthz", nil)
	r.RemoteAddr = "192.0.2.1:1000"
	w := httptest.NewRecorder()
	e.b.ServeHTTP(w, r)
	assert.Equal(t, 200, w.Code, "health checks are not limited")

	e.clock.Advance(time.Second)
	assert.Equal(t, 200, from("192.0.2.1:1000"), "the bucket refills")
}

func TestFormsPerIPLimit(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.FormsPerIP = Limit{Every: time.Minute, Burst: 2} })
	for i := range 2 {
		w := e.postForm("/link", url.Values{"email": {"a@example.it"}})
		assert.Equal(t, http.StatusOK, w.Code, i)
	}
	w := e.postForm("/iscriviti", url.Values{"email": {"b@example.it"}, "series_id": {"one-piece"}})
	assert.Equal(t, http.StatusTooManyRequests, w.Code)
	assert.Contains(t, w.Body.String(), "troppi moduli")
	assert.Equal(t, http.StatusOK, e.get("/").Code, "pages still load")
}

func TestClientIP(t *testing.T) {
	proxies := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}
	tests := []struct {
		name, remote, xff, want string
	}{
		{"direct", "203.0.113.5:1234", "", "203.0.113.5"},
		{"direct ignores xff", "203.0.113.5:1234", "198.51.100.1", "203.0.113.5"},
		{"proxy", "10.0.0.2:1234", "198.51.100.1", "198.51.100.1"},
		{"proxy chain", "10.0.0.2:1234", "198.51.100.1, 10.1.1.1", "198.51.100.1"},
		{"spoofed left part", "10.0.0.2:1234", "1.1.1.1, 198.51.100.1", "198.51.100.1"},
		{"proxy garbage", "10.0.0.2:1234", "nonsense", "10.0.0.2"},
		{"mapped v4", "[::ffff:203.0.113.5]:1234", "", "203.0.113.5"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/", nil)
			r.RemoteAddr = tt.remote
			if tt.xff != "" {
				r.Header.Set("X-Forwarded-For", tt.xff)
			}
			assert.Equal(t, tt.want, clientIP(r, proxies).String())
		})
	}
}

// TestAccessLog: one JSON record per request; tokens and addresses never
// appear, a keyed hash stands for the address.
func TestAccessLog(t *testing.T) {
	e := newEnv(t)
	s := e.confirmed("segreto@example.it", "one-piece")
	manage := e.links().ManageToken(s)
	e.get("/gestisci/" + manage)
	e.postForm("/link", url.Values{"email": {"segreto@example.it"}})
	e.drain()

	logs := e.logText()
	assert.NotContains(t, logs, "segreto@example.it")
	assert.NotContains(t, logs, manage)
	assert.NotContains(t, logs, s.ID[:10]+".", "no token fragment")
	var requests, hashed int
	sc := bufio.NewScanner(strings.NewReader(logs))
	for sc.Scan() {
		var rec map[string]any
		require.NoError(t, json.Unmarshal(sc.Bytes(), &rec), sc.Text())
		if rec["msg"] != "request" {
			continue
		}
		requests++
		for _, k := range []string{"method", "route", "path", "status", "bytes", "ms", "ip"} {
			assert.Contains(t, rec, k)
		}
		assert.NotContains(t, rec["path"], s.ID)
		if h, ok := rec["email_hash"]; ok {
			hashed++
			assert.Equal(t, e.b.emailHash("segreto@example.it"), h)
		}
		if strings.HasPrefix(rec["path"].(string), "/gestisci/") {
			assert.Equal(t, "/gestisci/[token]", rec["path"])
			assert.Equal(t, "GET /gestisci/{token}", rec["route"])
		}
	}
	assert.Equal(t, 4, requests, "sign-up, confirm, manage page, link request")
	assert.Equal(t, 2, hashed)
	assert.Len(t, e.b.emailHash("x@example.it"), 16)
	assert.NotEqual(t, e.b.emailHash("x@example.it"), e.b.emailHash("y@example.it"))
}

// TestAccessLogHealthChecks: the health checks the container runs every
// few seconds log at Debug while they pass, so an Info access log holds
// the readers' requests; a failing check is still seen at Info.
func TestAccessLogHealthChecks(t *testing.T) {
	var mu sync.Mutex
	var buf bytes.Buffer
	e := newEnv(t, func(c *Config) {
		c.AccessLog = slog.New(slog.NewJSONHandler(lockedWriter{&mu, &buf}, &slog.HandlerOptions{Level: slog.LevelDebug}))
	})
	records := func() (out []map[string]any) {
		mu.Lock()
		defer mu.Unlock()
		sc := bufio.NewScanner(bytes.NewReader(buf.Bytes()))
		for sc.Scan() {
			var rec map[string]any
			require.NoError(t, json.Unmarshal(sc.Bytes(), &rec), sc.Text())
			out = append(out, rec)
		}
		buf.Reset()
		return out
	}
	levels := func() map[string]string { // path+status -> level
		out := map[string]string{}
		for _, rec := range records() {
			out[fmt.Sprintf("%s %v", rec["path"], rec["status"])] = rec["level"].(string)
		}
		return out
	}

	for range 3 {
		require.Equal(t, http.StatusOK, e.get("/healthz").Code)
		require.Equal(t, http.StatusOK, e.get("/readyz").Code)
	}
	require.Equal(t, http.StatusOK, e.get("/").Code)
	require.Equal(t, http.StatusNotFound, e.get("/healthz/x").Code)
	assert.Equal(t, map[string]string{
		"/healthz 200": "DEBUG", "/readyz 200": "DEBUG",
		"/ 200": "INFO", "/healthz/x 404": "INFO",
	}, levels())

	// Shutting down, /readyz fails: that answer is seen at Info.
	require.NoError(t, e.b.Shutdown(context.Background()))
	require.Equal(t, http.StatusServiceUnavailable, e.get("/readyz").Code)
	require.Equal(t, http.StatusOK, e.get("/healthz").Code)
	assert.Equal(t, map[string]string{"/readyz 503": "INFO", "/healthz 200": "DEBUG"}, levels())

	// At Info, the default of a deployment, passing checks leave no record.
	e = newEnv(t, func(c *Config) {
		c.AccessLog = slog.New(slog.NewJSONHandler(lockedWriter{&mu, &buf}, nil))
	})
	for range 10 {
		e.get("/healthz")
		e.get("/readyz")
	}
	e.get("/")
	assert.Equal(t, map[string]string{"/ 200": "INFO"}, levels())
}

func TestKeyRotation(t *testing.T) {
	e := newEnv(t)
	s := e.confirmed("r@example.it", "one-piece")
	oldManage := "/gestisci/" + e.links().ManageToken(s)
	oldFeed := pathOf(e.links().CalendarURL(s))

	// The secret rotates: key2 current, key1 previous. The backend asks
	// again after KeysTTL.
	e.b.keys.keys = StaticKeys{Current: key2, Previous: key1}
	e.clock.Advance(DefaultKeysTTL)
	assert.Equal(t, http.StatusOK, e.get(oldManage).Code, "signed with the previous key: accepted")
	assert.Equal(t, http.StatusOK, e.get(oldFeed).Code)
	newManage := "/gestisci/" + e.links().ManageToken(s)
	assert.NotEqual(t, oldManage, newManage)
	assert.Equal(t, http.StatusOK, e.get(newManage).Code)

	// The rotation settles: key1 is gone.
	e.b.keys.keys = StaticKeys{Current: key2}
	e.clock.Advance(DefaultKeysTTL)
	assert.Equal(t, http.StatusNotFound, e.get(oldManage).Code)
	assert.Equal(t, http.StatusOK, e.get(newManage).Code)

	// Secrets Manager fails: the keys in hand keep working.
	e.b.keys.keys = failingKeys{}
	e.clock.Advance(DefaultKeysTTL)
	assert.Equal(t, http.StatusOK, e.get(newManage).Code)
}

type failingKeys struct{}

func (failingKeys) SigningKeys(context.Context) ([]byte, []byte, error) {
	return nil, nil, errors.New("secrets manager unreachable")
}

func TestNewChecksConfig(t *testing.T) {
	ok := Config{Store: nil, Keys: StaticKeys{Current: key1}, Mailer: &memMailer{}, BaseURL: "https://mangaalert.test"}
	_, err := New(ok)
	require.ErrorIs(t, err, ErrConfig)
	assert.ErrorContains(t, err, "Store required")

	e := newEnv(t)
	tests := []struct {
		name  string
		tweak func(*Config)
		want  string
	}{
		{"base url", func(c *Config) { c.BaseURL = "mangaalert.it" }, "absolute http(s) URL"},
		{"short key", func(c *Config) { c.Keys = StaticKeys{Current: []byte("short")} }, "want at least 32"},
		{"keys fail", func(c *Config) { c.Keys = failingKeys{} }, "secrets manager unreachable"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := e.b.cfg
			tt.tweak(&c)
			_, err := New(c)
			require.ErrorIs(t, err, ErrConfig)
			assert.ErrorContains(t, err, tt.want)
		})
	}
}

func TestReleasesCache(t *testing.T) {
	e := newEnv(t)
	first := e.get("/api/v1/releases").Body.String()
	assert.Contains(t, first, "ONE PIECE n. 108")
	v := seedVolumes()[0]
	v.Number, v.Title = 200, "ONE PIECE n. 200"
	_, err := e.st.UpsertVolumes(context.Background(), []store.Volume{v}, e.clock.Now())
	require.NoError(t, err)
	assert.Equal(t, first, e.get("/api/v1/releases").Body.String(), "cached")
	e.b.Invalidate()
	assert.Contains(t, e.get("/api/v1/releases").Body.String(), "ONE PIECE n. 200", "a write in this process is seen at once")

	v.Number, v.Title = 201, "ONE PIECE n. 201"
	_, err = e.st.UpsertVolumes(context.Background(), []store.Volume{v}, e.clock.Now())
	require.NoError(t, err)
	e.clock.Advance(DefaultCacheTTL)
	assert.Contains(t, e.get("/api/v1/releases").Body.String(), "ONE PIECE n. 201", "another process's write: after the TTL")
}

func TestMailFailureIsLoggedNotShown(t *testing.T) {
	e := newEnv(t)
	e.mail.fail = errors.New("provider says no")
	w := e.postForm("/iscriviti", url.Values{"email": {"f@example.it"}, "series_id": {"one-piece"}})
	assert.Equal(t, http.StatusOK, w.Code, "same answer")
	e.drain() // both tries fail, and the queue gives up
	assert.Contains(t, e.logText(), "provider says no")
	assert.Contains(t, e.logText(), `"msg":"backend: mail not sent"`)
	assert.NotContains(t, e.logText(), "f@example.it")
}

func TestShutdownSendsQueuedMail(t *testing.T) {
	e := newEnv(t)
	for i := range 5 {
		w := e.postForm("/iscriviti", url.Values{"email": {string(rune('a'+i)) + "@example.it"}, "series_id": {"one-piece"}})
		require.Equal(t, http.StatusOK, w.Code)
	}
	require.NoError(t, e.b.Shutdown(context.Background()))
	assert.Len(t, e.mail.all(), 5)
	w := e.postForm("/iscriviti", url.Values{"email": {"late@example.it"}, "series_id": {"one-piece"}})
	assert.Equal(t, http.StatusServiceUnavailable, w.Code, "after shutdown no mail is taken")
}
