package notifier_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/manga-alert-italia/mangaalert/notifier"
	"github.com/manga-alert-italia/mangaalert/store"
)

// logRecord is the figures of the "notifier run" log record.
type logRecord struct {
	Readers         int      `json:"readers"`
	EmailsSent      int      `json:"emails_sent"`
	EmailsFailed    int      `json:"emails_failed"`
	EmailsUncertain int      `json:"emails_uncertain"`
	EmailsDeferred  int      `json:"emails_deferred"`
	Sent            int      `json:"sent"`
	Failed          int      `json:"failed"`
	Deferred        int      `json:"deferred"`
	Uncertain       int      `json:"uncertain"`
	Unresolved      int      `json:"unresolved"`
	FailedReaders   []string `json:"failed_readers"`
	UncertainRdrs   []string `json:"uncertain_readers"`
}

// TestSummaryIsTheLogRecord: the summary and the log record are the same
// figures, including the alerts a dead run left (uncertain though this run
// sent no uncertain message) and the messages a stop deferred.
func TestSummaryIsTheLogRecord(t *testing.T) {
	now := at(2024, time.October, 1, 9)
	for _, tc := range []struct {
		name       string
		failSecond error
		want       logRecord
		wantLine   string
		clean      bool
	}{
		{"all sent", nil,
			logRecord{Readers: 3, EmailsSent: 3, Sent: 3},
			"3 emails sent, 0 failed, 0 uncertain, 0 deferred; alerts: 3 sent, 0 failed, 0 uncertain, 0 deferred, 0 unresolved", true},
		{"dead run's claim and a refused message", notifier.ErrRejected,
			logRecord{Readers: 3, EmailsSent: 1, EmailsFailed: 1, Sent: 1, Failed: 1, Uncertain: 1, UncertainRdrs: []string{"r0000"}},
			"1 emails sent, 1 failed, 0 uncertain, 0 deferred; alerts: 1 sent, 1 failed, 1 uncertain, 0 deferred, 0 unresolved", false},
		{"dead run's claim and a stop", notifier.ErrStopped,
			logRecord{Readers: 3, EmailsSent: 1, EmailsDeferred: 1, Sent: 1, Deferred: 1, Uncertain: 1, UncertainRdrs: []string{"r0000"}},
			"1 emails sent, 0 failed, 0 uncertain, 1 deferred; alerts: 1 sent, 0 failed, 1 uncertain, 1 deferred, 0 unresolved", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st := world(t, 3, now)
			if tc.failSecond != nil {
				k := store.AlertKey{SubscriberID: "r0000", VolumeID: "frieren/13", Kind: store.Announce}
				require.NoError(t, st.ClaimAlert(context.Background(), store.Alert{AlertKey: k, RunID: "dead-run", ClaimedAt: now.Add(-time.Hour)}))
			}
			snd := &recSender{fail: func(n int, _ *notifier.Message) error {
				if n == 2 && tc.failSecond != nil {
					return fmt.Errorf("provider says: %w", tc.failSecond)
				}
				return nil
			}}
			var buf bytes.Buffer
			rep, _ := newNotifier(st, snd, notifier.NewFakeClock(now), func(n *notifier.Notifier) {
				n.Concurrency = 1
				n.Logger = slog.New(slog.NewJSONHandler(&buf, nil))
			}).Run(context.Background())
			require.NotNil(t, rep)
			var line struct {
				Report logRecord `json:"report"`
			}
			require.NoError(t, json.Unmarshal([]byte(strings.TrimSpace(buf.String())), &line), buf.String())
			want := tc.want
			if tc.failSecond == notifier.ErrRejected {
				require.Len(t, line.Report.FailedReaders, 1)
				want.FailedReaders = line.Report.FailedReaders
			}
			if tc.failSecond != nil {
				want.Readers = line.Report.Readers // the dead run's reader is planned or not by the store's order
			}
			assert.Equal(t, want, line.Report)

			s := rep.Summary()
			assert.Equal(t, tc.wantLine, s.String())
			assert.Equal(t, tc.clean, s.Clean())
			assert.Equal(t, line.Report.Uncertain, s.Alerts.Uncertain)
			assert.Equal(t, line.Report.FailedReaders, s.FailedReaders)
			assert.Equal(t, line.Report.UncertainRdrs, s.UncertainReaders)
		})
	}
}

// TestUnsendableAddressesAreSkipped: an address stored before the backend
// checked addresses (invalid UTF-8 turned into U+FFFD, bidi or zero-width
// characters, raw non-ASCII) is skipped, never put in a To header.
func TestUnsendableAddressesAreSkipped(t *testing.T) {
	now := at(2024, time.October, 1, 9)
	st := newTestStore(t)
	st.putVolume(vol("frieren", 13, store.DateOf(now).AddDays(40), now.Add(-time.Hour)))
	for i, addr := range []string{"\ufffd\ufffd@lettori.example", "a\u202eb@lettori.example", "a\u200b@lettori.example", "città@lettori.example", ""} {
		s := reader(fmt.Sprintf("r%04d", i))
		if addr != "" {
			s.Email = addr
		}
		st.putSubscriber(s)
		st.follow(store.Follow{SubscriberID: s.ID, SeriesID: "frieren", CreatedAt: now.AddDate(0, -1, 0)})
	}
	snd := &recSender{}
	rep := runOK(t, newNotifier(st, snd, notifier.NewFakeClock(now)))
	require.Len(t, snd.messages(), 1)
	assert.Equal(t, "r0004@lettori.example", snd.messages()[0].msg.To)
	assert.Equal(t, 4, rep.Kinds[store.Announce].Skipped)
}
