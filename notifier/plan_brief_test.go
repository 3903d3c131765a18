package notifier_test

import (
	"context"

	"github.com/manga-alert-italia/mangaalert/notifier"
	"github.com/manga-alert-italia/mangaalert/store"
	"github.com/manga-alert-italia/mangaalert/store/bolt"
)

// The embedded store answers the plan's alerts as briefs.
var _ notifier.AlertBriefer = (*bolt.Store)(nil)

// The fault-injecting wrapper passes the briefs read through too (counted
// as the AlertsOfVolume it stands for), so the benchmark and the fault
// tests take the path a bolt store takes.
func (f *faultyStore) AlertBriefsOfVolumeAppend(ctx context.Context, id string, known []string, dst []store.AlertBrief) ([]store.AlertBrief, error) {
	return do(f, "AlertsOfVolume", func() ([]store.AlertBrief, error) {
		if b, ok := f.Store.(notifier.AlertBriefer); ok {
			return b.AlertBriefsOfVolumeAppend(ctx, id, known, dst)
		}
		as, err := f.Store.AlertsOfVolume(ctx, id)
		for _, a := range as {
			dst = append(dst, a.Brief())
		}
		return dst, err
	})
}
