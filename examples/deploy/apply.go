package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"

	"github.com/manga-alert-italia/mangaalert/internal/awserr"
	"github.com/manga-alert-italia/mangaalert/stack"
)

func (a *app) applyCmd(ctx context.Context, args []string) error {
	var o options
	c, err := a.command("apply", args, true, &o, nil)
	if err != nil {
		return err
	}
	s, err := a.session(ctx, c, o)
	if err != nil {
		return err
	}
	fmt.Fprintf(a.stdout, "Applying stack %q in %s, account %s\n", c.Stack, c.Region, s.account)
	if c.Sender == SenderSES {
		s.warnSES(ctx)
	}
	s.prog.start()
	st, err := s.st.Apply(ctx, c.spec(a.getenv(SMTPPasswordEnv)))
	s.prog.stop()
	switch {
	case errors.Is(err, stack.ErrNoImage):
		return &ConfigError{Problems: []FieldProblem{{Field: "image",
			Problem: "needed by the first apply: nothing runs yet whose image could be kept; set image (or --image)"}}}
	case errors.Is(err, stack.ErrMissingSecret):
		return &ConfigError{Problems: []FieldProblem{{Field: SMTPPasswordEnv,
			Problem: fmt.Sprintf("is not set, and the SMTP secret %s does not exist yet: export the relay's password in it", c.smtpSecret())}}}
	}
	s.summary("apply", err)
	if err != nil {
		return err
	}
	if st.ElasticIP != "" {
		fmt.Fprintf(a.stdout, "\nThe host's address: %s (Elastic IP): point %s at it.\n", st.ElasticIP, c.BaseURL)
	} else {
		fmt.Fprintf(a.stdout, "\nThe site %s is served by the host's public address (`deploy status` shows it; it changes when the instance is replaced: elastic_ip keeps one).\n", c.BaseURL)
	}
	if st.InstanceRefreshID != "" {
		fmt.Fprintf(a.stdout, "The launch template changed: instance refresh %s replaces the host (a few minutes without the site).\n", st.InstanceRefreshID)
	}
	return nil
}

// warnSES says when SES would refuse the mail: the From domain not
// verified, or the account still in the sandbox. The stack deploys
// anyway; the reader of the warning has something to do.
func (s *session) warnSES(ctx context.Context) {
	domain := domainOf(addressOf(s.c.From))
	api := sesv2.NewFromConfig(s.cfg)
	id, err := api.GetEmailIdentity(ctx, &sesv2.GetEmailIdentityInput{EmailIdentity: aws.String(domain)})
	if awserr.Is(err, "NotFoundException") || err == nil && !id.VerifiedForSendingStatus {
		fmt.Fprintf(s.a.stdout, "warning: SES identity %s in %s is missing or not verified: verify the domain (DKIM records) or no mail leaves\n", domain, s.c.Region)
	}
	if acct, err := api.GetAccount(ctx, &sesv2.GetAccountInput{}); err == nil && !acct.ProductionAccessEnabled {
		fmt.Fprintf(s.a.stdout, "warning: the SES account in %s is in the sandbox: it mails only verified addresses until production access is granted\n", s.c.Region)
	}
}
