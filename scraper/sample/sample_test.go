package sample_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/manga-alert-italia/mangaalert/scraper/sample"
)

func TestEveryMappedPageExists(t *testing.T) {
	for _, s := range sample.Sites() {
		for req, name := range s.Pages {
			assert.NotEmpty(t, sample.Page(name), "%s %s -> %s", s.Source, req, name)
		}
		for _, p := range s.Series {
			assert.Contains(t, s.Pages, p, "a series page of %s is served", s.Source)
		}
	}
	assert.Nil(t, sample.Page("no-such-page.html"))
}

func TestSiteServes(t *testing.T) {
	star := sample.Sites()[0]
	srv := httptest.NewServer(star)
	defer srv.Close()
	tests := []struct {
		path   string
		status int
		ctype  string
	}{
		{"/uscite", http.StatusOK, "text/html; charset=utf-8"},
		{"/uscite?page=1", http.StatusOK, "text/html; charset=utf-8"}, // the path alone answers
		{"/robots.txt", http.StatusOK, "text/plain; charset=utf-8"},
		{"/fumetto/nothing", http.StatusNotFound, ""},
	}
	for _, tt := range tests {
		resp, err := http.Get(srv.URL + tt.path)
		require.NoError(t, err)
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		assert.Equal(t, tt.status, resp.StatusCode, tt.path)
		if tt.ctype != "" {
			assert.Equal(t, tt.ctype, resp.Header.Get("Content-Type"), tt.path)
		}
	}
	// A conditional GET of a saved page is answered 304.
	req, _ := http.NewRequest(http.MethodGet, srv.URL+"/uscite", nil)
	req.Header.Set("If-Modified-Since", sample.Captured.UTC().Format(http.TimeFormat))
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusNotModified, resp.StatusCode)
}

func ExampleSites() {
	for _, s := range sample.Sites() {
		fmt.Println(s.Source, len(s.Pages), "pages")
	}
	// Output:
	// starcomics 4 pages
	// panini 3 pages
	// animeclick 3 pages
}

// TestEveryPageLabelled: every sample page is either saved from a site
// (Saved says where and when) or labelled as written after its markup.
func TestEveryPageLabelled(t *testing.T) {
	names := sample.Names()
	require.NotEmpty(t, names)
	for _, name := range names {
		_, saved := sample.Saved[name]
		assert.True(t, saved != sample.Written(name), "%s: either saved (sample.Saved) or labelled written, in its name or first line", name)
	}
	for name := range sample.Saved {
		assert.Contains(t, names, name)
	}
}
