package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"strings"

	"github.com/manga-alert-italia/mangaalert/stack"
)

// errNotConfirmed: the person did not type the stack name.
var errNotConfirmed = errors.New("not confirmed: nothing was deleted")

func (a *app) destroyCmd(ctx context.Context, args []string) error {
	var o options
	var yes, purge, keepTable bool
	c, err := a.command("destroy", args, false, &o, func(fs *flag.FlagSet) {
		fs.BoolVar(&yes, "yes", false, "do not ask: delete at once")
		fs.BoolVar(&purge, "purge-secrets", false, "delete the secrets at once, with no 7-day recovery window")
		fs.BoolVar(&keepTable, "keep-table", false, "keep the DynamoDB table and its data")
	})
	if err != nil {
		return err
	}
	s, err := a.session(ctx, c, o, func(so *stack.Options) { so.KeepTable, so.PurgeSecrets = keepTable, purge })
	if err != nil {
		return err
	}
	if !yes {
		if err := a.confirm(c, s.account, keepTable, purge); err != nil {
			return err
		}
	}
	fmt.Fprintf(a.stdout, "Destroying stack %q in %s, account %s\n", c.Stack, c.Region, s.account)
	s.prog.start()
	_, err = s.st.Destroy(ctx, c.Stack)
	s.summary("destroy", err)
	return err
}

// confirm asks for the stack name, on stdin.
func (a *app) confirm(c Config, account string, keepTable, purge bool) error {
	table := fmt.Sprintf("the DynamoDB table %s WITH ALL ITS DATA (subscribers, follows, alerts)", c.Table)
	if keepTable {
		table = fmt.Sprintf("(not the table %s)", c.Table)
	}
	secrets := "the secrets (recoverable for 7 days)"
	if purge {
		secrets = "the secrets (at once, unrecoverable)"
	}
	w := a.stdout
	fmt.Fprintf(w, "This deletes stack %q in %s, account %s: its schedules, the ECS host and service, %s, %s, and the network.\nType the stack name (%s) to go on: ",
		c.Stack, c.Region, account, table, secrets, c.Stack)
	line, err := bufio.NewReader(a.stdin).ReadString('\n')
	if err != nil && line == "" {
		fmt.Fprintln(w)
		return fmt.Errorf("%w (no answer on stdin; --yes skips the question)", errNotConfirmed)
	}
	if strings.TrimSpace(line) != c.Stack {
		return fmt.Errorf("%w (typed %q, not %q)", errNotConfirmed, strings.TrimSpace(line), c.Stack)
	}
	return nil
}
