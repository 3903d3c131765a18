package main

import (
	"context"
	"errors"
)

func (a *app) statusCmd(ctx context.Context, args []string) error {
	c, s, err := a.open(ctx, "status", args, false, nil)
	if err != nil {
		return err
	}
	st, err := s.st.Status(ctx, c.Stack)
	return errors.Join(err, st.Write(a.stdout)) // what could be read, and why the rest could not
}

func (a *app) diffCmd(ctx context.Context, args []string) error {
	c, s, err := a.open(ctx, "diff", args, false, nil)
	if err != nil {
		return err
	}
	d, err := s.st.Diff(ctx, c.spec(a.getenv(SMTPPasswordEnv)))
	if err != nil {
		return err
	}
	return d.Write(a.stdout) // stack.ErrDrift when something differs
}
