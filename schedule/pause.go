package schedule

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/scheduler"
	"github.com/aws/aws-sdk-go-v2/service/scheduler/types"
)

// Pause disables a job's schedule; Ensure keeps it disabled unless the
// job's State says otherwise. Pausing a paused job makes no call that
// writes. The schedule is rewritten whole, as UpdateSchedule requires,
// with every other field as it was.
func (s *Schedules) Pause(ctx context.Context, stack, job string) error {
	return s.setState(ctx, stack, job, types.ScheduleStateDisabled)
}

// Resume enables a job's schedule again; see Pause.
func (s *Schedules) Resume(ctx context.Context, stack, job string) error {
	return s.setState(ctx, stack, job, types.ScheduleStateEnabled)
}

func (s *Schedules) setState(ctx context.Context, stack, job string, state types.ScheduleState) error {
	if err := s.online(false); err != nil {
		return err
	}
	verb := map[types.ScheduleState]string{types.ScheduleStateDisabled: "pause", types.ScheduleStateEnabled: "resume"}[state]
	if !stackRe.MatchString(stack) || !jobRe.MatchString(job) {
		return fmt.Errorf("%s %s/%s: %w: stack and job names are letters, digits, -, _ (and . in jobs)", verb, stack, job, ErrInvalidSpec)
	}
	g, err := s.readGroup(ctx, stack, stack)
	switch {
	case err != nil:
		return fmt.Errorf("%s %s/%s: %w", verb, stack, job, err)
	case !g.exists || g.deleting:
		return fmt.Errorf("%s %s/%s: schedule group %w (run Ensure first)", verb, stack, job, ErrNotFound)
	}
	sc, err := s.c.Scheduler.GetSchedule(ctx, &scheduler.GetScheduleInput{Name: aws.String(job), GroupName: aws.String(stack)})
	switch {
	case notFound(err):
		return fmt.Errorf("%s %s/%s: schedule %w", verb, stack, job, ErrNotFound)
	case err != nil:
		return fmt.Errorf("%s %s/%s: %w", verb, stack, job, err)
	case sc.State == state:
		return nil
	}
	s.opts.Logger.DebugContext(ctx, verb, "group", stack, "name", job)
	if _, err := s.c.Scheduler.UpdateSchedule(ctx, updateFrom(sc, state)); err != nil {
		return fmt.Errorf("%s %s/%s: %w", verb, stack, job, err)
	}
	return nil
}
