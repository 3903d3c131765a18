package backend

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"io"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func listen(t *testing.T) net.Listener {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	return ln
}

// serve runs Serve in the background; the returned channel gets its result.
func serve(ctx context.Context, ln net.Listener, h http.Handler, opts ...ServeOption) <-chan error {
	done := make(chan error, 1)
	go func() { done <- Serve(ctx, ln, h, opts...) }()
	return done
}

// TestServeFinishesRequestsInFlight: when the context ends (SIGTERM in the
// binary) the listener closes at once, and a request already running
// still gets its whole answer.
func TestServeFinishesRequestsInFlight(t *testing.T) {
	started, release := make(chan struct{}), make(chan struct{})
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/slow" {
			close(started)
			<-release
		}
		_, _ = io.WriteString(w, "fatto")
	})
	ln := listen(t)
	addr := ln.Addr().String()
	ctx, cancel := context.WithCancel(context.Background())
	done := serve(ctx, ln, h)

	type result struct {
		body string
		err  error
	}
	got := make(chan result, 1)
	go func() {
		resp, err := http.Get("http://" + addr + "/slow")
		if err != nil {
			got <- result{err: err}
			return
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		got <- result{string(b), err}
	}()
	<-started
	cancel()
	require.Eventually(t, func() bool {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c.Close()
		}
		return err != nil
	}, 5*time.Second, 10*time.Millisecond, "the listener closes once shutdown starts")
	select {
	case err := <-done:
		t.Fatalf("Serve returned (%v) while a request was in flight", err)
	default:
	}
	close(release)
	r := <-got
	require.NoError(t, r.err)
	assert.Equal(t, "fatto", r.body)
	require.NoError(t, <-done)
}

func TestServeCutsWhatOutlivesTheShutdownTimeout(t *testing.T) {
	started := make(chan struct{})
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		close(started)
		<-r.Context().Done() // never finishes by itself
	})
	ln := listen(t)
	ctx, cancel := context.WithCancel(context.Background())
	done := serve(ctx, ln, h, WithTimeouts(Timeouts{Shutdown: 50 * time.Millisecond}))
	go func() {
		resp, err := http.Get("http://" + ln.Addr().String() + "/")
		if err == nil {
			resp.Body.Close()
		}
	}()
	<-started
	cancel()
	err := <-done
	require.Error(t, err)
	assert.ErrorContains(t, err, "still running")
	assert.ErrorIs(t, err, context.DeadlineExceeded)
}

func TestHealthcheck(t *testing.T) {
	e := newEnv(t)
	ln := listen(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	serve(ctx, ln, e.b)
	base := "http://" + ln.Addr().String()
	require.NoError(t, Healthcheck(ctx, base+"/healthz"))
	require.NoError(t, Healthcheck(ctx, base+"/readyz"))
	require.NoError(t, e.b.Shutdown(ctx))
	err := Healthcheck(ctx, base+"/readyz")
	assert.ErrorContains(t, err, "503 Service Unavailable: shutting down")
	assert.ErrorContains(t, Healthcheck(ctx, "127.0.0.1:1/healthz"), "not an http(s) URL")

	dead := listen(t)
	deadURL := "http://" + dead.Addr().String() + "/healthz"
	dead.Close()
	assert.Error(t, Healthcheck(ctx, deadURL))
}

func TestHTTPRedirect(t *testing.T) {
	e := newEnv(t)
	h := HTTPRedirect(nil, e.b)
	for path, want := range map[string]int{"/healthz": 200, "/readyz": 200, "/serie?q=x": 308} {
		r, _ := http.NewRequest("GET", "http://mangaalert.test"+path, nil)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		assert.Equal(t, want, w.Code, path)
		if want == 308 {
			assert.Equal(t, "https://mangaalert.test/serie?q=x", w.Header().Get("Location"))
		}
	}
}

// selfSigned makes a certificate for 127.0.0.1.
func selfSigned(t *testing.T) (tls.Certificate, *x509.CertPool) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	require.NoError(t, err)
	cert, err := x509.ParseCertificate(der)
	require.NoError(t, err)
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, pool
}

func TestServeTLS(t *testing.T) {
	e := newEnv(t)
	cert, pool := selfSigned(t)
	ln := listen(t)
	ctx, cancel := context.WithCancel(context.Background())
	done := serve(ctx, ln, e.b, WithTLS(&tls.Config{Certificates: []tls.Certificate{cert}}))
	c := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}, ForceAttemptHTTP2: true}}
	resp, err := c.Get("https://" + ln.Addr().String() + "/")
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, 200, resp.StatusCode)
	assert.Equal(t, "HTTP/2.0", resp.Proto)
	assert.Equal(t, "max-age=63072000", resp.Header.Get("Strict-Transport-Security"))
	c.CloseIdleConnections()
	cancel()
	require.NoError(t, <-done)
}
