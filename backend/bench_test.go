package backend

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/manga-alert-italia/mangaalert/store"
	"github.com/manga-alert-italia/mangaalert/store/bolt"
)

// benchBackend is a Backend on a store of 5,000 volumes spread over the
// year around t0, with the access log formatted into a sink as in
// production. examples/benchbackend measures the same over loopback.
func benchBackend(b *testing.B, ttl time.Duration) *Backend {
	st, err := bolt.Open(filepath.Join(b.TempDir(), "store.db"), func(o *bolt.Options) { o.NoSync = true })
	require.NoError(b, err)
	b.Cleanup(func() { st.Close() })
	ctx := context.Background()
	var vs []store.Volume
	for i := range 5000 {
		sid := fmt.Sprintf("serie-%03d", i/20)
		if i%20 == 0 {
			require.NoError(b, st.PutSeries(ctx, store.Series{ID: sid, Title: sid, Publisher: "Star Comics"}))
		}
		vs = append(vs, store.Volume{SeriesID: sid, Number: i%20 + 1, Edition: store.First, Title: sid + " n. " + strconv.Itoa(i%20+1),
			Publisher: "Star Comics", ReleaseDate: store.DateOf(t0).AddDays((i*7919)%365 - 182), PriceCents: 590,
			SourceURL: "https://editore.example/v/" + strconv.Itoa(i)})
	}
	_, err = st.UpsertVolumes(ctx, vs, t0)
	require.NoError(b, err)
	be, err := New(Config{Store: st, Keys: StaticKeys{Current: key1}, Mailer: &memMailer{}, BaseURL: "https://mangaalert.test",
		Logger: slog.New(slog.DiscardHandler), AccessLog: slog.New(slog.NewJSONHandler(io.Discard, nil)),
		PerIP: Off, CacheTTL: ttl, Now: func() time.Time { return t0 }})
	require.NoError(b, err)
	b.Cleanup(func() { _ = be.Shutdown(context.Background()) })
	return be
}

func benchServe(b *testing.B, h http.Handler) {
	req := httptest.NewRequest(http.MethodGet, "/api/v1/releases", nil)
	req.RemoteAddr = "127.0.0.1:5000"
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	require.Equal(b, http.StatusOK, w.Code)
	b.SetBytes(int64(w.Body.Len()))
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		w := &discardWriter{h: http.Header{}}
		h.ServeHTTP(w, req)
	}
}

type discardWriter struct {
	h    http.Header
	code int
}

func (w *discardWriter) Header() http.Header         { return w.h }
func (w *discardWriter) Write(p []byte) (int, error) { return len(p), nil }
func (w *discardWriter) WriteHeader(code int)        { w.code = code }

// BenchmarkReleases: the cached answer through the whole middleware.
func BenchmarkReleases(b *testing.B) { benchServe(b, benchBackend(b, 0)) }

// BenchmarkReleasesUncached: every request reads the store and encodes.
func BenchmarkReleasesUncached(b *testing.B) { benchServe(b, benchBackend(b, -1)) }

// BenchmarkBare: a constant body of the same size, no middleware.
func BenchmarkBare(b *testing.B) {
	be := benchBackend(b, 0)
	w := httptest.NewRecorder()
	be.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/api/v1/releases", nil))
	body := w.Body.Bytes()
	benchServe(b, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		_, _ = w.Write(body)
	}))
}
