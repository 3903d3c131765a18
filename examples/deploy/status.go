package main

import (
	"context"
	"errors"
)

func (a *app) statusCmd(ctx context.Context, args []string) error {
	var o options
	c, err := a.command("status", args, false, &o, nil)
	if err != nil {
		return err
	}
	s, err := a.session(ctx, c, o)
	if err != nil {
		return err
	}
	st, err := s.st.Status(ctx, c.Stack)
	if st != nil {
		err = errors.Join(err, st.Write(a.stdout))
	}
	return err
}
