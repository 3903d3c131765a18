package store

import (
	"context"
	"time"
)

// Budgets count events in sliding windows, in the store, so that every
// process using it (restarts, several backend replicas) shares one count:
// what the backend's mail budgets stand on.
type Budgets interface {
	// TakeBudget records the event id under key at now when fewer than
	// limit events were recorded under key in the window that ends at now
	// (events at or before now-window no longer count), and reports
	// whether it was recorded. An id already recorded in the window is
	// taken again without counting twice (ok true): a write resent after
	// its answer was lost is one event. key and id are non-empty and
	// without NUL bytes; limit and window are positive.
	TakeBudget(ctx context.Context, key, id string, limit int, window time.Duration, now time.Time) (ok bool, err error)
}

// CatalogVersioner gives a number that changes whenever the catalogue
// does: every PutSeries and every UpsertVolumes that creates or updates a
// volume (not a LastSeen refresh) moves it. A process caching pages made
// from the catalogue asks it instead of the catalogue itself: one small
// read says whether its cache still holds.
type CatalogVersioner interface {
	// CatalogVersion returns the current version; 0 for a store whose
	// catalogue was never written since versions were kept.
	CatalogVersion(ctx context.Context) (uint64, error)
}
