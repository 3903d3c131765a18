package notifier

import (
	"context"

	"github.com/manga-alert-italia/mangaalert/store"
)

// AlertBriefer is a Store that answers a volume's alerts cut down to what
// planning reads (store.AlertBrief), appended to the caller's slice, in
// AlertsOfVolume's order (store/bolt): decoding whole alerts was over a
// quarter of a plan. Optional: other stores' alerts are read with
// AlertsOfVolumeAppend or AlertsOfVolume and cut down with Alert.Brief.
// known are ids in ascending order whose strings the briefs may share
// (the series' followers), rather than copy them.
type AlertBriefer interface {
	AlertBriefsOfVolumeAppend(ctx context.Context, volumeID string, known []string, dst []store.AlertBrief) ([]store.AlertBrief, error)
}

// alertBriefsOfVolume reads a volume's alerts as briefs into *buf (raw
// holds whole alerts for a store that answers only those): the result
// lives until the worker reads that candidate slot again.
func (c *Notifier) alertBriefsOfVolume(ctx context.Context, volumeID string, known []string, buf *[]store.AlertBrief, raw *[]store.Alert) ([]store.AlertBrief, error) {
	if b, ok := c.store.(AlertBriefer); ok {
		return reuse(buf, func(dst []store.AlertBrief) ([]store.AlertBrief, error) {
			return b.AlertBriefsOfVolumeAppend(ctx, volumeID, known, dst)
		})
	}
	as, err := c.alertsOfVolume(ctx, volumeID, raw)
	if err != nil {
		return nil, err
	}
	return reuse(buf, func(dst []store.AlertBrief) ([]store.AlertBrief, error) {
		for i := range as {
			dst = append(dst, as[i].Brief())
		}
		return dst, nil
	})
}
