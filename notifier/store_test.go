package notifier_test

import (
	"context"
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/manga-alert-italia/mangaalert/store"
	"github.com/manga-alert-italia/mangaalert/store/bolt"
)

// testStore is the embedded store (store/bolt, which passes the contract
// suite) in a temporary directory, with shortcuts to seed it: the rules are
// tested against the store's real semantics, not a copy of them.
type testStore struct {
	*bolt.Store
	t    testing.TB
	mu   sync.Mutex
	vols []string // every volume put, for allAlerts
}

func newTestStore(t testing.TB) *testStore {
	t.Helper()
	s, err := bolt.Open(filepath.Join(t.TempDir(), "store.db"), func(o *bolt.Options) { o.NoSync = true })
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.Close() })
	return &testStore{Store: s, t: t}
}

// putVolume stores v as first seen at v.FirstSeen; a volume already there
// is changed and keeps its FirstSeen.
func (s *testStore) putVolume(v store.Volume) {
	s.t.Helper()
	res, err := s.UpsertVolumes(context.Background(), []store.Volume{v}, v.FirstSeen)
	require.NoError(s.t, err)
	s.mu.Lock()
	defer s.mu.Unlock()
	if !slices.Contains(s.vols, res[0].ID) {
		s.vols = append(s.vols, res[0].ID)
	}
}

// putSubscriber creates sub, or replaces the one with its ID.
func (s *testStore) putSubscriber(sub store.Subscriber) {
	s.t.Helper()
	ctx := context.Background()
	old, err := s.Subscriber(ctx, sub.ID)
	if errors.Is(err, store.ErrNotFound) {
		require.NoError(s.t, s.CreateSubscriber(ctx, sub))
		return
	}
	require.NoError(s.t, err)
	sub.UpdatedAt = old.UpdatedAt
	_, err = s.UpdateSubscriber(ctx, sub, old.UpdatedAt.Add(time.Second))
	require.NoError(s.t, err)
}

func (s *testStore) follow(f store.Follow) {
	s.t.Helper()
	require.NoError(s.t, s.Follow(context.Background(), f))
}

// allAlerts returns every alert of the volumes put, ordered by key.
func (s *testStore) allAlerts() []store.Alert {
	s.t.Helper()
	s.mu.Lock()
	vols := slices.Clone(s.vols)
	s.mu.Unlock()
	var out []store.Alert
	for _, id := range vols {
		as, err := s.AlertsOfVolume(context.Background(), id)
		require.NoError(s.t, err)
		out = append(out, as...)
	}
	slices.SortFunc(out, func(a, b store.Alert) int { return strings.Compare(a.String(), b.String()) })
	return out
}
