package smtpmail_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/mail"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/manga-alert-italia/mangaalert/integration"
	"github.com/manga-alert-italia/mangaalert/notifier"
	"github.com/manga-alert-italia/mangaalert/notifier/smtpmail"
)

func message(to string) *notifier.Message {
	return &notifier.Message{
		From: "Manga Alert Italia <avvisi@mangaalert.example>", To: to,
		Subject: "Domani in fumetteria: SOLO LEVELING n. 19", Text: "Esce domani, 5,90 €.", HTML: "<p>Esce domani, 5,90 €.</p>",
		ID: "abc123@mangaalert.example",
		Header: map[string][]string{
			"List-Unsubscribe":      {"<https://mangaalert.example/u?t=x>, <mailto:unsubscribe@mangaalert.example?subject=unsubscribe%20s1>"},
			"List-Unsubscribe-Post": {"List-Unsubscribe=One-Click"},
		},
	}
}

// secrets is a fake of the secrets package's reader (the secret's JSON is
// what Secrets Manager would hold).
type secrets map[string]string

func (s secrets) GetJSON(_ context.Context, id string, v any) error {
	js, ok := s[id]
	if !ok {
		return errors.New("ResourceNotFoundException: no secret " + id)
	}
	return json.Unmarshal([]byte(js), v)
}

func TestMailpit(t *testing.T) {
	for _, mode := range []struct {
		name     string
		implicit bool
	}{{"starttls", false}, {"implicit-tls", true}} {
		t.Run(mode.name, func(t *testing.T) {
			t.Parallel()
			mp := integration.RunMailpit(context.Background(), t, func(o *integration.MailpitOptions) {
				o.ImplicitTLS, o.Allowed = mode.implicit, `@lettori\.example$`
			})
			ctx := context.Background()
			sec := secrets{"mangaalert/smtp": fmt.Sprintf(`{"host":"127.0.0.1","port":%d,"username":%q,"password":%q}`, mp.SMTPPort, integration.MailpitUser, integration.MailpitPassword)}
			security := smtpmail.StartTLS
			if mode.implicit {
				security = smtpmail.ImplicitTLS
			}
			s, err := smtpmail.FromSecret(ctx, sec, "mangaalert/smtp", func(c *smtpmail.Config) {
				c.TLS = mp.TLS()
				c.Security = security
			})
			require.NoError(t, err)

			id, err := s.Send(ctx, message("giulia@lettori.example"))
			require.NoError(t, err)
			assert.NotEmpty(t, id)
			msgs := mp.Messages(t, "")
			require.Len(t, msgs, 1)
			assert.Equal(t, "Domani in fumetteria: SOLO LEVELING n. 19", msgs[0].Subject)
			raw := mp.Raw(t, msgs[0].ID)
			want, err := notifier.Compose(message("giulia@lettori.example"))
			require.NoError(t, err)
			got, err := mail.ReadMessage(bytes.NewReader(raw))
			require.NoError(t, err)
			assert.Equal(t, "List-Unsubscribe=One-Click", got.Header.Get("List-Unsubscribe-Post"))
			assert.Equal(t, "<abc123@mangaalert.example>", got.Header.Get("Message-Id"))
			assert.Contains(t, string(raw), string(want[bytes.Index(want, []byte("\r\n\r\n")):]), "the body arrives as composed")

			// A recipient the relay refuses: rejected for good, run goes on.
			_, err = s.Send(ctx, message("someone@elsewhere.example"))
			require.ErrorIs(t, err, notifier.ErrRejected)

			// Wrong password: the relay refuses everything: the run stops.
			bad, err := smtpmail.New(smtpmail.Config{Host: "127.0.0.1", Port: mp.SMTPPort, Username: integration.MailpitUser,
				Password: "wrong", Security: security, TLS: mp.TLS()})
			require.NoError(t, err)
			_, err = bad.Send(ctx, message("giulia@lettori.example"))
			require.ErrorIs(t, err, notifier.ErrStopped)

			// A certificate we do not trust: no credentials leave.
			untrusted, err := smtpmail.New(smtpmail.Config{Host: "127.0.0.1", Port: mp.SMTPPort, Username: integration.MailpitUser,
				Password: integration.MailpitPassword, Security: security})
			require.NoError(t, err)
			_, err = untrusted.Send(ctx, message("giulia@lettori.example"))
			require.ErrorIs(t, err, notifier.ErrStopped)
			assert.ErrorContains(t, err, "certificate")

			assert.Len(t, mp.Messages(t, ""), 1, "nothing else got through")
		})
	}
}

func TestConfig(t *testing.T) {
	for _, tc := range []struct {
		c    smtpmail.Config
		want string
	}{
		{smtpmail.Config{Host: "smtp.sendgrid.net", Port: 587, Username: "apikey", Password: "x"}, ""},
		{smtpmail.Config{Port: 587}, "host is empty"},
		{smtpmail.Config{Host: "h", Port: 0}, "port 0"},
		{smtpmail.Config{Host: "h", Port: 25, Security: "none"}, `security "none"`},
		{smtpmail.Config{Host: "h", Port: 25, Username: "u"}, "username and password go together"},
	} {
		err := tc.c.Validate()
		if tc.want == "" {
			assert.NoError(t, err)
			continue
		}
		assert.ErrorContains(t, err, tc.want)
	}
	c := smtpmail.Config{Host: "smtp.example", Port: 465, Username: "u", Password: "hunter2"}
	assert.NotContains(t, c.String(), "hunter2")
	assert.Contains(t, c.String(), "(tls)")

	_, err := smtpmail.FromSecret(context.Background(), secrets{}, "missing")
	assert.ErrorContains(t, err, "read secret missing")
	_, err = smtpmail.FromSecret(context.Background(), secrets{"s": `{"host":"h"}`}, "s")
	assert.ErrorContains(t, err, "port 0")
}

// A server that does not offer STARTTLS: refused before any credential.
func TestNoStartTLS(t *testing.T) {
	s, err := smtpmail.New(smtpmail.Config{Host: "127.0.0.1", Port: plainServer(t), Username: "u", Password: "p"})
	require.NoError(t, err)
	_, err = s.Send(context.Background(), message("a@lettori.example"))
	require.ErrorIs(t, err, notifier.ErrStopped)
	assert.ErrorContains(t, err, "does not offer STARTTLS")
}
