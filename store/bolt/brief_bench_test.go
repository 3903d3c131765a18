package bolt_test

import (
	"context"
	"testing"

	"github.com/manga-alert-italia/mangaalert/store"
)

// BenchmarkAlertBriefs compares the notifier's two ways to read a
// volume's alerts on the bench fixture, each into a slice reused from one
// call to the next as the plan does: whole alerts, and briefs (issue 17).
//
//	go test -run '^$' -bench AlertBriefs ./store/bolt/
func BenchmarkAlertBriefs(b *testing.B) {
	s := openFixture(b)
	ctx := context.Background()
	vol := seriesID(7) + "/1"
	b.Run("AlertsOfVolumeAppend", func(b *testing.B) {
		b.ReportAllocs()
		var buf []store.Alert
		for b.Loop() {
			var err error
			if buf, err = s.AlertsOfVolumeAppend(ctx, vol, buf[:0]); err != nil || len(buf) < 500 {
				b.Fatal(len(buf), err)
			}
		}
	})
	b.Run("AlertBriefsOfVolumeAppend", func(b *testing.B) {
		b.ReportAllocs()
		var buf []store.AlertBrief
		for b.Loop() {
			var err error
			if buf, err = s.AlertBriefsOfVolumeAppend(ctx, vol, nil, buf[:0]); err != nil || len(buf) < 500 {
				b.Fatal(len(buf), err)
			}
		}
	})
}
