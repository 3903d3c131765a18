package backend

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"golang.org/x/crypto/acme/autocert"
)

// Timeouts of the server. Zero fields mean the defaults, which suit small
// pages on slow phones and keep slowloris clients from holding sockets.
type Timeouts struct {
	ReadHeader time.Duration // default 5 s
	Read       time.Duration // whole request, body included; default 15 s
	Write      time.Duration // from the end of the headers to the end of the answer; default 30 s
	Idle       time.Duration // keep-alive between requests; default 90 s
	// Shutdown bounds the wait for requests in flight once the context
	// ends; then connections are closed. Default 20 s: inside ECS's
	// default 30 s stop timeout, with room for the mail queue to drain.
	Shutdown time.Duration
}

func (t Timeouts) withDefaults() Timeouts {
	def := func(v *time.Duration, d time.Duration) {
		if *v <= 0 {
			*v = d
		}
	}
	def(&t.ReadHeader, 5*time.Second)
	def(&t.Read, 15*time.Second)
	def(&t.Write, 30*time.Second)
	def(&t.Idle, 90*time.Second)
	def(&t.Shutdown, 20*time.Second)
	return t
}

type serveConfig struct {
	timeouts Timeouts
	tls      *tls.Config
	log      *slog.Logger
}

// ServeOption changes how Serve serves.
type ServeOption func(*serveConfig)

// WithTimeouts sets the server's timeouts.
func WithTimeouts(t Timeouts) ServeOption { return func(c *serveConfig) { c.timeouts = t } }

// WithTLS serves HTTPS with cfg (an autocert.Manager's TLSConfig, or one
// with certificates). HTTP/2 is offered when cfg allows it.
func WithTLS(cfg *tls.Config) ServeOption { return func(c *serveConfig) { c.tls = cfg } }

// WithLogger sets where the server's own errors go (a TLS handshake that
// failed, a broken connection), at Debug. Default slog.Default().
func WithLogger(l *slog.Logger) ServeOption { return func(c *serveConfig) { c.log = l } }

// Serve serves h on ln until ctx ends, then shuts down: it stops accepting
// at once, lets requests in flight finish within the shutdown timeout,
// and closes what is left. It returns nil after a clean shutdown.
func Serve(ctx context.Context, ln net.Listener, h http.Handler, opts ...ServeOption) error {
	c := serveConfig{log: slog.Default()}
	for _, o := range opts {
		o(&c)
	}
	t := c.timeouts.withDefaults()
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: t.ReadHeader,
		ReadTimeout:       t.Read,
		WriteTimeout:      t.Write,
		IdleTimeout:       t.Idle,
		MaxHeaderBytes:    32 << 10,
		TLSConfig:         c.tls,
		ErrorLog:          slog.NewLogLogger(c.log.Handler(), slog.LevelDebug),
	}
	errc := make(chan error, 1)
	go func() {
		if c.tls != nil {
			errc <- srv.ServeTLS(ln, "", "")
		} else {
			errc <- srv.Serve(ln)
		}
	}()
	select {
	case err := <-errc:
		return fmt.Errorf("serve %s: %w", ln.Addr(), err)
	case <-ctx.Done():
	}
	c.log.Debug("backend: shutting down", "addr", ln.Addr().String(), "timeout", t.Shutdown)
	sctx, cancel := context.WithTimeout(context.Background(), t.Shutdown)
	defer cancel()
	err := srv.Shutdown(sctx)
	if err != nil {
		_ = srv.Close()
		err = fmt.Errorf("shutdown %s: requests still running after %s were cut: %w", ln.Addr(), t.Shutdown, err)
	}
	if serr := <-errc; serr != nil && !errors.Is(serr, http.ErrServerClosed) {
		return errors.Join(err, serr)
	}
	return err
}

// Healthcheck GETs url (the /healthz of a running server, over plain
// HTTP on loopback) and returns nil for a 200: the container health check
// runs the binary itself with it, so the image needs no curl.
func Healthcheck(ctx context.Context, rawURL string) error {
	u, err := url.Parse(rawURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("healthcheck: %q is not an http(s) URL such as http://127.0.0.1:8080/healthz", rawURL)
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return fmt.Errorf("healthcheck: %w", err)
	}
	c := &http.Client{Transport: &http.Transport{Proxy: nil, DisableKeepAlives: true}}
	resp, err := c.Do(req)
	if err != nil {
		return fmt.Errorf("healthcheck %s: %w", u.Redacted(), err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("healthcheck %s: %s: %s", u.Redacted(), resp.Status, strings.TrimSpace(string(body)))
	}
	return nil
}

// HTTPRedirect is the handler of the plain-HTTP port when the binary
// serves HTTPS itself: it answers ACME HTTP-01 challenges (when m is not
// nil), serves /healthz and /readyz from h (the container health check
// stays on loopback HTTP) and sends everything else to https.
func HTTPRedirect(m *autocert.Manager, h http.Handler) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /healthz", h)
	mux.Handle("GET /readyz", h)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		host := r.Host
		if hh, _, err := net.SplitHostPort(host); err == nil {
			host = hh
		}
		if host == "" || strings.ContainsAny(host, "/\\@") {
			http.Error(w, "host mancante", http.StatusBadRequest)
			return
		}
		w.Header().Set("Connection", "close")
		http.Redirect(w, r, "https://"+host+r.URL.RequestURI(), http.StatusPermanentRedirect)
	})
	if m == nil {
		return mux
	}
	return m.HTTPHandler(mux)
}
