package schedule

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/manga-alert-italia/mangaalert/schedule/expr"
)

// Defaults for the zero fields of a Job.
const (
	DefaultExpression = "rate(6 hours)"
	DefaultAttempts   = 3         // retries of a failed RunTask
	DefaultMaxAge     = time.Hour // a run not started within an hour waits for the next one
	DefaultRetention  = 14 * 24 * time.Hour
)

// DefaultZone is the time zone cron and at expressions are read in when a
// job names none: the service's readers are in Italy.
const DefaultZone = "Europe/Rome"

// Component is this package's value of the resource.TagComponent tag, and
// its plans' Component.
const Component = "schedule"

// TagJob names, on the tasks a schedule starts, the job that started them
// (next to resource.TagStack).
const TagJob = "mangaalert:job"

// Spec is the desired state of one stack's scheduled ECS tasks: one
// schedule group and one scheduler role for the stack, one schedule per
// job. It takes plain values (the cluster and role ARNs come from whoever
// built them); zero fields mean the documented defaults.
type Spec struct {
	// Stack names everything: the schedule group (Stack), the scheduler
	// role (Stack-scheduler) and a created dead-letter queue
	// (Stack-scheduler-dlq). Letters, digits, - and _, at most 48.
	Stack string
	// ClusterARN is the ECS cluster the tasks run in. Its region and
	// account are the schedules' own: the clients must work there.
	ClusterARN string
	// ExecutionRoleARN is the execution role the jobs' task definitions
	// name (ECS pulls images and reads secrets with it); each job names
	// its own task role. The scheduler role may pass exactly these roles
	// to ECS.
	ExecutionRoleARN string
	Jobs             []Job
	DeadLetter       DeadLetter
	// Tags go on the group, the role, the queue and the tasks, next to
	// this package's own (mangaalert:*). Keys starting with "aws:" or
	// "mangaalert:" are refused.
	Tags map[string]string
}

// DeadLetter says where events that could not start a task go, after the
// retries. The zero value means nowhere (they are dropped).
type DeadLetter struct {
	Create    bool          // create and own the queue Stack-scheduler-dlq
	ARN       string        // or send to this existing queue
	Retention time.Duration // of a created queue; 0 means 14 days (the SQS maximum)
}

// JobState is whether a schedule runs.
type JobState string

// The states of a job. Keep, the zero value, creates a schedule enabled
// and then leaves its state to Pause and Resume.
const (
	Keep     JobState = ""
	Enabled  JobState = "ENABLED"
	Disabled JobState = "DISABLED"
)

// Job is one schedule that runs one ECS task.
type Job struct {
	Name              string // the schedule's name: letters, digits, - _ and ., at most 64
	TaskDefinitionARN string // arn:aws:ecs:REGION:ACCOUNT:task-definition/FAMILY[:REVISION]
	// TaskRoleARN is the task role the job's task definition names, ""
	// when it names none: the scheduler role may pass it to ECS, and no
	// other job's.
	TaskRoleARN string
	// Expression: rate(...), cron(...) or at(...), checked by expr.Parse;
	// "" means DefaultExpression. Rate schedules count from their start
	// (Start, or their creation or last update).
	Expression string
	Zone       string        // IANA zone for cron and at; "" means DefaultZone
	Window     time.Duration // flexible time window; 0 means off, else whole minutes up to 24h
	Retry      Retry
	State      JobState
	// Start and End bound the schedule (StartDate, EndDate). The
	// Scheduler refuses a StartDate more than 5 minutes in the past when
	// a recurring schedule is created.
	Start, End time.Time
	// Command, when set, replaces the command of the task definition's
	// container named Container, as the task's overrides.
	Container   string
	Command     []string
	Tags        map[string]string // on the task, with Spec.Tags, resource.TagStack and TagJob
	Description string            // "" gives "mangaalert STACK: NAME"
	// Placement: launch type or capacity provider, and the network
	// configuration of an awsvpc task. Zero: EC2, bridge mode.
	Placement Placement
}

// Retry is what the Scheduler does when RunTask fails. The zero value
// means DefaultAttempts within DefaultMaxAge.
type Retry struct {
	Attempts  int           // 1-185; 0 means DefaultAttempts
	MaxAge    time.Duration // 1 minute to 24 hours, whole seconds; 0 means DefaultMaxAge
	NoRetries bool          // do not retry at all
}

// ErrInvalidSpec is wrapped by every *SpecError.
var ErrInvalidSpec = errors.New("invalid schedule spec")

// SpecError lists everything wrong with a Spec; nothing was called.
type SpecError struct {
	Problems []error
}

func (e *SpecError) Error() string {
	msgs := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		msgs[i] = p.Error()
	}
	return "invalid schedule spec: " + strings.Join(msgs, "; ")
}

// Is makes errors.Is(err, ErrInvalidSpec) true.
func (e *SpecError) Is(target error) bool { return target == ErrInvalidSpec }

// Unwrap gives the problems, so errors.Is finds expr.ErrInvalid.
func (e *SpecError) Unwrap() []error { return e.Problems }

// Validate checks s as Ensure does before its first call, so a deploy tool
// can refuse a bad configuration early. The error is a *SpecError listing
// every problem, or, for a Spec without one, a *iampolicy.FindingsError if
// the scheduler role's policies would grant more than least privilege
// allows (errors.Is iampolicy.ErrTooBroad).
func (s Spec) Validate() error {
	_, err := s.resolve(time.Now())
	return err
}

// Next returns the job's next n fire times after from, in its zone, as
// its schedule would fire them: Expression and Zone defaults applied,
// bounded by Start and End. A rate job without Start counts from from, as
// one created then would. For a deployed rate schedule, which counts from
// when it was written, see State.Jobs.
func (j Job) Next(from time.Time, n int) ([]time.Time, error) {
	if j.Expression == "" {
		j.Expression = DefaultExpression
	}
	if j.Zone == "" {
		j.Zone = DefaultZone
	}
	e, err := expr.Parse(j.Expression)
	if err != nil {
		return nil, err
	}
	loc, err := expr.LoadZone(j.Zone)
	if err != nil {
		return nil, err
	}
	if n < 0 {
		return nil, fmt.Errorf("next %d times: n must not be negative", n)
	}
	b := expr.Bounds{Start: j.Start, End: j.End}
	if e.Kind() == expr.Rate && j.Start.IsZero() {
		b.Start, from = from, from.Add(-time.Nanosecond) // it runs as it is created
	}
	return e.Times(loc, from, n, b), nil
}
