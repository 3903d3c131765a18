package backend

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/manga-alert-italia/mangaalert/store"
)

// TestPagesCachedAndInvalidatedThroughTheStore: the home page and a series
// page are served from the cache with an ETag (304 for a client that has
// it), and a catalogue change written by another process (a scrape) shows
// once the replica next asks the store's catalogue version, not after
// CacheTTL.
func TestPagesCachedAndInvalidatedThroughTheStore(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.CacheTTL = time.Hour })
	for _, path := range []string{"/", "/serie/one-piece"} {
		t.Run(path, func(t *testing.T) {
			first := e.get(path)
			require.Equal(t, http.StatusOK, first.Code)
			etag := first.Header().Get("ETag")
			require.NotEmpty(t, etag)
			assert.Equal(t, "no-cache", first.Header().Get("Cache-Control"))
			again := e.get(path, "If-None-Match", etag)
			assert.Equal(t, http.StatusNotModified, again.Code)
			assert.Empty(t, again.Body.String())
		})
	}

	// Another process adds a volume out this week.
	v := store.Volume{SeriesID: "one-piece", Number: 110, Title: "ONE PIECE n. 110", Publisher: "Star Comics",
		ReleaseDate: store.NewDate(2025, 3, 13), PriceCents: 590, Edition: store.First}
	_, err := e.st.UpsertVolumes(context.Background(), []store.Volume{v}, e.clock.Now())
	require.NoError(t, err)
	assert.NotContains(t, e.get("/").Body.String(), "ONE PIECE n. 110", "served from the cache within the version check's second")

	e.clock.Advance(versionCheckEvery)
	for _, path := range []string{"/", "/serie/one-piece", "/api/v1/releases?from=2025-03-10&to=2025-03-16"} {
		w := e.get(path)
		require.Equal(t, http.StatusOK, w.Code)
		assert.Contains(t, w.Body.String(), "ONE PIECE n. 110", path)
	}
}
