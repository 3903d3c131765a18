package bolt

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"testing"
	"time"
	"unsafe"

	"github.com/stretchr/testify/require"
	bbolt "go.etcd.io/bbolt"

	"github.com/manga-alert-italia/mangaalert/store"
)

// briefAlerts are alerts in every state the records hold, of every kind
// (the common ones, moved notices, re-dated reminders, unknown kinds),
// with and without release dates, message ids, errors and times, under
// subscriber ids that are prefixes of each other.
func briefAlerts(vol string) []store.Alert {
	claimed := time.Date(2025, 3, 1, 8, 0, 0, 123456789, time.UTC)
	updated := time.Date(2025, 3, 2, 9, 30, 0, 987, time.UTC)
	date := store.NewDate(2025, 4, 1)
	return []store.Alert{
		{AlertKey: store.AlertKey{SubscriberID: "a", VolumeID: vol, Kind: store.Announce}, State: store.Sent, RunID: "run-1", MessageID: "msg-1", ReleaseDate: date, ClaimedAt: claimed, UpdatedAt: updated},
		{AlertKey: store.AlertKey{SubscriberID: "a", VolumeID: vol, Kind: store.Reminder(30)}, State: store.Claimed, RunID: "run-2", ReleaseDate: date, ClaimedAt: claimed, UpdatedAt: claimed},
		{AlertKey: store.AlertKey{SubscriberID: "a", VolumeID: vol, Kind: store.Reminder(7)}, State: store.Failed, RunID: "run-3", Error: "bounced: mailbox full", ClaimedAt: claimed, UpdatedAt: updated},
		{AlertKey: store.AlertKey{SubscriberID: "a", VolumeID: vol, Kind: store.Reminder(1)}, State: store.Uncertain, RunID: "run-4", Error: "died", ReleaseDate: date, ClaimedAt: claimed, UpdatedAt: updated},
		{AlertKey: store.AlertKey{SubscriberID: "ab", VolumeID: vol, Kind: store.Moved(date)}, State: store.Sent, RunID: "run-5", MessageID: "m", ReleaseDate: date, ClaimedAt: claimed, UpdatedAt: updated},
		{AlertKey: store.AlertKey{SubscriberID: "ab", VolumeID: vol, Kind: store.RemindFor(7, store.NewDate(2025, 3, 20))}, State: store.Claimed, RunID: "released:run-6", ReleaseDate: store.NewDate(2025, 3, 20), ClaimedAt: claimed},
		{AlertKey: store.AlertKey{SubscriberID: "abc-a-much-longer-subscriber-id-than-most", VolumeID: vol, Kind: "future-kind"}, State: store.Sent, UpdatedAt: updated},
		{AlertKey: store.AlertKey{SubscriberID: "b", VolumeID: vol, Kind: store.Reminder(14)}, State: store.Claimed, RunID: "run-7", ClaimedAt: time.Unix(-5, 1).UTC()},
		{AlertKey: store.AlertKey{SubscriberID: "c", VolumeID: vol, Kind: store.Announce}, State: "a-state-not-known-yet", RunID: "run-8", UpdatedAt: updated},
	}
}

func TestAlertBriefsOfVolumeAppend(t *testing.T) {
	ctx := context.Background()
	s, err := Open(filepath.Join(t.TempDir(), "b.db"))
	require.NoError(t, err)
	t.Cleanup(func() { s.Close() })
	vols := []string{"v/1", "v/10", "v/1x"} // keys of "v/1" are a byte-prefix of the others' but for the separator
	require.NoError(t, s.db.Update(func(tx *bbolt.Tx) error {
		for _, vol := range vols {
			for _, a := range briefAlerts(vol) {
				if err := putAlert(tx, store.Alert{}, a); err != nil {
					return err
				}
			}
		}
		// A record written before ReleaseDate and the times were kept:
		// the missing trailing fields read as zero.
		old := newEncoder(16)
		old.str(string(store.Claimed))
		old.str("run-old")
		return tx.Bucket(bucketAlerts).Put(alertKey(store.AlertKey{SubscriberID: "d", VolumeID: "v/1", Kind: store.Announce}), old.b)
	}))

	tests := []struct {
		name  string
		known []string
		dst   []store.AlertBrief
	}{
		{name: "nil dst"},
		{name: "appends after what dst holds", dst: []store.AlertBrief{{SubscriberID: "kept", State: store.Sent}}},
		{name: "reuses a larger array", dst: make([]store.AlertBrief, 0, 64)},
		{name: "known ids, some of them", known: []string{"0", "ab", "abc", "c", "z"}},
		{name: "known ids, all of them", known: []string{"a", "ab", "abc-a-much-longer-subscriber-id-than-most", "b", "c", "d"}},
		{name: "known ids, none of them", known: []string{"aa", "bb"}, dst: []store.AlertBrief{{SubscriberID: "kept"}}},
	}
	for _, tt := range tests {
		for _, vol := range append(vols, "v/none") {
			t.Run(fmt.Sprintf("%s, %s", tt.name, vol), func(t *testing.T) {
				full, err := s.AlertsOfVolume(ctx, vol)
				require.NoError(t, err)
				want := append([]store.AlertBrief(nil), tt.dst...)
				for _, a := range full {
					want = append(want, a.Brief())
				}
				got, err := s.AlertBriefsOfVolumeAppend(ctx, vol, tt.known, tt.dst)
				require.NoError(t, err)
				if len(want) == 0 {
					require.Empty(t, got)
					return
				}
				require.Equal(t, want, got)
				for _, b := range got[len(tt.dst):] {
					if i, ok := slices.BinarySearch(tt.known, b.SubscriberID); ok {
						require.Same(t, unsafe.StringData(tt.known[i]), unsafe.StringData(b.SubscriberID), "%s: known's string, not a copy", b.SubscriberID)
					}
				}
			})
		}
	}
	// The briefs say what the rules read, field by field (Brief is held
	// to this too, so a wrong Brief cannot hide a wrong decode).
	got, err := s.AlertBriefsOfVolumeAppend(ctx, "v/1", nil, nil)
	require.NoError(t, err)
	all := briefAlerts("v/1")
	require.Len(t, got, len(all)+1)
	byKey := map[store.AlertKey]store.AlertBrief{}
	for _, b := range got {
		byKey[store.AlertKey{SubscriberID: b.SubscriberID, VolumeID: "v/1", Kind: b.Kind}] = b
	}
	for i, a := range all {
		b, ok := byKey[a.AlertKey]
		require.True(t, ok, a.AlertKey)
		require.Equal(t, a.SubscriberID, b.SubscriberID, i)
		require.Equal(t, a.Kind, b.Kind, i)
		require.Equal(t, a.State, b.State, i)
		require.Equal(t, a.ReleaseDate, b.ReleaseDate, i)
		if a.State == store.Claimed {
			require.Equal(t, a.RunID, b.RunID, i)
			require.True(t, a.ClaimedAt.Equal(b.At), "%d: %s != %s", i, a.ClaimedAt, b.At)
		} else {
			require.Empty(t, b.RunID, i)
			require.True(t, a.UpdatedAt.Equal(b.At), "%d: %s != %s", i, a.UpdatedAt, b.At)
		}
	}
	require.Equal(t, store.AlertBrief{SubscriberID: "d", Kind: store.Announce, State: store.Claimed, RunID: "run-old"}, got[len(all)], "the old record, last by subscriber")
}

func TestAlertBriefsOfVolumeAppendCorrupt(t *testing.T) {
	ctx := context.Background()
	s, err := Open(filepath.Join(t.TempDir(), "b.db"))
	require.NoError(t, err)
	t.Cleanup(func() { s.Close() })
	for name, rec := range map[string][]byte{
		"unknown version":     {codecVersion + 1, 4, 's', 'e', 'n', 't'},
		"empty":               {},
		"string past the end": {codecVersion, 40, 's'},
		"unended varint":      {codecVersion, 4, 's', 'e', 'n', 't', 0, 0, 0, 0, 1, 0x80},
	} {
		t.Run(name, func(t *testing.T) {
			k := store.AlertKey{SubscriberID: "a", VolumeID: "v-" + name, Kind: store.Announce}
			require.NoError(t, s.db.Update(func(tx *bbolt.Tx) error { return tx.Bucket(bucketAlerts).Put(alertKey(k), rec) }))
			_, fullErr := s.AlertsOfVolume(ctx, k.VolumeID)
			require.ErrorIs(t, fullErr, errCorrupt)
			dst := []store.AlertBrief{{SubscriberID: "kept"}}
			got, err := s.AlertBriefsOfVolumeAppend(ctx, k.VolumeID, []string{"a"}, dst)
			require.ErrorIs(t, err, errCorrupt)
			require.ErrorContains(t, err, k.VolumeID)
			require.Equal(t, dst, got)
		})
	}
}
