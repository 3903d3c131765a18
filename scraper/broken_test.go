package scraper_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/manga-alert-italia/mangaalert/scraper"
)

// TestRunBrokenSource: Star Comics' listing goes from 7 items to none (a
// redesign the parser does not see): the source is broken, run after run,
// until the page lists items again; a page the parser no longer
// recognises is broken at once.
func TestRunBrokenSource(t *testing.T) {
	ss := newSites(t)
	st := openBolt(t)
	cfg := ss.config(st)
	cfg.Sources = cfg.Sources[:1] // Star Comics
	uscite := ss.star.URL + "/uscite?data=2024-09-09"

	rep := run(t, cfg)
	star := rep.Sources[0]
	assert.Empty(t, star.Broken)
	assert.Empty(t, rep.Problems())
	assert.Contains(t, star.PerPage, scraper.PageCount{URL: uscite, Items: 7})
	kept, err := scraper.LastReport(context.Background(), st)
	require.NoError(t, err)
	assert.Equal(t, 7, kept.Items[uscite])
	require.Len(t, kept.Sources, 1)
	assert.Equal(t, 7, kept.Sources[0].PerPage[uscite])

	good := testdata(t, "starcomics-uscite.html")
	empty := []byte(`<html><head><meta content="Starcomics" name="copyright"><title>Star Comics | Uscite</title></head><body><h1>Uscite</h1></body></html>`)
	ss.star.set("/uscite?data=2024-09-09", empty)
	for range 2 { // still broken the run after: the count of the last good read is kept
		rep = run(t, cfg)
		star = rep.Sources[0]
		assert.Contains(t, star.PerPage, scraper.PageCount{URL: uscite, Items: 0})
		assert.Equal(t, uscite+" listed 7 items at its last read and none now", star.Broken)
		require.Len(t, rep.Problems(), 1)
		assert.Contains(t, rep.Problems()[0], "source starcomics broken")
	}

	ss.star.set("/uscite?data=2024-09-09", append(append([]byte{}, good...), ' ')) // new bytes, same cards
	rep = run(t, cfg)
	assert.Empty(t, rep.Sources[0].Broken, "listing again")
	assert.Empty(t, rep.Problems())

	ss.star.set("/uscite?data=2024-09-09", testdata(t, "panini-calendar-2024-09-09.html"))
	rep = run(t, cfg)
	assert.Contains(t, rep.Sources[0].Broken, "no longer a page its parser recognises")
	kept, err = scraper.LastReport(context.Background(), st)
	require.NoError(t, err)
	assert.Contains(t, kept.Sources[0].Broken, "no longer a page its parser recognises")
}
