package bolt

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/manga-alert-italia/mangaalert/store"
	"github.com/manga-alert-italia/mangaalert/store/storetest"
)

// Every field of a Subscriber survives the codec: the record is filled by
// reflection, so a field added to store.Subscriber and forgotten in
// encodeSubscriber fails here, not in a reader's lost setting.
func TestSubscriberCodecKeepsEveryField(t *testing.T) {
	var sub store.Subscriber
	storetest.FillEvery(t, &sub)
	got, err := decodeSubscriber(encodeSubscriber(sub))
	require.NoError(t, err)
	assert.Equal(t, sub, got)
}

// A record written before consent was kept reads it as none.
func TestSubscriberCodecBeforeConsent(t *testing.T) {
	at := time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)
	s := store.Subscriber{ID: "sub-1", Email: "a@example.it", Status: store.Active, CreatedAt: at, Reminders: store.RemindChosen}
	b := encodeSubscriber(s)
	got, err := decodeSubscriber(b[:len(b)-2]) // the zero time and the empty version: one byte each
	require.NoError(t, err)
	assert.Equal(t, s, got)
}
