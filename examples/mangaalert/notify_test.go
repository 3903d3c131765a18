package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

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

// TestEventSecretOnlyFromTheEnvironment: --ses-event-secret on the command
// line is refused with the sources to use instead; the environment, a file
// or a Secrets Manager secret give it.
func TestEventSecretOnlyFromTheEnvironment(t *testing.T) {
	code, out, errs := mangaalert("serve", "--ses-event-secret", "s3cret")
	assert.Equal(t, exitUsage, code)
	assert.Empty(t, out)
	assert.Contains(t, errs, "--ses-event-secret is refused on the command line")
	assert.Contains(t, errs, "MANGAALERT_SES_EVENT_SECRET")
	assert.Contains(t, errs, "--ses-event-secret-arn")
	assert.Contains(t, errs, "--ses-event-secret-file")
	assert.NotContains(t, errs, "s3cret")

	t.Run("environment", func(t *testing.T) {
		t.Setenv("MANGAALERT_SES_EVENT_SECRET", "from-env")
		var f serveFlags
		fs := newFlags("serve", "", "", io.Discard)
		f.register(fs)
		require.Equal(t, -1, parseFlags(fs, nil, io.Discard))
		require.NoError(t, f.eventSecret(context.Background()))
		assert.Equal(t, "from-env", f.eventToken)
	})
	t.Run("file", func(t *testing.T) {
		p := filepath.Join(t.TempDir(), "secret")
		require.NoError(t, os.WriteFile(p, []byte("from-file\n"), 0o600))
		var f serveFlags
		fs := newFlags("serve", "", "", io.Discard)
		f.register(fs)
		require.Equal(t, -1, parseFlags(fs, []string{"--ses-event-secret-file", p}, io.Discard))
		require.NoError(t, f.eventSecret(context.Background()))
		assert.Equal(t, "from-file", f.eventToken)
	})
}

// TestMissingStoreIsAnError: a bolt path with no file is a mistyped path
// for notify and serve, unless --create-store asks for an empty store.
func TestMissingStoreIsAnError(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "typo.db")
	common := []string{"--signing-key-file", filepath.Join(dir, "key"), "--sender", "outbox:" + filepath.Join(dir, "out"), "--log-level", "error"}
	for _, args := range [][]string{{"notify"}, {"serve", "--addr", "127.0.0.1:0"}} {
		cmd := args[0]
		code, _, errs := mangaalert(append(append(args, "--store", "bolt:"+db), common...)...)
		assert.Equal(t, exitUsage, code, cmd)
		assert.Contains(t, errs, "there is no database at "+db, cmd)
		assert.Contains(t, errs, "--create-store", cmd)
		assert.NoFileExists(t, db, "nothing made")
	}

	code, out, errs := mangaalert(append([]string{"notify", "--store", "bolt:" + db, "--create-store"}, common...)...)
	assert.Equal(t, exitOK, code, errs)
	assert.Contains(t, out, "notify: 0 emails sent")
	assert.FileExists(t, db)
	code, _, errs = mangaalert(append([]string{"notify", "--store", "bolt:" + db}, common...)...)
	assert.Equal(t, exitOK, code, "there now: %s", errs)
}

// TestHelpPrintsOnce: --help prints the usage once, to stdout; a bad flag
// prints it once, to stderr.
func TestHelpPrintsOnce(t *testing.T) {
	for _, cmd := range []string{"serve", "notify", "scrape"} {
		code, out, errs := mangaalert(cmd, "--help")
		assert.Equal(t, exitOK, code)
		assert.Equal(t, 1, strings.Count(out, "Usage: mangaalert "+cmd), cmd)
		assert.Empty(t, errs, cmd)

		code, out, errs = mangaalert(cmd, "--no-such-flag")
		assert.Equal(t, exitUsage, code)
		assert.Empty(t, out)
		assert.Equal(t, 1, strings.Count(errs, "Usage: mangaalert "+cmd), cmd)
		assert.Contains(t, errs, "no-such-flag")
	}
}

// TestCreateStoreFromTheEnvironment: the image sets MANGAALERT_CREATE_STORE
// so that its own default store is made on first use.
func TestCreateStoreFromTheEnvironment(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "image.db")
	t.Setenv("MANGAALERT_CREATE_STORE", "true")
	code, _, errs := mangaalert("notify", "--store", "bolt:"+db, "--signing-key-file", filepath.Join(dir, "key"),
		"--sender", "outbox:"+filepath.Join(dir, "out"), "--log-level", "error")
	assert.Equal(t, exitOK, code, errs)
	assert.FileExists(t, db)
}
