package bolt

import (
	"bytes"
	"context"
	"fmt"
	"strconv"
	"time"

	bbolt "go.etcd.io/bbolt"

	"github.com/manga-alert-italia/mangaalert/store"
	"github.com/manga-alert-italia/mangaalert/store/internal/check"
)

// moveChat moves the subscriber's chat index entry from old's chat to
// sub's (0: none), in the transaction that writes the record.
func moveChat(tx *bbolt.Tx, old, sub store.Subscriber) error {
	if old.TelegramChatID == sub.TelegramChatID {
		return nil
	}
	chats := tx.Bucket(bucketSubChat)
	if old.TelegramChatID != 0 {
		if err := chats.Delete(join(chatKey(old.TelegramChatID), sub.ID)); err != nil {
			return err
		}
	}
	if sub.TelegramChatID != 0 {
		return chats.Put(join(chatKey(sub.TelegramChatID), sub.ID), nil)
	}
	return nil
}

func chatKey(chat int64) string { return strconv.FormatInt(chat, 10) }

// SubscriberByChat finds the subscriber linked to a Telegram chat.
func (s *Store) SubscriberByChat(ctx context.Context, chat int64) (store.Subscriber, error) {
	var sub store.Subscriber
	now := s.now()
	err := s.view(ctx, func(tx *bbolt.Tx) error {
		if chat == 0 {
			return errMissing
		}
		p := prefix(chatKey(chat))
		c := tx.Bucket(bucketSubChat).Cursor()
		for k, _ := c.Seek(p); k != nil && bytes.HasPrefix(k, p); k, _ = c.Next() {
			var err error
			if sub, err = liveSubscriber(tx, string(k[len(p):]), now); err == nil {
				return nil
			}
		}
		return errMissing
	})
	return sub, wrap(err, "subscriber by chat")
}

// PutLinkToken stores a link token under its hash.
func (s *Store) PutLinkToken(ctx context.Context, t store.LinkToken) error {
	if err := checkLinkToken(t); err != nil {
		return err
	}
	err := s.update(ctx, func(tx *bbolt.Tx) error {
		b := tx.Bucket(bucketTgLinks)
		if b.Get([]byte(t.Hash)) != nil {
			return fmt.Errorf("hash taken: %w", store.ErrExists)
		}
		e := newEncoder(64)
		e.str(t.SubscriberID)
		e.time(t.ExpiresAt)
		return b.Put([]byte(t.Hash), e.b)
	})
	return wrap(err, "put link token")
}

func checkLinkToken(t store.LinkToken) error {
	if err := check.ID("link token hash", t.Hash); err != nil {
		return fmt.Errorf("put link token: %w", err)
	}
	if err := check.ID("subscriber id", t.SubscriberID); err != nil {
		return fmt.Errorf("put link token: %w", err)
	}
	if t.ExpiresAt.IsZero() {
		return fmt.Errorf("put link token: ExpiresAt is required: a link token must expire")
	}
	return nil
}

// TakeLinkToken returns a link token and deletes it, in one transaction;
// an expired one is deleted too and answers ErrNotFound.
func (s *Store) TakeLinkToken(ctx context.Context, hash string, now time.Time) (store.LinkToken, error) {
	var t store.LinkToken
	expired := false
	err := s.update(ctx, func(tx *bbolt.Tx) error {
		b := tx.Bucket(bucketTgLinks)
		v := b.Get([]byte(hash))
		if v == nil || hash == "" {
			return errMissing
		}
		d := newDecoder(v)
		t = store.LinkToken{Hash: hash, SubscriberID: d.str(), ExpiresAt: d.time()}
		if d.err != nil {
			return d.err
		}
		if err := b.Delete([]byte(hash)); err != nil {
			return err
		}
		// Expired tokens are swept here, on the next take: they are few
		// (one per click on "Collega Telegram") and small.
		c := b.Cursor()
		var old [][]byte
		for k, v := c.First(); k != nil; k, v = c.Next() {
			d := newDecoder(v)
			d.str()
			if check.Expired(d.time(), now) {
				old = append(old, bytes.Clone(k))
			}
		}
		for _, k := range old {
			if err := b.Delete(k); err != nil {
				return err
			}
		}
		expired = check.Expired(t.ExpiresAt, now)
		return nil
	})
	if err == nil && expired {
		err = fmt.Errorf("link token expired: %w", errMissing) // deleted all the same
	}
	if err != nil {
		return store.LinkToken{}, wrap(err, "take link token")
	}
	return t, nil
}
