package bolt

import (
	"bytes"
	"context"
	"fmt"

	bbolt "go.etcd.io/bbolt"

	"github.com/manga-alert-italia/mangaalert/store"
	"github.com/manga-alert-italia/mangaalert/store/internal/check"
)

// Page returns what the scraper remembers of a URL.
func (s *Store) Page(ctx context.Context, url string) (store.Page, error) {
	var p store.Page
	err := s.view(ctx, func(tx *bbolt.Tx) error {
		b := tx.Bucket(bucketPages).Get([]byte(url))
		if b == nil {
			return errMissing
		}
		var err error
		p, err = decodePage(b)
		return err
	})
	return p, wrap(err, "page %s", url)
}

// PutPage remembers a page; writing the same record again writes nothing.
func (s *Store) PutPage(ctx context.Context, p store.Page) error {
	if err := check.ID("page url", p.URL); err != nil {
		return fmt.Errorf("put page: %w", err)
	}
	enc := encodePage(p)
	same := false
	err := s.view(ctx, func(tx *bbolt.Tx) error {
		same = bytes.Equal(tx.Bucket(bucketPages).Get([]byte(p.URL)), enc)
		return nil
	})
	if err != nil || same {
		return wrap(err, "put page %s", p.URL)
	}
	err = s.update(ctx, func(tx *bbolt.Tx) error { return tx.Bucket(bucketPages).Put([]byte(p.URL), enc) })
	return wrap(err, "put page %s", p.URL)
}

// GetBlob returns a blob; ErrNotFound when absent.
func (s *Store) GetBlob(ctx context.Context, key string) ([]byte, error) {
	var out []byte
	err := s.view(ctx, func(tx *bbolt.Tx) error {
		b := tx.Bucket(bucketBlobs).Get([]byte(key))
		if b == nil {
			return errMissing
		}
		out = bytes.Clone(b)
		if out == nil {
			out = []byte{}
		}
		return nil
	})
	return out, wrap(err, "blob %s", key)
}

// PutBlob stores a blob (at most check.MaxBlob bytes, as on DynamoDB).
func (s *Store) PutBlob(ctx context.Context, key string, value []byte) error {
	if err := check.Blob(key, value); err != nil {
		return fmt.Errorf("put blob: %w", err)
	}
	err := s.update(ctx, func(tx *bbolt.Tx) error {
		return tx.Bucket(bucketBlobs).Put([]byte(key), bytes.Clone(value))
	})
	return wrap(err, "put blob %s", key)
}

// DeleteBlob removes a blob; nil when absent.
func (s *Store) DeleteBlob(ctx context.Context, key string) error {
	err := s.update(ctx, func(tx *bbolt.Tx) error { return tx.Bucket(bucketBlobs).Delete([]byte(key)) })
	return wrap(err, "delete blob %s", key)
}
