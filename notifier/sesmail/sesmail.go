// Package sesmail is the Amazon SES v2 Sender: raw MIME messages (so the
// List-Unsubscribe headers go out as composed), an optional configuration
// set, throttling answered with backoff, and the account's MaxSendRate for
// the notifier's pace.
package sesmail

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	"github.com/aws/aws-sdk-go-v2/service/sesv2/types"
	"github.com/aws/smithy-go"

	"github.com/manga-alert-italia/mangaalert/internal/awserr"
	"github.com/manga-alert-italia/mangaalert/notifier"
)

// API is the part of the SES v2 client the sender uses.
type API interface {
	SendEmail(ctx context.Context, params *sesv2.SendEmailInput, optFns ...func(*sesv2.Options)) (*sesv2.SendEmailOutput, error)
	GetAccount(ctx context.Context, params *sesv2.GetAccountInput, optFns ...func(*sesv2.Options)) (*sesv2.GetAccountOutput, error)
}

// Sender sends through SES v2. Its fields are options; zero means default.
type Sender struct {
	// ConfigurationSet names the SES configuration set (event publishing of
	// bounces and complaints), when set.
	ConfigurationSet string
	// Attempts bounds the tries of one message while SES throttles or fails
	// inside (default 5).
	Attempts int
	// Backoff is the first pause after a throttle, doubled each time up to
	// MaxBackoff (defaults 1 s and 20 s).
	Backoff, MaxBackoff time.Duration
	// NoQuota skips GetAccount: the notifier paces by its own Rate alone
	// (for emulators without GetAccount, or a role without ses:GetAccount).
	NoQuota bool
	Clock   notifier.Clock // default notifier.RealClock
	Logger  *slog.Logger   // default slog.Default().WithGroup("sesmail")

	api API
}

var _ notifier.Sender = (*Sender)(nil)
var _ notifier.RateSource = (*Sender)(nil)

// New returns a sender on the SES v2 client api.
func New(api API, opts ...func(*Sender)) *Sender {
	s := &Sender{api: api, Attempts: 5, Backoff: time.Second, MaxBackoff: 20 * time.Second}
	for _, o := range opts {
		o(s)
	}
	if s.Attempts < 1 {
		s.Attempts = 1
	}
	if s.Clock == nil {
		s.Clock = notifier.RealClock{}
	}
	if s.Logger == nil {
		s.Logger = slog.Default().WithGroup("sesmail")
	}
	return s
}

// Error codes that stop sending: the account, the sender or the message is
// refused, and retrying now would not help. MessageRejected counts here:
// in the sandbox it means an unverified address, which holds for every
// message of the run.
var stopCodes = []string{
	"MessageRejected", "AccountSuspendedException", "SendingPausedException",
	"MailFromDomainNotVerifiedException", "LimitExceededException",
	"NotFoundException", "BadRequestException", "AccessDeniedException",
	"UnrecognizedClientException", "InvalidClientTokenId", "SignatureDoesNotMatch",
}

// throttleCodes are answered with a pause and another try.
var throttleCodes = []string{"TooManyRequestsException", "ThrottlingException", "Throttling"}

// Send hands m to SES as a raw message and returns SES's MessageId.
//
// Errors: ErrStopped wrapped when SES refused (the message was not sent),
// including throttling that outlasted the attempts; any other error (the
// connection failed after the request went out) leaves the outcome unknown.
// The SDK's own retries are off for SendEmail: a retried send after a lost
// answer could deliver twice.
func (s *Sender) Send(ctx context.Context, m *notifier.Message) (string, error) {
	raw, err := notifier.Compose(m)
	if err != nil {
		return "", fmt.Errorf("ses: %w: %w", notifier.ErrRejected, err)
	}
	from, to, err := m.Addresses()
	if err != nil {
		return "", fmt.Errorf("ses: %w: %w", notifier.ErrRejected, err)
	}
	in := &sesv2.SendEmailInput{
		FromEmailAddress: aws.String(from),
		Destination:      &types.Destination{ToAddresses: []string{to}},
		Content:          &types.EmailContent{Raw: &types.RawMessage{Data: raw}},
	}
	if s.ConfigurationSet != "" {
		in.ConfigurationSetName = aws.String(s.ConfigurationSet)
	}
	pause := s.Backoff
	for attempt := 1; ; attempt++ {
		out, err := s.api.SendEmail(ctx, in, func(o *sesv2.Options) { o.RetryMaxAttempts = 1 })
		if err == nil {
			return aws.ToString(out.MessageId), nil
		}
		code := awserr.Code(err)
		var ae smithy.APIError
		answered := errors.As(err, &ae)
		switch {
		case awserr.Is(err, stopCodes...):
			return "", fmt.Errorf("ses: send to %s: %w (%s): %w", to, notifier.ErrStopped, code, err)
		case !answered:
			return "", fmt.Errorf("ses: send to %s: outcome unknown: %w", to, err)
		case attempt >= s.Attempts:
			return "", fmt.Errorf("ses: send to %s: %w after %d attempts (%s): %w", to, notifier.ErrStopped, attempt, code, err)
		}
		// Throttled, or an error SES answered without sending (a 5xx):
		// wait and try again.
		if !awserr.Is(err, throttleCodes...) && ae.ErrorFault() != smithy.FaultServer {
			return "", fmt.Errorf("ses: send to %s: %w (%s): %w", to, notifier.ErrStopped, code, err)
		}
		s.Logger.Debug("ses throttled or failed; backing off", "code", code, "attempt", attempt, "pause", pause)
		if err := s.Clock.SleepUntil(ctx, s.Clock.Now().Add(pause)); err != nil {
			return "", fmt.Errorf("ses: send to %s: %w: stopped while backing off: %w", to, notifier.ErrStopped, err)
		}
		pause = min(2*pause, s.MaxBackoff)
	}
}

// MaxSendRate returns the account's maximum send rate (messages a second),
// from GetAccount; 0 with NoQuota.
func (s *Sender) MaxSendRate(ctx context.Context) (float64, error) {
	if s.NoQuota {
		return 0, nil
	}
	out, err := s.api.GetAccount(ctx, &sesv2.GetAccountInput{})
	if err != nil {
		return 0, fmt.Errorf("ses: get account (for its send rate; set NoQuota to pace by the notifier's Rate alone): %w", err)
	}
	if out.SendQuota == nil {
		return 0, nil
	}
	if !out.SendingEnabled {
		return 0, fmt.Errorf("ses: %w: sending is disabled for this account in this region", notifier.ErrStopped)
	}
	return out.SendQuota.MaxSendRate, nil
}
