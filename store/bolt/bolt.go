// Package bolt is the embedded store: store.Store in one bbolt file, for
// running Manga Alert Italia on a laptop with no AWS.
//
// Each record lives in a bucket keyed by its id, and every secondary index
// is another bucket written in the same transaction as the record, so the
// reads the notifier and the backend make are index range scans:
//
//	series              series id                      -> series
//	volumes             volume id                      -> volume
//	volumes_by_date     release date, volume id        -> volume (a copy; undated last)
//	volumes_by_series   series id, number, edition, id -> ""
//	subscribers         subscriber id                  -> subscriber
//	subscribers_by_email   email                       -> subscriber id (uniqueness)
//	subscribers_by_token   token hash, subscriber id   -> ""
//	subscribers_by_expiry  expiry, subscriber id       -> "" (the sweep)
//	follows             subscriber id, series id       -> created
//	followers           series id, subscriber id       -> created
//	alerts              volume id, subscriber id, kind -> alert
//	alerts_by_subscriber subscriber id, volume id, kind -> ""
//	alerts_claimed      claimed at, alert key          -> "" (only while Claimed)
//	pages               url                            -> page
//	blobs               key                            -> bytes
//
// Composite keys join ids with a NUL byte, so ids may not contain one.
// Records use a compact binary encoding (see codec.go). Pending subscribers
// whose ExpiresAt has passed are invisible to every read and are deleted,
// with their follows, when the store opens, on every CreateSubscriber and
// by Sweep.
//
// bbolt allows one writer at a time and any number of readers; a file can be
// open in one process only (Open waits Options.Timeout for the lock).
package bolt

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	bbolt "go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"

	"github.com/manga-alert-italia/mangaalert/store"
	"github.com/manga-alert-italia/mangaalert/store/internal/check"
)

// Options tune the store; the zero value is the default.
type Options struct {
	// NoSync skips fsync after each write transaction: much faster, and a
	// crash may lose the last writes or corrupt the file. For tests and
	// benchmarks only.
	NoSync bool
	// Timeout bounds the wait for the file lock another process holds
	// (default 5 s): bbolt itself would wait forever.
	Timeout time.Duration
	// Now is the clock that decides when a pending sign-up has expired
	// (default time.Now).
	Now func() time.Time
	// Logger gets debug lines (default slog.Default().WithGroup("store.bolt")).
	Logger *slog.Logger
}

// Store is store.Store on a bbolt file. It is safe for concurrent use.
type Store struct {
	db     *bbolt.DB
	now    func() time.Time
	log    *slog.Logger
	writes atomic.Int64
}

var _ store.Store = (*Store)(nil)

// Open opens (creating when missing) the store in the file at path. Each
// optFns changes the default Options, in order.
func Open(path string, optFns ...func(*Options)) (*Store, error) {
	o := Options{Timeout: 5 * time.Second, Now: time.Now}
	for _, fn := range optFns {
		fn(&o)
	}
	if o.Logger == nil {
		o.Logger = slog.Default().WithGroup("store.bolt")
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	db, err := bbolt.Open(path, 0o600, &bbolt.Options{
		Timeout:        o.Timeout,
		NoSync:         o.NoSync,
		NoFreelistSync: true,                  // as etcd: faster commits, the freelist is rebuilt on open
		FreelistType:   bbolt.FreelistMapType, // as etcd: stays fast when the file fragments
	})
	if err != nil {
		if errors.Is(err, bolterrors.ErrTimeout) {
			return nil, fmt.Errorf("open store %s: another process holds it open (stop it, or use another file): %w", path, err)
		}
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	s := &Store{db: db, now: o.Now, log: o.Logger}
	if err := s.prepare(); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	return s, nil
}

// prepare creates the buckets, numbers the readers of follows written
// before reader numbers (once), and sweeps expired sign-ups, in a write
// transaction only when there is something to do: opening a store with
// nothing to sweep writes nothing.
func (s *Store) prepare() error {
	now := s.now()
	var buckets, numbered, sweepDue bool
	err := s.db.View(func(tx *bbolt.Tx) error {
		for _, name := range allBuckets {
			if tx.Bucket(name) == nil {
				return nil
			}
		}
		buckets = true
		numbered = tx.Bucket(bucketMeta).Get(metaReaderNumbers) != nil
		k, _ := tx.Bucket(bucketSubExp).Cursor().First()
		sweepDue = k != nil && bytes.Compare(k, timeBound(now.Add(time.Nanosecond))) < 0
		return nil
	})
	if err != nil {
		return err
	}
	if !buckets || sweepDue {
		err = s.update(context.Background(), func(tx *bbolt.Tx) error {
			for _, name := range allBuckets {
				if _, err := tx.CreateBucketIfNotExists(name); err != nil {
					return fmt.Errorf("create bucket %s: %w", name, err)
				}
			}
			n, err := sweep(tx, now)
			if n > 0 {
				s.log.Debug("swept expired sign-ups", "count", n)
			}
			return err
		})
		if err != nil {
			return err
		}
	}
	if numbered {
		return nil
	}
	n, err := s.numberFollows()
	if n > 0 {
		s.log.Info("gave the follows written before reader numbers their reader's number", "follows", n)
	}
	if err != nil {
		return fmt.Errorf("number the follows' readers: %w", err)
	}
	return nil
}

// Close closes the file.
func (s *Store) Close() error { return s.db.Close() }

// Ping answers when the file can be read.
func (s *Store) Ping(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return s.db.View(func(*bbolt.Tx) error { return nil })
}

// Sweep deletes the pending sign-ups that expired by now, with their email,
// token and follows, and returns how many it deleted. Reads already ignore
// them; this reclaims the space.
func (s *Store) Sweep(ctx context.Context, now time.Time) (int, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	var n int
	err := s.update(ctx, func(tx *bbolt.Tx) (err error) {
		n, err = sweep(tx, now)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("sweep expired sign-ups: %w", err)
	}
	return n, nil
}

// Counts summarises the store. It walks every record once, reading only
// the few bytes it counts.
func (s *Store) Counts(ctx context.Context) (store.Counts, error) {
	if err := ctx.Err(); err != nil {
		return store.Counts{}, err
	}
	c := store.Counts{Subscribers: map[store.Status]int{}, Alerts: map[store.AlertState]int{}}
	now := s.now()
	err := s.db.View(func(tx *bbolt.Tx) error {
		c.Series = tx.Bucket(bucketSeries).Stats().KeyN
		c.Volumes = tx.Bucket(bucketVolumes).Stats().KeyN
		c.Follows = tx.Bucket(bucketFollows).Stats().KeyN
		err := tx.Bucket(bucketSubs).ForEach(func(_, v []byte) error {
			st, exp, err := subscriberHead(v)
			if err != nil {
				return err
			}
			if !check.Expired(exp, now) {
				c.Subscribers[st]++
			}
			return nil
		})
		if err != nil {
			return err
		}
		return tx.Bucket(bucketAlerts).ForEach(func(_, v []byte) error {
			st, err := alertHead(v)
			c.Alerts[st]++
			return err
		})
	})
	if err != nil {
		return store.Counts{}, fmt.Errorf("count: %w", err)
	}
	return c, nil
}

// view runs fn in a read transaction after checking ctx.
func (s *Store) view(ctx context.Context, fn func(*bbolt.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return s.db.View(fn)
}

// update runs fn in a write transaction after checking ctx; an error from
// fn rolls everything back.
func (s *Store) update(ctx context.Context, fn func(*bbolt.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	err := s.db.Update(fn)
	if err == nil {
		s.writes.Add(1)
	}
	return err
}

// Writes returns how many write transactions the store committed since it
// was opened (Open's own included): what a test of "a second run writes
// nothing" compares before and after.
func (s *Store) Writes() int64 { return s.writes.Load() }

// errMissing is what a lookup returns inside a transaction; wrap adds what
// was looked for.
var errMissing = store.ErrNotFound

// wrap says what failed: "volume x: store: not found: ...". nil stays nil.
func wrap(err error, format string, args ...any) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf(format+": %w", append(args, err)...)
}
