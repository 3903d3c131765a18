package main

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/service/sesv2"

	"github.com/manga-alert-italia/mangaalert/alerts"
	"github.com/manga-alert-italia/mangaalert/stack"
)

func (a *app) applyCmd(ctx context.Context, args []string) error {
	c, s, err := a.open(ctx, "apply", args, true, nil)
	if err != nil {
		return err
	}
	fmt.Fprintf(a.stdout, "Applying stack %q in %s, account %s\n", c.Stack, c.Region, s.account)
	if c.Sender == SenderSES {
		for _, w := range alerts.SESWarnings(ctx, sesv2.NewFromConfig(s.cfg), domainOf(addressOf(c.From)), c.Region) {
			fmt.Fprintln(a.stdout, "warning:", w) // the stack deploys anyway
		}
	}
	s.prog.start()
	st, err := s.st.Apply(ctx, c.spec(a.getenv(SMTPPasswordEnv)))
	s.prog.stop()
	switch {
	case errors.Is(err, stack.ErrNoImage):
		return &ConfigError{Problems: []FieldProblem{{Field: "image",
			Problem: "needed by the first apply: nothing runs yet whose image could be kept; set image (or --image)"}}}
	case errors.Is(err, stack.ErrMissingSecret) && c.TelegramBot != "" && strings.Contains(err.Error(), c.telegramSecret()):
		return &ConfigError{Problems: []FieldProblem{{Field: "telegram_bot",
			Problem: fmt.Sprintf("the secret %s with the bot's token does not exist yet: store the token @BotFather gave in it (with secret_store secretsmanager: aws secretsmanager create-secret --name %s --secret-string file://token), then apply again", c.telegramSecret(), c.telegramSecret())}}}
	case errors.Is(err, stack.ErrMissingSecret):
		return &ConfigError{Problems: []FieldProblem{{Field: SMTPPasswordEnv,
			Problem: fmt.Sprintf("is not set, and the SMTP secret %s does not exist yet: export the relay's password in it", c.smtpSecret())}}}
	}
	s.summary("apply", err)
	if err != nil {
		return err
	}
	_, err = fmt.Fprint(a.stdout, st.Advice(c.BaseURL))
	return err
}
