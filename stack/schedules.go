package stack

// The schedules step: package schedule, with the stack's options. The
// stack has one schedule group and one scheduler role, both named after
// it, and one schedule per job, each passing its job's task role only.
// Stacks applied before that had a group and a role per job (STACK-JOB);
// Apply and Destroy remove those leftovers.

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/scheduler"

	"github.com/manga-alert-italia/mangaalert/change"
	"github.com/manga-alert-italia/mangaalert/internal/awserr"
	"github.com/manga-alert-italia/mangaalert/schedule"
	"github.com/manga-alert-italia/mangaalert/schedule/expr"
)

func scheduleSpec(spec Spec, o Outputs) schedule.Spec {
	out := schedule.Spec{Stack: spec.Stack, ClusterARN: o.ClusterARN, ExecutionRoleARN: o.ExecutionRoleARN, Tags: spec.Tags}
	// With an operator the events that could not start a task are kept,
	// and an alarm on their queue tells the operator.
	out.DeadLetter.Create = spec.operator()
	for _, j := range spec.Jobs {
		desc := j.Description
		if desc == "" {
			desc = fmt.Sprintf("%s: run %s", spec.Stack, j.Name)
		}
		out.Jobs = append(out.Jobs, schedule.Job{Name: j.Name, TaskDefinitionARN: o.TaskDefinitionARNs[j.Name],
			TaskRoleARN: o.TaskRoleARNs[j.Name], Expression: j.Schedule, Zone: j.Zone, Description: desc,
			Placement: jobPlacement(spec, o)})
	}
	return out
}

func (s *Stack) schedules() *schedule.Schedules {
	return schedule.New(schedule.Clients{Scheduler: s.cl.scheduler, IAM: s.cl.iam, SQS: s.cl.sqs}, func(o *schedule.Options) {
		o.Logger, o.MinDelay, o.MaxDelay, o.Now = s.o.Logger, s.o.MinDelay, s.o.MaxDelay, s.o.Now
		o.Offline, o.OnChange = s.o.Offline, s.o.OnChange
	})
}

func (s *Stack) planSchedules(ctx context.Context, spec Spec, o *Outputs) (*change.Plan, error) {
	if len(spec.Jobs) == 0 {
		return nil, nil
	}
	p, err := s.schedules().Plan(ctx, scheduleSpec(spec, *o))
	if err != nil {
		return nil, fmt.Errorf("plan the schedules: %w", err)
	}
	p.Notes = append(p.Notes, followNotes(spec.Jobs)...)
	p.Notes = append(p.Notes, awsvpcNotes(spec)...)
	return p, nil
}

// ensureSchedules points each job's schedule at its task definition,
// then removes the groups of the stack's former shape.
func (s *Stack) ensureSchedules(ctx context.Context, spec Spec, o *Outputs) ([]change.Change, error) {
	for _, j := range spec.Jobs {
		if o.TaskDefinitionARNs[j.Name] == "" {
			return nil, fmt.Errorf("the host reported no task definition for %s", j.Name)
		}
	}
	var done []change.Change
	if len(spec.Jobs) > 0 {
		st, err := s.schedules().Ensure(ctx, scheduleSpec(spec, *o))
		if st != nil {
			done = st.Changes
		}
		if err != nil {
			return done, err
		}
	}
	cs, err := s.deleteFormerGroups(ctx, spec.Stack)
	return append(done, cs...), err
}

// deleteSchedules deletes the stack's schedules, group and scheduler
// role, and those of its former shape.
func (s *Stack) deleteSchedules(ctx context.Context, stack string) ([]change.Change, error) {
	done, err := s.schedules().Delete(ctx, stack)
	if err != nil {
		return done, err
	}
	cs, err := s.deleteFormerGroups(ctx, stack)
	return append(done, cs...), err
}

// deleteFormerGroups deletes the per-job groups (STACK-JOB) and their
// roles that stacks applied before one group per stack have.
func (s *Stack) deleteFormerGroups(ctx context.Context, stack string) ([]change.Change, error) {
	groups, err := s.formerGroups(ctx, stack)
	if err != nil {
		return nil, err
	}
	var done []change.Change
	for _, g := range groups {
		cs, err := s.schedules().Delete(ctx, g)
		done = append(done, cs...)
		if err != nil {
			return done, err
		}
	}
	return done, nil
}

// formerGroups finds the groups of the former shape: named STACK-JOB,
// with schedules that run tasks in the stack's cluster, or (emptied by a
// destroy that stopped) a scheduler role that may start them there. The
// name alone is not enough: STACK-JOB may be another stack's name.
func (s *Stack) formerGroups(ctx context.Context, stack string) ([]string, error) {
	var out []string
	pages := scheduler.NewListScheduleGroupsPaginator(s.cl.scheduler, &scheduler.ListScheduleGroupsInput{NamePrefix: aws.String(stack + "-")})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("list the schedule groups: %w", err)
		}
		for _, g := range page.ScheduleGroups {
			name := aws.ToString(g.Name)
			ours, err := s.groupRunsIn(ctx, name, stack)
			if err != nil {
				return nil, err
			}
			if ours {
				out = append(out, name)
			}
		}
	}
	return out, nil
}

func (s *Stack) groupRunsIn(ctx context.Context, group, stack string) (bool, error) {
	list, err := s.cl.scheduler.ListSchedules(ctx, &scheduler.ListSchedulesInput{GroupName: aws.String(group)})
	if err != nil {
		return false, fmt.Errorf("list the schedules of %s: %w", group, err)
	}
	for _, x := range list.Schedules {
		if x.Target != nil && strings.HasSuffix(aws.ToString(x.Target.Arn), ":cluster/"+stack) {
			return true, nil
		}
	}
	if len(list.Schedules) > 0 {
		return false, nil
	}
	pol, err := s.cl.iam.GetRolePolicy(ctx, &iam.GetRolePolicyInput{RoleName: aws.String(group + "-scheduler"), PolicyName: aws.String(schedule.PolicyName)})
	if err != nil {
		return false, nil // no role of ours: not ours to delete
	}
	doc, _ := url.QueryUnescape(aws.ToString(pol.PolicyDocument))
	return strings.Contains(doc, ":task/"+stack+"/*"), nil
}

// jobSchedules reads the stack's schedules, for Status.
func (s *Stack) jobSchedules(ctx context.Context, stack string) ([]*scheduler.GetScheduleOutput, error) {
	list, err := s.cl.scheduler.ListSchedules(ctx, &scheduler.ListSchedulesInput{GroupName: aws.String(stack)})
	switch {
	case awserr.Is(err, "ResourceNotFoundException"):
		return nil, nil
	case err != nil:
		return nil, err
	}
	var out []*scheduler.GetScheduleOutput
	for _, x := range list.Schedules {
		got, err := s.cl.scheduler.GetSchedule(ctx, &scheduler.GetScheduleInput{Name: x.Name, GroupName: aws.String(stack)})
		if err != nil {
			return out, err
		}
		out = append(out, got)
	}
	return out, nil
}

// checkSchedule has the Scheduler's rules check a job's zone and
// expression.
func checkSchedule(expression, zone string) (zoneErr, exprErr error) {
	_, zoneErr = expr.LoadZone(zone)
	_, exprErr = expr.Parse(expression)
	return zoneErr, exprErr
}

// nextRuns is when a schedule fires next: rate schedules count from their
// start, or from when they were last written (expr.Bounds explains).
func nextRuns(g *scheduler.GetScheduleOutput, zone string, now time.Time) []string {
	if g.State != "ENABLED" {
		return nil
	}
	e, err := expr.Parse(aws.ToString(g.ScheduleExpression))
	if err != nil {
		return nil
	}
	loc, err := expr.LoadZone(zone)
	if err != nil {
		return nil
	}
	b := expr.Bounds{Start: aws.ToTime(g.StartDate), End: aws.ToTime(g.EndDate)}
	if e.Kind() == expr.Rate && b.Start.IsZero() {
		b.Start = aws.ToTime(g.LastModificationDate)
		if b.Start.IsZero() {
			b.Start = aws.ToTime(g.CreationDate)
		}
	}
	var out []string
	for _, t := range e.Times(loc, now, 3, b) {
		out = append(out, t.Format("Mon 2006-01-02 15:04 MST"))
	}
	return out
}
