package bolt

import (
	"context"
	"encoding/binary"
	"fmt"
	"time"

	bbolt "go.etcd.io/bbolt"

	"github.com/manga-alert-italia/mangaalert/store/internal/check"
)

// Buckets of the budgets and the catalogue version, created on their first
// write (a file made before they existed opens as it is):
//
//	budgets   key -> events: count, then (time, id) each
//	meta      "catalog_version" -> uint64, big-endian;
//	          "follows-numbered" -> 1 (readers.go; created on open)
var (
	bucketBudgets = []byte("budgets")
	bucketMeta    = []byte("meta")
	keyCatalogVer = []byte("catalog_version")
)

// TakeBudget records one event under key if the sliding window has room
// (see store.Budgets), in one write transaction: one process holds the
// file, so the count is exact.
func (s *Store) TakeBudget(ctx context.Context, key, id string, limit int, window time.Duration, now time.Time) (bool, error) {
	if err := check.Budget(key, id, limit, window); err != nil {
		return false, err
	}
	var ok bool
	err := s.update(ctx, func(tx *bbolt.Tx) error {
		b, err := tx.CreateBucketIfNotExists(bucketBudgets)
		if err != nil {
			return err
		}
		events, err := decodeEvents(b.Get([]byte(key)))
		if err != nil {
			return err
		}
		kept, took, write := check.Take(events, id, limit, window, now)
		ok = took
		switch {
		case !write:
			return nil
		case len(kept) == 0:
			return b.Delete([]byte(key))
		}
		return b.Put([]byte(key), encodeEvents(kept))
	})
	return ok, wrap(err, "take budget %s", key)
}

func encodeEvents(es []check.Event) []byte {
	e := newEncoder(16 + 32*len(es))
	e.int(int64(len(es)))
	for _, ev := range es {
		e.time(ev.At)
		e.str(ev.ID)
	}
	return e.b
}

func decodeEvents(b []byte) ([]check.Event, error) {
	if b == nil {
		return nil, nil
	}
	d := newDecoder(b)
	n := d.int()
	if n < 0 || n > check.MaxBudget {
		return nil, errCorrupt
	}
	out := make([]check.Event, 0, n)
	for range n {
		out = append(out, check.Event{At: d.time(), ID: d.str()})
	}
	if d.err != nil {
		return nil, fmt.Errorf("budget events: %w", d.err)
	}
	return out, nil
}

// CatalogVersion returns the catalogue's version (see
// store.CatalogVersioner).
func (s *Store) CatalogVersion(ctx context.Context) (uint64, error) {
	var v uint64
	err := s.view(ctx, func(tx *bbolt.Tx) error {
		v = catalogVersion(tx)
		return nil
	})
	return v, wrap(err, "catalog version")
}

func catalogVersion(tx *bbolt.Tx) uint64 {
	if b := tx.Bucket(bucketMeta); b != nil {
		if v := b.Get(keyCatalogVer); len(v) == 8 {
			return binary.BigEndian.Uint64(v)
		}
	}
	return 0
}

// bumpCatalog moves the catalogue's version, in the transaction that
// changes the catalogue.
func bumpCatalog(tx *bbolt.Tx) error {
	b, err := tx.CreateBucketIfNotExists(bucketMeta)
	if err != nil {
		return err
	}
	return b.Put(keyCatalogVer, binary.BigEndian.AppendUint64(nil, catalogVersion(tx)+1))
}
