package backend

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/manga-alert-italia/mangaalert/store"
)

func TestTokens(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	c := claims{Purpose: Confirm, Subject: "sub1", Extra: "one-piece", Expires: now.Add(time.Hour)}
	tok, err := sign(key1, c, "")
	require.NoError(t, err)
	assert.NotContains(t, tok, "=", "URL-safe, unpadded")

	got, err := verify([][]byte{key1, nil}, tok, Confirm, "", now)
	require.NoError(t, err)
	assert.Equal(t, "sub1", got.Subject)
	assert.Equal(t, "one-piece", got.Extra)
	assert.True(t, got.Expires.Equal(c.Expires))

	bound, err := sign(key1, claims{Purpose: Feed, Subject: "sub1"}, "secret-a")
	require.NoError(t, err)

	flip := func(s string, i int) string {
		b := []byte(s)
		if b[i] == 'A' {
			b[i] = 'B'
		} else {
			b[i] = 'A'
		}
		return string(b)
	}
	// respell changes the last character's unused low bits: the same bytes
	// to a lax decoder, another spelling of the token.
	respell := func(s string) string {
		const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
		b := []byte(s)
		i := strings.IndexByte(alphabet, b[len(b)-1])
		b[len(b)-1] = alphabet[i^1]
		return string(b)
	}
	p64, m64, _ := strings.Cut(tok, ".")
	tests := []struct {
		name    string
		keys    [][]byte
		tok     string
		purpose Purpose
		bind    string
		now     time.Time
		err     error
	}{
		{"previous key", [][]byte{key2, key1}, tok, Confirm, "", now, nil},
		{"unknown key", [][]byte{key2, nil}, tok, Confirm, "", now, ErrBadToken},
		{"other purpose", [][]byte{key1}, tok, Manage, "", now, ErrBadToken},
		{"expired", [][]byte{key1}, tok, Confirm, "", now.Add(time.Hour), ErrExpiredToken},
		{"payload flipped", [][]byte{key1}, flip(tok, 3), Confirm, "", now, ErrBadToken},
		{"mac flipped", [][]byte{key1}, flip(tok, len(tok)-3), Confirm, "", now, ErrBadToken},
		{"no dot", [][]byte{key1}, strings.ReplaceAll(tok, ".", ""), Confirm, "", now, ErrBadToken},
		{"empty", [][]byte{key1}, "", Confirm, "", now, ErrBadToken},
		{"huge", [][]byte{key1}, strings.Repeat("a", 600) + "." + "b", Confirm, "", now, ErrBadToken},
		{"mac padding bits set", [][]byte{key1}, respell(tok), Confirm, "", now, ErrBadToken},
		{"line break inside", [][]byte{key1}, p64 + ".\n" + m64, Confirm, "", now, ErrBadToken},
		{"carriage return inside", [][]byte{key1}, p64[:2] + "\r" + p64[2:] + "." + m64, Confirm, "", now, ErrBadToken},
		{"padded", [][]byte{key1}, tok + "=", Confirm, "", now, ErrBadToken},
		{"bound ok", [][]byte{key1}, bound, Feed, "secret-a", now, nil},
		{"bound to another secret", [][]byte{key1}, bound, Feed, "secret-b", now, ErrBadToken},
		{"never expires", [][]byte{key1}, bound, Feed, "secret-a", now.AddDate(30, 0, 0), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := verify(tt.keys, tt.tok, tt.purpose, tt.bind, tt.now)
			if tt.err == nil {
				assert.NoError(t, err)
			} else {
				assert.ErrorIs(t, err, tt.err)
			}
		})
	}

	// An expired token is reported as expired only when its MAC holds:
	// nothing a forger writes is believed.
	forged := flip(tok, len(tok)-3)
	_, err = verify([][]byte{key1}, forged, Confirm, "", now.Add(2*time.Hour))
	assert.NotErrorIs(t, err, ErrExpiredToken)

	_, err = sign(key1, claims{Purpose: Manage, Subject: "a|b"}, "")
	assert.Error(t, err, "a '|' would make the payload ambiguous")
}

func TestLinks(t *testing.T) {
	e := newEnv(t)
	s := e.confirmed("l@example.it", "one-piece")
	l := e.links()
	for name, u := range map[string]string{
		"unsubscribe": l.UnsubscribeURL(s),
		"manage":      l.ManageURL(s),
		"calendar":    l.CalendarURL(s),
		"atom":        l.AtomURL(s),
		"series":      l.SeriesURL("one-piece"),
	} {
		t.Run(name, func(t *testing.T) {
			require.True(t, strings.HasPrefix(u, "https://mangaalert.test/"), u)
			assert.Equal(t, 200, e.get(pathOf(u)).Code)
		})
	}
	assert.Empty(t, l.CalendarURL(store.Subscriber{ID: "x"}), "no feed before confirmation")

	// The notifier builds its Links from the same keys.
	nl, err := NewLinks(t.Context(), "https://mangaalert.test/", StaticKeys{Current: key1})
	require.NoError(t, err)
	assert.Equal(t, l.UnsubscribeURL(s), nl.UnsubscribeURL(s))
	_, err = NewLinks(t.Context(), "https://mangaalert.test", StaticKeys{Current: []byte("short")})
	assert.ErrorContains(t, err, "at least 32")
}

// gatedKeys answers SigningKeys only when told to.
type gatedKeys struct {
	entered chan struct{}
	release chan struct{}
	cur     []byte
}

func (g *gatedKeys) SigningKeys(context.Context) ([]byte, []byte, error) {
	g.entered <- struct{}{}
	<-g.release
	return g.cur, nil, nil
}

// TestKeyringRefreshesInTheBackground: while one request fetches due
// keys, the others sign and verify with the keys in hand.
func TestKeyringRefreshesInTheBackground(t *testing.T) {
	clk := &clock{t: t0}
	g := &gatedKeys{entered: make(chan struct{}, 1), release: make(chan struct{}), cur: key1}
	r := &keyring{keys: g, ttl: time.Minute, now: clk.Now}
	go func() { <-g.entered; g.release <- struct{}{} }()
	cur, _, err := r.get(context.Background())
	require.NoError(t, err)
	require.Equal(t, key1, cur)

	clk.Advance(time.Minute)
	g.cur = key2
	done := make(chan []byte)
	go func() { c, _, _ := r.get(context.Background()); done <- c }()
	<-g.entered // the refresh is under way, and blocked
	other := make(chan []byte)
	go func() { c, _, _ := r.get(context.Background()); other <- c }()
	select {
	case c := <-other:
		assert.Equal(t, key1, c, "the keys in hand, without waiting")
	case <-time.After(10 * time.Second):
		t.Fatal("a request waited for the refresh")
	}
	g.release <- struct{}{}
	assert.Equal(t, key2, <-done)
	cur, _, err = r.get(context.Background())
	require.NoError(t, err)
	assert.Equal(t, key2, cur)
}
