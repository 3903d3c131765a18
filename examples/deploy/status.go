package main

import (
	"context"
)

const statusAbout = `
Shows what runs: the instance, the backend service (desired and running
tasks, its task definition, the last deployment), the task definitions'
revisions and images, when the scraper and notifier run next, the table and
the secrets. It only reads.`

func (a *app) statusCmd(ctx context.Context, args []string) error {
	var o options
	fs := a.newFlagSet("status", "[flags]", statusAbout, &o)
	if err := a.parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("status takes no arguments, got %q", fs.Args())
	}
	c, err := o.config(false)
	if err != nil {
		return err
	}
	s, err := a.session(ctx, c, o)
	if err != nil {
		return err
	}
	st, err := s.st.Status(ctx, c.Stack)
	if st != nil {
		if werr := st.Write(a.stdout); werr != nil {
			return werr
		}
	}
	return err
}
