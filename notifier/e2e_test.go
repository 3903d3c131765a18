package notifier_test

import (
	"bytes"
	"context"
	"fmt"
	"net/mail"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/manga-alert-italia/mangaalert/integration"
	"github.com/manga-alert-italia/mangaalert/notifier"
	"github.com/manga-alert-italia/mangaalert/notifier/outbox"
	"github.com/manga-alert-italia/mangaalert/notifier/sesmail"
	"github.com/manga-alert-italia/mangaalert/notifier/smtpmail"
	"github.com/manga-alert-italia/mangaalert/store"
	"github.com/manga-alert-italia/mangaalert/store/bolt"
)

func TestMain(m *testing.M) { integration.Main(m) }

// e2eWorld is three readers with addresses of this test alone (the SES
// emulator keeps every account's mail in one list) on the embedded store.
func e2eWorld(t *testing.T) (*bolt.Store, []string) {
	t.Helper()
	st := openCopy(t, crashTemplate(t))
	ctx := context.Background()
	tag := fmt.Sprintf("%d", time.Now().UnixNano())
	var emails []string
	for i, series := range [][]string{{"solo-leveling", "dandadan"}, {"blue-lock"}, {"chainsaw-man"}} {
		id := fmt.Sprintf("e2e-%d", i)
		email := fmt.Sprintf("lettore%d-%s@lettori.example", i, tag)
		emails = append(emails, email)
		require.NoError(t, st.CreateSubscriber(ctx, store.Subscriber{ID: id, Email: email, Status: store.Active,
			CreatedAt: at(2024, time.January, 1, 9), UpdatedAt: at(2024, time.January, 1, 9)}))
		for _, s := range series {
			require.NoError(t, st.Follow(ctx, store.Follow{SubscriberID: id, SeriesID: s, CreatedAt: at(2024, time.January, 2, 9)}))
		}
	}
	// The crash world's own readers are not part of this test.
	for _, id := range []string{"r1", "r2", "r3", "r4", "r5", "r6"} {
		require.NoError(t, st.DeleteSubscriber(ctx, id))
	}
	return st, emails
}

// runTwice runs the notifier, then again: the second run sends nothing.
func runTwice(t *testing.T, st *bolt.Store, snd notifier.Sender, opts ...func(*notifier.Notifier)) *notifier.Report {
	t.Helper()
	clock := notifier.NewFakeClock(crashNow)
	n := newNotifier(st, snd, clock, opts...)
	rep := runOK(t, n)
	assert.Equal(t, 3, rep.Emails.Sent)
	clock.Advance(6 * time.Hour)
	again := runOK(t, n)
	assert.Zero(t, again.Emails.Sent)
	assert.Zero(t, again.Total().Uncertain)
	// Every alert Sent, with the provider's message id.
	for _, v := range crashVols {
		as, err := st.AlertsOfVolume(context.Background(), v.ID)
		require.NoError(t, err)
		for _, a := range as {
			assert.Equal(t, store.Sent, a.State, a.AlertKey.String())
			assert.NotEmpty(t, a.MessageID)
		}
	}
	return rep
}

func checkReceived(t *testing.T, raw []byte, to string) {
	t.Helper()
	m, err := mail.ReadMessage(bytes.NewReader(raw))
	require.NoError(t, err)
	assert.Equal(t, "List-Unsubscribe=One-Click", m.Header.Get("List-Unsubscribe-Post"))
	assert.Contains(t, m.Header.Get("List-Unsubscribe"), "<https://mangaalert.example/disiscriviti?t=tok-e2e-")
	assert.Contains(t, m.Header.Get("List-Unsubscribe"), "<mailto:unsubscribe@mangaalert.example?subject=unsubscribe%20e2e-")
	assert.NotEmpty(t, m.Header.Get("List-Id"))
	assert.NotEmpty(t, m.Header.Get("Message-Id"))
	assert.Contains(t, m.Header.Get("From"), "avvisi@mangaalert.example")
	assert.Contains(t, m.Header.Get("To"), to)
}

func TestEndToEndOutbox(t *testing.T) {
	st, emails := e2eWorld(t)
	dir := filepath.Join(t.TempDir(), "outbox")
	out, err := outbox.New(dir)
	require.NoError(t, err)
	runTwice(t, st, out)
	files, err := os.ReadDir(dir)
	require.NoError(t, err)
	require.Len(t, files, 3)
	for _, f := range files {
		raw, err := os.ReadFile(filepath.Join(dir, f.Name()))
		require.NoError(t, err)
		m, err := mail.ReadMessage(bytes.NewReader(raw))
		require.NoError(t, err)
		to, err := mail.ParseAddress(m.Header.Get("To"))
		require.NoError(t, err)
		assert.Contains(t, emails, to.Address)
		checkReceived(t, raw, to.Address)
	}
}

func TestEndToEndSES(t *testing.T) {
	t.Parallel()
	cfg := integration.Config(t, integration.SESv2)
	client := sesv2.NewFromConfig(cfg)
	ctx := context.Background()
	_, err := client.CreateEmailIdentity(ctx, &sesv2.CreateEmailIdentityInput{EmailIdentity: aws.String("mangaalert.example")})
	require.NoError(t, err)
	st, emails := e2eWorld(t)
	// moto has no GetAccount: pace by the notifier's Rate (the quota path
	// is tested in sesmail with a fake).
	runTwice(t, st, sesmail.New(client, func(s *sesmail.Sender) { s.NoQuota = true }))
	for _, e := range emails {
		got, err := integration.Env(t).SentMail(ctx, e)
		require.NoError(t, err)
		require.Len(t, got, 1, e)
		checkReceived(t, got[0].Raw, e)
		a, err := st.AlertsOfSubscriber(ctx, "e2e-0")
		require.NoError(t, err)
		require.NotEmpty(t, a)
	}
}

func TestEndToEndSMTP(t *testing.T) {
	t.Parallel()
	mp := integration.RunMailpit(context.Background(), t)
	s, err := smtpmail.New(smtpmail.Config{Host: "127.0.0.1", Port: mp.SMTPPort, Username: integration.MailpitUser, Password: integration.MailpitPassword, TLS: mp.TLS()})
	require.NoError(t, err)
	st, emails := e2eWorld(t)
	runTwice(t, st, s)
	for _, e := range emails {
		got := mp.Messages(t, e)
		require.Len(t, got, 1, e)
		checkReceived(t, mp.Raw(t, got[0].ID), e)
	}
	// The relay's queue id is the message id recorded.
	as, err := st.AlertsOfSubscriber(context.Background(), "e2e-1")
	require.NoError(t, err)
	require.NotEmpty(t, as)
	assert.NotContains(t, as[0].MessageID, "@", "mailpit's queue id, not our Message-ID")
}
