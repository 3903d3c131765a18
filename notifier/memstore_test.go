package notifier_test

import (
	"context"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/manga-alert-italia/mangaalert/store"
)

// memStore is a small in-memory store with the contract's semantics for
// what the notifier uses, for the unit tests of the rules. The end-to-end,
// crash and benchmark tests use store/bolt.
type memStore struct {
	mu      sync.Mutex
	vols    map[string]store.Volume
	subs    map[string]store.Subscriber
	follows map[string][]store.Follow // by series
	alerts  map[store.AlertKey]store.Alert
}

func newMemStore() *memStore {
	return &memStore{vols: map[string]store.Volume{}, subs: map[string]store.Subscriber{},
		follows: map[string][]store.Follow{}, alerts: map[store.AlertKey]store.Alert{}}
}

func (m *memStore) putVolume(v store.Volume) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.vols[v.ID] = v
}

func (m *memStore) putSubscriber(s store.Subscriber) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.subs[s.ID] = s
}

func (m *memStore) follow(f store.Follow) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.follows[f.SeriesID] = append(m.follows[f.SeriesID], f)
}

func (m *memStore) UpcomingVolumes(_ context.Context, from store.Date) ([]store.Volume, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []store.Volume
	for _, v := range m.vols {
		if v.ReleaseDate.IsZero() || !v.ReleaseDate.Before(from) {
			out = append(out, v)
		}
	}
	slices.SortFunc(out, func(a, b store.Volume) int {
		if c := a.ReleaseDate.Compare(b.ReleaseDate); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	return out, nil
}

func (m *memStore) Volume(_ context.Context, id string) (store.Volume, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	v, ok := m.vols[id]
	if !ok {
		return v, store.ErrNotFound
	}
	return v, nil
}

func (m *memStore) FollowersOf(_ context.Context, seriesID string) ([]store.Follow, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.Clone(m.follows[seriesID]), nil
}

func (m *memStore) Subscriber(_ context.Context, id string) (store.Subscriber, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	s, ok := m.subs[id]
	if !ok {
		return s, store.ErrNotFound
	}
	return s, nil
}

func (m *memStore) ClaimAlert(_ context.Context, a store.Alert) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.alerts[a.AlertKey]; ok {
		return store.ErrClaimed
	}
	a.State = store.Claimed
	m.alerts[a.AlertKey] = a
	return nil
}

func (m *memStore) ResolveAlert(_ context.Context, k store.AlertKey, runID string, st store.AlertState, msgID, reason string, now time.Time) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	a, ok := m.alerts[k]
	if !ok || a.State != store.Claimed || a.RunID != runID {
		return store.ErrConflict
	}
	a.State, a.MessageID, a.Error, a.UpdatedAt = st, msgID, reason, now
	m.alerts[k] = a
	return nil
}

func (m *memStore) ReclaimAlert(_ context.Context, k store.AlertKey, runID string, before, now time.Time) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	a, ok := m.alerts[k]
	if !ok || a.State != store.Claimed || !a.ClaimedAt.Before(before) {
		return store.ErrConflict
	}
	a.RunID, a.ClaimedAt, a.UpdatedAt = runID, now, now
	m.alerts[k] = a
	return nil
}

func (m *memStore) Alert(_ context.Context, k store.AlertKey) (store.Alert, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	a, ok := m.alerts[k]
	if !ok {
		return a, store.ErrNotFound
	}
	return a, nil
}

func (m *memStore) AlertsOfVolume(_ context.Context, id string) ([]store.Alert, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []store.Alert
	for k, a := range m.alerts {
		if k.VolumeID == id {
			out = append(out, a)
		}
	}
	return out, nil
}

func (m *memStore) StaleClaims(_ context.Context, before time.Time) ([]store.Alert, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []store.Alert
	for _, a := range m.alerts {
		if a.State == store.Claimed && a.ClaimedAt.Before(before) {
			out = append(out, a)
		}
	}
	return out, nil
}

func (m *memStore) allAlerts() []store.Alert {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]store.Alert, 0, len(m.alerts))
	for _, a := range m.alerts {
		out = append(out, a)
	}
	slices.SortFunc(out, func(a, b store.Alert) int { return strings.Compare(a.String(), b.String()) })
	return out
}
