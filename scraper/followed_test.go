package scraper_test

import (
	"context"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/manga-alert-italia/mangaalert/scraper"
	"github.com/manga-alert-italia/mangaalert/store"
)

// followedOnce counts FollowedSeries calls.
type followedOnce struct {
	*counting
	calls atomic.Int64
}

func (f *followedOnce) FollowedSeries(ctx context.Context) ([]store.Series, error) {
	f.calls.Add(1)
	return f.counting.FollowedSeries(ctx)
}

// TestRunFollowed: which series pages to read is the scraper's choice. It
// asks the store once for the followed series, whatever the number of
// sources, and each source reads its own page of the series it publishes.
func TestRunFollowed(t *testing.T) {
	ctx := context.Background()
	ss := newSites(t)
	st := &followedOnce{counting: &counting{Store: openBolt(t)}}
	for _, s := range []store.Series{
		{ID: "mob-psycho-100", Title: "Mob Psycho 100", Publisher: "Star Comics"},
		{ID: "one-piece", Title: "One Piece", Publisher: "Star Comics"}, // nobody follows it
		{ID: "chainsaw-man", Title: "Chainsaw Man", Publisher: "Panini Comics"},
		{ID: "dandadan", Title: "Dandadan", Publisher: "J-POP"}, // neither source publishes it
	} {
		require.NoError(t, st.PutSeries(ctx, s))
	}
	for _, id := range []string{"mob-psycho-100", "chainsaw-man", "dandadan"} {
		require.NoError(t, st.Follow(ctx, store.Follow{SubscriberID: "sub-1", SeriesID: id}))
	}
	var mu sync.Mutex
	asked := map[string][]string{}
	for name, s := range map[string]*site{"starcomics": ss.star, "panini": ss.panini, "animeclick": ss.animeclick} {
		s.onPage = func(r *http.Request) {
			mu.Lock()
			defer mu.Unlock()
			asked[name] = append(asked[name], r.URL.RequestURI())
		}
	}

	cfg := ss.config(st)
	cfg.Sources = []scraper.SourceConfig{
		{Source: "starcomics", Site: ss.star.URL, Followed: true},
		{Source: "panini", Site: ss.panini.URL, Followed: true},
		{Source: "animeclick", Site: ss.animeclick.URL, Followed: true, Calendar: true, Weeks: 1},
	}
	rep, err := scraper.Run(ctx, cfg)
	require.NoError(t, err)

	assert.Equal(t, int64(1), st.calls.Load(), "one store query for three sources")
	assert.Equal(t, []string{"/titoli-fumetti/mob-psycho-100"}, asked["starcomics"], "the publisher's own series, not the unfollowed one")
	assert.Equal(t, []string{"/shp_ita_it/catalogsearch/result/?q=Chainsaw+Man"}, asked["panini"], "Panini is searched by title")
	assert.NotContains(t, asked["animeclick"], "/titoli-fumetti/mob-psycho-100", "an aggregator has no series pages: its calendar covers them")
	assert.Equal(t, 1, rep.Sources[0].Pages)
	_, err = st.Volume(ctx, "mob-psycho-100/16")
	require.NoError(t, err, "the followed series' page was stored")
}
