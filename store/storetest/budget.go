package storetest

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/manga-alert-italia/mangaalert/store"
)

func testBudgets(t *testing.T, s store.Store) {
	ctx := context.Background()
	take := func(key, id string, at time.Time) bool {
		t.Helper()
		ok, err := s.TakeBudget(ctx, key, id, 3, 24*time.Hour, at)
		require.NoError(t, err)
		return ok
	}
	// Three in the window, the fourth refused; another key is apart.
	assert.True(t, take("inbox:a", "e1", t0))
	assert.True(t, take("inbox:a", "e2", t0.Add(time.Hour)))
	assert.True(t, take("inbox:a", "e3", t0.Add(2*time.Hour)))
	assert.False(t, take("inbox:a", "e4", t0.Add(3*time.Hour)), "a fourth in 24 hours")
	assert.True(t, take("inbox:b", "e4", t0.Add(3*time.Hour)), "another key")
	// The same event again counts once: a resent write.
	assert.True(t, take("inbox:a", "e3", t0.Add(3*time.Hour)), "e3 is already counted")
	// The window slides: e1 leaves it at t0+24h exactly.
	assert.False(t, take("inbox:a", "e5", t0.Add(24*time.Hour-time.Nanosecond)))
	assert.True(t, take("inbox:a", "e5", t0.Add(24*time.Hour)), "e1 out of the window")
	assert.False(t, take("inbox:a", "e6", t0.Add(24*time.Hour)))
	// A refusal is not an event: it does not push the window on.
	assert.True(t, take("inbox:a", "e7", t0.Add(25*time.Hour)), "e2 out of the window")
	// Long idle: everything out of the window.
	for i := range 3 {
		assert.True(t, take("inbox:a", fmt.Sprintf("late%d", i), t0.Add(30*24*time.Hour)))
	}

	_, err := s.TakeBudget(ctx, "", "e", 3, time.Hour, t0)
	require.Error(t, err, "no key")
	_, err = s.TakeBudget(ctx, "k", "", 3, time.Hour, t0)
	require.Error(t, err, "no event id")
	_, err = s.TakeBudget(ctx, "k", "e", 0, time.Hour, t0)
	require.Error(t, err, "no limit")
	_, err = s.TakeBudget(ctx, "k", "e", 3, 0, t0)
	require.Error(t, err, "no window")
}

// testBudgetsConcurrently: many takers of one budget at once, as replicas
// sharing the store are; exactly limit of them win.
func testBudgetsConcurrently(t *testing.T, s store.Store) {
	ctx := context.Background()
	const limit, takers = 5, 16
	var wg sync.WaitGroup
	var mu sync.Mutex
	won := 0
	for i := range takers {
		wg.Go(func() {
			for {
				ok, err := s.TakeBudget(ctx, "global", fmt.Sprintf("e%d", i), limit, time.Hour, t0)
				if err != nil {
					if assert.ErrorIs(t, err, store.ErrConflict) {
						continue // contended past the store's own retries: take again
					}
					return
				}
				if ok {
					mu.Lock()
					won++
					mu.Unlock()
				}
				return
			}
		})
	}
	wg.Wait()
	assert.Equal(t, limit, won)
}

func testCatalogVersion(t *testing.T, s store.Store) {
	ctx := context.Background()
	version := func() uint64 {
		t.Helper()
		v, err := s.CatalogVersion(ctx)
		require.NoError(t, err)
		return v
	}
	v0 := version()
	require.NoError(t, s.PutSeries(ctx, store.Series{ID: "a", Title: "A"}))
	v1 := version()
	assert.NotEqual(t, v0, v1, "a new series")
	require.NoError(t, s.PutSeries(ctx, store.Series{ID: "a", Title: "A"}))
	assert.Equal(t, v1, version(), "the same series again changes nothing")

	v := vol("a", 1, "", store.NewDate(2024, 5, 5))
	_, err := s.UpsertVolumes(ctx, []store.Volume{v}, t0)
	require.NoError(t, err)
	v2 := version()
	assert.NotEqual(t, v1, v2, "a new volume")
	_, err = s.UpsertVolumes(ctx, []store.Volume{v}, t0.Add(time.Hour))
	require.NoError(t, err)
	assert.Equal(t, v2, version(), "unchanged")
	_, err = s.UpsertVolumes(ctx, []store.Volume{v}, t0.Add(48*time.Hour))
	require.NoError(t, err)
	assert.Equal(t, v2, version(), "a LastSeen refresh is no change to show")
	v.PriceCents = 990
	_, err = s.UpsertVolumes(ctx, []store.Volume{v}, t0.Add(49*time.Hour))
	require.NoError(t, err)
	assert.NotEqual(t, v2, version(), "a new price")
}
