package backend

import (
	"bytes"
	"context"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// cachedKeys is a FreshKeys whose cache lags its source, as a Secrets
// Manager reader's does for up to its TTL after a rotation.
type cachedKeys struct {
	mu             sync.Mutex
	cached, source [2][]byte // current, previous
	freshReads     int
}

func (k *cachedKeys) SigningKeys(context.Context) ([]byte, []byte, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.cached[0], k.cached[1], nil
}

func (k *cachedKeys) FreshSigningKeys(context.Context) ([]byte, []byte, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.freshReads++
	k.cached = k.source
	return k.source[0], k.source[1], nil
}

func (k *cachedKeys) rotate(next []byte) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.source = [2][]byte{next, k.source[0]}
}

func (k *cachedKeys) reads() int {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.freshReads
}

var _ FreshKeys = (*cachedKeys)(nil)

// TestRotatedKeyReachesAnotherReplica: after a rotation, a replica (or
// the notifier) that read the new key signs a link; a replica still
// holding the old key reads the keys afresh instead of calling the link
// bad, and a token no key signed costs at most one fresh read a minute.
func TestRotatedKeyReachesAnotherReplica(t *testing.T) {
	keys := &cachedKeys{cached: [2][]byte{key1, nil}, source: [2][]byte{key1, nil}}
	e := newEnv(t, func(c *Config) { c.Keys = keys })
	s := e.confirmed("rotation@example.it", "one-piece")
	before := e.links().ManageURL(s)

	keys.rotate(key2)
	other := newLinks("https://mangaalert.test", key2, DefaultManageTTL, e.clock.Now)
	require.Equal(t, http.StatusOK, e.get(pathOf(other.ManageURL(s))).Code, "a link signed with the new key")
	assert.Equal(t, 1, keys.reads())
	assert.Equal(t, http.StatusOK, e.get(pathOf(before)).Code, "a link signed before the rotation: the previous key")
	assert.Equal(t, key2, e.links().key, "this replica signs with the new key too")

	key3 := bytes.Repeat([]byte{3}, 32)
	forged := newLinks("https://mangaalert.test", key3, DefaultManageTTL, e.clock.Now).ManageURL(s)
	assert.Equal(t, http.StatusNotFound, e.get(pathOf(forged)).Code)
	assert.Equal(t, http.StatusNotFound, e.get(pathOf(forged)).Code)
	assert.Equal(t, 1, keys.reads(), "no fresh read within a minute of the last")
	e.clock.Advance(freshKeysEvery)
	assert.Equal(t, http.StatusNotFound, e.get(pathOf(forged)).Code)
	assert.Equal(t, 2, keys.reads(), "one a minute")
}

// TestKeyringRefreshWithPlainKeys: a Keys that is not a FreshKeys is
// asked again past the keyring's TTL.
func TestKeyringRefreshWithPlainKeys(t *testing.T) {
	clk := &clock{t: t0}
	k := &StaticKeys{Current: key1}
	r := &keyring{keys: k, ttl: time.Hour, now: clk.Now}
	_, _, err := r.get(context.Background())
	require.NoError(t, err)
	k.Current, k.Previous = key2, key1
	all, changed := r.refresh(context.Background())
	assert.True(t, changed)
	assert.Equal(t, [][]byte{key2, key1}, all)
	_, changed = r.refresh(context.Background())
	assert.False(t, changed, "within a minute: not asked")
}
