package backend

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/netip"
	"runtime/debug"
	"strconv"
	"strings"
	"time"
)

// csp allows nothing but our own stylesheet and icon, and forms posted
// back to us: no script at all, inline or not, and no framing.
const csp = "default-src 'none'; style-src 'self'; img-src 'self'; " +
	"form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

// securityHeaders sets what every answer carries. HSTS only over TLS: sent
// over plain HTTP it means nothing, and on a laptop it would pin
// localhost to https. The values are shared slices, set without the
// allocation Header.Set makes: net/http only reads them, and with len ==
// cap == 1 even a Header.Add copies before appending.
func securityHeaders(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	for _, kv := range staticHeaders {
		h[kv.key] = kv.value
	}
	if !isAPI(r) {
		for _, kv := range documentHeaders {
			h[kv.key] = kv.value
		}
	}
	if r.TLS != nil {
		h["Strict-Transport-Security"] = hsts
	}
}

type headerValue struct {
	key   string // canonical
	value []string
}

var (
	staticHeaders = []headerValue{
		{"Content-Security-Policy", []string{csp}},
		{"X-Content-Type-Options", []string{"nosniff"}},
		{"Referrer-Policy", []string{"no-referrer"}}, // tokens travel in URL paths
		{"X-Frame-Options", []string{"DENY"}},
	}
	// documentHeaders speak of what a browsing context may do: pages, not
	// JSON. Leaving them off the API keeps its answers to 8 headers, what
	// a header map holds before it grows (the cached releases answer was
	// a fifth of its time growing it).
	documentHeaders = []headerValue{
		{"Cross-Origin-Opener-Policy", []string{"same-origin"}},
		{"Permissions-Policy", []string{"camera=(), microphone=(), geolocation=()"}},
	}
	hsts = []string{"max-age=63072000"}
)

// reqInfo travels with a request so handlers can add to its access-log
// record (an email's keyed hash, what a form did).
type reqInfo struct {
	ip    netip.Addr
	attrs []slog.Attr
}

type reqInfoKey struct{}

func info(ctx context.Context) *reqInfo {
	if ri, ok := ctx.Value(reqInfoKey{}).(*reqInfo); ok {
		return ri
	}
	return &reqInfo{}
}

// annotate adds attrs to the request's access-log record.
func annotate(r *http.Request, attrs ...slog.Attr) {
	ri := info(r.Context())
	ri.attrs = append(ri.attrs, attrs...)
}

type statusWriter struct {
	http.ResponseWriter
	status int
	bytes  int64
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(b)
	w.bytes += int64(n)
	return n, err
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// tokenPrefixes are the paths whose next segment is a token: the access
// log shows "[token]" instead.
var tokenPrefixes = []string{"/gestisci/", "/conferma/", "/disiscriviti/", "/feed/"}

func redactPath(p string) string {
	for _, pre := range tokenPrefixes {
		if rest, ok := strings.CutPrefix(p, pre); ok {
			_, tail, _ := strings.Cut(rest, "/")
			if tail != "" {
				tail = "/" + tail
			}
			return pre + "[token]" + tail
		}
	}
	if len(p) > 200 {
		p = p[:200] + "…"
	}
	return p
}

// wrap puts the middleware around the routes, outermost first: access log
// and recovery, security headers, per-address rate limit, body limit,
// cross-origin protection.
func (b *Backend) wrap(next http.Handler) http.Handler {
	cop := http.NewCrossOriginProtection()
	// RFC 8058: the mail provider posts the one-click unsubscribe from its
	// own servers; and forging it needs the reader's token anyway.
	cop.AddInsecureBypassPattern("POST /disiscriviti/{token}")
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b.fail(w, r, http.StatusForbidden, "cross_origin", "Richiesta rifiutata: il modulo è stato inviato da un altro sito. Riprova da questa pagina.")
	}))
	guarded := cop.Handler(next)

	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		ri := &reqInfo{ip: clientIP(r, b.cfg.TrustedProxies)}
		r = r.WithContext(context.WithValue(r.Context(), reqInfoKey{}, ri))
		sw := &statusWriter{ResponseWriter: w}
		defer func() {
			if p := recover(); p != nil {
				if p == http.ErrAbortHandler {
					panic(p)
				}
				b.cfg.Logger.Error("backend: panic serving request", "route", r.Pattern, "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
				if sw.status == 0 {
					b.fail(sw, r, http.StatusInternalServerError, "internal", "Si è verificato un errore. Riprova tra poco.")
				}
			}
			b.logRequest(r, ri, sw, start)
		}()

		securityHeaders(sw, r)
		if !exemptFromLimit(r.URL.Path) {
			if ok, wait := b.perIP.allow(ri.ip, b.cfg.Now()); !ok {
				sw.Header().Set("Retry-After", strconv.Itoa(int(wait.Seconds())+1))
				b.fail(sw, r, http.StatusTooManyRequests, "rate_limited", "Troppe richieste in poco tempo: aspetta qualche secondo e riprova.")
				return
			}
		}
		limit := b.cfg.MaxBodyBytes
		if _, ok := b.cfg.Hooks[r.URL.Path]; ok {
			limit = b.cfg.HookBodyBytes
		}
		if r.ContentLength > limit {
			b.fail(sw, r, http.StatusRequestEntityTooLarge, "too_large", "La richiesta è troppo grande.")
			return
		}
		if r.Body != nil && r.Body != http.NoBody {
			r.Body = http.MaxBytesReader(sw, r.Body, limit)
		}
		guarded.ServeHTTP(sw, r)
	})
}

// exemptFromLimit: health checks come from the host itself.
func exemptFromLimit(p string) bool { return isHealthCheck(p) }

// isHealthCheck: the paths the container health checks call every few
// seconds.
func isHealthCheck(p string) bool { return p == "/healthz" || p == "/readyz" }

// accessLevel is the level of a request's access-log record: Info, but
// Debug for a health check that passed, so the checks the container runs
// every few seconds do not bury the requests of readers. A failing one
// stays at Info.
func accessLevel(r *http.Request, status int) slog.Level {
	if isHealthCheck(r.URL.Path) && status >= 200 && status < 300 {
		return slog.LevelDebug
	}
	return slog.LevelInfo
}

func (b *Backend) logRequest(r *http.Request, ri *reqInfo, sw *statusWriter, start time.Time) {
	status := cmp0(sw.status, http.StatusOK)
	if status == http.StatusTooManyRequests {
		b.logs.limited.Add(1)
	}
	level := accessLevel(r, status)
	if !b.cfg.AccessLog.Enabled(r.Context(), level) {
		return
	}
	var limitedSkipped, budgetSkipped int
	if level >= slog.LevelInfo {
		var ok bool
		if ok, limitedSkipped, budgetSkipped = b.logs.admit(ri.ip, status, b.cfg.Now()); !ok {
			return
		}
	}
	attrs := make([]slog.Attr, 0, 11+len(ri.attrs))
	attrs = append(attrs,
		slog.String("method", r.Method),
		slog.String("route", r.Pattern),
		slog.String("path", redactPath(r.URL.Path)),
		slog.Int("status", status),
		slog.Int64("bytes", sw.bytes),
		slog.Float64("ms", float64(time.Since(start).Microseconds())/1000),
		slog.String("ip", ri.ip.String()),
		slog.String("proto", r.Proto),
	)
	if ua := r.UserAgent(); ua != "" {
		if len(ua) > 200 {
			ua = ua[:200]
		}
		attrs = append(attrs, slog.String("ua", ua))
	}
	if limitedSkipped > 0 {
		attrs = append(attrs, slog.Int("limited_not_logged", limitedSkipped))
	}
	if budgetSkipped > 0 {
		attrs = append(attrs, slog.Int("records_not_logged", budgetSkipped))
	}
	attrs = append(attrs, ri.attrs...)
	b.cfg.AccessLog.LogAttrs(r.Context(), level, "request", attrs...)
}

func cmp0(v, d int) int {
	if v == 0 {
		return d
	}
	return v
}

// emailHash is a keyed hash of an address, for logs: the same address
// gives the same hash in one deployment, and no one without the key can
// test a guess against it.
func (b *Backend) emailHash(email string) string {
	h := hmac.New(sha256.New, b.logKey)
	h.Write([]byte(email))
	return hex.EncodeToString(h.Sum(nil)[:8])
}

// isMaxBytes reports whether err is a body over the limit.
func isMaxBytes(err error) bool {
	var mbe *http.MaxBytesError
	return errors.As(err, &mbe)
}
