package sesmail_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	"github.com/aws/aws-sdk-go-v2/service/sesv2/types"
	"github.com/aws/smithy-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/manga-alert-italia/mangaalert/integration"
	"github.com/manga-alert-italia/mangaalert/notifier"
	"github.com/manga-alert-italia/mangaalert/notifier/sesmail"
)

func TestMain(m *testing.M) { integration.Main(m) }

var _ sesmail.API = (*sesv2.Client)(nil)

func message(to string) *notifier.Message {
	return &notifier.Message{
		From: "Manga Alert Italia <avvisi@mangaalert.example>", To: to,
		Subject: "Domani in fumetteria: SOLO LEVELING n. 19", Text: "Esce domani, 5,90 €.", HTML: "<p>Esce domani, 5,90 €.</p>",
		Header: map[string][]string{
			"List-Unsubscribe":      {"<https://mangaalert.example/u?t=x>, <mailto:unsubscribe@mangaalert.example?subject=unsubscribe%20s1>"},
			"List-Unsubscribe-Post": {"List-Unsubscribe=One-Click"},
		},
	}
}

// TestSESv2 sends through the real SES v2 client to the emulator and reads
// the raw message back, headers included.
func TestSESv2(t *testing.T) {
	t.Parallel()
	cfg := integration.Config(t, integration.SESv2)
	client := sesv2.NewFromConfig(cfg)
	ctx := context.Background()
	_, err := client.CreateEmailIdentity(ctx, &sesv2.CreateEmailIdentityInput{EmailIdentity: aws.String("mangaalert.example")})
	require.NoError(t, err)

	s := sesmail.New(client, func(s *sesmail.Sender) { s.NoQuota = true })
	to := fmt.Sprintf("lettore-%d@lettori.example", time.Now().UnixNano())
	id, err := s.Send(ctx, message(to))
	require.NoError(t, err)
	assert.NotEmpty(t, id)

	mails, err := integration.Env(t).SentMail(ctx, to)
	require.NoError(t, err)
	require.Len(t, mails, 1)
	m := mails[0]
	assert.Equal(t, "Domani in fumetteria: SOLO LEVELING n. 19", m.Subject)
	assert.Equal(t, "List-Unsubscribe=One-Click", m.Header.Get("List-Unsubscribe-Post"))
	assert.Contains(t, m.Header.Get("List-Unsubscribe"), "mailto:unsubscribe@mangaalert.example")
	assert.Contains(t, m.Header.Get("Content-Type"), "multipart/alternative")
	assert.Equal(t, []string{to}, m.To)

	// An unverified sender: SES answers MessageRejected, which stops a run.
	bad := message("altro-" + to)
	bad.From = "avvisi@unverified.example"
	_, err = s.Send(ctx, bad)
	require.ErrorIs(t, err, notifier.ErrStopped)
	assert.Contains(t, err.Error(), "MessageRejected")
	mails, err = integration.Env(t).SentMail(ctx, "altro-"+to)
	require.NoError(t, err)
	assert.Empty(t, mails)
}

// fakeSES fails as scripted: the emulator cannot be made to throttle or
// pause sending, so these answers come from a hand-written fake.
type fakeSES struct {
	answers []error // one per SendEmail call; nil sends
	calls   int
	quota   *types.SendQuota
	enabled bool
	inputs  []*sesv2.SendEmailInput
}

func (f *fakeSES) SendEmail(_ context.Context, in *sesv2.SendEmailInput, opts ...func(*sesv2.Options)) (*sesv2.SendEmailOutput, error) {
	var o sesv2.Options
	for _, fn := range opts {
		fn(&o)
	}
	if o.RetryMaxAttempts != 1 {
		return nil, errors.New("test: SendEmail must not be retried by the SDK")
	}
	f.calls++
	f.inputs = append(f.inputs, in)
	if f.calls <= len(f.answers) && f.answers[f.calls-1] != nil {
		return nil, f.answers[f.calls-1]
	}
	return &sesv2.SendEmailOutput{MessageId: aws.String(fmt.Sprintf("ses-%d", f.calls))}, nil
}

func (f *fakeSES) GetAccount(context.Context, *sesv2.GetAccountInput, ...func(*sesv2.Options)) (*sesv2.GetAccountOutput, error) {
	return &sesv2.GetAccountOutput{SendQuota: f.quota, SendingEnabled: f.enabled}, nil
}

func apiErr(code string, fault smithy.ErrorFault) error {
	return &smithy.GenericAPIError{Code: code, Message: code + " from the fake", Fault: fault}
}

func TestSendErrors(t *testing.T) {
	throttle := apiErr("TooManyRequestsException", smithy.FaultClient)
	for _, tc := range []struct {
		name    string
		answers []error
		calls   int
		want    error // nil: sent; ErrStopped; errUnknown
		slept   time.Duration
	}{
		{"throttled then sent", []error{throttle, throttle}, 3, nil, 3 * time.Second},
		{"throttled beyond the attempts", []error{throttle, throttle, throttle, throttle, throttle}, 5, notifier.ErrStopped, 11 * time.Second},
		{"server error then sent", []error{apiErr("InternalFailure", smithy.FaultServer)}, 2, nil, time.Second},
		{"message rejected", []error{&types.MessageRejected{Message: aws.String("Email address is not verified")}}, 1, notifier.ErrStopped, 0},
		{"account paused", []error{&types.AccountSuspendedException{Message: aws.String("suspended")}}, 1, notifier.ErrStopped, 0},
		{"sending paused", []error{&types.SendingPausedException{Message: aws.String("paused")}}, 1, notifier.ErrStopped, 0},
		{"mail from not verified", []error{&types.MailFromDomainNotVerifiedException{Message: aws.String("nope")}}, 1, notifier.ErrStopped, 0},
		{"daily quota", []error{&types.LimitExceededException{Message: aws.String("quota")}}, 1, notifier.ErrStopped, 0},
		{"connection lost", []error{errors.New("read tcp: connection reset by peer")}, 1, errUnknown, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := &fakeSES{answers: tc.answers}
			start := time.Date(2024, 10, 1, 9, 0, 0, 0, time.UTC)
			clock := notifier.NewFakeClock(start)
			s := sesmail.New(f, func(s *sesmail.Sender) {
				s.Clock = clock
				s.Backoff, s.MaxBackoff = time.Second, 4*time.Second
				s.ConfigurationSet = "alerts"
			})
			id, err := s.Send(context.Background(), message("lettore@lettori.example"))
			assert.Equal(t, tc.calls, f.calls)
			assert.Equal(t, tc.slept, clock.Now().Sub(start), "backoff 1, 2, 4, 4 s")
			assert.Equal(t, "alerts", aws.ToString(f.inputs[0].ConfigurationSetName))
			switch tc.want {
			case nil:
				require.NoError(t, err)
				assert.Equal(t, fmt.Sprintf("ses-%d", tc.calls), id)
			case errUnknown:
				require.Error(t, err)
				assert.False(t, notifier.NotSent(err), "a lost connection leaves the outcome unknown: %v", err)
			default:
				require.ErrorIs(t, err, tc.want)
			}
		})
	}
}

var errUnknown = errors.New("outcome unknown")

func TestMaxSendRate(t *testing.T) {
	ctx := context.Background()
	f := &fakeSES{quota: &types.SendQuota{MaxSendRate: 14, Max24HourSend: 50000}, enabled: true}
	rate, err := sesmail.New(f).MaxSendRate(ctx)
	require.NoError(t, err)
	assert.Equal(t, 14.0, rate)

	f.enabled = false
	_, err = sesmail.New(f).MaxSendRate(ctx)
	require.ErrorIs(t, err, notifier.ErrStopped)

	rate, err = sesmail.New(f, func(s *sesmail.Sender) { s.NoQuota = true }).MaxSendRate(ctx)
	require.NoError(t, err)
	assert.Zero(t, rate)
}

func Example() {
	f := &fakeSES{quota: &types.SendQuota{MaxSendRate: 1}, enabled: true}
	s := sesmail.New(f, func(s *sesmail.Sender) { s.ConfigurationSet = "mangaalert-alerts" })
	id, err := s.Send(context.Background(), &notifier.Message{
		From: "avvisi@mangaalert.example", To: "lettore@lettori.example", Subject: "Ciao", Text: "Esce domani."})
	fmt.Println(id, err, strings.HasPrefix(string(f.inputs[0].Content.Raw.Data), "From: <avvisi@mangaalert.example>"))
	// Output: ses-1 <nil> true
}
