package bolt

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"time"

	bbolt "go.etcd.io/bbolt"

	"github.com/manga-alert-italia/mangaalert/store"
)

// AlertBriefsOfVolumeAppend is AlertsOfVolume cut down to what the
// notifier's planning reads (store.AlertBrief), appended to dst: the same
// prefix scan, decoded straight from bbolt's bytes. Only the subscriber
// ids, the run ids of claims and the rare kinds are copied (into one
// string for the whole volume); message ids and errors are skipped, and a
// time is decoded only where At keeps it. Same order as AlertsOfVolume,
// and for each alert a the same answer as a.Brief().
//
// known are ids in ascending order (nil: none), those of the volume's
// likely readers: an alert of one of them takes known's string for its
// SubscriberID rather than a copy (the notifier's plan passes the
// series' followers, and a million copies a plan were a fifth of the
// time of this read).
func (s *Store) AlertBriefsOfVolumeAppend(ctx context.Context, volumeID string, known []string, dst []store.AlertBrief) ([]store.AlertBrief, error) {
	out := dst
	err := s.view(ctx, func(tx *bbolt.Tx) error {
		p := prefix(volumeID)
		sc := getScratch()
		defer sc.put()
		// buf holds, per alert, its subscriber id unless known holds it,
		// then its kind unless alertKind knows it, then its run id when
		// claimed; ends holds where each of the three ends (an empty
		// piece: not copied).
		buf, ends := sc.buf, sc.ends
		ki := 0 // known[:ki] sort before the alerts still to come
		c := tx.Bucket(bucketAlerts).Cursor()
		for k, v := c.Seek(p); k != nil && bytes.HasPrefix(k, p); k, v = c.Next() {
			key := k[len(p):]
			j := bytes.IndexByte(key, sep)
			if j < 0 {
				return fmt.Errorf("alert key %q: %w", k, errCorrupt)
			}
			out = append(out, store.AlertBrief{})
			a := &out[len(out)-1]
			run, err := briefOf(v, a)
			if err != nil {
				return fmt.Errorf("alert %q: %w", k, err)
			}
			a.Kind = commonKind(key[j+1:])
			sub := key[:j]
			for ki < len(known) && known[ki] < string(sub) { // compared in place
				ki++
			}
			if ki < len(known) && known[ki] == string(sub) {
				a.SubscriberID = known[ki]
			} else {
				buf = append(buf, sub...)
			}
			ends = append(ends, len(buf))
			if a.Kind == "" {
				buf = append(buf, key[j+1:]...)
			}
			ends = append(ends, len(buf))
			buf = append(buf, run...)
			ends = append(ends, len(buf))
		}
		sc.buf, sc.ends = buf, ends
		all := string(buf)
		res := out[len(dst):]
		start := 0
		for i := range res {
			e := ends[3*i : 3*i+3 : 3*i+3]
			if e[0] > start { // else known's, set above
				res[i].SubscriberID = all[start:e[0]]
			}
			if e[1] > e[0] {
				res[i].Kind = store.AlertKind(all[e[0]:e[1]])
			}
			if e[2] > e[1] {
				res[i].RunID = all[e[1]:e[2]]
			}
			start = e[2]
		}
		return nil
	})
	if err != nil {
		// Nothing half-read is handed back: dst as it came.
		clear(out[len(dst):])
		out = dst
	}
	return out, wrap(err, "alert briefs of volume %s", volumeID)
}

// commonKind is alertKind for bbolt's bytes: "" when the kind is not one
// of the common ones (the caller copies it then).
func commonKind(b []byte) store.AlertKind {
	switch string(b) { // compared in place, not converted
	case string(store.Announce):
		return store.Announce
	case "remind-30":
		return "remind-30"
	case "remind-7":
		return "remind-7"
	case "remind-1":
		return "remind-1"
	}
	return ""
}

// briefOf reads an alert's record (encodeAlert) into b as decodeAlertFrom
// and Alert.Brief would (but the subscriber and kind, from the key): the
// run id (returned, aliasing the record's bytes) and ClaimedAt only while
// claimed, UpdatedAt otherwise. A record that ends early reads its missing
// fields as zero, as decoder does.
func briefOf(v []byte, b *store.AlertBrief) (run []byte, err error) {
	if len(v) == 0 || v[0] != codecVersion {
		return nil, errCorrupt
	}
	r := byteReader{b: v[1:]}
	b.State = stateOf(r.str())
	run = r.str()
	r.str() // MessageID
	r.str() // Error
	b.ReleaseDate = numDate(uint32(r.int()))
	if b.State == store.Claimed {
		b.At = r.time()
		r.skipTime() // UpdatedAt, read for a corrupt record's sake
	} else {
		run = nil
		r.skipTime() // ClaimedAt
		b.At = r.time()
	}
	return run, r.err
}

// stateOf is alertState for bbolt's bytes, allocating only for a state it
// does not know.
func stateOf(b []byte) store.AlertState {
	switch string(b) {
	case string(store.Sent):
		return store.Sent
	case string(store.Claimed):
		return store.Claimed
	case string(store.Failed):
		return store.Failed
	case string(store.Uncertain):
		return store.Uncertain
	}
	return store.AlertState(b)
}

// byteReader is decoder over bbolt's bytes, without copying them: what it
// returns lives as long as the transaction.
type byteReader struct {
	b   []byte
	err error
}

func (r *byteReader) fail() { r.err, r.b = errCorrupt, nil }

func (r *byteReader) uvarint() uint64 {
	if len(r.b) == 0 {
		return 0 // a field appended after this record was written
	}
	if c := r.b[0]; c < 0x80 { // lengths, states, most of a record: one byte
		r.b = r.b[1:]
		return uint64(c)
	}
	v, n := binary.Uvarint(r.b)
	if n <= 0 {
		r.fail()
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *byteReader) int() int64 {
	u := r.uvarint()
	v := int64(u >> 1)
	if u&1 != 0 {
		v = ^v
	}
	return v
}

func (r *byteReader) str() []byte {
	n := r.uvarint()
	if n > uint64(len(r.b)) {
		r.fail()
		return nil
	}
	s := r.b[:n]
	r.b = r.b[n:]
	return s
}

// skipTime passes over a time without building it.
func (r *byteReader) skipTime() {
	if len(r.b) == 0 {
		return
	}
	set := r.b[0]
	r.b = r.b[1:]
	if set != 0 {
		r.uvarint()
		r.uvarint()
	}
}

func (r *byteReader) time() time.Time {
	if len(r.b) == 0 {
		return time.Time{}
	}
	set := r.b[0]
	r.b = r.b[1:]
	if set == 0 {
		return time.Time{}
	}
	sec := r.int()
	nsec := r.uvarint()
	return time.Unix(sec, int64(nsec)).UTC()
}
