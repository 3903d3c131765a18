package main

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/manga-alert-italia/mangaalert/notifier"
)

// TestNotifyReportsHonestly: the summary line is the report's Summary, and
// a run that leaves a failed, uncertain or unresolved alert exits 1 naming
// the readers and what to do.
func TestNotifyReportsHonestly(t *testing.T) {
	many := make([]string, 12)
	for i := range many {
		many[i] = fmt.Sprintf("r%02d", i)
	}
	for _, tc := range []struct {
		name       string
		s          notifier.Summary
		code       int
		wantStderr []string
	}{
		{"clean", func() (s notifier.Summary) { s.Emails.Sent, s.Alerts.Sent = 2, 3; return }(), exitOK, nil},
		{"uncertain from a dead run, no uncertain message", func() (s notifier.Summary) {
			s.Alerts.Uncertain, s.UncertainReaders = 14, many
			return
		}(), exitFail, []string{"14 alerts uncertain for 12 readers (r00, r01", "r09 and 2 more)", "check the provider's sending log"}},
		{"failed", func() (s notifier.Summary) {
			s.Emails.Failed, s.Alerts.Failed, s.FailedReaders = 1, 2, []string{"r7"}
			return
		}(), exitFail, []string{"2 alerts failed for 1 readers (r7)", "check their addresses"}},
		{"unresolved", func() (s notifier.Summary) { s.Unresolved = 3; return }(), exitFail, []string{"3 alerts have no recorded outcome", "run notify again"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out, errb bytes.Buffer
			assert.Equal(t, tc.code, reportRun(&out, &errb, tc.s))
			assert.Equal(t, "notify: "+tc.s.String()+"\n", out.String())
			for _, w := range tc.wantStderr {
				assert.Contains(t, errb.String(), w)
			}
			if tc.wantStderr == nil {
				assert.Empty(t, errb.String())
			}
		})
	}
}
