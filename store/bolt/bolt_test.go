package bolt_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/manga-alert-italia/mangaalert/store"
	"github.com/manga-alert-italia/mangaalert/store/bolt"
	"github.com/manga-alert-italia/mangaalert/store/storetest"
)

func open(t testing.TB, opts ...func(*bolt.Options)) *bolt.Store {
	t.Helper()
	s, err := bolt.Open(filepath.Join(t.TempDir(), "mangaalert.db"), opts...)
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, s.Close()) })
	return s
}

func TestContract(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store { return open(t, func(o *bolt.Options) { o.NoSync = true }) })
}

func TestReopenWritesNothing(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "mangaalert.db")
	s, err := bolt.Open(path)
	require.NoError(t, err)
	now := time.Date(2024, 10, 1, 9, 0, 0, 0, time.UTC)
	vs := []store.Volume{{SeriesID: "frieren", Number: 1, Title: "FRIEREN n. 1", ReleaseDate: store.NewDate(2024, 10, 29)}}
	_, err = s.UpsertVolumes(ctx, vs, now)
	require.NoError(t, err)
	require.NoError(t, s.Close())

	s, err = bolt.Open(path)
	require.NoError(t, err)
	defer s.Close()
	got, err := s.Volume(ctx, "frieren/1")
	require.NoError(t, err)
	assert.Equal(t, "FRIEREN n. 1", got.Title)
	res, err := s.UpsertVolumes(ctx, vs, now.Add(time.Hour))
	require.NoError(t, err)
	assert.Equal(t, store.Unchanged, res[0].Outcome)
	require.NoError(t, s.PutSeries(ctx, store.Series{ID: "frieren"}))
	require.NoError(t, s.PutSeries(ctx, store.Series{ID: "frieren"}))
	assert.Equal(t, int64(1), s.Writes(), "only the new series was written; opening and the unchanged scrape wrote nothing")
}

func TestSweep(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2024, 10, 1, 9, 0, 0, 0, time.UTC)
	path := filepath.Join(t.TempDir(), "mangaalert.db")
	s, err := bolt.Open(path, func(o *bolt.Options) { o.Now = func() time.Time { return now } })
	require.NoError(t, err)
	pending := store.Subscriber{ID: "p", Email: "p@example.it", Status: store.Pending, TokenHash: "aa",
		CreatedAt: now, UpdatedAt: now, ExpiresAt: now.Add(48 * time.Hour)}
	require.NoError(t, s.CreateSubscriber(ctx, pending))
	require.NoError(t, s.Follow(ctx, store.Follow{SubscriberID: "p", SeriesID: "berserk", CreatedAt: now}))

	n, err := s.Sweep(ctx, now.Add(47*time.Hour))
	require.NoError(t, err)
	assert.Zero(t, n, "not expired yet")
	now = now.Add(48 * time.Hour) // the clock moves: the sign-up is gone at once
	_, err = s.Subscriber(ctx, "p")
	require.ErrorIs(t, err, store.ErrNotFound)
	require.NoError(t, s.Close())

	// Opening the file sweeps it, follows included.
	s, err = bolt.Open(path, func(o *bolt.Options) { o.Now = func() time.Time { return now } })
	require.NoError(t, err)
	defer s.Close()
	fs, err := s.FollowersOf(ctx, "berserk")
	require.NoError(t, err)
	assert.Empty(t, fs)
	n, err = s.Sweep(ctx, now)
	require.NoError(t, err)
	assert.Zero(t, n, "swept already")
}

func TestOpenLockedFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "mangaalert.db")
	s, err := bolt.Open(path)
	require.NoError(t, err)
	defer s.Close()
	_, err = bolt.Open(path, func(o *bolt.Options) { o.Timeout = 50 * time.Millisecond })
	require.ErrorContains(t, err, "another process holds it open")
}
