package main

import (
	"context"
	"flag"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/manga-alert-italia/mangaalert/change"
	"github.com/manga-alert-italia/mangaalert/internal/awscalls"
	"github.com/manga-alert-italia/mangaalert/jobreport"
	"github.com/manga-alert-italia/mangaalert/stack"
)

// session is one command's connection to the account: the configuration,
// the stack, the progress display and the counted calls.
type session struct {
	a       *app
	c       Config
	o       options
	cfg     aws.Config
	st      *stack.Stack
	account string
	prog    *progress
	calls   *awscalls.Recorder
	start   time.Time
	changes []change.Change
}

// open parses a command's flags and configuration, then connects.
func (a *app) open(ctx context.Context, name string, args []string, forApply bool, flags func(*flag.FlagSet), opts ...func(*stack.Options)) (Config, *session, error) {
	var o options
	c, err := a.command(name, args, forApply, &o, flags)
	if err != nil {
		return c, nil, err
	}
	s, err := a.session(ctx, c, o, opts...)
	return c, s, err
}

func (a *app) session(ctx context.Context, c Config, o options, opts ...func(*stack.Options)) (*session, error) {
	cfg, calls, err := a.loadAWS(ctx, c.Region, o.endpointOf(a.getenv))
	if err != nil {
		return nil, err
	}
	s := &session{a: a, c: c, o: o, cfg: cfg, calls: calls, start: a.now(), prog: newProgress(a.stdout, a.tty, a.now)}
	s.st = stack.New(cfg, append([]func(*stack.Options){func(so *stack.Options) {
		so.Logger, so.Now = o.logger(a), a.now
		so.MinDelay, so.MaxDelay = o.poll, max(o.poll*8, o.poll)
		so.OnChange = func(ch change.Change) {
			s.changes = append(s.changes, ch)
			s.prog.change(ch)
		}
		so.OnEvent = s.prog.activity
		so.Runs = jobreport.TableReader(cfg, c.Table) // the jobs keep their last runs in the store
	}}, opts...)...)
	s.account, err = s.st.Account(ctx)
	return s, err
}

// summary prints the totals: what changed, the time, and the AWS calls
// that wrote (0 on an apply that found everything in place).
func (s *session) summary(cmd string, err error) {
	s.prog.stop()
	fmt.Fprintf(s.a.stdout, "\n%s %s: %s in %s\n", cmd, stack.Ended(err), stack.Tally(s.changes, true), seconds(s.a.now().Sub(s.start)))
	fmt.Fprintf(s.a.stdout, "AWS calls: %d, of which writes: %d\n", s.calls.Count(), len(s.calls.Mutating()))
	if s.o.countCalls {
		for _, b := range s.calls.Breakdown() {
			fmt.Fprintf(s.a.stdout, "  %s\n", b)
		}
	}
}
