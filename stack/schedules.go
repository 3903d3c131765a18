package stack

// Adapter to package schedule's current API (New with positional clients
// and a func(*Client) option, its own Plan and Change types, no offline
// mode, one task role per Spec). Because a Spec takes one task role, each
// job gets a group and a scheduler role of its own, named STACK-JOB, so
// each role may pass exactly its job's task role. When schedule takes a
// task role per job (issue 11), the stack gets one group and one role,
// named STACK, and scheduleGroups, the per-job loops and the offline
// account go.

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
	"github.com/manga-alert-italia/mangaalert/cost"
	"github.com/manga-alert-italia/mangaalert/internal/poll"
	"github.com/manga-alert-italia/mangaalert/schedule"
)

func scheduleGroup(stack, job string) string { return stack + "-" + job }

func scheduleSpec(spec Spec, j Job, o Outputs) schedule.Spec {
	desc := j.Description
	if desc == "" {
		desc = fmt.Sprintf("%s: run %s", spec.Stack, j.Name)
	}
	return schedule.Spec{
		Stack:            scheduleGroup(spec.Stack, j.Name),
		ClusterARN:       o.ClusterARN,
		ExecutionRoleARN: o.ExecutionRoleARN,
		TaskRoleARN:      o.TaskRoleARNs[j.Name],
		Tags:             spec.Tags,
		Jobs: []schedule.Job{{Name: j.Name, TaskDefinitionARN: o.TaskDefinitionARNs[j.Name],
			Expression: j.Schedule, Zone: j.Zone, Description: desc}},
	}
}

func (s *Stack) schedules() *schedule.Client {
	opt := func(c *schedule.Client) {
		c.Now, c.Logger, c.Wait = s.o.Now, s.o.Logger, poll.Delays{Min: s.o.MinDelay, Max: s.o.MaxDelay}
	}
	if s.o.Offline {
		cfg := emptyAccount(s.o.Region)
		return schedule.New(scheduler.NewFromConfig(cfg), iam.NewFromConfig(cfg), nil, opt)
	}
	return schedule.New(s.cl.scheduler, s.cl.iam, nil, opt)
}

// scheduleChanges lists a job's changes, or its group, role and schedule
// as kept when there are none (the plan names changes only).
func scheduleChanges(p *schedule.Plan) []change.Change {
	var out []change.Change
	for _, c := range p.Changes {
		out = append(out, change.Change{Action: change.Action(c.Action), Kind: c.Kind, Name: c.Name, Details: c.Details})
	}
	if len(out) == 0 {
		out = append(out,
			change.Change{Action: change.Keep, Kind: "schedule group", Name: p.Stack},
			change.Change{Action: change.Keep, Kind: "IAM role", Name: p.Stack + "-scheduler"})
	}
	for _, j := range p.Jobs {
		if !containsChange(out, "schedule", j.Name) {
			out = append(out, change.Change{Action: change.Keep, Kind: "schedule", Name: j.Name, Details: []string{j.Expression}})
		}
	}
	return out
}

func containsChange(cs []change.Change, kind, name string) bool {
	_, ok := (&change.Plan{Changes: cs}).Find(kind, name)
	return ok
}

func (s *Stack) planSchedules(ctx context.Context, spec Spec, o *Outputs) (*change.Plan, error) {
	out := &change.Plan{Component: "schedules", Offline: s.o.Offline}
	for _, j := range spec.Jobs {
		p, err := s.schedules().Plan(ctx, scheduleSpec(spec, j, *o))
		if err != nil {
			return nil, fmt.Errorf("plan the %s schedule: %w", j.Name, err)
		}
		out.Merge(&change.Plan{Changes: scheduleChanges(p), Policies: p.Policies})
		for _, jp := range p.Jobs {
			var next []string
			for _, t := range jp.Next {
				next = append(next, t.Format("Mon 2006-01-02 15:04 MST"))
			}
			out.Notes = append(out.Notes, fmt.Sprintf("%s runs %s in %s; next %s", jp.Name, jp.Expression, jp.Zone, strings.Join(next, ", ")))
		}
	}
	return out, nil
}

// ensureSchedules points each job's schedule at its task definition.
// Until schedule.Ensure returns its changes, they come from a plan made
// just before.
func (s *Stack) ensureSchedules(ctx context.Context, spec Spec, o *Outputs) ([]change.Change, error) {
	var done []change.Change
	for _, j := range spec.Jobs {
		if o.TaskDefinitionARNs[j.Name] == "" {
			return done, fmt.Errorf("the host reported no task definition for %s", j.Name)
		}
		ss := scheduleSpec(spec, j, *o)
		sc := s.schedules()
		p, err := sc.Plan(ctx, ss)
		if err != nil {
			return done, err
		}
		if _, err := sc.Ensure(ctx, ss); err != nil {
			return done, err
		}
		done = append(done, made(scheduleChanges(p))...)
	}
	return done, nil
}

// scheduleGroups finds the stack's groups: named STACK-JOB, with
// schedules that run tasks in the stack's cluster, or (emptied by a
// destroy that stopped) a scheduler role that may start them there.
func (s *Stack) scheduleGroups(ctx context.Context, stack string) ([]string, error) {
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

func (s *Stack) deleteSchedules(ctx context.Context, stack string) ([]change.Change, error) {
	groups, err := s.scheduleGroups(ctx, stack)
	if err != nil {
		return nil, err
	}
	var done []change.Change
	for _, g := range groups {
		if err := s.schedules().Delete(ctx, g); err != nil {
			return done, err
		}
		done = append(done, change.Change{Action: change.Delete, Kind: "schedule group", Name: g,
			Details: []string{"with its schedules and scheduler role"}})
	}
	return done, nil
}

// jobSchedules reads the stack's schedules, for Status.
func (s *Stack) jobSchedules(ctx context.Context, stack string) ([]*scheduler.GetScheduleOutput, error) {
	groups, err := s.scheduleGroups(ctx, stack)
	if err != nil {
		return nil, err
	}
	var out []*scheduler.GetScheduleOutput
	for _, g := range groups {
		list, err := s.cl.scheduler.ListSchedules(ctx, &scheduler.ListSchedulesInput{GroupName: aws.String(g)})
		if err != nil {
			return out, err
		}
		for _, x := range list.Schedules {
			got, err := s.cl.scheduler.GetSchedule(ctx, &scheduler.GetScheduleInput{Name: x.Name, GroupName: aws.String(g)})
			if err != nil {
				return out, err
			}
			out = append(out, got)
		}
	}
	return out, nil
}

// checkSchedule has the Scheduler's rules check a job's zone and
// expression.
func checkSchedule(expr, zone string) (zoneErr, exprErr error) {
	_, zoneErr = schedule.LoadZone(zone)
	_, exprErr = schedule.Parse(expr)
	return zoneErr, exprErr
}

// runsPerMonth counts a schedule's runs in the 730 hours after now.
func runsPerMonth(expr, zone string, now time.Time) int {
	e, err := schedule.Parse(expr)
	if err != nil {
		return 0
	}
	if e.Kind() == schedule.Rate {
		return int(cost.HoursPerMonth * time.Hour / e.Interval())
	}
	loc, err := schedule.LoadZone(zone)
	if err != nil {
		return 0
	}
	end := now.Add(cost.HoursPerMonth * time.Hour)
	n := 0
	for _, t := range e.Times(loc, now, 50000, schedule.Bounds{End: end}) {
		if t.Before(end) {
			n++
		}
	}
	return n
}

// nextRuns is when a schedule fires next: rate schedules count from their
// start, or from when they were last written (schedule.Next explains).
func nextRuns(g *scheduler.GetScheduleOutput, zone string, now time.Time) []string {
	if g.State != "ENABLED" {
		return nil
	}
	e, err := schedule.Parse(aws.ToString(g.ScheduleExpression))
	if err != nil {
		return nil
	}
	loc, err := schedule.LoadZone(zone)
	if err != nil {
		return nil
	}
	b := schedule.Bounds{Start: aws.ToTime(g.StartDate), End: aws.ToTime(g.EndDate)}
	if e.Kind() == schedule.Rate && b.Start.IsZero() {
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
