package schedule

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/scheduler"
	"github.com/aws/aws-sdk-go-v2/service/scheduler/types"

	"github.com/manga-alert-italia/mangaalert/internal/awserr"
	"github.com/manga-alert-italia/mangaalert/internal/poll"
)

// ErrNotOurs means a resource with one of this stack's names exists but
// does not carry the stack's tags: it belongs to someone else and is left
// alone.
var ErrNotOurs = errors.New("exists but is not this stack's")

// ErrNotFound means a schedule (for Pause and Resume) does not exist.
var ErrNotFound = errors.New("not found")

// Client ensures, plans and deletes a stack's schedules. Its exported
// fields are options; zero means the default.
type Client struct {
	Scheduler SchedulerAPI
	IAM       IAMAPI
	// SQS is needed only for a dead-letter queue this package creates
	// (DeadLetter.Create), and by Delete to remove one; it may be nil for
	// stacks that never had one.
	SQS SQSAPI

	Logger *slog.Logger     // default slog.Default().WithGroup("schedule")
	Now    func() time.Time // the clock; default time.Now
	// Wait paces every wait: for a role created or changed by the same
	// Ensure to propagate in IAM (the Scheduler refuses a role it cannot
	// assume yet; CreateSchedule and UpdateSchedule are retried for at
	// most RoleTimeout, default 2 minutes), and for a group being deleted
	// to be gone before it is created again (bounded by ctx).
	Wait        poll.Delays
	RoleTimeout time.Duration
	// NextTimes is how many fire times Plan and Ensure report per job
	// (default 3).
	NextTimes int
}

// New returns a Client on the given service clients; opts set its fields.
func New(s SchedulerAPI, i IAMAPI, q SQSAPI, opts ...func(*Client)) *Client {
	c := &Client{Scheduler: s, IAM: i, SQS: q}
	for _, o := range opts {
		o(c)
	}
	if c.Logger == nil {
		c.Logger = slog.Default().WithGroup("schedule")
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.RoleTimeout <= 0 {
		c.RoleTimeout = 2 * time.Minute
	}
	if c.NextTimes <= 0 {
		c.NextTimes = 3
	}
	return c
}

// State is what Ensure left in place.
type State struct {
	GroupARN      string
	RoleARN       string
	DeadLetterARN string // "" when there is none
	Jobs          []JobStatus
}

// JobStatus is one schedule as Ensure left it.
type JobStatus struct {
	Name       string
	ARN        string
	Expression string
	Zone       string
	State      JobState // Enabled or Disabled
	Window     time.Duration
	Next       []time.Time // the next fire times, in Zone; none when disabled
}

// Ensure creates what is missing and updates what drifted, so the stack's
// schedules are as spec says, and returns them. A second call with the
// same spec makes no mutating call. The spec is checked in full before any
// call (Validate), and so are the role's policies (iampolicy.Check); an
// expression or target change updates the schedule in place
// (same ARN). Schedules in the stack's group that no job names are
// deleted.
func (c *Client) Ensure(ctx context.Context, spec Spec) (*State, error) {
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
	ex := &executor{c: c}
	for _, st := range steps {
		c.Logger.DebugContext(ctx, "apply", "stack", r.Stack, "change", st.Change.String())
		if err := st.apply(ctx, ex); err != nil {
			return nil, fmt.Errorf("%s %s %q: %w", st.Action, st.Kind, st.Name, err)
		}
	}
	return sv.state(c.Now(), c.NextTimes), nil
}

// executor carries what one Ensure learns while it applies its steps.
type executor struct {
	c           *Client
	roleChanged bool // a role was created or its trust changed: IAM may lag
}

// writeSchedule calls CreateSchedule or UpdateSchedule, retrying while a
// role this Ensure just created or changed is not yet usable by the
// Scheduler.
func (ex *executor) writeSchedule(ctx context.Context, call func(context.Context) error) error {
	if !ex.roleChanged {
		return call(ctx)
	}
	ctx, cancel := context.WithTimeout(ctx, ex.c.RoleTimeout)
	defer cancel()
	var last error
	err := poll.Until(ctx, "the scheduler role to propagate", ex.c.Wait, func(ctx context.Context) (bool, error) {
		last = call(ctx)
		switch {
		case last == nil:
			return true, nil
		case isRolePropagation(last) && ctx.Err() == nil:
			ex.c.Logger.DebugContext(ctx, "role not usable yet, retrying", "err", last)
			return false, nil
		}
		return false, last
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

// scheduleARN is the ARN the Scheduler gives a schedule of the group.
func (r *resolved) scheduleARN(name string) string {
	return fmt.Sprintf("arn:%s:scheduler:%s:%s:schedule/%s/%s", r.partition, r.region, r.account, r.group, name)
}

// observedSchedule is a schedule as found.
type observedSchedule struct {
	get *scheduler.GetScheduleOutput
}

// state reports the stack as Ensure leaves it, the steps applied.
func (sv *survey) state(now time.Time, n int) *State {
	st := &State{GroupARN: sv.r.groupARN, RoleARN: sv.r.roleARN, DeadLetterARN: sv.r.queueARN}
	for _, jp := range sv.jobPlans(now, n) {
		st.Jobs = append(st.Jobs, JobStatus{
			Name: jp.Name, ARN: sv.r.scheduleARN(jp.Name), Expression: jp.Expression, Zone: jp.Zone,
			State: jp.State, Window: jp.Window, Next: jp.Next,
		})
	}
	return st
}

// anchor is when a rate schedule's count starts: its StartDate, or else
// the last time it was written (the Scheduler starts a rate schedule
// without StartDate "immediately"; this package assumes an update restarts
// it too, which AWS does not document), or now for one about to be
// written.
func anchor(j *resolvedJob, o *observedSchedule, rewritten bool, now time.Time) time.Time {
	switch {
	case !j.Start.IsZero():
		return j.Start
	case rewritten || o == nil:
		return now
	case o.get.LastModificationDate != nil:
		return *o.get.LastModificationDate
	case o.get.CreationDate != nil:
		return *o.get.CreationDate
	}
	return now
}

// desiredState is the state a job's schedule should have, given what is.
func desiredState(j *resolvedJob, o *observedSchedule) types.ScheduleState {
	switch {
	case j.State != Keep:
		return types.ScheduleState(j.State)
	case o != nil && o.get.State != "":
		return o.get.State
	}
	return types.ScheduleStateEnabled
}

func groupNotFound(err error) bool { return awserr.Is(err, "ResourceNotFoundException") }

func tagsOf(in []types.Tag) map[string]string {
	m := map[string]string{}
	for _, t := range in {
		m[aws.ToString(t.Key)] = aws.ToString(t.Value)
	}
	return m
}

func schedulerTags(m map[string]string) []types.Tag {
	var out []types.Tag
	for _, k := range sortedKeys(m) {
		out = append(out, types.Tag{Key: aws.String(k), Value: aws.String(m[k])})
	}
	return out
}

// missingTags lists the desired tags that are absent or different; tags
// someone else added are left alone.
func missingTags(have, want map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range want {
		if hv, ok := have[k]; !ok || hv != v {
			out[k] = v
		}
	}
	return out
}

// ours reports whether tags mark a resource as this stack's.
func ours(tags map[string]string, stack string) bool {
	return tags[TagStack] == stack && tags[TagComponent] == Component
}

func notOurs(kind, name, stack string) error {
	return fmt.Errorf("%s %q %w: it has no tags %s=%s and %s=%s; choose another stack name, or delete or tag it yourself",
		kind, name, ErrNotOurs, TagStack, stack, TagComponent, Component)
}
