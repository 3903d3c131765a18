package schedule

import (
	"context"
	"errors"
	"fmt"

	"github.com/manga-alert-italia/mangaalert/change"
	"github.com/manga-alert-italia/mangaalert/internal/engine"
)

// Delete removes the stack's schedules, their group, the scheduler role
// and the dead-letter queue this package created, and returns what it
// removed: nil, nil when there is nothing to remove. A resource with one
// of the stack's names but without its tags is left alone, and reported
// with an error wrapping resource.ErrNotOurs once the rest is removed.
func (s *Schedules) Delete(ctx context.Context, stack string) ([]change.Change, error) {
	if err := s.online(true); err != nil {
		return nil, err
	}
	if !stackRe.MatchString(stack) {
		return nil, fmt.Errorf("delete schedules: %w: stack %q: use 1-48 letters, digits, - or _", ErrInvalidSpec, stack)
	}
	var steps []engine.Step
	var errs []error
	collect := func(st []engine.Step, err error) {
		steps = append(steps, st...)
		if err != nil {
			errs = append(errs, err)
		}
	}
	collect(s.deleteGroupSteps(ctx, stack, stack))
	collect(s.deleteRoleSteps(ctx, stack+"-scheduler", stack))
	collect(s.deleteQueueSteps(ctx, stack+"-scheduler-dlq", stack))
	done, err := engine.Run(ctx, s.opts.Logger.With("stack", stack), steps, s.opts.OnChange)
	if err != nil {
		errs = append(errs, err)
	}
	return done, errors.Join(errs...)
}

// deleteQueueSteps delete the stack's dead-letter queue, if it has one.
// Without an SQS client there is none to find.
func (s *Schedules) deleteQueueSteps(ctx context.Context, name, stack string) ([]engine.Step, error) {
	if s.c.SQS == nil {
		s.opts.Logger.DebugContext(ctx, "no SQS client: a dead-letter queue, if any, is kept", "queue", name)
		return nil, nil
	}
	q, err := s.readQueue(ctx, name, stack)
	switch {
	case err != nil || !q.exists:
		return nil, err
	case !q.ours:
		return nil, notOurs("SQS queue", name, stack)
	}
	return []engine.Step{s.deleteQueueStep(name, q.url, q.arn, "")}, nil
}
