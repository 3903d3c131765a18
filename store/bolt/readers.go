package bolt

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"math"

	bbolt "go.etcd.io/bbolt"

	"github.com/manga-alert-italia/mangaalert/store"
)

// Reader numbers: every subscriber id that follows a series is given a
// number, once, from a sequence, kept in bucketReaderNum and at the end of
// each of its follows' values. The notifier files a million follows by
// reader with a counting sort on them (FollowersOfNumberedAppend), where
// it would otherwise hash and check a million ids. A number is never
// given to another id: a deleted reader's stays unused.

// metaReaderNumbers marks a file whose follows all carry their reader's
// number (numberFollows has run, or the file began with them).
var metaReaderNumbers = []byte("follows-numbered")

// readerNumber returns id's number, giving it the next one when it has
// none yet.
func readerNumber(tx *bbolt.Tx, id string) (uint64, error) {
	b := tx.Bucket(bucketReaderNum)
	if v := b.Get([]byte(id)); v != nil {
		n, k := binary.Uvarint(v)
		if k != len(v) || n == 0 {
			return 0, fmt.Errorf("reader number of %q: %w", id, errCorrupt)
		}
		return n, nil
	}
	n, err := b.NextSequence()
	if err != nil {
		return 0, err
	}
	if n > math.MaxUint32 {
		return 0, fmt.Errorf("reader number of %q: more than %d readers have followed a series in this file", id, uint64(math.MaxUint32))
	}
	return n, b.Put([]byte(id), binary.AppendUvarint(nil, n))
}

// numberChunk is how many follows numberFollows walks per transaction:
// a file of a million follows is numbered in a few seconds, in memory a
// transaction of that size keeps small.
var numberChunk = 50_000

// numberFollows gives the follows written before reader numbers their
// reader's number, in both indexes, a chunk per transaction, then marks
// the file done: prepare runs it until the mark is there. A chunk done
// stays done; a walk cut short starts again and passes over it.
func (s *Store) numberFollows() (int, error) {
	var after []byte
	total := 0
	for {
		var n int
		var done bool
		err := s.db.Update(func(tx *bbolt.Tx) error {
			var err error
			n, after, done, err = numberSome(tx, after)
			return err
		})
		if err != nil {
			return total, err
		}
		total += n
		if done {
			break
		}
	}
	err := s.db.Update(func(tx *bbolt.Tx) error { return tx.Bucket(bucketMeta).Put(metaReaderNumbers, []byte{1}) })
	return total, err
}

// numberSome numbers the follows among numberChunk walked past after (the
// start: nil), returning how many it numbered, the last key walked and
// whether the walk reached the end.
func numberSome(tx *bbolt.Tx, after []byte) (int, []byte, bool, error) {
	follows, followers := tx.Bucket(bucketFollows), tx.Bucket(bucketFollowers)
	type todoFollow struct {
		k  []byte
		fv followVal
	}
	var todo []todoFollow
	c := follows.Cursor()
	k, v := c.First()
	if after != nil {
		if k, v = c.Seek(after); bytes.Equal(k, after) {
			k, v = c.Next()
		}
	}
	walked := 0
	var last []byte
	for ; k != nil && walked < numberChunk; k, v = c.Next() {
		walked++
		last = k
		fv, err := decodeFollowValue(v)
		if err != nil {
			return 0, nil, false, fmt.Errorf("follow %q: %w", k, err)
		}
		if fv.reader == 0 {
			todo = append(todo, todoFollow{bytes.Clone(k), fv})
		}
	}
	done := k == nil
	last = bytes.Clone(last)
	// Written after the walk: a bucket changed under its cursor moves it.
	for _, e := range todo {
		sub, series, ok := bytes.Cut(e.k, []byte{sep})
		if !ok {
			return 0, nil, false, fmt.Errorf("follow key %q: %w", e.k, errCorrupt)
		}
		fv := e.fv
		var err error
		if fv.reader, err = readerNumber(tx, string(sub)); err != nil {
			return 0, nil, false, err
		}
		nv := fv.encode()
		if err := follows.Put(e.k, nv); err != nil {
			return 0, nil, false, err
		}
		if err := followers.Put(join(string(series), string(sub)), nv); err != nil {
			return 0, nil, false, err
		}
	}
	return len(todo), last, done, nil
}

// FollowersOfNumberedAppend is FollowersOfAppend that also appends to
// nums each follower's reader number: one per subscriber id, the same in
// every series, never another id's, at least 1, and no more than the
// readers that ever followed a series here (the notifier's plan).
func (s *Store) FollowersOfNumberedAppend(ctx context.Context, seriesID string, dst []store.Follow, nums []uint32) ([]store.Follow, []uint32, error) {
	out, err := s.scanFollows(ctx, bucketFollowers, seriesID, dst, &nums, func(id, other string) store.Follow {
		return store.Follow{SubscriberID: other, SeriesID: id}
	})
	return out, nums, wrap(err, "numbered followers of %s", seriesID)
}
