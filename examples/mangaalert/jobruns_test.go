package main

import (
	"context"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/manga-alert-italia/mangaalert/jobreport"
	"github.com/manga-alert-italia/mangaalert/scraper"
	"github.com/manga-alert-italia/mangaalert/scraper/sample"
	"github.com/manga-alert-italia/mangaalert/store/bolt"
)

// TestNotifyKeepsItsRuns: each notify run is kept in the store, newest
// first, with its report, where deploy status reads it.
func TestNotifyKeepsItsRuns(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "m.db")
	args := []string{"notify", "--store", "bolt:" + db, "--create-store", "--signing-key-file", filepath.Join(dir, "key"),
		"--sender", "outbox:" + filepath.Join(dir, "out"), "--log-level", "error"}
	for range 2 {
		code, _, errs := mangaalert(args...)
		require.Equal(t, exitOK, code, errs)
	}
	st, err := bolt.Open(db)
	require.NoError(t, err)
	defer st.Close()
	runs, err := jobreport.Runs(context.Background(), st, "notify")
	require.NoError(t, err)
	require.Len(t, runs, 2)
	assert.Equal(t, jobreport.OK, runs[0].Outcome)
	assert.Contains(t, runs[0].Report[0], "0 emails sent")
	assert.False(t, runs[0].Started.Before(runs[1].Started), "newest first")
}

func TestScrapeRunSaysWhatBroke(t *testing.T) {
	run := scrapeRun(scraperReport(), nil, []string{"source planet broken"})
	assert.Equal(t, jobreport.Failed, run.Outcome)
	assert.Equal(t, "source planet broken", run.Error)
	assert.Equal(t, []string{"planet: 2 of 3 pages read, 0 items, 0 new volumes, 0 changed; BROKEN: no items where there were 40"}, run.Report)
}

func scraperReport() scraper.Report {
	return scraper.Report{Sources: []scraper.SourceReport{{Source: "planet", Pages: 3, Fetched: 2, Broken: "no items where there were 40"}}}
}

// TestScrapeKeepsItsRuns: a scrape into the store keeps its run, with a
// line per source, where deploy status reads it.
func TestScrapeKeepsItsRuns(t *testing.T) {
	var sites []string
	for _, s := range sample.Sites() {
		srv := httptest.NewServer(s)
		t.Cleanup(srv.Close)
		sites = append(sites, s.Source+"="+srv.URL)
	}
	db := filepath.Join(t.TempDir(), "mangaalert.db")
	code, _, logs := mangaalert("scrape", "--store", "bolt:"+db, "--sites", strings.Join(sites, ","),
		"--today", "2024-09-09", "--delay", "1ms", "--weeks", "2")
	require.Equal(t, exitOK, code, logs)
	st, err := bolt.Open(db)
	require.NoError(t, err)
	defer st.Close()
	runs, err := jobreport.Runs(context.Background(), st, "scrape")
	require.NoError(t, err)
	require.Len(t, runs, 1)
	assert.Equal(t, jobreport.OK, runs[0].Outcome)
	require.Len(t, runs[0].Report, len(sample.Sites()), "a line per source")
	assert.Regexp(t, `^\S+: \d+ of \d+ pages read, \d+ items, \d+ new volumes`, runs[0].Report[0])
}
