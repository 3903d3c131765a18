package main

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/manga-alert-italia/mangaalert/ecshost"
	"github.com/manga-alert-italia/mangaalert/internal/poll"
	"github.com/manga-alert-italia/mangaalert/schedule"
)

// session is one command's connection to the account: the configuration,
// the clients, the progress display and the counted calls.
type session struct {
	a       *app
	c       Config
	o       options
	cl      *clients
	n       names
	prog    *progress
	log     *slog.Logger
	counter *callCounter
	start   time.Time
	rows    []row
	// destroying: steps report "gone", not a tally of a plan.
	destroying bool
}

func (a *app) session(ctx context.Context, c Config, o options) (*session, error) {
	counter := newCallCounter()
	cfg, err := a.loadAWS(ctx, c.Region, endpointOf(o.endpoint, a.getenv), counter)
	if err != nil {
		return nil, err
	}
	s := &session{a: a, c: c, o: o, cl: newClients(cfg), counter: counter, start: a.now(),
		prog: newProgress(a.stdout, a.tty, a.now)}
	s.log = o.logger(a, s.prog)
	account, err := s.cl.account(ctx)
	if err != nil {
		return nil, err
	}
	s.n = newNames(c, account)
	return s, nil
}

// delays pace the packages' waits.
func (s *session) delays() poll.Delays {
	return poll.Delays{Min: s.o.poll, Max: max(s.o.poll*8, s.o.poll)}
}

// step runs one step with its progress, and prints the resources it left
// alone once its changes are done.
func (s *session) step(ctx context.Context, name, what string, f func(context.Context) ([]row, error)) error {
	s.prog.begin(name, what)
	rows, err := f(ctx)
	s.rows = append(s.rows, rows...)
	if err == nil {
		s.prog.settle()
		for _, r := range rows {
			if r.Op == opKeep {
				s.prog.line("  = %-9s %s", name, strings.TrimSpace("unchanged "+r.Resource+" "+r.Name))
			}
		}
	}
	summary := tallyOf(rows).done()
	if s.destroying {
		summary = "gone"
	}
	s.prog.end(summary, err)
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	return nil
}

func (s *session) scheduleClient() *schedule.Client {
	return schedule.New(s.cl.scheduler, s.cl.iam, nil, func(sc *schedule.Client) {
		sc.Now, sc.Logger, sc.Wait = s.a.now, s.log, s.delays()
	})
}

// summary prints the totals: resources, time, and the AWS calls that
// wrote (0 on an apply that found everything in place).
func (s *session) summary(cmd string, err error) {
	t := tallyOf(s.rows)
	state := "done"
	if err != nil {
		state = "stopped by an error; run it again to finish"
	}
	what := t.done()
	if s.destroying {
		what = "stack " + s.c.Stack
	}
	fmt.Fprintf(s.a.stdout, "\n%s %s: %s in %s\n", cmd, state, what, seconds(s.a.now().Sub(s.start)))
	fmt.Fprintf(s.a.stdout, "AWS calls: %d, of which writes: %d\n", s.counter.Calls(), s.counter.Mutating())
	if s.o.countCalls {
		for _, b := range s.counter.Breakdown() {
			fmt.Fprintf(s.a.stdout, "  %s\n", b)
		}
	}
}

// ensureSchedules points each job's schedule at its task definition
// revision (defs, by container, as the host step or Deploy reported them).
func (s *session) ensureSchedules(ctx context.Context, n names, defs map[string]ecshost.TaskDefinition) ([]row, error) {
	var rows []row
	for _, j := range s.c.jobs() {
		td, ok := defs[j.name]
		if !ok {
			return rows, fmt.Errorf("the ECS host reported no task definition for %s", j.name)
		}
		spec := s.c.scheduleSpec(n, j, td.ARN)
		sc := s.scheduleClient()
		p, err := sc.Plan(ctx, spec)
		if err != nil {
			return rows, err
		}
		rows = append(rows, scheduleRows(p)...)
		if _, err := sc.Ensure(ctx, spec); err != nil {
			return rows, err
		}
	}
	return rows, nil
}
