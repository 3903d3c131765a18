package bolt

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/manga-alert-italia/mangaalert/store"
)

// Records written before collections and reminders were kept read as
// none; what is written now round-trips.
func TestCollectionCodec(t *testing.T) {
	at := time.Date(2024, 9, 1, 10, 0, 0, 5, time.UTC)
	old := putTime(at) // a follow's value before collections
	x, owned, err := followTail(old, nil)
	require.NoError(t, err)
	assert.Equal(t, followExtra{}, x)
	assert.Empty(t, owned)

	r, err := store.Reminds("30", "1")
	require.NoError(t, err)
	f := store.Follow{CreatedAt: at, OwnedUpTo: 7, Owned: []int{9, 12, 300}, Reminders: r}
	v := followValue(f, 0) // as written before reader numbers
	assert.Equal(t, at, nanosTime(getNanos(v[:8])))
	x, owned, err = followTail(v, []int{1})
	require.NoError(t, err)
	assert.Equal(t, followExtra{upTo: 7, reminds: r, from: 1, to: 4}, x)
	assert.Equal(t, []int{1, 9, 12, 300}, owned)
	_, _, err = followTail(v[:len(v)-1], nil)
	require.ErrorIs(t, err, errCorrupt, "a cut value is corrupt, not shorter")

	// With the reader's number after the collection, and with it alone.
	v = followValue(f, 300)
	x, owned, err = followTail(v, nil)
	require.NoError(t, err)
	assert.Equal(t, followExtra{upTo: 7, reminds: r, from: 0, to: 3, reader: 300}, x)
	assert.Equal(t, []int{9, 12, 300}, owned)
	_, _, err = followTail(v[:len(v)-1], nil)
	require.ErrorIs(t, err, errCorrupt, "a cut number is corrupt")
	_, _, err = followTail(append(v, 1), nil)
	require.ErrorIs(t, err, errCorrupt, "bytes after the number are corrupt")
	fv, err := decodeFollowValue(followValue(store.Follow{CreatedAt: at}, 5))
	require.NoError(t, err)
	assert.Equal(t, followVal{f: store.Follow{CreatedAt: at}, reader: 5}, fv)

	// A subscriber record that ends before Reminders (as every record did).
	s := store.Subscriber{ID: "sub-1", Email: "a@example.it", Status: store.Active, CreatedAt: at, Reminders: r}
	b := encodeSubscriber(s)
	zero := s
	zero.Reminders = 0
	// A zero varint is one byte: Reminders, and after it the zero consent
	// time and version and the two Telegram fields, one byte each.
	before := len(encodeSubscriber(zero)) - 5
	got, err := decodeSubscriber(b[:before])
	require.NoError(t, err)
	assert.Zero(t, got.Reminders)
	got, err = decodeSubscriber(b)
	require.NoError(t, err)
	assert.Equal(t, r, got.Reminders)
}
