package store_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/manga-alert-italia/mangaalert/store"
)

func TestAlertBrief(t *testing.T) {
	claimed := time.Date(2025, 3, 1, 8, 0, 0, 0, store.Rome)
	updated := claimed.Add(time.Hour)
	date := store.NewDate(2025, 4, 1)
	key := store.AlertKey{SubscriberID: "sub", VolumeID: "vol", Kind: store.Reminder(7)}
	tests := []struct {
		name  string
		alert store.Alert
		want  store.AlertBrief
	}{
		{
			name:  "claimed: the run and ClaimedAt",
			alert: store.Alert{AlertKey: key, State: store.Claimed, RunID: "run", ReleaseDate: date, ClaimedAt: claimed, UpdatedAt: updated},
			want:  store.AlertBrief{SubscriberID: "sub", Kind: store.Reminder(7), State: store.Claimed, RunID: "run", ReleaseDate: date, At: claimed},
		},
		{
			name:  "sent: UpdatedAt, no run, no message id",
			alert: store.Alert{AlertKey: key, State: store.Sent, RunID: "run", MessageID: "m", ReleaseDate: date, ClaimedAt: claimed, UpdatedAt: updated},
			want:  store.AlertBrief{SubscriberID: "sub", Kind: store.Reminder(7), State: store.Sent, ReleaseDate: date, At: updated},
		},
		{
			name:  "failed: no error",
			alert: store.Alert{AlertKey: key, State: store.Failed, RunID: "run", Error: "bounced", ClaimedAt: claimed, UpdatedAt: updated},
			want:  store.AlertBrief{SubscriberID: "sub", Kind: store.Reminder(7), State: store.Failed, At: updated},
		},
		{
			name:  "uncertain",
			alert: store.Alert{AlertKey: key, State: store.Uncertain, RunID: "run", ClaimedAt: claimed},
			want:  store.AlertBrief{SubscriberID: "sub", Kind: store.Reminder(7), State: store.Uncertain},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, tt.alert.Brief())
		})
	}
}
