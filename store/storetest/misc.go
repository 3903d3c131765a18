package storetest

import (
	"bytes"
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/manga-alert-italia/mangaalert/store"
)

func testPages(t *testing.T, s store.Store) {
	ctx := context.Background()
	url := "https://www.starcomics.com/titoli-fumetti/one-piece"
	_, err := s.Page(ctx, url)
	require.ErrorIs(t, err, store.ErrNotFound)

	p := store.Page{URL: url, ETag: `W/"abc"`, LastModified: "Tue, 29 Oct 2024 08:00:00 GMT", ContentHash: tokenHash("body"), FetchedAt: t0}
	require.NoError(t, s.PutPage(ctx, p))
	got, err := s.Page(ctx, url)
	require.NoError(t, err)
	assert.Equal(t, p, got)

	p.ETag, p.FetchedAt = "", t0.Add(time.Hour)
	require.NoError(t, s.PutPage(ctx, p))
	got, err = s.Page(ctx, url)
	require.NoError(t, err)
	assert.Equal(t, p, got, "replaced whole")

	require.Error(t, s.PutPage(ctx, store.Page{ETag: "x"}), "no url")
}

func testBlobs(t *testing.T, s store.Store) {
	ctx := context.Background()
	_, err := s.GetBlob(ctx, "acme/account")
	require.ErrorIs(t, err, store.ErrNotFound)

	value := bytes.Repeat([]byte{0, 1, 2, 0xff}, 1000)
	require.NoError(t, s.PutBlob(ctx, "acme/account", value))
	got, err := s.GetBlob(ctx, "acme/account")
	require.NoError(t, err)
	assert.Equal(t, value, got)

	require.NoError(t, s.PutBlob(ctx, "acme/account", []byte("short")))
	got, err = s.GetBlob(ctx, "acme/account")
	require.NoError(t, err)
	assert.Equal(t, []byte("short"), got)

	require.NoError(t, s.PutBlob(ctx, "empty", nil))
	got, err = s.GetBlob(ctx, "empty")
	require.NoError(t, err)
	assert.Empty(t, got)

	require.NoError(t, s.DeleteBlob(ctx, "acme/account"))
	_, err = s.GetBlob(ctx, "acme/account")
	require.ErrorIs(t, err, store.ErrNotFound)
	require.NoError(t, s.DeleteBlob(ctx, "acme/account"), "absent: nil")

	require.Error(t, s.PutBlob(ctx, "huge", make([]byte, 1<<20)), "larger than a store item")
	require.Error(t, s.PutBlob(ctx, "", []byte("x")), "no key")
}

func testCounts(t *testing.T, s store.Store) {
	ctx := context.Background()
	c, err := s.Counts(ctx)
	require.NoError(t, err)
	assert.Equal(t, 0, c.Series+c.Volumes+c.Follows)

	require.NoError(t, s.PutSeries(ctx, store.Series{ID: "a", Title: "A"}))
	require.NoError(t, s.PutSeries(ctx, store.Series{ID: "b", Title: "B"}))
	_, err = s.UpsertVolumes(ctx, []store.Volume{vol("a", 1, "", store.Date{}), vol("a", 2, "", store.NewDate(2024, 5, 5)), vol("b", 1, "", store.Date{})}, t0)
	require.NoError(t, err)
	require.NoError(t, s.CreateSubscriber(ctx, subscriber("s1", "s1@example.it")))
	require.NoError(t, s.CreateSubscriber(ctx, subscriber("s2", "s2@example.it")))
	p := subscriber("s3", "s3@example.it")
	p.Status, p.ExpiresAt = store.Pending, wallNow().Add(time.Hour)
	require.NoError(t, s.CreateSubscriber(ctx, p))
	require.NoError(t, s.Follow(ctx, store.Follow{SubscriberID: "s1", SeriesID: "a", CreatedAt: t0}))
	require.NoError(t, s.Follow(ctx, store.Follow{SubscriberID: "s1", SeriesID: "b", CreatedAt: t0}))
	require.NoError(t, s.Follow(ctx, store.Follow{SubscriberID: "s2", SeriesID: "a", CreatedAt: t0}))
	require.NoError(t, s.ClaimAlert(ctx, claim(key("s1", "a/1", store.Announce), "r", t0)))
	require.NoError(t, s.ClaimAlert(ctx, claim(key("s2", "a/1", store.Announce), "r", t0)))
	require.NoError(t, s.ResolveAlert(ctx, key("s2", "a/1", store.Announce), "r", store.Sent, "m", "", t0))

	c, err = s.Counts(ctx)
	require.NoError(t, err)
	assert.Equal(t, store.Counts{
		Series: 2, Volumes: 3, Follows: 3,
		Subscribers: map[store.Status]int{store.Active: 2, store.Pending: 1},
		Alerts:      map[store.AlertState]int{store.Claimed: 1, store.Sent: 1},
	}, c)
}

// testManyItems writes more items than one page of a paginated backend
// returns (DynamoDB's tests open the store with a small page limit), and
// checks every list comes back whole and in order.
func testManyItems(t *testing.T, s store.Store) {
	ctx := context.Background()
	const n = 45
	d := store.NewDate(2025, time.January, 31)
	var vs []store.Volume
	for i := range n {
		vs = append(vs, vol("big", i+1, fmt.Sprintf("BIG n. %d", i+1), d.AddDays(i%3)))
	}
	res, err := s.UpsertVolumes(ctx, vs, t0)
	require.NoError(t, err)
	require.Len(t, res, n)
	res, err = s.UpsertVolumes(ctx, vs, t0.Add(time.Minute))
	require.NoError(t, err)
	for _, r := range res {
		require.Equal(t, store.Unchanged, r.Outcome, r.ID)
	}

	got, err := s.VolumesOfSeries(ctx, "big")
	require.NoError(t, err)
	require.Len(t, got, n)
	for i, v := range got {
		require.Equal(t, i+1, v.Number)
	}
	got, err = s.VolumesReleasing(ctx, d, d.AddDays(2))
	require.NoError(t, err)
	require.Len(t, got, n)
	for i := 1; i < len(got); i++ {
		a, b := got[i-1], got[i]
		require.True(t, a.ReleaseDate.Before(b.ReleaseDate) || a.ReleaseDate == b.ReleaseDate && a.ID < b.ID, "%s then %s", a.ID, b.ID)
	}
	got, err = s.UpcomingVolumes(ctx, d)
	require.NoError(t, err)
	require.Len(t, got, n)

	for i := range n {
		sub := fmt.Sprintf("sub-%03d", i)
		require.NoError(t, s.Follow(ctx, store.Follow{SubscriberID: sub, SeriesID: "big", CreatedAt: t0}))
		readers(t, s, sub)
		require.NoError(t, s.ClaimAlert(ctx, claim(key(sub, "big/1", store.Announce), "r", t0.Add(time.Duration(i)*time.Second))))
		require.NoError(t, s.PutSeries(ctx, store.Series{ID: fmt.Sprintf("series-%03d", i), Title: "S"}))
	}
	fs, err := s.FollowersOf(ctx, "big")
	require.NoError(t, err)
	require.Len(t, fs, n)
	assert.Equal(t, "sub-000", fs[0].SubscriberID)
	assert.Equal(t, fmt.Sprintf("sub-%03d", n-1), fs[n-1].SubscriberID)
	as, err := s.AlertsOfVolume(ctx, "big/1")
	require.NoError(t, err)
	require.Len(t, as, n)
	stale, err := s.StaleClaims(ctx, t0.Add(time.Hour))
	require.NoError(t, err)
	require.Len(t, stale, n)
	sr, err := s.ListSeries(ctx)
	require.NoError(t, err)
	require.Len(t, sr, n)
	c, err := s.Counts(ctx)
	require.NoError(t, err)
	assert.Equal(t, n, c.Volumes)
	assert.Equal(t, n, c.Alerts[store.Claimed])
}
