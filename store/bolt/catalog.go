package bolt

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"time"

	bbolt "go.etcd.io/bbolt"

	"github.com/manga-alert-italia/mangaalert/store"
	"github.com/manga-alert-italia/mangaalert/store/internal/check"
)

// PutSeries creates or updates a series; aliases accumulate. An unchanged
// series costs no write transaction.
func (s *Store) PutSeries(ctx context.Context, sr store.Series) error {
	if err := check.Series(sr); err != nil {
		return err
	}
	changed := true
	err := s.view(ctx, func(tx *bbolt.Tx) error {
		old, err := getSeries(tx, sr.ID)
		if err != nil && !errors.Is(err, errMissing) {
			return err
		}
		_, changed = check.MergeSeries(old, sr)
		return nil
	})
	if err != nil || !changed {
		return wrap(err, "put series %s", sr.ID)
	}
	err = s.update(ctx, func(tx *bbolt.Tx) error {
		old, err := getSeries(tx, sr.ID)
		if err != nil && !errors.Is(err, errMissing) {
			return err
		}
		m, write := check.MergeSeries(old, sr)
		if !write {
			return nil
		}
		if err := tx.Bucket(bucketSeries).Put([]byte(sr.ID), encodeSeries(m)); err != nil {
			return err
		}
		return bumpCatalog(tx)
	})
	return wrap(err, "put series %s", sr.ID)
}

func getSeries(tx *bbolt.Tx, id string) (store.Series, error) {
	b := tx.Bucket(bucketSeries).Get([]byte(id))
	if b == nil {
		return store.Series{}, errMissing
	}
	return decodeSeries(b)
}

// Series returns one series.
func (s *Store) Series(ctx context.Context, id string) (store.Series, error) {
	var sr store.Series
	err := s.view(ctx, func(tx *bbolt.Tx) (err error) {
		sr, err = getSeries(tx, id)
		return err
	})
	return sr, wrap(err, "series %s", id)
}

// ListSeries returns every series, ordered by id.
func (s *Store) ListSeries(ctx context.Context) ([]store.Series, error) {
	var out []store.Series
	err := s.view(ctx, func(tx *bbolt.Tx) error {
		b := tx.Bucket(bucketSeries)
		out = make([]store.Series, 0, b.Stats().KeyN)
		return b.ForEach(func(_, v []byte) error {
			sr, err := decodeSeries(v)
			out = append(out, sr)
			return err
		})
	})
	return out, wrap(err, "list series")
}

// UpsertVolumes merges each volume into its stored record (store.Merge) in
// one transaction, writing only the records and index entries that
// changed. When nothing changes no write transaction is opened at all.
func (s *Store) UpsertVolumes(ctx context.Context, vs []store.Volume, now time.Time) ([]store.UpsertResult, error) {
	in := make([]store.Volume, len(vs))
	for i, v := range vs {
		var err error
		if in[i], err = check.Volume(v); err != nil {
			return nil, fmt.Errorf("upsert volumes: %w", err)
		}
	}
	// A scrape repeated over the same pages changes nothing: find that out
	// in a read transaction, which costs no fsync.
	var results []store.UpsertResult
	var writes int
	err := s.view(ctx, func(tx *bbolt.Tx) (err error) {
		results, writes, err = upsert(tx, in, now, false)
		return err
	})
	if err != nil || writes == 0 {
		return results, wrap(err, "upsert volumes")
	}
	err = s.update(ctx, func(tx *bbolt.Tx) (err error) {
		if results, writes, err = upsert(tx, in, now, true); err != nil {
			return err
		}
		for _, r := range results {
			if r.Outcome != store.Unchanged {
				return bumpCatalog(tx)
			}
		}
		return nil
	})
	if err != nil {
		return nil, wrap(err, "upsert volumes")
	}
	s.log.Debug("upserted volumes", "count", len(in), "written", writes)
	return results, nil
}

// upsert merges vs in tx and, when write is set, writes what changed. It
// returns how many records need (or got) a write. Volumes repeated in vs
// see the earlier ones' merge, written or not.
func upsert(tx *bbolt.Tx, vs []store.Volume, now time.Time, write bool) ([]store.UpsertResult, int, error) {
	vols := tx.Bucket(bucketVolumes)
	pending := map[string]store.Volume{} // merged in this call, for repeats
	results := make([]store.UpsertResult, len(vs))
	writes := 0
	for i, v := range vs {
		old, seen := pending[v.ID]
		if !seen {
			if b := vols.Get([]byte(v.ID)); b != nil {
				var err error
				if old, err = decodeVolume(b); err != nil {
					return nil, 0, fmt.Errorf("volume %s: %w", v.ID, err)
				}
				seen = true
			}
		}
		var m store.Volume
		r := store.UpsertResult{ID: v.ID}
		switch {
		case !seen:
			m, r.Outcome = check.New(v, now), store.Created
		default:
			var changed []string
			var w bool
			m, changed, w = store.Merge(old, v, now)
			r.Outcome = store.Unchanged
			if len(changed) > 0 {
				r.Outcome, r.Changed, r.Before = store.Updated, changed, old
			}
			if !w {
				results[i] = r
				continue
			}
		}
		results[i] = r
		pending[v.ID] = m
		writes++
		if write {
			if err := putVolume(tx, old, seen, m); err != nil {
				return nil, 0, fmt.Errorf("volume %s: %w", v.ID, err)
			}
		}
	}
	return results, writes, nil
}

// putVolume writes m and moves its index entries when their keys changed.
// old is the record as stored (or as written earlier in this transaction).
func putVolume(tx *bbolt.Tx, old store.Volume, existed bool, m store.Volume) error {
	enc := encodeVolume(m)
	if err := tx.Bucket(bucketVolumes).Put([]byte(m.ID), enc); err != nil {
		return err
	}
	byDate, bySeries := tx.Bucket(bucketVolDate), tx.Bucket(bucketVolSer)
	if existed {
		if ok := dateKey(old.ReleaseDate, old.ID); !bytes.Equal(ok, dateKey(m.ReleaseDate, m.ID)) {
			if err := byDate.Delete(ok); err != nil {
				return err
			}
		}
		if ok := seriesKey(old); !bytes.Equal(ok, seriesKey(m)) {
			if err := bySeries.Delete(ok); err != nil {
				return err
			}
		}
	}
	if err := byDate.Put(dateKey(m.ReleaseDate, m.ID), enc); err != nil {
		return err
	}
	return bySeries.Put(seriesKey(m), nil)
}

// Volume returns one volume.
func (s *Store) Volume(ctx context.Context, id string) (store.Volume, error) {
	var v store.Volume
	err := s.view(ctx, func(tx *bbolt.Tx) error {
		b := tx.Bucket(bucketVolumes).Get([]byte(id))
		if b == nil {
			return errMissing
		}
		var err error
		v, err = decodeVolume(b)
		return err
	})
	return v, wrap(err, "volume %s", id)
}

// VolumesOfSeries returns a series' volumes by number, then edition (in
// store.Editions order), then id.
func (s *Store) VolumesOfSeries(ctx context.Context, seriesID string) ([]store.Volume, error) {
	var out []store.Volume
	err := s.view(ctx, func(tx *bbolt.Tx) error {
		vols := tx.Bucket(bucketVolumes)
		p := prefix(seriesID)
		c := tx.Bucket(bucketVolSer).Cursor()
		for k, _ := c.Seek(p); k != nil && bytes.HasPrefix(k, p); k, _ = c.Next() {
			id := k[len(p)+9:]
			b := vols.Get(id)
			if b == nil {
				return fmt.Errorf("index names volume %s, which is missing", id)
			}
			v, err := decodeVolume(b)
			if err != nil {
				return err
			}
			out = append(out, v)
		}
		return nil
	})
	return out, wrap(err, "volumes of series %s", seriesID)
}

// VolumesReleasing returns the volumes releasing in [from, to], by date
// then id: one range scan of the date index, which holds the records.
func (s *Store) VolumesReleasing(ctx context.Context, from, to store.Date) ([]store.Volume, error) {
	if from.IsZero() || to.IsZero() {
		return nil, fmt.Errorf("volumes releasing: want two known dates, got %q and %q", from, to)
	}
	out, err := s.scanDates(ctx, from, to.AddDays(1))
	return out, wrap(err, "volumes releasing %s..%s", from, to)
}

// UpcomingVolumes returns the volumes releasing on or after from, by date
// then id, followed by the undated ones.
func (s *Store) UpcomingVolumes(ctx context.Context, from store.Date) ([]store.Volume, error) {
	if from.IsZero() {
		return nil, fmt.Errorf("upcoming volumes: want a known date to start from")
	}
	out, err := s.scanDates(ctx, from, store.Date{})
	return out, wrap(err, "upcoming volumes from %s", from)
}

// scanDates reads the date index from from (inclusive) to end (exclusive;
// the zero Date means to the end, undated included).
func (s *Store) scanDates(ctx context.Context, from, end store.Date) ([]store.Volume, error) {
	var out []store.Volume
	err := s.view(ctx, func(tx *bbolt.Tx) error {
		var stop []byte
		if !end.IsZero() {
			stop = dateBound(end)
		}
		// The records are copied into one buffer, then one string: the
		// strings of every volume cost one allocation.
		sc := getScratch()
		defer sc.put()
		buf, ends := sc.buf, sc.ends
		c := tx.Bucket(bucketVolDate).Cursor()
		for k, val := c.Seek(dateBound(from)); k != nil; k, val = c.Next() {
			if stop != nil && bytes.Compare(k, stop) >= 0 {
				break
			}
			buf = append(buf, val...)
			ends = append(ends, len(buf))
		}
		sc.buf, sc.ends = buf, ends
		all := string(buf)
		out = make([]store.Volume, len(ends))
		start := 0
		for i, end := range ends {
			var err error
			if out[i], err = decodeVolumeFrom(stringDecoder(all[start:end])); err != nil {
				return err
			}
			start = end
		}
		return nil
	})
	return out, err
}
