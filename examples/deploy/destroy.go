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
	var yes, purge, keepTable bool
	c, s, err := a.open(ctx, "destroy", args, false, func(fs *flag.FlagSet) {
		fs.BoolVar(&yes, "yes", false, "do not ask: delete at once")
		fs.BoolVar(&purge, "purge-secrets", false, "delete the secrets at once, with no 7-day recovery window")
		fs.BoolVar(&keepTable, "keep-table", false, "keep the DynamoDB table and its data")
	}, func(so *stack.Options) { so.KeepTable, so.PurgeSecrets = keepTable, purge })
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
	fmt.Fprintf(a.stdout, "%s\nType the stack name (%s) to go on: ", stack.DestroyWarning(c.Stack, c.Region, account, c.Table, keepTable, purge), c.Stack)
	line, err := bufio.NewReader(a.stdin).ReadString('\n')
	if err != nil && line == "" {
		fmt.Fprintln(a.stdout)
		return fmt.Errorf("%w (no answer on stdin; --yes skips the question)", errNotConfirmed)
	}
	if strings.TrimSpace(line) != c.Stack {
		return fmt.Errorf("%w (typed %q, not %q)", errNotConfirmed, strings.TrimSpace(line), c.Stack)
	}
	return nil
}
