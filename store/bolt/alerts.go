package bolt

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	bbolt "go.etcd.io/bbolt"

	"github.com/manga-alert-italia/mangaalert/store"
	"github.com/manga-alert-italia/mangaalert/store/internal/check"
)

// An alert's record is keyed volume first, so the notifier's question
// "which alerts does this volume have" is one prefix scan of the records
// themselves.
func alertKey(k store.AlertKey) []byte { return join(k.VolumeID, k.SubscriberID, string(k.Kind)) }

func subAlertKey(k store.AlertKey) []byte {
	return join(k.SubscriberID, k.VolumeID, string(k.Kind))
}

func claimKey(a store.Alert) []byte { return timeKey(a.ClaimedAt, string(alertKey(a.AlertKey))) }

// ClaimAlert records a as Claimed unless its key exists in any state
// (ErrClaimed). bbolt runs one write transaction at a time, so the
// check-then-put inside it is atomic: exactly one claim of a key succeeds.
// A zero ClaimedAt means now.
func (s *Store) ClaimAlert(ctx context.Context, a store.Alert) error {
	if err := check.AlertKey(a.AlertKey); err != nil {
		return fmt.Errorf("claim alert: %w", err)
	}
	if a.ClaimedAt.IsZero() {
		a.ClaimedAt = s.now()
	}
	a.State, a.UpdatedAt, a.MessageID, a.Error = store.Claimed, a.ClaimedAt, "", ""
	err := s.update(ctx, func(tx *bbolt.Tx) error {
		alerts := tx.Bucket(bucketAlerts)
		k := alertKey(a.AlertKey)
		if alerts.Get(k) != nil {
			return store.ErrClaimed
		}
		if tx.Bucket(bucketSubs).Get([]byte(a.SubscriberID)) == nil {
			return fmt.Errorf("subscriber %s: %w", a.SubscriberID, store.ErrNotFound)
		}
		return putAlert(tx, store.Alert{}, a)
	})
	return wrap(err, "claim alert %s", a.AlertKey)
}

// putAlert writes a and moves its claimed-index entry from old (the zero
// Alert when new).
func putAlert(tx *bbolt.Tx, old, a store.Alert) error {
	if err := tx.Bucket(bucketAlerts).Put(alertKey(a.AlertKey), encodeAlert(a)); err != nil {
		return err
	}
	if old.State == "" {
		if err := tx.Bucket(bucketAlertSub).Put(subAlertKey(a.AlertKey), nil); err != nil {
			return err
		}
	}
	claims := tx.Bucket(bucketAlertClaim)
	if old.State == store.Claimed {
		if err := claims.Delete(claimKey(old)); err != nil {
			return err
		}
	}
	if a.State == store.Claimed {
		return claims.Put(claimKey(a), nil)
	}
	return nil
}

func getAlert(tx *bbolt.Tx, k store.AlertKey) (store.Alert, error) {
	b := tx.Bucket(bucketAlerts).Get(alertKey(k))
	if b == nil {
		return store.Alert{}, errMissing
	}
	return decodeAlert(k, b)
}

// ResolveAlert moves an alert claimed by runID to state; ErrConflict when
// it is not Claimed by runID any more, ErrNotFound when never claimed.
func (s *Store) ResolveAlert(ctx context.Context, k store.AlertKey, runID string, state store.AlertState, messageID, reason string, now time.Time) error {
	if err := check.AlertKey(k); err != nil {
		return fmt.Errorf("resolve alert: %w", err)
	}
	if err := check.Resolution(state); err != nil {
		return err
	}
	err := s.update(ctx, func(tx *bbolt.Tx) error {
		old, err := getAlert(tx, k)
		if err != nil {
			return err
		}
		if old.State != store.Claimed || old.RunID != runID {
			return fmt.Errorf("%s by run %q: %w", old.State, old.RunID, store.ErrConflict)
		}
		a := old
		a.State, a.MessageID, a.Error, a.UpdatedAt = state, messageID, reason, now
		return putAlert(tx, old, a)
	})
	return wrap(err, "resolve alert %s", k)
}

// ReclaimAlert hands an alert Claimed before `before` to runID; ErrConflict
// when it is resolved, or was claimed (or reclaimed) since.
func (s *Store) ReclaimAlert(ctx context.Context, k store.AlertKey, runID string, before, now time.Time) error {
	if err := check.AlertKey(k); err != nil {
		return fmt.Errorf("reclaim alert: %w", err)
	}
	err := s.update(ctx, func(tx *bbolt.Tx) error {
		old, err := getAlert(tx, k)
		if err != nil {
			return err
		}
		if old.State != store.Claimed || !old.ClaimedAt.Before(before) {
			return fmt.Errorf("%s by run %q at %s: %w", old.State, old.RunID, old.ClaimedAt.Format(time.RFC3339), store.ErrConflict)
		}
		a := old
		a.RunID, a.ClaimedAt, a.UpdatedAt = runID, now, now
		return putAlert(tx, old, a)
	})
	return wrap(err, "reclaim alert %s", k)
}

// Alert returns one alert.
func (s *Store) Alert(ctx context.Context, k store.AlertKey) (store.Alert, error) {
	var a store.Alert
	err := s.view(ctx, func(tx *bbolt.Tx) (err error) {
		a, err = getAlert(tx, k)
		return err
	})
	return a, wrap(err, "alert %s", k)
}

// AlertsOfVolume returns a volume's alerts, ordered by subscriber id then
// kind: one prefix scan of the records.
func (s *Store) AlertsOfVolume(ctx context.Context, volumeID string) ([]store.Alert, error) {
	return s.AlertsOfVolumeAppend(ctx, volumeID, nil)
}

// AlertsOfVolumeAppend is AlertsOfVolume appending to dst (a caller's
// slice reused from one volume to the next: the notifier reads a million
// alerts a run).
func (s *Store) AlertsOfVolumeAppend(ctx context.Context, volumeID string, dst []store.Alert) ([]store.Alert, error) {
	out := dst
	err := s.view(ctx, func(tx *bbolt.Tx) error {
		p := prefix(volumeID)
		// One pass copies every subscriber id and record into one buffer,
		// which becomes one string: the strings of all the alerts cost one
		// allocation, and the result slice is sized once.
		sc := getScratch()
		defer sc.put()
		buf, ends := sc.buf, sc.ends // per alert: end of its subscriber id, end of its record
		c := tx.Bucket(bucketAlerts).Cursor()
		for k, v := c.Seek(p); k != nil && bytes.HasPrefix(k, p); k, v = c.Next() {
			buf = append(buf, k[len(p):]...) // subscriber id 0 kind
			ends = append(ends, len(buf))
			buf = append(buf, v...)
			ends = append(ends, len(buf))
		}
		sc.buf, sc.ends = buf, ends
		all := string(buf)
		out = slices.Grow(dst, len(ends)/2)
		start := 0
		for i := 0; i < len(ends); i += 2 {
			key, rec := all[start:ends[i]], all[ends[i]:ends[i+1]]
			start = ends[i+1]
			j := strings.IndexByte(key, sep)
			if j < 0 {
				return fmt.Errorf("alert key %q: %w", key, errCorrupt)
			}
			k := store.AlertKey{VolumeID: volumeID, SubscriberID: key[:j], Kind: alertKind(key[j+1:])}
			a, err := decodeAlertFrom(k, stringDecoder(rec))
			if err != nil {
				return err
			}
			out = append(out, a)
		}
		return nil
	})
	return out, wrap(err, "alerts of volume %s", volumeID)
}

// alertKind returns the common kinds without allocating.
func alertKind(b string) store.AlertKind {
	switch b {
	case string(store.Announce):
		return store.Announce
	case "remind-30":
		return "remind-30"
	case "remind-7":
		return "remind-7"
	case "remind-1":
		return "remind-1"
	}
	return store.AlertKind(b)
}

// AlertsOfSubscriber returns a subscriber's alerts, ordered by volume id
// then kind.
func (s *Store) AlertsOfSubscriber(ctx context.Context, subscriberID string) ([]store.Alert, error) {
	var out []store.Alert
	err := s.view(ctx, func(tx *bbolt.Tx) error {
		p := prefix(subscriberID)
		c := tx.Bucket(bucketAlertSub).Cursor()
		for k, _ := c.Seek(p); k != nil && bytes.HasPrefix(k, p); k, _ = c.Next() {
			parts, ok := split(k, 3)
			if !ok {
				return fmt.Errorf("alert index key %q: %w", k, errCorrupt)
			}
			a, err := getAlert(tx, store.AlertKey{SubscriberID: parts[0], VolumeID: parts[1], Kind: store.AlertKind(parts[2])})
			if err != nil {
				return err
			}
			out = append(out, a)
		}
		return nil
	})
	return out, wrap(err, "alerts of subscriber %s", subscriberID)
}

// StaleClaims returns the alerts still Claimed that were claimed before t,
// oldest first: a range scan of the claimed index, which holds only
// Claimed alerts.
func (s *Store) StaleClaims(ctx context.Context, before time.Time) ([]store.Alert, error) {
	var out []store.Alert
	err := s.view(ctx, func(tx *bbolt.Tx) error {
		stop := timeBound(before)
		c := tx.Bucket(bucketAlertClaim).Cursor()
		for k, _ := c.First(); k != nil && bytes.Compare(k, stop) < 0; k, _ = c.Next() {
			parts, ok := split(k[8:], 3)
			if !ok {
				return fmt.Errorf("claim index key %q: %w", k, errCorrupt)
			}
			a, err := getAlert(tx, store.AlertKey{VolumeID: parts[0], SubscriberID: parts[1], Kind: store.AlertKind(parts[2])})
			if err != nil {
				return err
			}
			out = append(out, a)
		}
		return nil
	})
	return out, wrap(err, "stale claims before %s", before.Format(time.RFC3339))
}
