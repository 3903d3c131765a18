package backend

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

// Backend is the web application: an http.Handler for the pages, the API
// and the feeds. Call Shutdown when the server has stopped, to send the
// mail still queued.
type Backend struct {
	cfg      Config
	keys     *keyring
	logKey   []byte
	assets   *assets
	handler  http.Handler
	series   *catalogue
	cache    *respCache
	perIP    *ipLimiter
	forms    *ipLimiter
	mailq    *mailQueue
	logs     *logSampler
	stopping atomic.Bool
	// globalWarned is when the spent global mail budget was last logged
	// (unix nanoseconds): at most once a limitedWindow.
	globalWarned atomic.Int64
	// catalogVer follows the store's catalogue version for the caches.
	catalogVer versionWatch

	releasesCacheControl []string
}

// New checks cfg, reads the signing keys once (a wrong key source fails
// here, not on a reader's first click) and returns the Backend.
func New(cfg Config) (*Backend, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	b := &Backend{
		cfg:    cfg,
		keys:   &keyring{keys: cfg.Keys, ttl: cfg.KeysTTL, now: cfg.Now},
		series: &catalogue{st: cfg.Store, ttl: cfg.CacheTTL, now: cfg.Now},
		cache:  newRespCache(cfg.CacheTTL),
		perIP:  newIPLimiter(cfg.PerIP),
		forms:  newIPLimiter(cfg.FormsPerIP),
		logs:   newLogSampler(cfg.AccessLogRate),
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	cur, _, err := b.keys.get(ctx)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrConfig, err)
	}
	// The log key is derived once: hashes stay comparable for the life of
	// the process, and the signing key itself never meets the log.
	h := hmac.New(sha256.New, cur)
	h.Write([]byte("mangaalert log email hash"))
	b.logKey = h.Sum(nil)
	if b.assets, err = loadAssets(); err != nil {
		return nil, fmt.Errorf("backend: %w", err)
	}
	b.releasesCacheControl = []string{"public, max-age=" + strconv.Itoa(int(max(cfg.CacheTTL, 0)/time.Second))}
	if strings.TrimSpace(cfg.PrivacyContact) == "" {
		cfg.Logger.Warn("backend: the privacy page names no data controller; set the operator's name and contact (serve --privacy-contact), as the GDPR asks")
	}
	b.mailq = newMailQueue(cfg.Mailer, b.prepareMail, cfg.MailTimeout, cfg.Logger, b.emailHash)
	b.withTelegramHook()
	b.handler = b.wrap(b.routes())
	return b, nil
}

// ServeHTTP serves a request.
func (b *Backend) ServeHTTP(w http.ResponseWriter, r *http.Request) { b.handler.ServeHTTP(w, r) }

// Links returns the signed links of the site with the current key.
func (b *Backend) Links(ctx context.Context) (*Links, error) {
	cur, _, err := b.keys.get(ctx)
	if err != nil {
		return nil, err
	}
	return newLinks(b.cfg.BaseURL, cur, b.cfg.ManageTTL, b.cfg.Now), nil
}

// Invalidate drops every cached answer: call it after writing the
// catalogue in the same process. Otherwise answers are at most CacheTTL
// old.
func (b *Backend) Invalidate() {
	b.cache.invalidate()
	b.series.invalidate()
}

// Shutdown makes /readyz fail, stops taking mail and waits, within ctx,
// for the queued mail to go out. Call it after the server has stopped
// taking requests (Serve returns then).
func (b *Backend) Shutdown(ctx context.Context) error {
	b.stopping.Store(true)
	return b.mailq.shutdown(ctx)
}

func (b *Backend) routes() http.Handler {
	mux := http.NewServeMux()
	// Pages.
	mux.HandleFunc("GET /{$}", b.pageHome)
	mux.HandleFunc("GET /serie", b.pageSeriesList)
	mux.HandleFunc("GET /serie/{id}", b.pageSeries)
	mux.HandleFunc("GET /iscriviti", b.pageSubscribe)
	mux.HandleFunc("POST /iscriviti", b.postSubscribe)
	mux.HandleFunc("GET /conferma/{token}", b.pageConfirm)
	mux.HandleFunc("POST /conferma/{token}", b.postConfirm)
	mux.HandleFunc("GET /gestisci/{token}", b.pageManage)
	mux.HandleFunc("POST /gestisci/{token}/{action}", b.postManage)
	mux.HandleFunc("GET /gestisci/{token}/dati.json", b.pageExport) // export.go
	mux.HandleFunc("GET /link", b.pageLink)
	mux.HandleFunc("POST /link", b.postLink)
	mux.HandleFunc("GET "+PrivacyPath, b.pagePrivacy) // privacy.go
	mux.HandleFunc("GET /disiscriviti/{token}", b.pageUnsubscribe)
	mux.HandleFunc("POST /disiscriviti/{token}", b.postUnsubscribe)
	// Feeds.
	mux.HandleFunc("GET /feed/{token}/uscite.ics", b.feedCalendar)
	mux.HandleFunc("GET /feed/{token}/annunci.atom", b.feedAtom)
	// Files and operations.
	mux.HandleFunc("GET /static/{file}", b.assets.serveStatic)
	mux.HandleFunc("GET /robots.txt", serveRobots)
	mux.HandleFunc("GET /healthz", serveHealthz)
	mux.HandleFunc("GET /readyz", b.serveReadyz)
	for path, h := range b.cfg.Hooks {
		mux.Handle(path, h)
	}
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		b.fail(w, r, http.StatusNotFound, "not_found", "Questa pagina non esiste. Forse il link è incompleto?")
	})
	b.apiRoutes(mux)
	return mux
}

func serveHealthz(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	_, _ = w.Write([]byte("ok\n"))
}

// serveReadyz answers 200 when the store answers within two seconds, and
// 503 once shutdown has begun.
func (b *Backend) serveReadyz(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	if b.stopping.Load() {
		w.WriteHeader(http.StatusServiceUnavailable)
		_, _ = w.Write([]byte("shutting down\n"))
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	if err := b.cfg.Store.Ping(ctx); err != nil {
		b.cfg.Logger.Warn("backend: store not ready", "err", err)
		w.WriteHeader(http.StatusServiceUnavailable)
		_, _ = w.Write([]byte("store not ready\n"))
		return
	}
	_, _ = w.Write([]byte("ready\n"))
}

// robots keeps crawlers off what is personal or does something.
const robots = `User-agent: *
Disallow: /gestisci/
Disallow: /conferma/
Disallow: /disiscriviti/
Disallow: /feed/
Disallow: /link
Disallow: /api/
`

func serveRobots(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "public, max-age=86400")
	_, _ = w.Write([]byte(robots))
}

// fail answers an error: JSON under /api/, an Italian page elsewhere.
func (b *Backend) fail(w http.ResponseWriter, r *http.Request, status int, code, message string) {
	if isAPI(r) {
		writeAPIError(w, status, code, message, "")
		return
	}
	b.failPage(w, r, status, message, false)
}

func isAPI(r *http.Request) bool { return strings.HasPrefix(r.URL.Path, "/api/") }

var pageTitles = map[int]string{
	http.StatusBadRequest:            "Richiesta non valida",
	http.StatusForbidden:             "Richiesta rifiutata",
	http.StatusNotFound:              "Pagina non trovata",
	http.StatusMethodNotAllowed:      "Richiesta non valida",
	http.StatusRequestEntityTooLarge: "Richiesta troppo grande",
	http.StatusTooManyRequests:       "Troppe richieste",
	http.StatusServiceUnavailable:    "Servizio non disponibile",
}

type errorPage struct {
	chrome
	Title    string
	Message  string
	LinkForm bool
}

func (b *Backend) failPage(w http.ResponseWriter, r *http.Request, status int, message string, linkForm bool) {
	title := pageTitles[status]
	if title == "" {
		title = "Si è verificato un errore"
	}
	d := errorPage{chrome: b.chrome("", true), Title: title, Message: message, LinkForm: linkForm}
	if err := b.assets.render(w, status, "error", d); err != nil {
		b.cfg.Logger.Error("backend: render error page", "err", err)
		http.Error(w, message, status)
	}
}

// internal logs err and answers 500 without saying more to the client.
func (b *Backend) internal(w http.ResponseWriter, r *http.Request, err error) {
	if errors.Is(err, context.Canceled) && r.Context().Err() != nil {
		return // the client went away
	}
	b.cfg.Logger.Error("backend: request failed", "route", r.Pattern, "err", err)
	b.fail(w, r, http.StatusInternalServerError, "internal", "Si è verificato un errore da parte nostra. Riprova tra poco.")
}

func (b *Backend) chrome(nav string, noindex bool) chrome {
	return chrome{CSS: b.assets.css, Icon: b.assets.icon, Nav: nav, NoIndex: noindex}
}

var idEncoding = base32.StdEncoding.WithPadding(base32.NoPadding)

// newID is a random subscriber ID: 128 bits, lower-case base32.
func newID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return strings.ToLower(idEncoding.EncodeToString(b[:]))
}

// newFeedSecret is a fresh value for Subscriber.TokenHash: the SHA-256 of
// 256 random bits. Feed tokens bind it, so replacing it revokes them.
func newFeedSecret() string {
	var b [32]byte
	_, _ = rand.Read(b[:])
	sum := sha256.Sum256(b[:])
	return hex.EncodeToString(sum[:])
}
