package schedule

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"regexp"
	"slices"
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

// Tag keys this package puts on what it creates, and finds it by.
const (
	TagStack     = "mangaalert:stack"
	TagComponent = "mangaalert:component"
	TagJob       = "mangaalert:job" // on the tasks a schedule starts
	Component    = "schedule"
)

// Spec is the desired state of one stack's scheduled ECS tasks. It takes
// plain values (the cluster and role ARNs come from whoever built them);
// zero fields mean the documented defaults.
type Spec struct {
	// Stack names everything: the schedule group (Stack), the scheduler
	// role (Stack-scheduler) and a created dead-letter queue
	// (Stack-scheduler-dlq). Letters, digits, - and _, at most 48.
	Stack string
	// ClusterARN is the ECS cluster the tasks run in. Its region and
	// account are the schedules' own: the clients must work there.
	ClusterARN string
	// ExecutionRoleARN and TaskRoleARN are the roles the task definitions
	// name; the scheduler role may pass exactly these to ECS. TaskRoleARN
	// may be empty when the tasks have no task role.
	ExecutionRoleARN string
	TaskRoleARN      string
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
	// Expression: rate(...), cron(...) or at(...), checked by expr.Parse;
	// "" means DefaultExpression. Rate schedules count from their start
	// (Start, or their creation or last update).
	Expression string
	Zone       string        // for cron and at; "" means DefaultZone
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
	Tags        map[string]string // on the task, with Spec.Tags and mangaalert:stack and mangaalert:job
	Description string            // "" gives "mangaalert STACK: NAME"
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

// arn is a parsed Amazon Resource Name.
type arn struct {
	partition, service, region, account, resource string
}

func parseARN(s string) (arn, bool) {
	p := strings.SplitN(s, ":", 6)
	if len(p) != 6 || p[0] != "arn" || p[1] == "" || p[2] == "" {
		return arn{}, false
	}
	return arn{p[1], p[2], p[3], p[4], p[5]}, true
}

var (
	stackRe     = regexp.MustCompile(`^[A-Za-z0-9_-]{1,48}$`)
	jobRe       = regexp.MustCompile(`^[0-9A-Za-z_.-]{1,64}$`)
	accountRe   = regexp.MustCompile(`^\d{12}$`)
	regionRe    = regexp.MustCompile(`^[a-z]{2}(-[a-z]+)+-[0-9]+$`) // a region, never a wildcard
	clusterRe   = regexp.MustCompile(`^cluster/([A-Za-z0-9_-]{1,255})$`)
	taskDefRe   = regexp.MustCompile(`^task-definition/([A-Za-z0-9_-]{1,255})(:[1-9][0-9]*)?$`)
	roleRe      = regexp.MustCompile(`^role/([\w+=,.@/-]+)$`)
	queueNameRe = regexp.MustCompile(`^[A-Za-z0-9_-]{1,80}(\.fifo)?$`)
)

// resolved is a checked Spec with its defaults applied and every name and
// ARN worked out, so Plan and Ensure need no further decisions.
type resolved struct {
	Spec
	partition, region, account string
	clusterName                string
	group, groupARN            string
	role, roleARN              string
	queue                      string // the created queue's name, "" when none is created
	queueARN                   string // where dead letters go, "" for nowhere
	tags                       map[string]string
	jobs                       []resolvedJob
}

type resolvedJob struct {
	Job
	parsed   *expr.Expression
	loc      *time.Location
	family   string
	input    string // the task overrides as JSON, "" for none
	taskTags map[string]string
}

// Validate checks s as Ensure does before its first call, so a deploy tool
// can refuse a bad configuration early. The error is a *SpecError listing
// every problem, or, for a Spec without one, a *iampolicy.FindingsError if
// the scheduler role's policies would grant more than least privilege
// allows (errors.Is iampolicy.ErrTooBroad).
func (s Spec) Validate() error {
	_, err := s.resolve(time.Now())
	return err
}

// resolve checks s as the Scheduler, IAM and SQS would, before any call,
// and reports every problem at once.
func (s Spec) resolve(now time.Time) (*resolved, error) {
	var problems []error
	bad := func(format string, args ...any) { problems = append(problems, fmt.Errorf(format, args...)) }
	r := &resolved{Spec: s}

	if !stackRe.MatchString(s.Stack) {
		bad("stack %q: use 1-48 letters, digits, - or _ (it names the group, the role and the queue)", s.Stack)
	}
	r.group, r.role = s.Stack, s.Stack+"-scheduler"

	cluster, ok := parseARN(s.ClusterARN)
	if m := clusterRe.FindStringSubmatch(cluster.resource); !ok || cluster.service != "ecs" || m == nil || !accountRe.MatchString(cluster.account) || !regionRe.MatchString(cluster.region) {
		bad("cluster ARN %q: want arn:aws:ecs:REGION:ACCOUNT:cluster/NAME", s.ClusterARN)
	} else {
		r.partition, r.region, r.account, r.clusterName = cluster.partition, cluster.region, cluster.account, m[1]
	}
	r.groupARN = fmt.Sprintf("arn:%s:scheduler:%s:%s:schedule-group/%s", r.partition, r.region, r.account, r.group)
	r.roleARN = fmt.Sprintf("arn:%s:iam::%s:role/%s", r.partition, r.account, r.role)

	checkRole := func(what, s string, required bool) {
		if s == "" && !required {
			return
		}
		a, ok := parseARN(s)
		if !ok || a.service != "iam" || a.region != "" || !roleRe.MatchString(a.resource) {
			bad("%s ARN %q: want arn:aws:iam::ACCOUNT:role/NAME", what, s)
			return
		}
		if r.account != "" && a.account != r.account {
			bad("%s ARN %q is in account %s, the cluster in %s: scheduled tasks run with roles of their own account", what, s, a.account, r.account)
		}
	}
	checkRole("execution role", s.ExecutionRoleARN, true)
	checkRole("task role", s.TaskRoleARN, false)

	r.tags = map[string]string{TagStack: s.Stack, TagComponent: Component}
	for k, v := range s.Tags {
		if err := checkTag(k, v); err != nil {
			bad("tag %q: %v", k, err)
		}
		r.tags[k] = v
	}

	switch dl := s.DeadLetter; {
	case dl.Create && dl.ARN != "":
		bad("dead letter: set Create or ARN, not both")
	case dl.Create:
		r.queue = s.Stack + "-scheduler-dlq"
		r.queueARN = fmt.Sprintf("arn:%s:sqs:%s:%s:%s", r.partition, r.region, r.account, r.queue)
		if dl.Retention == 0 {
			r.DeadLetter.Retention = DefaultRetention
		}
		if ret := r.DeadLetter.Retention; ret < time.Minute || ret > DefaultRetention || ret%time.Second != 0 {
			bad("dead letter retention %s: SQS keeps messages from 1 minute to 14 days, in whole seconds", ret)
		}
	case dl.ARN != "":
		a, ok := parseARN(dl.ARN)
		if !ok || a.service != "sqs" || !queueNameRe.MatchString(a.resource) || !accountRe.MatchString(a.account) || !regionRe.MatchString(a.region) {
			bad("dead letter ARN %q: want arn:aws:sqs:REGION:ACCOUNT:QUEUE", dl.ARN)
		}
		if dl.Retention != 0 {
			bad("dead letter retention applies only to a queue this package creates")
		}
		r.queueARN = dl.ARN
	}

	if len(s.Jobs) == 0 {
		bad("no jobs: a stack's schedules need at least one Job")
	}
	names := map[string]bool{}
	for i, j := range s.Jobs {
		rj, errs := r.resolveJob(i, j, now)
		problems = append(problems, errs...)
		if names[j.Name] {
			bad("job %q: two jobs have this name", j.Name)
		}
		names[j.Name] = true
		r.jobs = append(r.jobs, rj)
	}
	if len(problems) > 0 {
		return nil, &SpecError{Problems: problems}
	}
	// The role's policies follow from the Spec alone: a Spec that passes
	// the checks above should never give a policy too broad, and this
	// makes sure of it before Plan or Ensure makes a call.
	if err := r.checkPolicies(); err != nil {
		return nil, fmt.Errorf("scheduler role %s: %w", r.role, err)
	}
	return r, nil
}

func (r *resolved) resolveJob(i int, j Job, now time.Time) (resolvedJob, []error) {
	var problems []error
	name := j.Name
	if name == "" {
		name = fmt.Sprintf("#%d", i+1)
	}
	bad := func(format string, args ...any) {
		problems = append(problems, fmt.Errorf("job %q: "+format, append([]any{name}, args...)...))
	}
	rj := resolvedJob{Job: j}
	if !jobRe.MatchString(j.Name) {
		bad("name: use 1-64 letters, digits, -, _ or . (it is the schedule's name)")
	}

	td, ok := parseARN(j.TaskDefinitionARN)
	m := taskDefRe.FindStringSubmatch(td.resource)
	switch {
	case !ok || td.service != "ecs" || m == nil:
		bad("task definition ARN %q: want arn:aws:ecs:REGION:ACCOUNT:task-definition/FAMILY:REVISION", j.TaskDefinitionARN)
	case r.account != "" && (td.account != r.account || td.region != r.region || td.partition != r.partition):
		bad("task definition %q is not in the cluster's region and account (%s, %s)", j.TaskDefinitionARN, r.region, r.account)
	default:
		rj.family = m[1]
	}

	if rj.Expression == "" {
		rj.Expression = DefaultExpression
	}
	var err error
	if rj.parsed, err = expr.Parse(rj.Expression); err != nil {
		problems = append(problems, fmt.Errorf("job %q: %w", name, err))
	}
	if rj.Zone == "" {
		rj.Zone = DefaultZone
	}
	if rj.loc, err = expr.LoadZone(rj.Zone); err != nil {
		bad("%v", err)
	}
	if rj.parsed != nil && rj.loc != nil && rj.parsed.Kind() == expr.At {
		if _, ok := rj.parsed.Resolve(rj.loc); !ok {
			bad("%s does not exist in %s: the clocks skip that hour when summer time starts; pick a time outside it", rj.Expression, rj.Zone)
		}
	}

	if w := j.Window; w != 0 && (w < time.Minute || w > 24*time.Hour || w%time.Minute != 0) {
		bad("flexible window %s: whole minutes from 1m to 24h, or 0 for off", w)
	}

	switch rt := &rj.Retry; {
	case rt.NoRetries:
		if rt.Attempts != 0 {
			bad("retry: NoRetries with %d attempts; set one of them", rt.Attempts)
		}
		if rt.MaxAge == 0 {
			rt.MaxAge = DefaultMaxAge
		}
	default:
		if rt.Attempts == 0 {
			rt.Attempts = DefaultAttempts
		}
		if rt.MaxAge == 0 {
			rt.MaxAge = DefaultMaxAge
		}
	}
	if a := rj.Retry.Attempts; a < 0 || a > 185 {
		bad("retry attempts %d: the Scheduler takes 0-185", a)
	}
	if age := rj.Retry.MaxAge; age < time.Minute || age > 24*time.Hour || age%time.Second != 0 {
		bad("retry maximum event age %s: from 1 minute to 24 hours, in whole seconds", age)
	}

	switch j.State {
	case Keep, Enabled, Disabled:
	default:
		bad("state %q: use schedule.Keep, schedule.Enabled or schedule.Disabled", j.State)
	}

	rj.Start, rj.End = j.Start.Truncate(time.Second).UTC(), j.End.Truncate(time.Second).UTC()
	if j.Start.IsZero() {
		rj.Start = time.Time{}
	}
	if j.End.IsZero() {
		rj.End = time.Time{}
	}
	if !rj.Start.IsZero() && !rj.End.IsZero() && !rj.End.After(rj.Start) {
		bad("end %s is not after start %s", rj.End.Format(time.RFC3339), rj.Start.Format(time.RFC3339))
	}
	if !rj.End.IsZero() && !rj.End.After(now) {
		bad("end %s has passed: the schedule would never run", rj.End.Format(time.RFC3339))
	}

	switch {
	case len(j.Command) > 0 && j.Container == "":
		bad("command override needs Container, the name of the container in the task definition")
	case len(j.Command) == 0 && j.Container != "":
		bad("container %q named without a Command to override", j.Container)
	case len(j.Command) > 0:
		in, _ := json.Marshal(overrides{ContainerOverrides: []containerOverride{{Name: j.Container, Command: j.Command}}})
		rj.input = string(in)
		if len(rj.input) > 8192 {
			bad("command override is %d bytes of JSON; the Scheduler takes at most 8192", len(rj.input))
		}
	}

	rj.taskTags = maps.Clone(r.tags)
	delete(rj.taskTags, TagComponent)
	rj.taskTags[TagJob] = j.Name
	for k, v := range j.Tags {
		if err := checkTag(k, v); err != nil {
			bad("tag %q: %v", k, err)
		}
		rj.taskTags[k] = v
	}
	if len(rj.taskTags) > 50 {
		bad("%d task tags: ECS takes at most 50, including the task definition's", len(rj.taskTags))
	}

	if rj.Description == "" {
		rj.Description = fmt.Sprintf("mangaalert %s: %s", r.Stack, j.Name)
	}
	if len(rj.Description) > 512 {
		bad("description longer than 512 characters")
	}
	return rj, problems
}

// overrides is the part of ECS RunTask's overrides a job can set; the
// Scheduler passes a templated ECS target's Input as the task's overrides.
type overrides struct {
	ContainerOverrides []containerOverride `json:"containerOverrides"`
}

type containerOverride struct {
	Name    string   `json:"name"`
	Command []string `json:"command"`
}

func checkTag(k, v string) error {
	switch {
	case k == "" || len(k) > 128:
		return errors.New("keys are 1-128 characters")
	case len(v) > 256:
		return errors.New("values are at most 256 characters")
	case strings.HasPrefix(strings.ToLower(k), "aws:"):
		return errors.New("aws: is reserved by AWS")
	case strings.HasPrefix(k, "mangaalert:"):
		return errors.New("mangaalert: keys are set by this package")
	}
	return nil
}

// families lists the task definition families of the jobs, sorted and
// without repeats.
func (r *resolved) families() []string {
	var out []string
	for _, j := range r.jobs {
		out = append(out, j.family)
	}
	slices.Sort(out)
	return slices.Compact(out)
}
