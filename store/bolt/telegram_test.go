package bolt

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/manga-alert-italia/mangaalert/store"
)

// A subscriber record written before the Telegram fields existed reads as
// no chat, e-mail only; one written with them reads them back.
func TestTelegramCodec(t *testing.T) {
	s := store.Subscriber{ID: "sub-1", Email: "a@example.it", Status: store.Active,
		CreatedAt: time.Unix(1700000000, 5).UTC(), TelegramChatID: -1001234567890, Channels: store.ChannelBoth}
	b := encodeSubscriber(s)
	got, err := decodeSubscriber(b)
	require.NoError(t, err)
	assert.Equal(t, s, got)

	zero := s
	zero.TelegramChatID, zero.Channels = 0, 0
	before := len(encodeSubscriber(zero)) - 2 // two zero varints, one byte each
	got, err = decodeSubscriber(b[:before])
	require.NoError(t, err)
	assert.Equal(t, zero, got)
}
