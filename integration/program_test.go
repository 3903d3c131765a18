package integration_test

import (
	"context"
	"fmt"
	"net/smtp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/manga-alert-italia/mangaalert/integration"
)

// tb records what Program would do to a test, without stopping this one.
type tb struct {
	testing.TB
	skipped, failed string
}

func (t *tb) Helper()                           {}
func (t *tb) Skipf(format string, args ...any)  { t.skipped = fmt.Sprintf(format, args...) }
func (t *tb) Fatalf(format string, args ...any) { t.failed = fmt.Sprintf(format, args...) }

func TestProgram(t *testing.T) {
	tests := []struct {
		name     string
		ci       string
		names    []string
		found    bool
		skipped  bool
		failedCI bool
	}{
		{"on PATH", "", []string{"go"}, true, false, false},
		{"the first that is there", "", []string{"no-such-program-mangaalert", "go"}, true, false, false},
		{"missing: skipped, saying how to install", "", []string{"no-such-program-mangaalert"}, false, true, false},
		{"missing in CI: failed", "true", []string{"no-such-program-mangaalert"}, false, false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("CI", tt.ci)
			fake := &tb{TB: t}
			bin := integration.Program(fake, "apt-get install -y no-such-program-mangaalert", tt.names...)
			assert.Equal(t, tt.found, bin != "", bin)
			assert.Equal(t, tt.skipped, fake.skipped != "", fake.skipped)
			assert.Equal(t, tt.failedCI, fake.failed != "", fake.failed)
			for _, msg := range []string{fake.skipped, fake.failed} {
				if msg != "" {
					assert.Contains(t, msg, "apt-get install -y no-such-program-mangaalert", "says how to get it")
				}
			}
		})
	}
}

// TestRunMailpit: the server takes authenticated mail over STARTTLS and
// shows it through its API; its cleanup is the helper's own.
func TestRunMailpit(t *testing.T) {
	t.Parallel()
	mp := integration.RunMailpit(context.Background(), t)
	addr := fmt.Sprintf("127.0.0.1:%d", mp.SMTPPort)
	c, err := smtp.Dial(addr)
	require.NoError(t, err)
	defer c.Close()
	cfg := mp.TLS()
	cfg.ServerName = "127.0.0.1"
	require.NoError(t, c.StartTLS(cfg))
	require.NoError(t, c.Auth(smtp.PlainAuth("", integration.MailpitUser, integration.MailpitPassword, "127.0.0.1")))
	require.NoError(t, c.Mail("avvisi@mangaalert.example"))
	require.NoError(t, c.Rcpt("lettore@lettori.example"))
	w, err := c.Data()
	require.NoError(t, err)
	_, err = w.Write([]byte("Subject: prova\r\n\r\nciao\r\n"))
	require.NoError(t, err)
	require.NoError(t, w.Close())
	require.NoError(t, c.Quit())

	msgs := mp.Messages(t, "")
	require.Len(t, msgs, 1)
	assert.Equal(t, "prova", msgs[0].Subject)
	assert.True(t, strings.Contains(string(mp.Raw(t, msgs[0].ID)), "ciao"))
}
