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

// CreateSubscriber adds a subscriber with its email (normalised) and token
// indexes; ErrExists when the id or the email is taken by a live one. An
// expired sign-up holding the email is swept first, in the same
// transaction.
func (s *Store) CreateSubscriber(ctx context.Context, sub store.Subscriber) error {
	sub, err := check.Subscriber(sub)
	if err != nil {
		return fmt.Errorf("create %w", err)
	}
	now := s.now()
	err = s.update(ctx, func(tx *bbolt.Tx) error {
		if _, err := sweep(tx, now); err != nil {
			return err
		}
		if tx.Bucket(bucketSubs).Get([]byte(sub.ID)) != nil {
			return fmt.Errorf("id taken: %w", store.ErrExists)
		}
		if tx.Bucket(bucketSubEmail).Get([]byte(sub.Email)) != nil {
			return fmt.Errorf("email taken: %w", store.ErrExists)
		}
		return putSubscriber(tx, store.Subscriber{}, sub)
	})
	return wrap(err, "create subscriber %s", sub.ID)
}

// putSubscriber writes sub and moves its index entries from old (the zero
// Subscriber when new).
func putSubscriber(tx *bbolt.Tx, old, sub store.Subscriber) error {
	if err := tx.Bucket(bucketSubs).Put([]byte(sub.ID), encodeSubscriber(sub)); err != nil {
		return err
	}
	if old.Email != sub.Email {
		if err := tx.Bucket(bucketSubEmail).Put([]byte(sub.Email), []byte(sub.ID)); err != nil {
			return err
		}
	}
	if old.TokenHash != sub.TokenHash {
		tokens := tx.Bucket(bucketSubToken)
		if old.TokenHash != "" {
			if err := tokens.Delete(join(old.TokenHash, sub.ID)); err != nil {
				return err
			}
		}
		if sub.TokenHash != "" {
			if err := tokens.Put(join(sub.TokenHash, sub.ID), nil); err != nil {
				return err
			}
		}
	}
	if err := moveChat(tx, old, sub); err != nil {
		return err
	}
	if !old.ExpiresAt.Equal(sub.ExpiresAt) {
		exp := tx.Bucket(bucketSubExp)
		if !old.ExpiresAt.IsZero() {
			if err := exp.Delete(timeKey(old.ExpiresAt, sub.ID)); err != nil {
				return err
			}
		}
		if !sub.ExpiresAt.IsZero() {
			if err := exp.Put(timeKey(sub.ExpiresAt, sub.ID), nil); err != nil {
				return err
			}
		}
	}
	return nil
}

// deleteSubscriber removes a subscriber, its index entries, its follows
// and its alerts, in the caller's transaction: all of it goes or none.
func deleteSubscriber(tx *bbolt.Tx, sub store.Subscriber) error {
	if err := deleteAlertsOf(tx, sub.ID); err != nil {
		return err
	}
	if err := tx.Bucket(bucketSubs).Delete([]byte(sub.ID)); err != nil {
		return err
	}
	emails := tx.Bucket(bucketSubEmail)
	if id := emails.Get([]byte(sub.Email)); bytes.Equal(id, []byte(sub.ID)) {
		if err := emails.Delete([]byte(sub.Email)); err != nil {
			return err
		}
	}
	if sub.TokenHash != "" {
		if err := tx.Bucket(bucketSubToken).Delete(join(sub.TokenHash, sub.ID)); err != nil {
			return err
		}
	}
	if !sub.ExpiresAt.IsZero() {
		if err := tx.Bucket(bucketSubExp).Delete(timeKey(sub.ExpiresAt, sub.ID)); err != nil {
			return err
		}
	}
	if err := moveChat(tx, sub, store.Subscriber{ID: sub.ID}); err != nil {
		return err
	}
	// Its number goes too; the sequence never gives it out again.
	if err := tx.Bucket(bucketReaderNum).Delete([]byte(sub.ID)); err != nil {
		return err
	}
	follows, followers := tx.Bucket(bucketFollows), tx.Bucket(bucketFollowers)
	p := prefix(sub.ID)
	var keys [][]byte
	c := follows.Cursor()
	for k, _ := c.Seek(p); k != nil && bytes.HasPrefix(k, p); k, _ = c.Next() {
		keys = append(keys, bytes.Clone(k))
	}
	for _, k := range keys {
		if err := follows.Delete(k); err != nil {
			return err
		}
		if err := followers.Delete(join(string(k[len(p):]), sub.ID)); err != nil {
			return err
		}
	}
	return nil
}

// sweep deletes the subscribers whose expiry has passed at now.
func sweep(tx *bbolt.Tx, now time.Time) (int, error) {
	var ids []string
	stop := timeBound(now.Add(time.Nanosecond)) // expired means expires <= now
	c := tx.Bucket(bucketSubExp).Cursor()
	for k, _ := c.First(); k != nil && bytes.Compare(k, stop) < 0; k, _ = c.Next() {
		ids = append(ids, string(k[8:]))
	}
	n := 0
	for _, id := range ids {
		sub, err := getSubscriber(tx, id)
		if err != nil {
			return n, fmt.Errorf("sweep subscriber %s: %w", id, err)
		}
		if !check.Expired(sub.ExpiresAt, now) {
			continue
		}
		if err := deleteSubscriber(tx, sub); err != nil {
			return n, fmt.Errorf("sweep subscriber %s: %w", id, err)
		}
		n++
	}
	return n, nil
}

func getSubscriber(tx *bbolt.Tx, id string) (store.Subscriber, error) {
	b := tx.Bucket(bucketSubs).Get([]byte(id))
	if b == nil {
		return store.Subscriber{}, errMissing
	}
	return decodeSubscriber(b)
}

// liveSubscriber is getSubscriber for reads: an expired sign-up is not
// found.
func liveSubscriber(tx *bbolt.Tx, id string, now time.Time) (store.Subscriber, error) {
	sub, err := getSubscriber(tx, id)
	if err == nil && check.Expired(sub.ExpiresAt, now) {
		return store.Subscriber{}, fmt.Errorf("sign-up expired: %w", errMissing)
	}
	return sub, err
}

// Subscriber returns one subscriber.
func (s *Store) Subscriber(ctx context.Context, id string) (store.Subscriber, error) {
	var sub store.Subscriber
	now := s.now()
	err := s.view(ctx, func(tx *bbolt.Tx) (err error) {
		sub, err = liveSubscriber(tx, id, now)
		return err
	})
	return sub, wrap(err, "subscriber %s", id)
}

// SubscriberByEmail finds a subscriber by address (normalised first).
func (s *Store) SubscriberByEmail(ctx context.Context, email string) (store.Subscriber, error) {
	email = store.NormalizeEmail(email)
	var sub store.Subscriber
	now := s.now()
	err := s.view(ctx, func(tx *bbolt.Tx) (err error) {
		id := tx.Bucket(bucketSubEmail).Get([]byte(email))
		if id == nil {
			return errMissing
		}
		sub, err = liveSubscriber(tx, string(id), now)
		return err
	})
	return sub, wrap(err, "subscriber by email")
}

// SubscriberByToken finds the subscriber whose TokenHash is hash.
func (s *Store) SubscriberByToken(ctx context.Context, hash string) (store.Subscriber, error) {
	var sub store.Subscriber
	now := s.now()
	err := s.view(ctx, func(tx *bbolt.Tx) error {
		if hash == "" {
			return errMissing
		}
		p := prefix(hash)
		c := tx.Bucket(bucketSubToken).Cursor()
		for k, _ := c.Seek(p); k != nil && bytes.HasPrefix(k, p); k, _ = c.Next() {
			var err error
			if sub, err = liveSubscriber(tx, string(k[len(p):]), now); err == nil {
				return nil
			}
		}
		return errMissing
	})
	return sub, wrap(err, "subscriber by token")
}

// UpdateSubscriber replaces a subscriber read before, if nobody changed it
// since (same UpdatedAt), moving its token and expiry index entries.
func (s *Store) UpdateSubscriber(ctx context.Context, sub store.Subscriber, now time.Time) (store.Subscriber, error) {
	if err := check.ID("subscriber id", sub.ID); err != nil {
		return store.Subscriber{}, fmt.Errorf("update subscriber: %w", err)
	}
	if _, err := check.Subscriber(sub); err != nil {
		return store.Subscriber{}, fmt.Errorf("update %w", err)
	}
	var out store.Subscriber
	err := s.update(ctx, func(tx *bbolt.Tx) error {
		old, err := liveSubscriber(tx, sub.ID, s.now())
		if err != nil {
			return err
		}
		if !old.UpdatedAt.Equal(sub.UpdatedAt) {
			return fmt.Errorf("stored at %s, given %s: %w", old.UpdatedAt.Format(time.RFC3339Nano), sub.UpdatedAt.Format(time.RFC3339Nano), store.ErrConflict)
		}
		if store.NormalizeEmail(sub.Email) != old.Email {
			return fmt.Errorf("the email cannot change (delete the subscriber and create another)")
		}
		sub.Email, sub.CreatedAt = old.Email, old.CreatedAt
		sub.UpdatedAt = check.UpdatedAt(old.UpdatedAt, now)
		out = sub
		return putSubscriber(tx, old, sub)
	})
	return out, wrap(err, "update subscriber %s", sub.ID)
}

// DeleteSubscriber forgets a subscriber, its email, token, follows and
// alert history, in one transaction; nil when absent. Alerts a subscriber
// with no record still has (claimed by a notifier run that read the
// reader just before they were deleted) go as well, so a second call
// cleans what a race left.
func (s *Store) DeleteSubscriber(ctx context.Context, id string) error {
	err := s.update(ctx, func(tx *bbolt.Tx) error {
		sub, err := getSubscriber(tx, id)
		if errors.Is(err, errMissing) {
			return deleteAlertsOf(tx, id)
		}
		if err != nil {
			return err
		}
		return deleteSubscriber(tx, sub)
	})
	return wrap(err, "delete subscriber %s", id)
}

// deleteAlertsOf removes every alert of a subscriber, with its index
// entries (by subscriber, and the claimed index while Claimed).
func deleteAlertsOf(tx *bbolt.Tx, id string) error {
	p := prefix(id)
	var keys []store.AlertKey
	c := tx.Bucket(bucketAlertSub).Cursor()
	for k, _ := c.Seek(p); k != nil && bytes.HasPrefix(k, p); k, _ = c.Next() {
		parts, ok := split(k, 3)
		if !ok {
			return fmt.Errorf("alert index key %q: %w", k, errCorrupt)
		}
		keys = append(keys, store.AlertKey{SubscriberID: parts[0], VolumeID: parts[1], Kind: store.AlertKind(parts[2])})
	}
	alerts, bySub, claims := tx.Bucket(bucketAlerts), tx.Bucket(bucketAlertSub), tx.Bucket(bucketAlertClaim)
	for _, k := range keys {
		a, err := getAlert(tx, k)
		switch {
		case errors.Is(err, errMissing): // an index entry alone: drop it below
		case err != nil:
			return fmt.Errorf("alert %s: %w", k, err)
		case a.State == store.Claimed:
			if err := claims.Delete(claimKey(a)); err != nil {
				return err
			}
		}
		if err := alerts.Delete(alertKey(k)); err != nil {
			return err
		}
		if err := bySub.Delete(subAlertKey(k)); err != nil {
			return err
		}
	}
	return nil
}
