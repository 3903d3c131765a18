package secrets

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"golang.org/x/sync/singleflight"
)

// ReaderOptions tune a [Reader]. The zero value of each field means its
// default.
type ReaderOptions struct {
	// TTL is how long a value is served from memory before it is read
	// again. Default 1 hour: a rotation reaches readers within it.
	TTL time.Duration
	// MaxStale is how long past its TTL the last good value is still
	// served while AWS fails. After that, Get returns the error. Default
	// 24 hours.
	MaxStale time.Duration
	// RetryAfter is how long, after a failed call, Get answers from memory
	// (the stale value, or the error) before asking AWS again, so a failing
	// AWS is not asked on every request. Default 30 seconds, at most TTL.
	RetryAfter time.Duration
	// NotFoundTTL is how long "no such secret" is remembered. Default
	// 1 minute, at most TTL. A missing version stage (a secret never
	// rotated has no AWSPREVIOUS) is remembered for TTL.
	NotFoundTTL time.Duration
	// Timeout bounds one GetSecretValue, whichever caller started it (the
	// callers' own contexts only bound their wait). Default 30 seconds.
	Timeout time.Duration
	// Now is the clock. Default time.Now.
	Now func() time.Time
	// Logger gets Debug lines when a stale value is served. Default
	// slog.Default().
	Logger *slog.Logger
}

// Reader reads secrets in a running container: from memory while the TTL
// lasts, otherwise with one GetSecretValue per secret and version stage,
// however many goroutines ask at once. It is safe for concurrent use; make
// one per process and share it.
type Reader struct {
	client ReadAPI
	opts   ReaderOptions
	log    *slog.Logger

	mu    sync.RWMutex
	cache map[cacheKey]*entry
	calls singleflight.Group
}

type cacheKey struct{ id, stage string }

// entry is one cached answer. Entries are never changed once stored, so
// a reader may hold one after the lock is released.
type entry struct {
	val   Value
	err   error     // answered instead of val: not found, or AWS failing with nothing to serve
	until time.Time // answer from memory before this, ask AWS from then on
	stale time.Time // val may be served while AWS fails until then
}

// NewReader returns a Reader that reads through client, usually a
// *secretsmanager.Client.
func NewReader(client ReadAPI, opts ...func(*ReaderOptions)) *Reader {
	o := ReaderOptions{}
	for _, fn := range opts {
		fn(&o)
	}
	if o.TTL <= 0 {
		o.TTL = time.Hour
	}
	if o.MaxStale <= 0 {
		o.MaxStale = 24 * time.Hour
	}
	if o.RetryAfter <= 0 {
		o.RetryAfter = 30 * time.Second
	}
	o.RetryAfter = min(o.RetryAfter, o.TTL)
	if o.NotFoundTTL <= 0 {
		o.NotFoundTTL = time.Minute
	}
	o.NotFoundTTL = min(o.NotFoundTTL, o.TTL)
	if o.Timeout <= 0 {
		o.Timeout = 30 * time.Second
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	return &Reader{client: client, opts: o, log: o.Logger.With("pkg", "secrets"), cache: map[cacheKey]*entry{}}
}

// Get returns the AWSCURRENT value of the secret id (a name or an ARN).
// A missing secret gives an error matching [ErrNotFound].
func (r *Reader) Get(ctx context.Context, id string) (Value, error) {
	return r.get(ctx, cacheKey{id, StageCurrent})
}

// GetStage returns the version of secret id that carries stage
// ([StageCurrent], [StagePrevious] or a label of your own; "" means
// AWSCURRENT).
func (r *Reader) GetStage(ctx context.Context, id, stage string) (Value, error) {
	if stage == "" {
		stage = StageCurrent
	}
	return r.get(ctx, cacheKey{id, stage})
}

// Keys returns the current and the previous value of secret id, so a
// verifier can accept what was signed with either while a rotation
// settles. previous is zero when the secret was never rotated.
func (r *Reader) Keys(ctx context.Context, id string) (current, previous Value, err error) {
	if current, err = r.Get(ctx, id); err != nil {
		return Value{}, Value{}, err
	}
	previous, err = r.GetStage(ctx, id, StagePrevious)
	if errors.Is(err, ErrNotFound) {
		return current, Value{}, nil
	}
	if err != nil {
		return Value{}, Value{}, err
	}
	return current, previous, nil
}

// GetJSON decodes the AWSCURRENT value of secret id, a JSON document, into
// v (a pointer), as json.Unmarshal does. Fields of type [Value] keep their
// text redacted. A decoding error says where and what kind of mismatch,
// never the text: it matches [ErrDecode].
func (r *Reader) GetJSON(ctx context.Context, id string, v any) error {
	val, err := r.Get(ctx, id)
	if err != nil {
		return err
	}
	return decodeJSON(id, val, v)
}

// Forget drops what is cached for secret id, so the next Get asks AWS:
// for a process that has just rotated it.
func (r *Reader) Forget(id string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for k := range r.cache {
		if k.id == id {
			delete(r.cache, k)
		}
	}
}

func (r *Reader) get(ctx context.Context, k cacheKey) (Value, error) {
	// The hot path: one read lock, one map lookup, no allocation.
	now := r.opts.Now()
	r.mu.RLock()
	e := r.cache[k]
	r.mu.RUnlock()
	if e != nil && now.Before(e.until) {
		return e.val, e.err
	}
	if k.id == "" {
		return Value{}, invalid("secret id is empty")
	}
	ch := r.calls.DoChan(k.id+"\x00"+k.stage, func() (any, error) { return r.fetch(ctx, k) })
	select {
	case res := <-ch:
		v, _ := res.Val.(Value)
		return v, res.Err
	case <-ctx.Done():
		return Value{}, fmt.Errorf("get secret %q: %w", k.id, ctx.Err())
	}
}

// fetch makes the one call for k and caches its answer.
func (r *Reader) fetch(ctx context.Context, k cacheKey) (Value, error) {
	r.mu.RLock()
	old := r.cache[k]
	r.mu.RUnlock()
	if old != nil && r.opts.Now().Before(old.until) {
		return old.val, old.err // another call finished while this one was queued
	}
	// The call outlives a caller that gives up: others may be waiting on it.
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), r.opts.Timeout)
	defer cancel()
	out, err := r.client.GetSecretValue(cctx, &secretsmanager.GetSecretValueInput{
		SecretId: aws.String(k.id), VersionStage: aws.String(k.stage)})
	now := r.opts.Now()
	var e *entry
	switch {
	case err == nil:
		e = &entry{val: valueOf(out), until: now.Add(r.opts.TTL), stale: now.Add(r.opts.TTL + r.opts.MaxStale)}
	case isNotFound(err) || isDeleted(err):
		// A missing AWSPREVIOUS (or other label) can only appear with a new
		// version, which this Reader sees only after TTL anyway.
		ttl := r.opts.TTL
		if k.stage == StageCurrent {
			ttl = r.opts.NotFoundTTL
		}
		e = &entry{err: fmt.Errorf("get secret %q (%s): %w", k.id, k.stage, ErrNotFound), until: now.Add(ttl)}
	case old != nil && old.err == nil && now.Before(old.stale):
		e = &entry{val: old.val, until: minTime(now.Add(r.opts.RetryAfter), old.stale), stale: old.stale}
		r.log.DebugContext(ctx, "serving the cached secret while AWS fails", "id", k.id, "stage", k.stage,
			"stale_until", old.stale, "err", err)
	case old != nil && old.err == nil:
		e = &entry{err: fmt.Errorf("get secret %q (%s): AWS fails and the cached value is past its %s bound: %w",
			k.id, k.stage, r.opts.MaxStale, err), until: now.Add(r.opts.RetryAfter)}
	default:
		e = &entry{err: fmt.Errorf("get secret %q (%s): %w", k.id, k.stage, err), until: now.Add(r.opts.RetryAfter)}
	}
	r.mu.Lock()
	r.cache[k] = e
	r.mu.Unlock()
	return e.val, e.err
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

// decodeJSON unmarshals val into v with errors that never quote val: the
// json package's own messages can (an offending character, a number).
func decodeJSON(id string, val Value, v any) error {
	err := json.Unmarshal([]byte(val.Reveal()), v)
	var (
		syntax  *json.SyntaxError
		typ     *json.UnmarshalTypeError
		invalid *json.InvalidUnmarshalError
	)
	switch {
	case err == nil:
		return nil
	case errors.As(err, &invalid):
		return fmt.Errorf("decode secret %q: %w", id, err) // about the Go type only
	case errors.As(err, &syntax):
		return fmt.Errorf("decode secret %q: not valid JSON (byte %d): %w", id, syntax.Offset, ErrDecode)
	case errors.As(err, &typ):
		kind, _, _ := strings.Cut(typ.Value, " ") // "number 12" -> "number"
		return fmt.Errorf("decode secret %q: JSON %s at %q does not fit Go type %v: %w", id, kind, typ.Field, typ.Type, ErrDecode)
	case errors.Is(err, errValueNotString) || errors.Is(err, errRedactedInput):
		return fmt.Errorf("decode secret %q: %w: %w", id, err, ErrDecode) // ours, and quote nothing
	default:
		return fmt.Errorf("decode secret %q into %T: a %T error (message withheld, it may quote the secret): %w", id, v, err, ErrDecode)
	}
}
