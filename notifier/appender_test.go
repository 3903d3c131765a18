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

// The embedded store numbers the readers of its follows.
var _ notifier.NumberedFollowers = (*bolt.Store)(nil)

// FollowersOfNumberedAppend passes the numbered read through (counted as
// FollowersOf); over a store that does not number its readers, the
// wrapper numbers them itself, in the order it meets them.
func (f *faultyStore) FollowersOfNumberedAppend(ctx context.Context, id string, dst []store.Follow, nums []uint32) ([]store.Follow, []uint32, error) {
	out, err := do(f, "FollowersOf", func() ([]store.Follow, error) {
		if nf, ok := f.Store.(notifier.NumberedFollowers); ok {
			var out []store.Follow
			var err error
			out, nums, err = nf.FollowersOfNumberedAppend(ctx, id, dst, nums)
			return out, err
		}
		fs, err := f.Store.FollowersOf(ctx, id)
		f.mu.Lock()
		defer f.mu.Unlock()
		if f.numbers == nil {
			f.numbers = map[string]uint32{}
		}
		for _, fl := range fs {
			n, ok := f.numbers[fl.SubscriberID]
			if !ok {
				n = uint32(len(f.numbers) + 1)
				f.numbers[fl.SubscriberID] = n
			}
			nums = append(nums, n)
		}
		return append(dst, fs...), err
	})
	return out, nums, err
}
