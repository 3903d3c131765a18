package awslite

import (
	"context"
	"net/http"

	"github.com/aws/aws-sdk-go-v2/service/sesv2"
)

// SES makes the SES v2 calls of notifier/sesmail: SendEmail and GetAccount
// (REST JSON, signing name ses, endpoint email.REGION.amazonaws.com).
type SES struct{ c client }

// NewSES returns the SES v2 calls on cfg.
func NewSES(cfg Config) *SES { return &SES{c: newClient(cfg, "ses", "email")} }

func sesAttempts(fns []func(*sesv2.Options)) int {
	return attemptsOf(&sesv2.Options{}, fns, func(o *sesv2.Options) int { return o.RetryMaxAttempts })
}

// SendEmail sends one message: POST /v2/email/outbound-emails.
func (s *SES) SendEmail(ctx context.Context, in *sesv2.SendEmailInput, optFns ...func(*sesv2.Options)) (*sesv2.SendEmailOutput, error) {
	body, err := encode(in)
	if err != nil {
		return nil, err
	}
	ans, err := s.c.call(ctx, request{op: "SendEmail", method: http.MethodPost, path: "/v2/email/outbound-emails",
		contentType: "application/json", body: body, attempts: sesAttempts(optFns)}, nil)
	if err != nil {
		return nil, err
	}
	out := &sesv2.SendEmailOutput{}
	return out, decode(ans, out)
}

// GetAccount reads the account's sending state: GET /v2/email/account.
func (s *SES) GetAccount(ctx context.Context, _ *sesv2.GetAccountInput, optFns ...func(*sesv2.Options)) (*sesv2.GetAccountOutput, error) {
	ans, err := s.c.call(ctx, request{op: "GetAccount", method: http.MethodGet, path: "/v2/email/account",
		attempts: sesAttempts(optFns)}, nil)
	if err != nil {
		return nil, err
	}
	out := &sesv2.GetAccountOutput{}
	return out, decode(ans, out)
}
