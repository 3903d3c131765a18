package schedule

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/scheduler"
	"github.com/aws/aws-sdk-go-v2/service/scheduler/types"

	"github.com/manga-alert-italia/mangaalert/change"
	"github.com/manga-alert-italia/mangaalert/internal/awserr"
	"github.com/manga-alert-italia/mangaalert/internal/engine"
	"github.com/manga-alert-italia/mangaalert/internal/poll"
	"github.com/manga-alert-italia/mangaalert/resource"
	"github.com/manga-alert-italia/mangaalert/schedule/expr"
)

// scheduleARN is the ARN the Scheduler gives a schedule of the group.
func (r *resolved) scheduleARN(name string) string {
	return resource.ARNIn(r.partition, "scheduler", r.region, r.account, "schedule/"+r.group+"/"+name)
}

// job is the resolved job of that name, nil when there is none.
func (r *resolved) job(name string) *resolvedJob {
	for i := range r.jobs {
		if r.jobs[i].Name == name {
			return &r.jobs[i]
		}
	}
	return nil
}

// jobSteps create or update each job's schedule, whole, as UpdateSchedule
// requires. A new recurring schedule whose start is more than 5 minutes
// past is refused here, before any write, as the Scheduler would refuse
// it half-way through.
func (rn *run) jobSteps() ([]engine.Step, error) {
	var steps []engine.Step
	var errs []error
	for i := range rn.r.jobs {
		j := &rn.r.jobs[i]
		o := rn.schedules[j.Name]
		want := rn.r.definition(j, desiredState(j, o))
		if o != nil {
			steps = append(steps, rn.updateStep(j, o, want))
			continue
		}
		if j.parsed.Recurring() && !j.Start.IsZero() && j.Start.Before(rn.now.Add(-5*time.Minute)) {
			errs = append(errs, fmt.Errorf("job %q: start %s is more than 5 minutes ago: the Scheduler refuses that for a new recurring schedule; give a later start or none", j.Name, j.Start.Format(time.RFC3339)))
		}
		rn.rewritten[j.Name] = true
		details := []string{j.Expression + " in " + j.Zone, "runs " + j.TaskDefinitionARN}
		steps = append(steps, newStep(change.Create, kindSchedule, j.Name, "", details, func(ctx context.Context) error {
			return rn.writeSchedule(ctx, func(ctx context.Context) error {
				_, err := rn.s.c.Scheduler.CreateSchedule(ctx, createInput(want))
				return err
			})
		}))
	}
	if len(errs) > 0 {
		return nil, &SpecError{Problems: errs}
	}
	return steps, nil
}

// updateStep rewrites an existing schedule when a field differs.
func (rn *run) updateStep(j *resolvedJob, o *scheduler.GetScheduleOutput, want *scheduler.UpdateScheduleInput) engine.Step {
	d := diff(updateFrom(o, o.State), want)
	if len(d) == 0 {
		return keep(kindSchedule, j.Name, aws.ToString(o.Arn))
	}
	rn.rewritten[j.Name] = true
	return newStep(change.Update, kindSchedule, j.Name, aws.ToString(o.Arn), d, func(ctx context.Context) error {
		return rn.writeSchedule(ctx, func(ctx context.Context) error {
			_, err := rn.s.c.Scheduler.UpdateSchedule(ctx, want)
			return err
		})
	})
}

// writeSchedule calls CreateSchedule or UpdateSchedule, retrying while
// the Scheduler refuses a role this run just created or changed (IAM
// propagation), for at most RoleTimeout as Options.Now measures it.
func (rn *run) writeSchedule(ctx context.Context, call func(context.Context) error) error {
	if !rn.roleChanged {
		return call(ctx)
	}
	o := rn.s.opts
	start := o.Now()
	var last error
	err := poll.Until(ctx, "the scheduler role to propagate", rn.s.delays(), func(ctx context.Context) (bool, error) {
		last = call(ctx)
		switch {
		case last == nil:
			return true, nil
		case !isRolePropagation(last):
			return false, last
		case ctx.Err() != nil:
			return false, fmt.Errorf("wait for the scheduler role to propagate: %w (last: %w)", ctx.Err(), last)
		case o.Now().Sub(start) >= o.RoleTimeout:
			return false, fmt.Errorf("wait for the scheduler role to propagate: gave up after %s: %w (last: %w)", o.RoleTimeout, context.DeadlineExceeded, last)
		}
		o.Logger.DebugContext(ctx, "role not usable yet, retrying", "err", last)
		return false, nil
	})
	if err != nil && last != nil && !errors.Is(err, last) {
		return fmt.Errorf("%w (last: %w)", err, last)
	}
	return err
}

// isRolePropagation recognises the Scheduler refusing a role it cannot yet
// assume ("The execution role you provide must allow AWS EventBridge
// Scheduler to assume the role.").
func isRolePropagation(err error) bool {
	return awserr.Is(err, "ValidationException") && strings.Contains(strings.ToLower(err.Error()), "role")
}

// desiredState is the state a job's schedule should have, given what is.
func desiredState(j *resolvedJob, o *scheduler.GetScheduleOutput) types.ScheduleState {
	switch {
	case j.State != Keep:
		return types.ScheduleState(j.State)
	case o != nil && o.State != "":
		return o.State
	}
	return types.ScheduleStateEnabled
}

// anchor is when a rate schedule's count starts: its StartDate, or else
// the last time it was written (the Scheduler starts a rate schedule
// without StartDate "immediately"; this package assumes an update restarts
// it too, which AWS does not document), or now for one about to be
// written.
func anchor(j *resolvedJob, o *scheduler.GetScheduleOutput, rewritten bool, now time.Time) time.Time {
	switch {
	case !j.Start.IsZero():
		return j.Start
	case rewritten || o == nil:
		return now
	case o.LastModificationDate != nil:
		return *o.LastModificationDate
	case o.CreationDate != nil:
		return *o.CreationDate
	}
	return now
}

// jobStatuses give each job's schedule as the run leaves it, with its
// next n fire times after now.
func (rn *run) jobStatuses(now time.Time, n int) []JobStatus {
	var out []JobStatus
	for i := range rn.r.jobs {
		j := &rn.r.jobs[i]
		o := rn.schedules[j.Name]
		state := desiredState(j, o)
		js := JobStatus{Name: j.Name, ARN: rn.r.scheduleARN(j.Name), Expression: j.Expression, Zone: j.Zone, State: JobState(state), Window: j.Window}
		if state == types.ScheduleStateEnabled {
			js.Next = rn.times(j, now, n, time.Time{})
		}
		out = append(out, js)
	}
	return out
}

// times are a job's next n fire times after now and before until (when
// not zero), a rate counted from its anchor.
func (rn *run) times(j *resolvedJob, now time.Time, n int, until time.Time) []time.Time {
	from, b := now, expr.Bounds{Start: j.Start, End: j.End}
	if !until.IsZero() && (b.End.IsZero() || until.Before(b.End)) {
		b.End = until
	}
	if j.parsed.Kind() == expr.Rate {
		rewritten := rn.rewritten[j.Name]
		b.Start = anchor(j, rn.schedules[j.Name], rewritten, now)
		if rewritten && j.Start.IsZero() {
			from = now.Add(-time.Nanosecond) // it runs as it is written
		}
	}
	return j.parsed.Times(j.loc, from, n, b)
}

// note is the job's line in a plan: when it runs, and next.
func (js JobStatus) note() string {
	var b strings.Builder
	fmt.Fprintf(&b, "job %s: %s in %s", js.Name, js.Expression, js.Zone)
	if js.Window > 0 {
		fmt.Fprintf(&b, ", starting within %d minutes", int(js.Window/time.Minute))
	}
	switch {
	case js.State == Disabled:
		b.WriteString(", paused")
	case len(js.Next) == 0:
		b.WriteString(", never runs again")
	default:
		var ts []string
		for _, t := range js.Next {
			ts = append(ts, t.Format("Mon 2006-01-02 15:04 MST"))
		}
		b.WriteString(", next " + strings.Join(ts, ", "))
	}
	return b.String()
}
