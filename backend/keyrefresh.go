package backend

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"time"
)

// FreshKeys is a Keys that can also read the keys past every cache it
// keeps. With several replicas (or the notifier, a process of its own)
// signing links, a rotation reaches each process when its cache expires:
// a link signed with the new key can reach a replica that still holds the
// old one. Such a replica reads the keys again, past its caches, before it
// calls the link bad. The binary's Secrets Manager keys implement it.
type FreshKeys interface {
	Keys
	// FreshSigningKeys is SigningKeys read from the source itself.
	FreshSigningKeys(ctx context.Context) (current, previous []byte, err error)
}

// freshKeysEvery bounds the reads past the caches: a forged token (or a
// revoked feed URL, whose MAC matches no key either) costs the secret
// store at most one read a minute per replica.
const freshKeysEvery = time.Minute

// errUnknownKey: the token's MAC matches none of the keys in hand. It is
// an ErrBadToken, unless keys read afresh know it.
var errUnknownKey = fmt.Errorf("%w: signed with no key in hand", ErrBadToken)

// verifyToken is verify with the keyring's keys; when the token's MAC
// matches none of them, the keys are read afresh (at most once every
// freshKeysEvery) and, if they changed, the token is checked again.
func (b *Backend) verifyToken(ctx context.Context, tok string, want Purpose, bind string) (claims, error) {
	_, keys, err := b.keys.get(ctx)
	if err != nil {
		return claims{}, err
	}
	c, err := verify(keys, tok, want, bind, b.cfg.Now())
	if !errors.Is(err, errUnknownKey) {
		return c, err
	}
	fresh, changed := b.keys.refresh(ctx)
	if !changed {
		return c, err
	}
	b.cfg.Logger.Debug("backend: signing keys read afresh for a token signed with a newer key")
	return verify(fresh, tok, want, bind, b.cfg.Now())
}

// refresh reads the keys past every cache, unless it did less than
// freshKeysEvery ago, and keeps them. changed reports whether they differ
// from the keys in hand; a failure keeps the keys in hand (and says
// unchanged).
func (r *keyring) refresh(ctx context.Context) (all [][]byte, changed bool) {
	r.mu.Lock()
	if !r.forced.IsZero() && r.now().Sub(r.forced) < freshKeysEvery {
		r.mu.Unlock()
		return nil, false
	}
	r.forced = r.now()
	r.mu.Unlock()

	read := r.keys.SigningKeys
	if f, ok := r.keys.(FreshKeys); ok {
		read = f.FreshSigningKeys
	}
	cur, prev, err := read(ctx)
	if err != nil || len(cur) < MinKeyLen {
		return nil, false
	}
	if len(prev) < MinKeyLen {
		prev = nil
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	changed = !bytes.Equal(cur, r.current) || !bytes.Equal(prev, r.previous)
	r.current, r.previous, r.fetched = cur, prev, r.now()
	return [][]byte{r.current, r.previous}, changed
}
