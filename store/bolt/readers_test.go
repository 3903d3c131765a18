package bolt

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	bbolt "go.etcd.io/bbolt"

	"github.com/manga-alert-italia/mangaalert/store"
)

func numbered(t *testing.T, s *Store, series string) map[string]uint32 {
	t.Helper()
	fs, nums, err := s.FollowersOfNumberedAppend(context.Background(), series, nil, nil)
	require.NoError(t, err)
	require.Len(t, nums, len(fs))
	out := map[string]uint32{}
	for i, f := range fs {
		out[f.SubscriberID] = nums[i]
	}
	return out
}

// A reader has one number in every series, no other reader has it, and
// it stays through changes of the follow; a deleted reader's number is
// not given again.
func TestReaderNumbers(t *testing.T) {
	ctx := context.Background()
	s, err := Open(filepath.Join(t.TempDir(), "m.db"))
	require.NoError(t, err)
	defer s.Close()
	for _, f := range []store.Follow{{SubscriberID: "anna", SeriesID: "frieren"}, {SubscriberID: "bruno", SeriesID: "frieren"},
		{SubscriberID: "bruno", SeriesID: "dandadan"}, {SubscriberID: "carla", SeriesID: "dandadan"}} {
		require.NoError(t, s.Follow(ctx, f))
	}
	fr, dd := numbered(t, s, "frieren"), numbered(t, s, "dandadan")
	assert.Equal(t, fr["bruno"], dd["bruno"])
	assert.ElementsMatch(t, []uint32{1, 2, 3}, []uint32{fr["anna"], fr["bruno"], dd["carla"]})

	require.NoError(t, s.UpdateFollow(ctx, store.Follow{SubscriberID: "bruno", SeriesID: "frieren", OwnedUpTo: 3}))
	require.NoError(t, s.Unfollow(ctx, "carla", "dandadan"))
	require.NoError(t, s.Follow(ctx, store.Follow{SubscriberID: "carla", SeriesID: "frieren"}))
	fr2 := numbered(t, s, "frieren")
	assert.Equal(t, map[string]uint32{"anna": fr["anna"], "bruno": fr["bruno"], "carla": dd["carla"]}, fr2)
	fs, err := s.FollowersOf(ctx, "frieren")
	require.NoError(t, err)
	assert.Equal(t, 3, fs[1].OwnedUpTo, "the number is kept beside the collection")

	require.NoError(t, s.CreateSubscriber(ctx, store.Subscriber{ID: "anna", Email: "anna@example.it", Status: store.Active}))
	require.NoError(t, s.DeleteSubscriber(ctx, "anna"))
	require.NoError(t, s.db.View(func(tx *bbolt.Tx) error {
		assert.Nil(t, tx.Bucket(bucketReaderNum).Get([]byte("anna")), "the number goes with the reader")
		return nil
	}))
	require.NoError(t, s.Follow(ctx, store.Follow{SubscriberID: "dario", SeriesID: "frieren"}))
	assert.Equal(t, uint32(4), numbered(t, s, "frieren")["dario"], "a deleted reader's number is not given again")
}

// A file whose follows were written before reader numbers gets them on
// its first open, every collection kept; a follow left without one (not
// reachable through this code) is an error, not a wrong filing.
func TestNumberFollowsOnOpen(t *testing.T) {
	ctx := context.Background()
	chunk := numberChunk
	numberChunk = 2 // three follows: two chunks, one walked past the other
	t.Cleanup(func() { numberChunk = chunk })
	path := filepath.Join(t.TempDir(), "m.db")
	at := time.Date(2024, 9, 1, 10, 0, 0, 0, time.UTC)
	old := []store.Follow{
		{SubscriberID: "anna", SeriesID: "frieren", CreatedAt: at},
		{SubscriberID: "anna", SeriesID: "dandadan", CreatedAt: at, OwnedUpTo: 2, Owned: []int{5}},
		{SubscriberID: "bruno", SeriesID: "frieren", CreatedAt: at, Reminders: 3},
	}
	s, err := Open(path)
	require.NoError(t, err)
	// Written as before reader numbers, and the file's mark taken away.
	require.NoError(t, s.db.Update(func(tx *bbolt.Tx) error {
		for _, f := range old {
			v := followValue(f, 0)
			require.NoError(t, tx.Bucket(bucketFollows).Put(join(f.SubscriberID, f.SeriesID), v))
			require.NoError(t, tx.Bucket(bucketFollowers).Put(join(f.SeriesID, f.SubscriberID), v))
		}
		return tx.Bucket(bucketMeta).Delete(metaReaderNumbers)
	}))
	_, _, err = s.FollowersOfNumberedAppend(ctx, "frieren", nil, nil)
	require.ErrorIs(t, err, errCorrupt)
	require.ErrorContains(t, err, "open it once with this version")
	require.NoError(t, s.Close())

	s, err = Open(path)
	require.NoError(t, err)
	defer s.Close()
	fr, dd := numbered(t, s, "frieren"), numbered(t, s, "dandadan")
	assert.Equal(t, fr["anna"], dd["anna"])
	assert.NotEqual(t, fr["anna"], fr["bruno"])
	mine, err := s.FollowsOf(ctx, "anna")
	require.NoError(t, err)
	assert.Equal(t, []store.Follow{old[1], old[0]}, mine, "collections and times kept")
	fs, err := s.FollowersOf(ctx, "frieren")
	require.NoError(t, err)
	assert.Equal(t, []store.Follow{old[0], old[2]}, fs)
	require.NoError(t, s.Follow(ctx, store.Follow{SubscriberID: "anna", SeriesID: "kaiju"}))
	assert.Equal(t, fr["anna"], numbered(t, s, "kaiju")["anna"], "a reader numbered on open keeps the number")
}
