package backend

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Purpose is what a token may be used for: a token made for one purpose is
// refused for every other.
type Purpose string

// The purposes.
const (
	Confirm     Purpose = "c" // confirm a sign-up (and the series it was for)
	Manage      Purpose = "m" // open the manage page, use the API as the reader
	Unsubscribe Purpose = "u" // stop all mail, no questions asked
	Feed        Purpose = "f" // read the reader's iCalendar and Atom feeds
)

// Token errors. A token that fails for any other reason is ErrBadToken.
var (
	ErrBadToken     = errors.New("backend: token not valid")
	ErrExpiredToken = fmt.Errorf("%w: expired", ErrBadToken)
)

// claims is what a token says. Fields never hold '|', so the payload splits
// unambiguously.
type claims struct {
	Purpose Purpose
	Subject string    // the subscriber ID
	Extra   string    // the series a confirmation is for; "" otherwise
	Expires time.Time // zero: never
}

var b64 = base64.RawURLEncoding

// tokenDomain keeps these MACs apart from anything else the keys sign.
const tokenDomain = "mangaalert-token-v1\x00"

func (c claims) payload() (string, error) {
	if strings.ContainsRune(c.Subject, '|') || strings.ContainsRune(c.Extra, '|') {
		return "", fmt.Errorf("token field contains '|'")
	}
	exp := "0"
	if !c.Expires.IsZero() {
		exp = strconv.FormatInt(c.Expires.Unix(), 36)
	}
	return string(c.Purpose) + "|" + exp + "|" + c.Subject + "|" + c.Extra, nil
}

// mac signs payload with key; bind is mixed in without being carried in
// the token (a feed token binds the subscriber's stored feed secret, so
// changing the secret revokes every old feed URL).
func mac(key []byte, payload, bind string) []byte {
	h := hmac.New(sha256.New, key)
	h.Write([]byte(tokenDomain))
	h.Write([]byte(payload))
	h.Write([]byte{0})
	h.Write([]byte(bind))
	return h.Sum(nil)
}

// sign makes a token: base64url(payload) "." base64url(HMAC-SHA256).
func sign(key []byte, c claims, bind string) (string, error) {
	p, err := c.payload()
	if err != nil {
		return "", err
	}
	return b64.EncodeToString([]byte(p)) + "." + b64.EncodeToString(mac(key, p, bind)), nil
}

// canonical decodes s only when it is the one spelling sign makes: the
// decoder alone accepts non-zero padding bits and skips line breaks, so a
// token would have several spellings (and several cache keys, log lines,
// rate-limit buckets).
func canonical(s string) ([]byte, error) {
	b, err := b64.Strict().DecodeString(s)
	if err != nil || b64.EncodeToString(b) != s {
		return nil, ErrBadToken
	}
	return b, nil
}

// parseToken reads a token's claims without checking its MAC: only to find
// what to bind before verify.
func parseToken(tok string) (claims, string, []byte, error) {
	p64, m64, ok := strings.Cut(tok, ".")
	if !ok || len(tok) > 512 {
		return claims{}, "", nil, ErrBadToken
	}
	p, err := canonical(p64)
	if err != nil {
		return claims{}, "", nil, ErrBadToken
	}
	m, err := canonical(m64)
	if err != nil || len(m) != sha256.Size {
		return claims{}, "", nil, ErrBadToken
	}
	f := strings.Split(string(p), "|")
	if len(f) != 4 || f[0] == "" || f[2] == "" {
		return claims{}, "", nil, ErrBadToken
	}
	c := claims{Purpose: Purpose(f[0]), Subject: f[2], Extra: f[3]}
	if f[1] != "0" {
		n, err := strconv.ParseInt(f[1], 36, 64)
		if err != nil || n <= 0 || strconv.FormatInt(n, 36) != f[1] {
			return claims{}, "", nil, ErrBadToken
		}
		c.Expires = time.Unix(n, 0)
	}
	return c, string(p), m, nil
}

// verify checks tok's MAC against each key in turn, then its purpose and
// expiry. The MAC is checked first, so nothing a forger wrote is believed.
func verify(keys [][]byte, tok string, want Purpose, bind string, now time.Time) (claims, error) {
	c, p, m, err := parseToken(tok)
	if err != nil {
		return claims{}, err
	}
	ok := false
	for _, k := range keys {
		if len(k) > 0 && hmac.Equal(m, mac(k, p, bind)) {
			ok = true
			break
		}
	}
	if !ok {
		return claims{}, errUnknownKey
	}
	if c.Purpose != want {
		return claims{}, ErrBadToken
	}
	if !c.Expires.IsZero() && !now.Before(c.Expires) {
		return claims{}, ErrExpiredToken
	}
	return c, nil
}

// keyring caches the signing keys for a while, so a request does not wait
// for Secrets Manager. When they are due, one request fetches them while
// the others go on with the keys in hand; when the fetch fails those stay
// in use and the next try comes a little later.
type keyring struct {
	keys Keys
	ttl  time.Duration
	now  func() time.Time

	mu         sync.Mutex
	current    []byte
	previous   []byte
	fetched    time.Time
	refreshing bool
	forced     time.Time // the last read past the caches (refresh)
}

func (r *keyring) get(ctx context.Context) (current []byte, all [][]byte, err error) {
	r.mu.Lock()
	due := r.current == nil || r.now().Sub(r.fetched) >= r.ttl
	if !due || (r.refreshing && r.current != nil) {
		defer r.mu.Unlock()
		return r.current, [][]byte{r.current, r.previous}, nil
	}
	r.refreshing = true
	r.mu.Unlock()

	cur, prev, err := r.keys.SigningKeys(ctx)
	switch {
	case err == nil && len(cur) < MinKeyLen:
		err = fmt.Errorf("signing key is %d bytes: want at least %d", len(cur), MinKeyLen)
	case err == nil && len(prev) > 0 && len(prev) < MinKeyLen:
		prev = nil // a short previous key is not worth failing over: ignore it
	}

	r.mu.Lock()
	defer r.mu.Unlock()
	r.refreshing = false
	if err != nil {
		if r.current == nil {
			return nil, nil, fmt.Errorf("signing keys: %w", err)
		}
		r.fetched = r.now().Add(-r.ttl + 10*time.Second) // try again in 10 s
	} else {
		r.current, r.previous, r.fetched = cur, prev, r.now()
	}
	return r.current, [][]byte{r.current, r.previous}, nil
}
