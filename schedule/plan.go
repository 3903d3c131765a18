package schedule

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/scheduler/types"

	"github.com/manga-alert-italia/mangaalert/iampolicy"

	"github.com/manga-alert-italia/mangaalert/schedule/expr"
)

// Action is what a Change does.
type Action string

// The actions of a plan.
const (
	Create Action = "create"
	Update Action = "update"
	Delete Action = "delete"
)

// Change is one write Ensure would make.
type Change struct {
	Action  Action
	Kind    string   // "schedule group", "dead-letter queue", "IAM role", "role policy", "attached policy", "schedule"
	Name    string   // the resource's name
	Details []string // what it sets, or for an update what differs ("expression: rate(6 hours) → cron(0 3 * * ? *)")
}

func (c Change) String() string {
	s := fmt.Sprintf("%s %s %q", c.Action, c.Kind, c.Name)
	if len(c.Details) > 0 {
		s += ": " + strings.Join(c.Details, "; ")
	}
	return s
}

type step struct {
	Change
	apply func(context.Context, *executor) error
}

// Plan is what Ensure would do, and when each job would run.
type Plan struct {
	Stack   string
	Changes []Change
	Jobs    []JobPlan
	// Policies are the scheduler role's policies as Ensure writes them:
	// the inline policy under the role's name, the trust policy as
	// "ROLE (trust)". Both passed iampolicy.Check: Plan and Ensure refuse
	// a Spec whose policies would not.
	Policies map[string]iampolicy.Document
}

// JobPlan is one job's schedule as it would be after Ensure.
type JobPlan struct {
	Name       string
	Expression string
	Zone       string
	State      JobState
	Window     time.Duration // each run starts within this window after its time
	Next       []time.Time   // the next fire times, in Zone; none when disabled
}

// Empty reports whether Ensure would change nothing.
func (p *Plan) Empty() bool { return len(p.Changes) == 0 }

// String is the plan for people, as Write prints it.
func (p *Plan) String() string {
	var b strings.Builder
	p.Write(&b)
	return b.String()
}

// Write prints the changes, then when each job runs next.
func (p *Plan) Write(w io.Writer) {
	if p.Empty() {
		fmt.Fprintf(w, "schedules of %s: no changes\n", p.Stack)
	} else {
		fmt.Fprintf(w, "schedules of %s: %d changes\n", p.Stack, len(p.Changes))
		for _, c := range p.Changes {
			fmt.Fprintf(w, "  %s %s %s\n", c.Action, c.Kind, c.Name)
			for _, d := range c.Details {
				fmt.Fprintf(w, "      %s\n", d)
			}
		}
	}
	for _, j := range p.Jobs {
		fmt.Fprintf(w, "  job %s: %s in %s", j.Name, j.Expression, j.Zone)
		if j.Window > 0 {
			fmt.Fprintf(w, ", starting within %d minutes", int(j.Window/time.Minute))
		}
		switch {
		case j.State == Disabled:
			fmt.Fprint(w, ", paused\n")
		case len(j.Next) == 0:
			fmt.Fprint(w, ", never runs again\n")
		default:
			var ts []string
			for _, t := range j.Next {
				ts = append(ts, t.Format("Mon 2006-01-02 15:04 MST"))
			}
			fmt.Fprintf(w, ", next %s\n", strings.Join(ts, ", "))
		}
	}
}

// Plan says what Ensure would do with spec, and when each job would run
// next (Client.NextTimes times, in its zone), without changing anything.
// Like Ensure it refuses, before any call, a Spec that Validate refuses.
// A rate job about to be created or rewritten counts from now: the
// Scheduler runs it at once.
func (c *Client) Plan(ctx context.Context, spec Spec) (*Plan, error) {
	r, err := spec.resolve(c.Now())
	if err != nil {
		return nil, err
	}
	sv, err := c.survey(ctx, r)
	if err != nil {
		return nil, err
	}
	steps, err := sv.steps()
	if err != nil {
		return nil, err
	}
	p := &Plan{Stack: r.Stack, Jobs: sv.jobPlans(sv.now, c.NextTimes), Policies: r.policies()}
	for _, s := range steps {
		p.Changes = append(p.Changes, s.Change)
	}
	return p, nil
}

// jobPlans gives each job's schedule as Ensure leaves it, with its next n
// fire times after now.
func (sv *survey) jobPlans(now time.Time, n int) []JobPlan {
	var out []JobPlan
	for i := range sv.r.jobs {
		j := &sv.r.jobs[i]
		o := sv.schedules[j.Name]
		state := desiredState(j, o)
		jp := JobPlan{Name: j.Name, Expression: j.Expression, Zone: j.Zone, State: JobState(state), Window: j.Window}
		if state == types.ScheduleStateEnabled {
			from, b := now, expr.Bounds{Start: j.Start, End: j.End}
			if j.parsed.Kind() == expr.Rate {
				b.Start = anchor(j, o, sv.rewritten[j.Name], now)
				if sv.rewritten[j.Name] && j.Start.IsZero() {
					from = now.Add(-time.Nanosecond) // it runs as it is written
				}
			}
			jp.Next = j.parsed.Times(j.loc, from, n, b)
		}
		out = append(out, jp)
	}
	return out
}
