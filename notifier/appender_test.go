package notifier_test

import (
	"context"

	"github.com/manga-alert-italia/mangaalert/notifier"
	"github.com/manga-alert-italia/mangaalert/store"
	"github.com/manga-alert-italia/mangaalert/store/bolt"
)

// The embedded store lets the plan reuse its slices.
var _ notifier.Appender = (*bolt.Store)(nil)

// The fault-injecting wrapper passes the appending reads through (counted
// as the plain reads they stand for), so the benchmark and the fault
// tests take the path a bolt store takes.
func (f *faultyStore) FollowersOfAppend(ctx context.Context, id string, dst []store.Follow) ([]store.Follow, error) {
	return do(f, "FollowersOf", func() ([]store.Follow, error) {
		if a, ok := f.Store.(notifier.Appender); ok {
			return a.FollowersOfAppend(ctx, id, dst)
		}
		fs, err := f.Store.FollowersOf(ctx, id)
		return append(dst, fs...), err
	})
}

func (f *faultyStore) AlertsOfVolumeAppend(ctx context.Context, id string, dst []store.Alert) ([]store.Alert, error) {
	return do(f, "AlertsOfVolume", func() ([]store.Alert, error) {
		if a, ok := f.Store.(notifier.Appender); ok {
			return a.AlertsOfVolumeAppend(ctx, id, dst)
		}
		as, err := f.Store.AlertsOfVolume(ctx, id)
		return append(dst, as...), err
	})
}
