package bolt

import (
	"bytes"
	"slices"

	bbolt "go.etcd.io/bbolt"

	"github.com/manga-alert-italia/mangaalert/store"
)

// LoadForBench writes follows and alerts (none Claimed) with the store's
// own keys and encoding, each bucket in key order in large transactions:
// the benchmarks' fixtures are millions of records, which one transaction
// each would take many minutes to write.
func (s *Store) LoadForBench(follows []store.Follow, alerts []store.Alert) error {
	type kv struct{ k, v []byte }
	load := func(bucket []byte, kvs []kv) error {
		slices.SortFunc(kvs, func(a, b kv) int { return bytes.Compare(a.k, b.k) })
		const chunk = 250_000
		for len(kvs) > 0 {
			n := min(chunk, len(kvs))
			err := s.db.Update(func(tx *bbolt.Tx) error {
				b := tx.Bucket(bucket)
				b.FillPercent = 0.95 // appending in order: fill the pages
				for _, e := range kvs[:n] {
					if err := b.Put(e.k, e.v); err != nil {
						return err
					}
				}
				return nil
			})
			if err != nil {
				return err
			}
			kvs = kvs[n:]
		}
		return nil
	}
	readers := map[string]uint64{}
	err := s.db.Update(func(tx *bbolt.Tx) error {
		for _, f := range follows {
			if _, ok := readers[f.SubscriberID]; ok {
				continue
			}
			n, err := readerNumber(tx, f.SubscriberID)
			if err != nil {
				return err
			}
			readers[f.SubscriberID] = n
		}
		return nil
	})
	if err != nil {
		return err
	}
	var fw, rv, al, as []kv
	for _, f := range follows {
		at := followValue(f, readers[f.SubscriberID])
		fw = append(fw, kv{join(f.SubscriberID, f.SeriesID), at})
		rv = append(rv, kv{join(f.SeriesID, f.SubscriberID), at})
	}
	for _, a := range alerts {
		al = append(al, kv{alertKey(a.AlertKey), encodeAlert(a)})
		as = append(as, kv{subAlertKey(a.AlertKey), nil})
	}
	for _, l := range []struct {
		b   []byte
		kvs []kv
	}{{bucketFollows, fw}, {bucketFollowers, rv}, {bucketAlerts, al}, {bucketAlertSub, as}} {
		if err := load(l.b, l.kvs); err != nil {
			return err
		}
	}
	return nil
}
