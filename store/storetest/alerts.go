package storetest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/manga-alert-italia/mangaalert/store"
)

func testFollows(t *testing.T, s store.Store) {
	ctx := context.Background()
	for _, f := range []store.Follow{
		{SubscriberID: "sub-2", SeriesID: "one-piece", CreatedAt: t0},
		{SubscriberID: "sub-1", SeriesID: "one-piece", CreatedAt: t0.Add(time.Minute)},
		{SubscriberID: "sub-1", SeriesID: "berserk", CreatedAt: t0.Add(2 * time.Minute)},
		{SubscriberID: "sub-10", SeriesID: "one", CreatedAt: t0}, // ids that prefix each other
		{SubscriberID: "sub-1", SeriesID: "one", CreatedAt: t0},
	} {
		require.NoError(t, s.Follow(ctx, f))
	}
	// Following again keeps the first CreatedAt.
	require.NoError(t, s.Follow(ctx, store.Follow{SubscriberID: "sub-1", SeriesID: "one-piece", CreatedAt: t0.Add(time.Hour)}))

	fs, err := s.FollowsOf(ctx, "sub-1")
	require.NoError(t, err)
	assert.Equal(t, []store.Follow{
		{SubscriberID: "sub-1", SeriesID: "berserk", CreatedAt: t0.Add(2 * time.Minute)},
		{SubscriberID: "sub-1", SeriesID: "one", CreatedAt: t0},
		{SubscriberID: "sub-1", SeriesID: "one-piece", CreatedAt: t0.Add(time.Minute)},
	}, fs, "ordered by series id")

	fs, err = s.FollowersOf(ctx, "one-piece")
	require.NoError(t, err)
	assert.Equal(t, []store.Follow{
		{SubscriberID: "sub-1", SeriesID: "one-piece", CreatedAt: t0.Add(time.Minute)},
		{SubscriberID: "sub-2", SeriesID: "one-piece", CreatedAt: t0},
	}, fs, "ordered by subscriber id")
	fs, err = s.FollowersOf(ctx, "one")
	require.NoError(t, err)
	assert.Equal(t, []string{"sub-1", "sub-10"}, ids(fs, func(f store.Follow) string { return f.SubscriberID }))

	require.NoError(t, s.Unfollow(ctx, "sub-1", "one-piece"))
	require.NoError(t, s.Unfollow(ctx, "sub-1", "one-piece"), "absent: nil")
	fs, err = s.FollowersOf(ctx, "one-piece")
	require.NoError(t, err)
	assert.Equal(t, []string{"sub-2"}, ids(fs, func(f store.Follow) string { return f.SubscriberID }))
	fs, err = s.FollowsOf(ctx, "sub-1")
	require.NoError(t, err)
	assert.Equal(t, []string{"berserk", "one"}, ids(fs, func(f store.Follow) string { return f.SeriesID }))

	fs, err = s.FollowsOf(ctx, "nobody")
	require.NoError(t, err)
	assert.Empty(t, fs)
	require.Error(t, s.Follow(ctx, store.Follow{SubscriberID: "sub-1"}), "no series")
}

func key(sub, volume string, kind store.AlertKind) store.AlertKey {
	return store.AlertKey{SubscriberID: sub, VolumeID: volume, Kind: kind}
}

func claim(k store.AlertKey, run string, at time.Time) store.Alert {
	return store.Alert{AlertKey: k, RunID: run, ReleaseDate: store.NewDate(2024, time.October, 29), ClaimedAt: at}
}

// testFollowedSeries: each followed series once, in id order, as stored;
// unfollowed and deleted readers' series drop out. Twenty follows span
// several pages of the DynamoDB run.
func testFollowedSeries(t *testing.T, s store.Store) {
	ctx := context.Background()
	got, err := s.FollowedSeries(ctx)
	require.NoError(t, err)
	assert.Empty(t, got, "no follows, no series")

	series := []store.Series{
		{ID: "berserk", Title: "Berserk", Publisher: "Panini Comics", Aliases: []string{"Berserk Collection"}},
		{ID: "one", Title: "One", Publisher: "J-POP"},
		{ID: "one-piece", Title: "One Piece", Publisher: "Star Comics"},
		{ID: "one-punch-man", Title: "One-Punch Man", Publisher: "Panini Comics"}, // nobody follows it
	}
	for _, sr := range series {
		require.NoError(t, s.PutSeries(ctx, sr))
	}
	for i := range 8 {
		sub := fmt.Sprintf("sub-%d", i)
		require.NoError(t, s.Follow(ctx, store.Follow{SubscriberID: sub, SeriesID: "one-piece", CreatedAt: t0}))
		require.NoError(t, s.Follow(ctx, store.Follow{SubscriberID: sub, SeriesID: "one", CreatedAt: t0}))
	}
	require.NoError(t, s.Follow(ctx, store.Follow{SubscriberID: "sub-0", SeriesID: "berserk", CreatedAt: t0}))
	require.NoError(t, s.Follow(ctx, store.Follow{SubscriberID: "sub-9", SeriesID: "berserk", CreatedAt: t0}))
	require.NoError(t, s.Follow(ctx, store.Follow{SubscriberID: "sub-1", SeriesID: "no-record-yet", CreatedAt: t0}))
	require.NoError(t, s.Follow(ctx, store.Follow{SubscriberID: "sub-2", SeriesID: "no-record-yet", CreatedAt: t0}))

	got, err = s.FollowedSeries(ctx)
	require.NoError(t, err)
	assert.Equal(t, series[:3], got, "each followed series once, by id, as stored; no record, no series")

	require.NoError(t, s.Unfollow(ctx, "sub-0", "berserk"))
	got, err = s.FollowedSeries(ctx)
	require.NoError(t, err)
	assert.Equal(t, []string{"berserk", "one", "one-piece"}, ids(got, func(s store.Series) string { return s.ID }),
		"one follower left is enough")

	require.NoError(t, s.CreateSubscriber(ctx, subscriber("sub-9", "nine@example.com")))
	require.NoError(t, s.DeleteSubscriber(ctx, "sub-9"))
	got, err = s.FollowedSeries(ctx)
	require.NoError(t, err)
	assert.Equal(t, []string{"one", "one-piece"}, ids(got, func(s store.Series) string { return s.ID }),
		"a deleted reader's follows are gone")
}

func testClaimAlert(t *testing.T, s store.Store) {
	ctx := context.Background()
	readers(t, s, "sub-1", "sub-2")
	k := key("sub-1", "solo-leveling/19", store.Announce)
	_, err := s.Alert(ctx, k)
	require.ErrorIs(t, err, store.ErrNotFound)

	require.NoError(t, s.ClaimAlert(ctx, claim(k, "run-1", t0)))
	got, err := s.Alert(ctx, k)
	require.NoError(t, err)
	assert.Equal(t, store.Alert{AlertKey: k, State: store.Claimed, RunID: "run-1",
		ReleaseDate: store.NewDate(2024, time.October, 29), ClaimedAt: t0, UpdatedAt: t0}, got)

	require.ErrorIs(t, s.ClaimAlert(ctx, claim(k, "run-2", t0.Add(time.Hour))), store.ErrClaimed)
	require.NoError(t, s.ResolveAlert(ctx, k, "run-1", store.Sent, "msg-1", "", t0.Add(time.Minute)))
	require.ErrorIs(t, s.ClaimAlert(ctx, claim(k, "run-3", t0.Add(2*time.Hour))), store.ErrClaimed, "a sent alert is never claimed again")

	// Another kind, subscriber or volume is another alert.
	require.NoError(t, s.ClaimAlert(ctx, claim(key("sub-1", "solo-leveling/19", store.Reminder(7)), "run-1", t0)))
	require.NoError(t, s.ClaimAlert(ctx, claim(key("sub-2", "solo-leveling/19", store.Announce), "run-1", t0)))
	require.NoError(t, s.ClaimAlert(ctx, claim(key("sub-1", "solo-leveling/20", store.Announce), "run-1", t0)))

	require.Error(t, s.ClaimAlert(ctx, claim(key("", "v", store.Announce), "run-1", t0)), "no subscriber")

	// No claim, so no mail, for a reader with no record: one never
	// created, or one deleted while a run was sending.
	readers(t, s, "sub-3")
	require.NoError(t, s.DeleteSubscriber(ctx, "sub-3"))
	for _, sub := range []string{"sub-never", "sub-3"} {
		k := key(sub, "solo-leveling/19", store.Announce)
		require.ErrorIs(t, s.ClaimAlert(ctx, claim(k, "run-1", t0)), store.ErrNotFound, sub)
		_, err := s.Alert(ctx, k)
		require.ErrorIs(t, err, store.ErrNotFound, "%s: nothing written", sub)
	}
}

func testClaimConcurrently(t *testing.T, s store.Store) {
	ctx := context.Background()
	readers(t, s, "sub-1")
	k := key("sub-1", "solo-leveling/19", store.Reminder(1))
	const n = 24
	errs := make([]error, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Go(func() {
			<-start
			errs[i] = s.ClaimAlert(ctx, claim(k, fmt.Sprintf("run-%d", i), t0))
		})
	}
	close(start)
	wg.Wait()
	winners := 0
	winner := ""
	for i, err := range errs {
		if err == nil {
			winners++
			winner = fmt.Sprintf("run-%d", i)
			continue
		}
		require.ErrorIs(t, err, store.ErrClaimed)
	}
	require.Equal(t, 1, winners, "exactly one claim succeeds")
	got, err := s.Alert(ctx, k)
	require.NoError(t, err)
	assert.Equal(t, winner, got.RunID)
}

func testResolveAlert(t *testing.T, s store.Store) {
	ctx := context.Background()
	readers(t, s, "sub-1", "sub-2")
	k := key("sub-1", "solo-leveling/19", store.Announce)
	require.ErrorIs(t, s.ResolveAlert(ctx, k, "run-1", store.Sent, "m", "", t0), store.ErrNotFound)
	require.NoError(t, s.ClaimAlert(ctx, claim(k, "run-1", t0)))

	require.ErrorIs(t, s.ResolveAlert(ctx, k, "run-2", store.Sent, "m", "", t0), store.ErrConflict, "claimed by another run")
	require.Error(t, s.ResolveAlert(ctx, k, "run-1", store.Claimed, "", "", t0), "not a resolution")

	done := t0.Add(time.Minute)
	require.NoError(t, s.ResolveAlert(ctx, k, "run-1", store.Sent, "msg-1", "", done))
	got, err := s.Alert(ctx, k)
	require.NoError(t, err)
	assert.Equal(t, store.Sent, got.State)
	assert.Equal(t, "msg-1", got.MessageID)
	assert.Equal(t, done, got.UpdatedAt)
	assert.Equal(t, t0, got.ClaimedAt)
	require.ErrorIs(t, s.ResolveAlert(ctx, k, "run-1", store.Failed, "", "late", done), store.ErrConflict, "resolved once")

	k2 := key("sub-2", "solo-leveling/19", store.Announce)
	require.NoError(t, s.ClaimAlert(ctx, claim(k2, "run-1", t0)))
	require.NoError(t, s.ResolveAlert(ctx, k2, "run-1", store.Failed, "", "mailbox does not exist", done))
	got, err = s.Alert(ctx, k2)
	require.NoError(t, err)
	assert.Equal(t, store.Failed, got.State)
	assert.Equal(t, "mailbox does not exist", got.Error)
}

func testReclaimAlert(t *testing.T, s store.Store) {
	ctx := context.Background()
	readers(t, s, "sub-1")
	k := key("sub-1", "solo-leveling/19", store.Announce)
	require.ErrorIs(t, s.ReclaimAlert(ctx, k, "run-2", t0, t0), store.ErrNotFound)
	require.NoError(t, s.ClaimAlert(ctx, claim(k, "run-1", t0)))

	require.ErrorIs(t, s.ReclaimAlert(ctx, k, "run-2", t0, t0.Add(time.Hour)), store.ErrConflict, "not older than before")

	// Two runs reclaim the same stale claim: one wins.
	later := t0.Add(time.Hour)
	var wg sync.WaitGroup
	errs := make([]error, 8)
	for i := range errs {
		wg.Go(func() { errs[i] = s.ReclaimAlert(ctx, k, fmt.Sprintf("run-r%d", i), t0.Add(time.Minute), later) })
	}
	wg.Wait()
	winners := 0
	for _, err := range errs {
		if err == nil {
			winners++
		} else {
			require.ErrorIs(t, err, store.ErrConflict)
		}
	}
	require.Equal(t, 1, winners)
	got, err := s.Alert(ctx, k)
	require.NoError(t, err)
	assert.Equal(t, later, got.ClaimedAt)
	assert.Equal(t, store.Claimed, got.State)
	stale, err := s.StaleClaims(ctx, t0.Add(30*time.Minute))
	require.NoError(t, err)
	assert.Empty(t, stale, "a reclaimed alert is claimed anew")
	stale, err = s.StaleClaims(ctx, later.Add(time.Second))
	require.NoError(t, err)
	require.Len(t, stale, 1)
	assert.Equal(t, got, stale[0])

	require.ErrorIs(t, s.ResolveAlert(ctx, k, "run-1", store.Sent, "m", "", later), store.ErrConflict, "the first run lost it")
	require.NoError(t, s.ResolveAlert(ctx, k, got.RunID, store.Uncertain, "", "died after send", later))
	require.ErrorIs(t, s.ReclaimAlert(ctx, k, "run-3", later.Add(time.Hour), later.Add(time.Hour)), store.ErrConflict, "resolved alerts are not reclaimed")
}

func testAlertQueries(t *testing.T, s store.Store) {
	ctx := context.Background()
	readers(t, s, "sub-1", "sub-2", "sub-10")
	claims := []store.Alert{
		claim(key("sub-2", "v/1", store.Announce), "run-1", t0.Add(3*time.Minute)),
		claim(key("sub-1", "v/1", store.Reminder(7)), "run-1", t0.Add(2*time.Minute)),
		claim(key("sub-1", "v/1", store.Announce), "run-1", t0.Add(1*time.Minute)),
		claim(key("sub-1", "v/10", store.Announce), "run-1", t0),
		claim(key("sub-10", "v/1", store.Announce), "run-1", t0.Add(4*time.Minute)),
	}
	for _, a := range claims {
		require.NoError(t, s.ClaimAlert(ctx, a))
	}
	require.NoError(t, s.ResolveAlert(ctx, claims[1].AlertKey, "run-1", store.Sent, "m", "", t0.Add(time.Hour)))

	of, err := s.AlertsOfVolume(ctx, "v/1")
	require.NoError(t, err)
	assert.Equal(t, []string{"sub-1|v/1|announce", "sub-1|v/1|remind-7", "sub-10|v/1|announce", "sub-2|v/1|announce"},
		ids(of, func(a store.Alert) string { return a.AlertKey.String() }), "by subscriber then kind")
	assert.Equal(t, store.Sent, of[1].State)

	of, err = s.AlertsOfSubscriber(ctx, "sub-1")
	require.NoError(t, err)
	assert.Equal(t, []string{"sub-1|v/1|announce", "sub-1|v/1|remind-7", "sub-1|v/10|announce"},
		ids(of, func(a store.Alert) string { return a.AlertKey.String() }), "by volume then kind")

	stale, err := s.StaleClaims(ctx, t0.Add(3*time.Minute))
	require.NoError(t, err)
	assert.Equal(t, []string{"sub-1|v/10|announce", "sub-1|v/1|announce"},
		ids(stale, func(a store.Alert) string { return a.AlertKey.String() }), "still Claimed, claimed before t, oldest first")
	assert.Equal(t, t0, stale[0].ClaimedAt)

	of, err = s.AlertsOfVolume(ctx, "v/2")
	require.NoError(t, err)
	assert.Empty(t, of)
}

func testErrors(t *testing.T, s store.Store) {
	ctx := context.Background()
	_, err := s.Volume(ctx, "nothing/1")
	require.ErrorIs(t, err, store.ErrNotFound)
	require.True(t, errors.Is(err, store.ErrNotFound))
	require.NoError(t, s.Ping(ctx))

	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	_, err = s.Volume(cancelled, "nothing/1")
	require.ErrorIs(t, err, context.Canceled)

	_, err = s.VolumesReleasing(ctx, store.Date{}, store.NewDate(2024, 1, 1))
	require.Error(t, err, "an unknown date is not a range")
}
