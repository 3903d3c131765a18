package alerts

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ses"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	"github.com/aws/aws-sdk-go-v2/service/sns"

	"github.com/manga-alert-italia/mangaalert/internal/awserr"
)

// SES's review thresholds: above these rates AWS reviews the account, and
// may pause its sending.
const (
	BounceReviewRate    = 0.05
	ComplaintReviewRate = 0.001
)

// Rates are the account's bounce and complaint rates over SES's last two
// weeks of sending.
type Rates struct {
	Attempts, Bounces, Complaints int64
}

// Bounce and Complaint are the rates, 0 without attempts.
func (r Rates) Bounce() float64    { return ratio(r.Bounces, r.Attempts) }
func (r Rates) Complaint() float64 { return ratio(r.Complaints, r.Attempts) }

func ratio(n, d int64) float64 {
	if d == 0 {
		return 0
	}
	return float64(n) / float64(d)
}

// String says the rates against the review thresholds.
func (r Rates) String() string {
	if r.Attempts == 0 {
		return "no mail sent through SES in the last two weeks"
	}
	flag := func(rate, limit float64) string {
		if rate >= limit {
			return " ABOVE SES's review threshold"
		}
		return ""
	}
	return fmt.Sprintf("last two weeks: %d sent, bounces %.2f %% (review at %.0f %%)%s, complaints %.3f %% (review at %.1f %%)%s",
		r.Attempts, 100*r.Bounce(), 100*BounceReviewRate, flag(r.Bounce(), BounceReviewRate),
		100*r.Complaint(), 100*ComplaintReviewRate, flag(r.Complaint(), ComplaintReviewRate))
}

// SendRates reads the account's rates (SES v1 GetSendStatistics: 15-minute
// points over two weeks).
func (a *Alerts) SendRates(ctx context.Context) (Rates, error) {
	out, err := a.c.SES.GetSendStatistics(ctx, &ses.GetSendStatisticsInput{})
	if err != nil {
		return Rates{}, fmt.Errorf("read SES's send statistics: %w", err)
	}
	var r Rates
	for _, p := range out.SendDataPoints {
		r.Attempts += p.DeliveryAttempts
		r.Bounces += p.Bounces
		r.Complaints += p.Complaints
	}
	return r, nil
}

// Status says, line by line, where the operator's alerts go and whether
// the address confirmed them, and the mail rates.
func (a *Alerts) Status(ctx context.Context, stack string) ([]string, error) {
	var lines []string
	arn := a.arn("sns", TopicName(stack))
	subs, err := a.c.SNS.ListSubscriptionsByTopic(ctx, &sns.ListSubscriptionsByTopicInput{TopicArn: aws.String(arn)})
	switch {
	case awserr.Is(err, "NotFound", "NotFoundException"):
		lines = append(lines, "no operator address (set operator_email and run apply)")
	case err != nil:
		return nil, fmt.Errorf("list the subscriptions of %s: %w", TopicName(stack), err)
	default:
		for _, s := range subs.Subscriptions {
			state := "confirmed"
			if aws.ToString(s.SubscriptionArn) == PendingConfirmation {
				state = "PENDING CONFIRMATION: follow the link AWS mailed to it, or no alert arrives"
			}
			lines = append(lines, fmt.Sprintf("alerts to %s (%s): %s", aws.ToString(s.Endpoint), aws.ToString(s.Protocol), state))
		}
		if len(subs.Subscriptions) == 0 {
			lines = append(lines, "topic "+TopicName(stack)+" has no subscription: run apply")
		}
	}
	r, err := a.SendRates(ctx)
	if err != nil {
		return lines, err
	}
	return append(lines, "SES "+r.String()), nil
}

// SESAccountAPI is what SESWarnings reads (SES v2).
type SESAccountAPI interface {
	GetEmailIdentity(ctx context.Context, params *sesv2.GetEmailIdentityInput, optFns ...func(*sesv2.Options)) (*sesv2.GetEmailIdentityOutput, error)
	GetAccount(ctx context.Context, params *sesv2.GetAccountInput, optFns ...func(*sesv2.Options)) (*sesv2.GetAccountOutput, error)
}

// SESWarnings say when SES would refuse the mail: the From domain not
// verified, or the account still in the sandbox. They warn, never stop a
// deployment: the reader has something to do.
func SESWarnings(ctx context.Context, api SESAccountAPI, domain, region string) []string {
	var out []string
	id, err := api.GetEmailIdentity(ctx, &sesv2.GetEmailIdentityInput{EmailIdentity: aws.String(domain)})
	if awserr.Is(err, "NotFoundException") || err == nil && !id.VerifiedForSendingStatus {
		out = append(out, fmt.Sprintf("SES identity %s in %s is missing or not verified: verify the domain (DKIM records) or no mail leaves", domain, region))
	}
	if acct, err := api.GetAccount(ctx, &sesv2.GetAccountInput{}); err == nil && !acct.ProductionAccessEnabled {
		out = append(out, fmt.Sprintf("the SES account in %s is in the sandbox: it mails only verified addresses until production access is granted", region))
	}
	return out
}
