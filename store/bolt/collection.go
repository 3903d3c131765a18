package bolt

import (
	"context"
	"encoding/binary"
	"fmt"

	bbolt "go.etcd.io/bbolt"

	"github.com/manga-alert-italia/mangaalert/store"
)

// A follow's value is its CreatedAt (8 bytes, putTime), then the
// collection and reminders: OwnedUpTo (uvarint), Reminders (one byte), the
// count of Owned (uvarint) and each owned number as the uvarint gap from
// the one before; then the reader's number (uvarint, readers.go). Values
// written before are read as they were: one of 8 bytes (before
// collections) as no collection, one that ends after the collection
// (before reader numbers) as no number, until numberFollows rewrites it.
func followValue(f store.Follow, reader uint64) []byte {
	b := putTime(f.CreatedAt)
	if reader == 0 && f.OwnedUpTo == 0 && len(f.Owned) == 0 && f.Reminders == 0 {
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
	if reader != 0 {
		b = binary.AppendUvarint(b, reader)
	}
	return b
}

// followExtra is a follow's collection and reader number as a scan
// decodes them: the owned numbers are owned[from:to] of the scan's one
// shared slice.
type followExtra struct {
	upTo     int
	reminds  store.Remind
	from, to int
	reader   uint64 // 0: none yet
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
	if len(b) > 0 {
		if x.reader, ok = next(); !ok || x.reader == 0 || len(b) > 0 {
			return x, owned, errCorrupt
		}
	}
	return x, owned, nil
}

// followVal is a whole follow value decoded, for the writes that keep
// what they do not change.
type followVal struct {
	f      store.Follow // CreatedAt and the collection
	reader uint64
}

func decodeFollowValue(v []byte) (followVal, error) {
	if len(v) < 8 {
		return followVal{}, errCorrupt
	}
	x, owned, err := followTail(v, nil)
	if err != nil {
		return followVal{}, err
	}
	return followVal{f: store.Follow{CreatedAt: nanosTime(getNanos(v[:8])), OwnedUpTo: x.upTo,
		Reminders: x.reminds, Owned: owned}, reader: x.reader}, nil
}

func (fv followVal) encode() []byte { return followValue(fv.f, fv.reader) }

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
		was, err := decodeFollowValue(old)
		if err != nil {
			return fmt.Errorf("follow %q: %w", k, err)
		}
		f.CreatedAt = was.f.CreatedAt
		if was.reader == 0 { // not numbered yet: prepare numbers on open
			if was.reader, err = readerNumber(tx, f.SubscriberID); err != nil {
				return err
			}
		}
		v := followValue(f, was.reader)
		if err := follows.Put(k, v); err != nil {
			return err
		}
		return tx.Bucket(bucketFollowers).Put(join(f.SeriesID, f.SubscriberID), v)
	})
	return wrap(err, "update follow %s -> %s", f.SubscriberID, f.SeriesID)
}
