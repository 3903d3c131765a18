package bolt

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"

	bbolt "go.etcd.io/bbolt"

	"github.com/manga-alert-italia/mangaalert/store"
	"github.com/manga-alert-italia/mangaalert/store/internal/check"
)

// Follow records that a subscriber follows a series, in both directions;
// following again keeps the first CreatedAt (a zero CreatedAt means now).
func (s *Store) Follow(ctx context.Context, f store.Follow) error {
	if err := followIDs(f.SubscriberID, f.SeriesID); err != nil {
		return err
	}
	if f.CreatedAt.IsZero() {
		f.CreatedAt = s.now()
	}
	owned, err := store.CleanOwned(f.OwnedUpTo, f.Owned)
	if err != nil {
		return fmt.Errorf("follow %s -> %s: %w", f.SubscriberID, f.SeriesID, err)
	}
	f.Owned = owned
	err = s.update(ctx, func(tx *bbolt.Tx) error {
		follows := tx.Bucket(bucketFollows)
		k := join(f.SubscriberID, f.SeriesID)
		if follows.Get(k) != nil {
			return nil
		}
		reader, err := readerNumber(tx, f.SubscriberID)
		if err != nil {
			return err
		}
		at := followValue(f, reader)
		if err := follows.Put(k, at); err != nil {
			return err
		}
		return tx.Bucket(bucketFollowers).Put(join(f.SeriesID, f.SubscriberID), at)
	})
	return wrap(err, "follow %s -> %s", f.SubscriberID, f.SeriesID)
}

func followIDs(subscriberID, seriesID string) error {
	if err := check.ID("subscriber id", subscriberID); err != nil {
		return fmt.Errorf("follow: %w", err)
	}
	if err := check.ID("series id", seriesID); err != nil {
		return fmt.Errorf("follow: %w", err)
	}
	return nil
}

// Unfollow removes a follow; nil when absent.
func (s *Store) Unfollow(ctx context.Context, subscriberID, seriesID string) error {
	if err := followIDs(subscriberID, seriesID); err != nil {
		return err
	}
	err := s.update(ctx, func(tx *bbolt.Tx) error {
		if err := tx.Bucket(bucketFollows).Delete(join(subscriberID, seriesID)); err != nil {
			return err
		}
		return tx.Bucket(bucketFollowers).Delete(join(seriesID, subscriberID))
	})
	return wrap(err, "unfollow %s -> %s", subscriberID, seriesID)
}

// FollowsOf returns a subscriber's follows, ordered by series id.
func (s *Store) FollowsOf(ctx context.Context, subscriberID string) ([]store.Follow, error) {
	out, err := s.scanFollows(ctx, bucketFollows, subscriberID, nil, nil, func(id, other string) store.Follow {
		return store.Follow{SubscriberID: id, SeriesID: other}
	})
	return out, wrap(err, "follows of %s", subscriberID)
}

// FollowersOf returns a series' followers, ordered by subscriber id: a
// prefix scan of the followers index, whose keys and values hold the whole
// Follow.
func (s *Store) FollowersOf(ctx context.Context, seriesID string) ([]store.Follow, error) {
	return s.FollowersOfAppend(ctx, seriesID, nil)
}

// FollowersOfAppend is FollowersOf appending to dst (a caller's slice
// reused from one series to the next: the notifier reads a million
// follows a run).
func (s *Store) FollowersOfAppend(ctx context.Context, seriesID string, dst []store.Follow) ([]store.Follow, error) {
	out, err := s.scanFollows(ctx, bucketFollowers, seriesID, dst, nil, func(id, other string) store.Follow {
		return store.Follow{SubscriberID: other, SeriesID: id}
	})
	return out, wrap(err, "followers of %s", seriesID)
}

// FollowedSeries returns the series with at least one follower, ordered by
// id: a walk of the followers index that seeks past each series' followers
// after its first, so it reads one key per followed series.
func (s *Store) FollowedSeries(ctx context.Context) ([]store.Series, error) {
	var out []store.Series
	err := s.view(ctx, func(tx *bbolt.Tx) error {
		c := tx.Bucket(bucketFollowers).Cursor()
		for k, _ := c.First(); k != nil; {
			id, _, ok := bytes.Cut(k, []byte{sep})
			if !ok {
				return fmt.Errorf("bad followers key %q", k)
			}
			sr, err := getSeries(tx, string(id))
			switch {
			case err == nil:
				out = append(out, sr)
			case !errors.Is(err, errMissing):
				return err
			}
			// id followed by a byte above the separator sorts after every
			// key of id's followers and before the next series.
			k, _ = c.Seek(append(bytes.Clone(id), sep+1))
		}
		return nil
	})
	return out, wrap(err, "followed series")
}

// scanFollows reads the follows under id in bucket, appending them to
// dst, and, when nums is not nil, their reader numbers to *nums (an error
// if one has none).
func (s *Store) scanFollows(ctx context.Context, bucket []byte, id string, dst []store.Follow, nums *[]uint32, mk func(id, other string) store.Follow) ([]store.Follow, error) {
	out := dst
	var nums0 int
	if nums != nil {
		nums0 = len(*nums)
	}
	err := s.view(ctx, func(tx *bbolt.Tx) error {
		p := prefix(id)
		// All the other ids go into one buffer, then one string: a
		// thousand followers cost two allocations, not a thousand.
		sc := getScratch()
		defer sc.put()
		buf, ends, times := sc.buf, sc.ends, sc.nums
		// Collections are decoded on the way: extras stays empty while
		// no follow has one.
		extras, owned := sc.extras[:0], sc.ints[:0]
		hasExtra := false
		c := tx.Bucket(bucket).Cursor()
		for k, v := c.Seek(p); k != nil && bytes.HasPrefix(k, p); k, v = c.Next() {
			buf = append(buf, k[len(p):]...)
			ends = append(ends, len(buf))
			if len(v) < 8 {
				return fmt.Errorf("follow %q: %w", k, errCorrupt)
			}
			times = append(times, getNanos(v[:8]))
			if len(v) > 8 {
				if !hasExtra {
					hasExtra = true
					extras = append(extras, make([]followExtra, len(ends)-1)...)
				}
				x, o, err := followTail(v, owned)
				if err != nil {
					return fmt.Errorf("follow %q: %w", k, err)
				}
				extras, owned = append(extras, x), o
				if nums != nil && x.reader != 0 {
					*nums = append(*nums, uint32(x.reader))
					continue
				}
			} else if hasExtra {
				extras = append(extras, followExtra{})
			}
			if nums != nil {
				return fmt.Errorf("follow %q has no reader number (the file was not opened for writing since an upgrade: open it once with this version): %w", k, errCorrupt)
			}
		}
		sc.buf, sc.ends, sc.nums, sc.extras, sc.ints = buf, ends, times, extras, owned
		owned = slices.Clone(owned) // what the results keep: one allocation
		all := string(buf)
		out = slices.Grow(dst, len(ends))[:len(dst)+len(ends)]
		res := out[len(dst):]
		start := 0
		for i, end := range ends {
			res[i] = mk(id, all[start:end])
			res[i].CreatedAt = nanosTime(times[i])
			if hasExtra {
				x := extras[i]
				res[i].OwnedUpTo, res[i].Reminders = x.upTo, x.reminds
				if x.to > x.from {
					res[i].Owned = owned[x.from:x.to:x.to]
				}
			}
			start = end
		}
		return nil
	})
	if err != nil && nums != nil {
		*nums = (*nums)[:nums0]
	}
	return out, err
}
