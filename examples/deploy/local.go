package main

import (
	"context"

	"github.com/manga-alert-italia/mangaalert/ecslocal"
)

func (a *app) localCmd(ctx context.Context, args []string) error {
	var o options
	var lo ecslocal.StackOptions
	c, err := a.command("local", args, false, &o, lo.Flags)
	if err != nil {
		return err
	}
	s, err := a.session(ctx, c, o)
	if err != nil {
		return err
	}
	defs, values, err := s.st.PlannedTaskDefinitions(ctx, c.spec(a.getenv(SMTPPasswordEnv)))
	if err != nil {
		return err
	}
	lo.Endpoint, lo.Out, lo.Schedules = o.endpointOf(a.getenv), a.stdout, map[string]string{"scrape": c.Schedules.Scrape, "notify": c.Schedules.Notify}
	return ecslocal.Stack(ctx, s.cfg, defs, values, lo)
}
