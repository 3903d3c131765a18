package dynamo

import (
	"reflect"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/manga-alert-italia/mangaalert/store"
)

// Every field of a Subscriber survives the item mapping: the record is
// filled by reflection, so a field added to store.Subscriber and
// forgotten in subItem or decodeSub fails here.
func TestSubscriberItemKeepsEveryField(t *testing.T) {
	var sub store.Subscriber
	v := reflect.ValueOf(&sub).Elem()
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
			t.Fatalf("field %s of kind %s: teach this test its values", v.Type().Field(i).Name, f.Kind())
		}
	}
	got, err := decodeSub(subItem(sub))
	require.NoError(t, err)
	assert.Equal(t, sub, got)
}
