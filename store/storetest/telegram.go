package storetest

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/manga-alert-italia/mangaalert/store"
)

// testTelegram: a subscriber keeps its chat and channels; the chat finds
// it while linked and no longer once unlinked, moved or deleted; bad
// channels write nothing.
func testTelegram(t *testing.T, s store.Store) {
	ctx := context.Background()
	require.NoError(t, s.CreateSubscriber(ctx, subscriber("sub-1", "uno@example.it")))
	require.NoError(t, s.CreateSubscriber(ctx, subscriber("sub-2", "due@example.it")))

	old, err := s.Subscriber(ctx, "sub-1")
	require.NoError(t, err)
	assert.Zero(t, old.TelegramChatID, "a new reader has no chat")
	assert.Zero(t, old.Channels, "and e-mail only")
	_, err = s.SubscriberByChat(ctx, 0)
	require.ErrorIs(t, err, store.ErrNotFound)

	old.TelegramChatID, old.Channels = -1001234567890, store.ChannelBoth // a group's id is negative
	linked, err := s.UpdateSubscriber(ctx, old, t0.Add(time.Minute))
	require.NoError(t, err)
	got, err := s.Subscriber(ctx, "sub-1")
	require.NoError(t, err)
	assert.Equal(t, linked, got)
	got, err = s.SubscriberByChat(ctx, -1001234567890)
	require.NoError(t, err)
	assert.Equal(t, linked, got)
	_, err = s.SubscriberByChat(ctx, 1001234567890)
	require.ErrorIs(t, err, store.ErrNotFound, "another chat")

	// Moved to another chat: the old one finds nobody.
	linked.TelegramChatID = 77
	linked, err = s.UpdateSubscriber(ctx, linked, t0.Add(2*time.Minute))
	require.NoError(t, err)
	_, err = s.SubscriberByChat(ctx, -1001234567890)
	require.ErrorIs(t, err, store.ErrNotFound)
	got, err = s.SubscriberByChat(ctx, 77)
	require.NoError(t, err)
	assert.Equal(t, "sub-1", got.ID)

	// Unlinked: channels stay as chosen, the chat finds nobody.
	linked.TelegramChatID = 0
	linked, err = s.UpdateSubscriber(ctx, linked, t0.Add(3*time.Minute))
	require.NoError(t, err)
	assert.Equal(t, store.ChannelBoth, linked.Channels)
	_, err = s.SubscriberByChat(ctx, 77)
	require.ErrorIs(t, err, store.ErrNotFound)

	// Deleted with a chat linked: the chat finds nobody.
	two, err := s.Subscriber(ctx, "sub-2")
	require.NoError(t, err)
	two.TelegramChatID, two.Channels = 88, store.ChannelTelegram
	_, err = s.UpdateSubscriber(ctx, two, t0.Add(time.Minute))
	require.NoError(t, err)
	require.NoError(t, s.DeleteSubscriber(ctx, "sub-2"))
	_, err = s.SubscriberByChat(ctx, 88)
	require.ErrorIs(t, err, store.ErrNotFound)

	bad := linked
	bad.Channels = 9
	_, err = s.UpdateSubscriber(ctx, bad, t0.Add(4*time.Minute))
	require.Error(t, err)
	got, err = s.Subscriber(ctx, "sub-1")
	require.NoError(t, err)
	assert.Equal(t, linked, got, "a bad update wrote nothing")
}

// testLinkTokens: a link token is taken once; a second take, an unknown
// and an expired one answer ErrNotFound; of concurrent takes exactly one
// wins.
func testLinkTokens(t *testing.T, s store.Store) {
	ctx := context.Background()
	now := wallNow()
	tok := store.LinkToken{Hash: tokenHash("link-1"), SubscriberID: "sub-1", ExpiresAt: now.Add(30 * time.Minute)}
	require.NoError(t, s.PutLinkToken(ctx, tok))
	require.ErrorIs(t, s.PutLinkToken(ctx, tok), store.ErrExists)
	for name, bad := range map[string]store.LinkToken{
		"no hash":       {SubscriberID: "sub-1", ExpiresAt: tok.ExpiresAt},
		"no subscriber": {Hash: tokenHash("x"), ExpiresAt: tok.ExpiresAt},
		"no expiry":     {Hash: tokenHash("x"), SubscriberID: "sub-1"},
	} {
		require.Error(t, s.PutLinkToken(ctx, bad), name)
	}

	got, err := s.TakeLinkToken(ctx, tok.Hash, now)
	require.NoError(t, err)
	assert.Equal(t, tok, got)
	_, err = s.TakeLinkToken(ctx, tok.Hash, now)
	require.ErrorIs(t, err, store.ErrNotFound, "one time only")
	_, err = s.TakeLinkToken(ctx, tokenHash("never"), now)
	require.ErrorIs(t, err, store.ErrNotFound)
	_, err = s.TakeLinkToken(ctx, "", now)
	require.ErrorIs(t, err, store.ErrNotFound)

	late := store.LinkToken{Hash: tokenHash("link-2"), SubscriberID: "sub-1", ExpiresAt: now.Add(time.Minute)}
	require.NoError(t, s.PutLinkToken(ctx, late))
	_, err = s.TakeLinkToken(ctx, late.Hash, now.Add(time.Minute))
	require.ErrorIs(t, err, store.ErrNotFound, "expired at its ExpiresAt")
	_, err = s.TakeLinkToken(ctx, late.Hash, now)
	require.ErrorIs(t, err, store.ErrNotFound, "and gone once asked for")

	race := store.LinkToken{Hash: tokenHash("link-3"), SubscriberID: "sub-1", ExpiresAt: now.Add(time.Hour)}
	require.NoError(t, s.PutLinkToken(ctx, race))
	var wg sync.WaitGroup
	var mu sync.Mutex
	wins := 0
	for range 8 {
		wg.Go(func() {
			if _, err := s.TakeLinkToken(ctx, race.Hash, now); err == nil {
				mu.Lock()
				wins++
				mu.Unlock()
			} else {
				assert.ErrorIs(t, err, store.ErrNotFound)
			}
		})
	}
	wg.Wait()
	assert.Equal(t, 1, wins)
}
