package bolt

import (
	"context"
	"encoding/binary"
	"fmt"

	bbolt "go.etcd.io/bbolt"

	"github.com/manga-alert-italia/mangaalert/store"
)

// A follow's value is its CreatedAt (8 bytes, putTime), then, only when
// the reader set any, the collection and reminders: OwnedUpTo (uvarint),
// Reminders (one byte), the count of Owned (uvarint) and each owned
// number as the uvarint gap from the one before. A value of 8 bytes,
// written before collections were kept, reads as none.
func followValue(f store.Follow) []byte {
	b := putTime(f.CreatedAt)
	if f.OwnedUpTo == 0 && len(f.Owned) == 0 && f.Reminders == 0 {
		return b
	}
	b = binary.AppendUvarint(b, uint64(f.OwnedUpTo))
	b = append(b, byte(f.Reminders))
	b = binary.AppendUvarint(b, uint64(len(f.Owned)))
	prev := 0
	for _, n := range f.Owned {
		b = binary.AppendUvarint(b, uint64(n-prev))
		prev = n
	}
	return b
}

// followExtra is a follow's collection as a scan decodes it: the owned
// numbers are owned[from:to] of the scan's one shared slice.
type followExtra struct {
	upTo     int
	reminds  store.Remind
	from, to int
}

// followTail decodes what followValue writes after the time, appending the
// owned numbers to owned (one backing array for a whole scan).
func followTail(v []byte, owned []int) (followExtra, []int, error) {
	x := followExtra{from: len(owned), to: len(owned)}
	if len(v) <= 8 {
		return x, owned, nil
	}
	b := v[8:]
	next := func() (uint64, bool) {
		u, n := binary.Uvarint(b)
		if n <= 0 {
			return 0, false
		}
		b = b[n:]
		return u, true
	}
	up, ok := next()
	if !ok || len(b) == 0 {
		return x, owned, errCorrupt
	}
	x.upTo, x.reminds, b = int(up), store.Remind(b[0]), b[1:]
	n, ok := next()
	if !ok || n > uint64(len(b)) {
		return x, owned, errCorrupt
	}
	prev := 0
	for range n {
		gap, ok := next()
		if !ok {
			return x, owned, errCorrupt
		}
		prev += int(gap)
		owned = append(owned, prev)
	}
	x.to = len(owned)
	return x, owned, nil
}

// UpdateFollow rewrites the follow's value in both indexes, keeping its
// CreatedAt; ErrNotFound when the reader does not follow the series.
func (s *Store) UpdateFollow(ctx context.Context, f store.Follow) error {
	if err := followIDs(f.SubscriberID, f.SeriesID); err != nil {
		return err
	}
	owned, err := store.CleanOwned(f.OwnedUpTo, f.Owned)
	if err != nil {
		return fmt.Errorf("update follow %s -> %s: %w", f.SubscriberID, f.SeriesID, err)
	}
	f.Owned = owned
	err = s.update(ctx, func(tx *bbolt.Tx) error {
		follows := tx.Bucket(bucketFollows)
		k := join(f.SubscriberID, f.SeriesID)
		old := follows.Get(k)
		if old == nil {
			return store.ErrNotFound
		}
		f.CreatedAt = nanosTime(getNanos(old[:8]))
		v := followValue(f)
		if err := follows.Put(k, v); err != nil {
			return err
		}
		return tx.Bucket(bucketFollowers).Put(join(f.SeriesID, f.SubscriberID), v)
	})
	return wrap(err, "update follow %s -> %s", f.SubscriberID, f.SeriesID)
}
