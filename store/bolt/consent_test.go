package bolt

import (
	"reflect"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/manga-alert-italia/mangaalert/store"
)

// Every field of a Subscriber survives the codec: the record is filled by
// reflection, so a field added to store.Subscriber and forgotten in
// encodeSubscriber fails here, not in a reader's lost setting.
func TestSubscriberCodecKeepsEveryField(t *testing.T) {
	var sub store.Subscriber
	fillEvery(t, reflect.ValueOf(&sub).Elem())
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

// fillEvery sets every field of v to a value that is not its zero.
func fillEvery(t *testing.T, v reflect.Value) {
	t.Helper()
	for i := range v.NumField() {
		f := v.Field(i)
		switch {
		case f.Type() == reflect.TypeOf(time.Time{}):
			f.Set(reflect.ValueOf(time.Date(2026, 12, 3, 10, i, 0, i, time.UTC)))
		case f.Kind() == reflect.String:
			f.SetString("v" + v.Type().Field(i).Name)
		case f.Kind() == reflect.Bool:
			f.SetBool(true)
		case f.CanInt():
			f.SetInt(int64(i + 1))
		case f.CanUint():
			f.SetUint(uint64(i + 1))
		default:
			t.Fatalf("fillEvery: field %s of kind %s: teach this test its values", v.Type().Field(i).Name, f.Kind())
		}
	}
}
