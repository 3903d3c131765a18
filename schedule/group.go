package schedule

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/scheduler"
	"github.com/aws/aws-sdk-go-v2/service/scheduler/types"

	"github.com/manga-alert-italia/mangaalert/change"
	"github.com/manga-alert-italia/mangaalert/internal/engine"
	"github.com/manga-alert-italia/mangaalert/internal/poll"
)

// observedGroup is the stack's schedule group as found.
type observedGroup struct {
	exists, deleting bool
	arn              string
	tags             map[string]string
}

// readGroup reads the group of a stack; a group of that name without the
// stack's tags is an error wrapping resource.ErrNotOurs.
func (s *Schedules) readGroup(ctx context.Context, name, stack string) (observedGroup, error) {
	g, err := s.c.Scheduler.GetScheduleGroup(ctx, &scheduler.GetScheduleGroupInput{Name: aws.String(name)})
	switch {
	case notFound(err):
		return observedGroup{}, nil
	case err != nil:
		return observedGroup{}, fmt.Errorf("get schedule group %q: %w", name, err)
	}
	o := observedGroup{exists: true, arn: aws.ToString(g.Arn), deleting: g.State == types.ScheduleGroupStateDeleting}
	tags, err := s.c.Scheduler.ListTagsForResource(ctx, &scheduler.ListTagsForResourceInput{ResourceArn: g.Arn})
	if err != nil {
		return observedGroup{}, fmt.Errorf("list tags of schedule group %q: %w", name, err)
	}
	o.tags = tagsOf(tags.Tags)
	if !ours(o.tags, stack) {
		return observedGroup{}, notOurs(kindGroup, name, stack)
	}
	return o, nil
}

// groupStep creates the group, or adds the tags it lacks.
func (rn *run) groupStep() engine.Step {
	r, g := rn.r, rn.group
	if g.exists && !g.deleting {
		m := missingTags(g.tags, r.tags)
		if len(m) == 0 {
			return keep(kindGroup, r.group, g.arn)
		}
		return newStep(change.Update, kindGroup, r.group, g.arn, []string{"tags: " + formatTags(m)}, func(ctx context.Context) error {
			_, err := rn.s.c.Scheduler.TagResource(ctx, &scheduler.TagResourceInput{ResourceArn: aws.String(r.groupARN), Tags: schedulerTags(m)})
			return err
		})
	}
	details := []string{"tags: " + formatTags(r.tags)}
	if g.deleting {
		details = append(details, "after the group being deleted is gone")
	}
	return newStep(change.Create, kindGroup, r.group, "", details, func(ctx context.Context) error {
		if g.deleting {
			if err := rn.s.waitGroupGone(ctx, r.group); err != nil {
				return err
			}
		}
		out, err := rn.s.c.Scheduler.CreateScheduleGroup(ctx, &scheduler.CreateScheduleGroupInput{Name: aws.String(r.group), Tags: schedulerTags(r.tags)})
		if err != nil {
			return err
		}
		if got := aws.ToString(out.ScheduleGroupArn); got != r.groupARN {
			return fmt.Errorf("created with ARN %s, not %s: the Scheduler client works in another region or account than the cluster", got, r.groupARN)
		}
		return nil
	})
}

// waitGroupGone waits for a group in state DELETING to disappear: the
// Scheduler deletes a group and its schedules asynchronously, and a group
// of the same name cannot be created until it is gone. Options.Timeout
// bounds the wait when ctx has no deadline.
func (s *Schedules) waitGroupGone(ctx context.Context, name string) error {
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, s.opts.Timeout)
		defer cancel()
	}
	return poll.Until(ctx, "schedule group "+name+" to be deleted", s.delays(), func(ctx context.Context) (bool, error) {
		_, err := s.c.Scheduler.GetScheduleGroup(ctx, &scheduler.GetScheduleGroupInput{Name: aws.String(name)})
		if notFound(err) {
			return true, nil
		}
		return false, err
	})
}

// listSchedules lists the schedules of a group.
func (s *Schedules) listSchedules(ctx context.Context, group string) ([]types.ScheduleSummary, error) {
	var out []types.ScheduleSummary
	for pager := scheduler.NewListSchedulesPaginator(s.c.Scheduler, &scheduler.ListSchedulesInput{GroupName: aws.String(group)}); pager.HasMorePages(); {
		page, err := pager.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("list schedules of group %q: %w", group, err)
		}
		for _, sc := range page.Schedules {
			if g := aws.ToString(sc.GroupName); g == "" || g == group {
				out = append(out, sc)
			}
		}
	}
	return out, nil
}

// readSchedules reads every schedule of a group whole, by name.
func (s *Schedules) readSchedules(ctx context.Context, group string) (map[string]*scheduler.GetScheduleOutput, error) {
	list, err := s.listSchedules(ctx, group)
	if err != nil {
		return nil, err
	}
	out := map[string]*scheduler.GetScheduleOutput{}
	for _, sc := range list {
		name := aws.ToString(sc.Name)
		g, err := s.c.Scheduler.GetSchedule(ctx, &scheduler.GetScheduleInput{Name: sc.Name, GroupName: aws.String(group)})
		if err != nil {
			return nil, fmt.Errorf("get schedule %q: %w", name, err)
		}
		out[name] = g
	}
	return out, nil
}

// deleteGroupSteps delete a group's schedules one by one, then the group:
// the Scheduler would delete them with the group, but asynchronously.
func (s *Schedules) deleteGroupSteps(ctx context.Context, name, stack string) ([]engine.Step, error) {
	g, err := s.readGroup(ctx, name, stack)
	if err != nil || !g.exists || g.deleting {
		return nil, err
	}
	list, err := s.listSchedules(ctx, name)
	if err != nil {
		return nil, err
	}
	var steps []engine.Step
	for _, sc := range list {
		steps = append(steps, s.deleteScheduleStep(name, sc.Arn, aws.ToString(sc.Name), ""))
	}
	return append(steps, newStep(change.Delete, kindGroup, name, g.arn, nil, func(ctx context.Context) error {
		_, err := s.c.Scheduler.DeleteScheduleGroup(ctx, &scheduler.DeleteScheduleGroupInput{Name: aws.String(name)})
		if notFound(err) {
			return nil
		}
		return err
	})), nil
}

// deleteScheduleStep deletes one schedule of a group; one already gone is
// no error.
func (s *Schedules) deleteScheduleStep(group string, arn *string, name, why string) engine.Step {
	var details []string
	if why != "" {
		details = []string{why}
	}
	return newStep(change.Delete, kindSchedule, name, aws.ToString(arn), details, func(ctx context.Context) error {
		_, err := s.c.Scheduler.DeleteSchedule(ctx, &scheduler.DeleteScheduleInput{Name: aws.String(name), GroupName: aws.String(group)})
		if notFound(err) {
			return nil
		}
		return err
	})
}
