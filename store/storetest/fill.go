package storetest

import (
	"reflect"
	"testing"
	"time"

	"github.com/manga-alert-italia/mangaalert/store"
)

// FillEvery sets every field of the record rec points to (a Subscriber,
// Follow, Alert…) to a value that is not its zero, so a test that maps
// the record somewhere and back (a codec, an item, the export) fails
// when a field added to the record is forgotten there. A field of a type
// it has no value for fails the test, saying so.
func FillEvery(t testing.TB, rec any) {
	t.Helper()
	fill(t, reflect.ValueOf(rec).Elem())
}

var (
	timeType   = reflect.TypeFor[time.Time]()
	dateType   = reflect.TypeFor[store.Date]()
	remindType = reflect.TypeFor[store.Remind]()
)

func fill(t testing.TB, v reflect.Value) {
	t.Helper()
	for i := range v.NumField() {
		f, name := v.Field(i), v.Type().Field(i).Name
		switch {
		case f.Type() == timeType: // nanoseconds too: the stores keep them
			f.Set(reflect.ValueOf(time.Date(2026, 12, 3, 10, i, 0, i, time.UTC)))
		case f.Type() == dateType:
			f.Set(reflect.ValueOf(store.NewDate(2026, 12, 3)))
		case f.Type() == remindType: // a valid choice, not just any bits
			f.Set(reflect.ValueOf(store.RemindChosen | store.Remind7))
		case f.Kind() == reflect.Struct:
			fill(t, f)
		case f.Kind() == reflect.String:
			f.SetString("v-" + name)
		case f.Kind() == reflect.Bool:
			f.SetBool(true)
		case f.CanInt():
			f.SetInt(int64(i + 1))
		case f.CanUint():
			f.SetUint(uint64(i + 1))
		case f.Kind() == reflect.Slice && f.Type().Elem().Kind() == reflect.Int:
			f.Set(reflect.ValueOf([]int{i + 1}).Convert(f.Type()))
		default:
			t.Fatalf("%s.%s of type %s: teach storetest.FillEvery a value for it", v.Type().Name(), name, f.Type())
		}
	}
}
