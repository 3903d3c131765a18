package main

import (
	"context"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/manga-alert-italia/mangaalert/scraper/sample"
	"github.com/manga-alert-italia/mangaalert/store"
	"github.com/manga-alert-italia/mangaalert/store/bolt"
)

// TestScrapeIntoTheStore runs `scrape` as the scheduled task does, on the
// sample pages served locally (--sites) on their day (--today): the
// calendars and a followed series go into the store; a second run finds
// nothing new.
func TestScrapeIntoTheStore(t *testing.T) {
	var sites []string
	for _, s := range sample.Sites() {
		srv := httptest.NewServer(s)
		t.Cleanup(srv.Close)
		sites = append(sites, s.Source+"="+srv.URL)
	}
	db := filepath.Join(t.TempDir(), "mangaalert.db")
	args := []string{"scrape", "--store", "bolt:" + db, "--sites", strings.Join(sites, ","),
		"--today", "2024-09-09", "--delay", "1ms", "--weeks", "2"}

	code, _, logs := mangaalert(args...)
	require.Equal(t, exitOK, code, logs)
	assert.Contains(t, logs, `"msg":"scrape done"`)
	assert.Regexp(t, `"volumes_new":[1-9]`, logs)

	// Someone follows Mob Psycho 100, a Star Comics series the calendars did
	// not list this time: its series page joins the next run.
	st, err := bolt.Open(db)
	require.NoError(t, err)
	ctx := context.Background()
	before, err := st.VolumesOfSeries(ctx, "mob-psycho-100")
	require.NoError(t, err)
	require.Empty(t, before)
	require.NoError(t, st.PutSeries(ctx, store.Series{ID: "mob-psycho-100", Title: "Mob Psycho 100", Publisher: "Star Comics"}))
	require.NoError(t, st.CreateSubscriber(ctx, store.Subscriber{ID: "r1", Email: "r1@example.it", Status: store.Active}))
	require.NoError(t, st.Follow(ctx, store.Follow{SubscriberID: "r1", SeriesID: "mob-psycho-100"}))
	require.NoError(t, st.Close())

	code, _, logs = mangaalert(args...)
	require.Equal(t, exitOK, code, logs)
	assert.Contains(t, logs, `"volumes_changed":0`)
	st, err = bolt.Open(db)
	require.NoError(t, err)
	after, err := st.VolumesOfSeries(ctx, "mob-psycho-100")
	require.NoError(t, err)
	require.NoError(t, st.Close())
	assert.NotEmpty(t, after, "the followed series' own page adds its volumes")

	code, _, logs = mangaalert(args...)
	require.Equal(t, exitOK, code, logs)
	assert.NotRegexp(t, `"volumes_(new|changed)":[1-9]`, logs, "a third run over the same pages changes nothing")
}
