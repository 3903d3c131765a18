package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/manga-alert-italia/mangaalert/store"
)

// testCollections: a follow keeps the reader's collection and reminders,
// both ways it is read; following again changes neither; UpdateFollow
// replaces them (zero clears), keeps CreatedAt, and answers ErrNotFound
// for a series not followed; bad numbers write nothing.
func testCollections(t *testing.T, s store.Store) {
	ctx := context.Background()
	r7, err := store.Reminds("7", "announce")
	require.NoError(t, err)
	// Some follows with a collection and some without: a scan mixes them.
	require.NoError(t, s.Follow(ctx, store.Follow{SubscriberID: "sub-1", SeriesID: "one-piece", CreatedAt: t0}))
	require.NoError(t, s.Follow(ctx, store.Follow{SubscriberID: "sub-2", SeriesID: "one-piece", CreatedAt: t0,
		OwnedUpTo: 3, Owned: []int{9, 5, 5, 2}, Reminders: r7}))
	require.NoError(t, s.Follow(ctx, store.Follow{SubscriberID: "sub-3", SeriesID: "one-piece", CreatedAt: t0}))

	want2 := store.Follow{SubscriberID: "sub-2", SeriesID: "one-piece", CreatedAt: t0, OwnedUpTo: 3, Owned: []int{5, 9}, Reminders: r7}
	fs, err := s.FollowersOf(ctx, "one-piece")
	require.NoError(t, err)
	assert.Equal(t, []store.Follow{
		{SubscriberID: "sub-1", SeriesID: "one-piece", CreatedAt: t0},
		want2,
		{SubscriberID: "sub-3", SeriesID: "one-piece", CreatedAt: t0},
	}, fs, "owned stored sorted, once, without those up-to covers")

	// Following again keeps the collection.
	require.NoError(t, s.Follow(ctx, store.Follow{SubscriberID: "sub-2", SeriesID: "one-piece", CreatedAt: t0.Add(time.Hour)}))
	fs, err = s.FollowsOf(ctx, "sub-2")
	require.NoError(t, err)
	assert.Equal(t, []store.Follow{want2}, fs)

	// UpdateFollow replaces, and keeps CreatedAt whatever it is given.
	none, err := store.Reminds()
	require.NoError(t, err)
	require.NoError(t, s.UpdateFollow(ctx, store.Follow{SubscriberID: "sub-1", SeriesID: "one-piece",
		CreatedAt: t0.Add(time.Hour), OwnedUpTo: 12, Owned: []int{14, 0}, Reminders: none}))
	fs, err = s.FollowsOf(ctx, "sub-1")
	require.NoError(t, err)
	assert.Equal(t, []store.Follow{{SubscriberID: "sub-1", SeriesID: "one-piece", CreatedAt: t0,
		OwnedUpTo: 12, Owned: []int{14}, Reminders: none}}, fs, "none chosen is kept apart from not chosen")
	require.NoError(t, s.UpdateFollow(ctx, store.Follow{SubscriberID: "sub-2", SeriesID: "one-piece"}))
	fs, err = s.FollowersOf(ctx, "one-piece")
	require.NoError(t, err)
	assert.Equal(t, store.Follow{SubscriberID: "sub-2", SeriesID: "one-piece", CreatedAt: t0}, fs[1], "zero clears")

	err = s.UpdateFollow(ctx, store.Follow{SubscriberID: "sub-9", SeriesID: "one-piece", OwnedUpTo: 1})
	require.ErrorIs(t, err, store.ErrNotFound)
	_, err = s.FollowsOf(ctx, "sub-9")
	require.NoError(t, err)

	for _, bad := range []store.Follow{
		{SubscriberID: "sub-1", SeriesID: "one-piece", OwnedUpTo: -1},
		{SubscriberID: "sub-1", SeriesID: "one-piece", Owned: []int{store.MaxVolumeNumber + 1}},
	} {
		require.Error(t, s.UpdateFollow(ctx, bad))
		require.Error(t, s.Follow(ctx, store.Follow{SubscriberID: "sub-4", SeriesID: "berserk", OwnedUpTo: bad.OwnedUpTo, Owned: bad.Owned}))
	}
	fs, err = s.FollowsOf(ctx, "sub-1")
	require.NoError(t, err)
	assert.Equal(t, 12, fs[0].OwnedUpTo, "a refused update wrote nothing")
	fs, err = s.FollowsOf(ctx, "sub-4")
	require.NoError(t, err)
	assert.Empty(t, fs, "a refused follow wrote nothing")

	// The reader-wide choice is kept on the subscriber.
	r1, err := store.Reminds("1")
	require.NoError(t, err)
	sub := subscriber("sub-5", "lettore5@example.it")
	sub.Reminders = r1
	require.NoError(t, s.CreateSubscriber(ctx, sub))
	got, err := s.Subscriber(ctx, "sub-5")
	require.NoError(t, err)
	assert.Equal(t, r1, got.Reminders)
	got.Reminders = 0
	got, err = s.UpdateSubscriber(ctx, got, t0.Add(time.Minute))
	require.NoError(t, err)
	got, err = s.Subscriber(ctx, "sub-5")
	require.NoError(t, err)
	assert.Zero(t, got.Reminders, "back to the default")
}
