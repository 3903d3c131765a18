package scraper_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/manga-alert-italia/mangaalert/scraper"
	"github.com/manga-alert-italia/mangaalert/scraper/fetch"
	"github.com/manga-alert-italia/mangaalert/scraper/source"
)

// TestRunWaitingRoom: Panini behind Queue-it is reported blocked, naming
// the waiting room, and asked nothing more this run; it is never read as
// an empty page, and the other sources go on.
func TestRunWaitingRoom(t *testing.T) {
	ss := newSites(t)
	queue := testdata(t, "queueit-panini-written.html")
	ss.panini.fail = func(w http.ResponseWriter, r *http.Request) bool {
		w.Write(queue) // 200, as Queue-it answers
		return true
	}
	st := openBolt(t)
	rep := run(t, ss.config(st))
	star, panini := rep.Sources[0], rep.Sources[1]
	assert.Empty(t, star.Blocked)
	assert.Greater(t, star.New, 10)

	assert.Contains(t, panini.Blocked, source.QueueIt)
	assert.False(t, panini.OK())
	assert.Equal(t, 1, panini.Pages, "one page asked, then the host is left alone")
	assert.Equal(t, int64(2), ss.panini.requests.Load(), "robots.txt and the first page only")
	assert.Zero(t, panini.Items)
	assert.Zero(t, panini.New)
	require.NotEmpty(t, panini.Errors)
	var b *fetch.BlockedError
	require.ErrorAs(t, panini.Errors[0], &b)
	assert.Equal(t, source.QueueIt, b.Kind)
	assert.NotErrorIs(t, panini.Errors[0], scraper.ErrNoItems)
	assert.Contains(t, rep.Problems()[0], "panini")
}

// TestRunEmptySearch: a Panini search that finds nothing is a page like
// any other: zero volumes, no error.
func TestRunEmptySearch(t *testing.T) {
	ss := newSites(t)
	ss.panini.set("/shp_ita_it/catalogsearch/result/", testdata(t, "panini-search-empty.html"))
	cfg := ss.config(openBolt(t))
	cfg.Sources = []scraper.SourceConfig{{Source: "panini", Site: ss.panini.URL,
		Series: []string{"/shp_ita_it/catalogsearch/result/?q=nessun+manga"}}}
	rep, err := scraper.Run(context.Background(), cfg)
	require.NoError(t, err)
	p := rep.Sources[0]
	assert.Empty(t, p.Errors)
	assert.Empty(t, p.Blocked)
	assert.Equal(t, 1, p.Fetched)
	assert.Zero(t, p.Items)
	assert.Empty(t, rep.Problems())
}
