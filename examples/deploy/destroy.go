package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/manga-alert-italia/mangaalert/ecshost"
	"github.com/manga-alert-italia/mangaalert/network"
	"github.com/manga-alert-italia/mangaalert/secrets"
	"github.com/manga-alert-italia/mangaalert/store/dynamo"
)

const destroyAbout = `
Deletes the whole stack in the reverse order of apply: schedules, ECS host
(service, cluster, instance, launch template, task definitions, roles, log
group), the DynamoDB table WITH ALL ITS DATA (--keep-table keeps it),
secrets (recoverable for 7 days, when apply restores them; --purge-secrets
deletes them at once), network. Only resources tagged as this stack's are
touched.

It asks you to type the stack name first, unless --yes. After a failure,
run it again: what is already gone is skipped.`

// errNotConfirmed: the person did not type the stack name.
var errNotConfirmed = errors.New("not confirmed: nothing was deleted")

func (a *app) destroyCmd(ctx context.Context, args []string) error {
	var o options
	var yes, purge, keepTable bool
	fs := a.newFlagSet("destroy", "[flags]", destroyAbout, &o)
	fs.BoolVar(&yes, "yes", false, "do not ask: delete at once")
	fs.BoolVar(&purge, "purge-secrets", false, "delete the secrets at once, with no 7-day recovery window")
	fs.BoolVar(&keepTable, "keep-table", false, "keep the DynamoDB table and its data")
	if err := a.parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("destroy takes no arguments, got %q", fs.Args())
	}
	c, err := o.config(false)
	if err != nil {
		return err
	}
	s, err := a.session(ctx, c, o)
	if err != nil {
		return err
	}
	if !yes {
		if err := a.confirm(c, s.n, keepTable, purge); err != nil {
			return err
		}
	}
	s.destroying = true
	fmt.Fprintf(a.stdout, "Destroying stack %q in %s, account %s\n", c.Stack, c.Region, s.n.account)
	err = s.destroy(ctx, keepTable, purge)
	s.summary("destroy", err)
	return err
}

// confirm asks for the stack name, on stdin.
func (a *app) confirm(c Config, n names, keepTable, purge bool) error {
	w := a.stdout
	fmt.Fprintf(w, "This deletes stack %q in %s, account %s: its schedules, the ECS host and service, ", c.Stack, c.Region, n.account)
	if keepTable {
		fmt.Fprintf(w, "(not the table %s), ", c.Table)
	} else {
		fmt.Fprintf(w, "the DynamoDB table %s WITH ALL ITS DATA (subscribers, follows, alerts), ", c.Table)
	}
	if purge {
		fmt.Fprint(w, "the secrets (at once, unrecoverable), ")
	} else {
		fmt.Fprint(w, "the secrets (recoverable for 7 days), ")
	}
	fmt.Fprintf(w, "and the network.\nType the stack name (%s) to go on: ", c.Stack)
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

// destroy deletes step by step, the reverse of apply. Each package's
// Delete returns nil when its part is already gone, so a second destroy
// finishes what a failed one left.
func (s *session) destroy(ctx context.Context, keepTable, purge bool) error {
	c, n := s.c, s.n
	gone := func(what string) []row { return []row{{Op: opDelete, Resource: what, Name: c.Stack}} }
	err := s.step(ctx, stepSchedule, "deleting the schedules", func(ctx context.Context) ([]row, error) {
		var rows []row
		for _, j := range c.jobs() {
			s.prog.activity("delete schedules of " + n.scheduleStack(j.name))
			if err := s.scheduleClient().Delete(ctx, n.scheduleStack(j.name)); err != nil {
				return rows, err
			}
			rows = append(rows, row{Op: opDelete, Resource: "schedule group", Name: n.scheduleStack(j.name)})
		}
		return rows, nil
	})
	if err != nil {
		return err
	}
	err = s.step(ctx, stepHost, "deleting the ECS host", func(ctx context.Context) ([]row, error) {
		h := ecshost.NewFromConfig(s.cl.cfg, ecshost.WithAccount(n.account), ecshost.WithLogger(s.log),
			ecshost.WithPollInterval(s.delays().Min, s.delays().Max))
		if err := h.Delete(ctx, c.Stack); err != nil {
			return nil, err
		}
		return gone("ECS host"), nil
	})
	if err != nil {
		return err
	}
	if !keepTable {
		err = s.step(ctx, stepStore, "deleting the table", func(ctx context.Context) ([]row, error) {
			d, err := describeTable(ctx, s.cl.dynamo, c.Table)
			if err != nil || d == nil {
				return nil, err
			}
			if err := checkTableOwner(ctx, s.cl.dynamo, c, d); err != nil {
				return nil, err
			}
			s.prog.activity("delete table " + c.Table + " and wait until it is gone")
			return []row{{Op: opDelete, Resource: "dynamodb table", Name: c.Table}},
				dynamo.DeleteTable(ctx, s.cl.dynamo, c.Table, func(o *dynamo.TableOptions) {
					o.MinDelay, o.MaxDelay = s.delays().Min, s.delays().Max
				})
		})
		if err != nil {
			return err
		}
	}
	err = s.step(ctx, stepSecrets, "deleting the secrets", func(ctx context.Context) ([]row, error) {
		sec := secrets.New(s.cl.secrets, func(so *secrets.Options) { so.Logger = s.log })
		names := []string{n.signingKey(), n.smtpSecret()}
		return []row{{Op: opDelete, Resource: "secrets", Name: strings.Join(names, ", ")}},
			sec.Delete(ctx, names, secrets.DeleteOptions{Stack: c.Stack, Force: purge})
	})
	if err != nil {
		return err
	}
	return s.step(ctx, stepNetwork, "deleting the network", func(ctx context.Context) ([]row, error) {
		net := network.New(s.cl.ec2, network.WithLogger(s.log), network.WithDelays(s.delays().Min, s.delays().Max))
		return gone("network"), net.Delete(ctx, c.Stack)
	})
}
