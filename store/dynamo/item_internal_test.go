package dynamo

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/manga-alert-italia/mangaalert/store"
	"github.com/manga-alert-italia/mangaalert/store/storetest"
)

// Every field of a Subscriber survives the item mapping: the record is
// filled by reflection, so a field added to store.Subscriber and
// forgotten in subItem or decodeSub fails here.
func TestSubscriberItemKeepsEveryField(t *testing.T) {
	var sub store.Subscriber
	storetest.FillEvery(t, &sub)
	got, err := decodeSub(subItem(sub))
	require.NoError(t, err)
	assert.Equal(t, sub, got)
}
