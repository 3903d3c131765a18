package main

import (
	"context"
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
		if werr := st.Write(a.stdout); werr != nil {
			return werr
		}
	}
	return err
}
