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

	"github.com/manga-alert-italia/mangaalert/resource"
	"github.com/manga-alert-italia/mangaalert/schedule/expr"
)

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
	stackRe   = regexp.MustCompile(`^[A-Za-z0-9_-]{1,48}$`)
	jobRe     = regexp.MustCompile(`^[0-9A-Za-z_.-]{1,64}$`)
	accountRe = regexp.MustCompile(`^\d{12}$`)
	regionRe  = regexp.MustCompile(`^[a-z]{2}(-[a-z]+)+-[0-9]+$`) // a region, never a wildcard
	// Names up to 255: checked apart, as {1,255} compiles into 255 copies
	// of the class at every program start.
	clusterRe   = regexp.MustCompile(`^cluster/([A-Za-z0-9_-]+)$`)
	taskDefRe   = regexp.MustCompile(`^task-definition/([A-Za-z0-9_-]+)(:[1-9][0-9]*)?$`)
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

// problems collects what is wrong with a Spec, each with its prefix.
type problems struct {
	prefix string
	errs   *[]error
}

func (p problems) add(format string, args ...any) {
	*p.errs = append(*p.errs, fmt.Errorf("%s"+format, append([]any{p.prefix}, args...)...))
}

// resolve checks s as the Scheduler, IAM and SQS would, before any call,
// and reports every problem at once.
func (s Spec) resolve(now time.Time) (*resolved, error) {
	var errs []error
	bad := problems{errs: &errs}
	r := &resolved{Spec: s}
	r.resolveNames(bad)
	r.resolveTags(bad)
	r.resolveDeadLetter(bad)
	if len(s.Jobs) == 0 {
		bad.add("no jobs: a stack's schedules need at least one Job")
	}
	names := map[string]bool{}
	for i, j := range s.Jobs {
		r.jobs = append(r.jobs, r.resolveJob(i, j, now, &errs))
		if names[j.Name] {
			bad.add("job %q: two jobs have this name", j.Name)
		}
		names[j.Name] = true
	}
	if len(errs) > 0 {
		return nil, &SpecError{Problems: errs}
	}
	// The role's policies follow from the Spec alone: a Spec that passes
	// the checks above should never give a policy too broad, and this
	// makes sure of it before Plan or Ensure makes a call.
	if err := r.checkPolicies(); err != nil {
		return nil, fmt.Errorf("scheduler role %s: %w", r.role, err)
	}
	return r, nil
}

// resolveNames checks the stack's name, cluster and execution role, and
// works out the names and ARNs of the group and the role.
func (r *resolved) resolveNames(bad problems) {
	if !stackRe.MatchString(r.Stack) {
		bad.add("stack %q: use 1-48 letters, digits, - or _ (it names the group, the role and the queue)", r.Stack)
	}
	r.group, r.role = r.Stack, r.Stack+"-scheduler"

	cluster, ok := parseARN(r.ClusterARN)
	if m := clusterRe.FindStringSubmatch(cluster.resource); !ok || cluster.service != "ecs" || m == nil || len(m[1]) > 255 || !accountRe.MatchString(cluster.account) || !regionRe.MatchString(cluster.region) {
		bad.add("cluster ARN %q: want arn:aws:ecs:REGION:ACCOUNT:cluster/NAME", r.ClusterARN)
	} else {
		r.partition, r.region, r.account, r.clusterName = cluster.partition, cluster.region, cluster.account, m[1]
	}
	r.groupARN = resource.ARNIn(r.partition, "scheduler", r.region, r.account, "schedule-group/"+r.group)
	r.roleARN = resource.ARNIn(r.partition, "iam", "", r.account, "role/"+r.role)
	r.checkRole(bad, "execution role", r.ExecutionRoleARN, true)
}

// checkRole checks a role ARN the tasks run with: a role of the cluster's
// account.
func (r *resolved) checkRole(bad problems, what, s string, required bool) {
	if s == "" && !required {
		return
	}
	a, ok := parseARN(s)
	if !ok || a.service != "iam" || a.region != "" || !roleRe.MatchString(a.resource) {
		bad.add("%s ARN %q: want arn:aws:iam::ACCOUNT:role/NAME", what, s)
		return
	}
	if r.account != "" && a.account != r.account {
		bad.add("%s ARN %q is in account %s, the cluster in %s: scheduled tasks run with roles of their own account", what, s, a.account, r.account)
	}
}

// resolveTags checks the Spec's tags and adds the stack's own.
func (r *resolved) resolveTags(bad problems) {
	r.tags = resource.Tags(r.Stack, Component)
	for k, v := range r.Tags {
		if err := checkTag(k, v); err != nil {
			bad.add("tag %q: %v", k, err)
		}
		r.tags[k] = v
	}
}

// resolveDeadLetter works out the queue dead letters go to, if any.
func (r *resolved) resolveDeadLetter(bad problems) {
	switch dl := r.DeadLetter; {
	case dl.Create && dl.ARN != "":
		bad.add("dead letter: set Create or ARN, not both")
	case dl.Create:
		r.queue = r.Stack + "-scheduler-dlq"
		r.queueARN = resource.ARNIn(r.partition, "sqs", r.region, r.account, r.queue)
		if dl.Retention == 0 {
			r.DeadLetter.Retention = DefaultRetention
		}
		if ret := r.DeadLetter.Retention; ret < time.Minute || ret > DefaultRetention || ret%time.Second != 0 {
			bad.add("dead letter retention %s: SQS keeps messages from 1 minute to 14 days, in whole seconds", ret)
		}
	case dl.ARN != "":
		a, ok := parseARN(dl.ARN)
		if !ok || a.service != "sqs" || !queueNameRe.MatchString(a.resource) || !accountRe.MatchString(a.account) || !regionRe.MatchString(a.region) {
			bad.add("dead letter ARN %q: want arn:aws:sqs:REGION:ACCOUNT:QUEUE", dl.ARN)
		}
		if dl.Retention != 0 {
			bad.add("dead letter retention applies only to a queue this package creates")
		}
		r.queueARN = dl.ARN
	}
}

// resolveJob checks one job and applies its defaults; its problems go to
// errs, each naming the job.
func (r *resolved) resolveJob(i int, j Job, now time.Time, errs *[]error) resolvedJob {
	name := j.Name
	if name == "" {
		name = fmt.Sprintf("#%d", i+1)
	}
	bad := problems{prefix: fmt.Sprintf("job %q: ", name), errs: errs}
	rj := resolvedJob{Job: j}
	if !jobRe.MatchString(j.Name) {
		bad.add("name: use 1-64 letters, digits, -, _ or . (it is the schedule's name)")
	}
	r.resolveTarget(&rj, bad)
	r.resolveWhen(&rj, bad, now)
	resolveRetry(&rj, bad)
	r.resolveTask(&rj, bad)
	checkPlacement(j.Placement, bad)
	if rj.Description == "" {
		rj.Description = fmt.Sprintf("mangaalert %s: %s", r.Stack, j.Name)
	}
	if len(rj.Description) > 512 {
		bad.add("description longer than 512 characters")
	}
	return rj
}

// resolveTarget checks the job's task definition and task role.
func (r *resolved) resolveTarget(rj *resolvedJob, bad problems) {
	td, ok := parseARN(rj.TaskDefinitionARN)
	m := taskDefRe.FindStringSubmatch(td.resource)
	switch {
	case !ok || td.service != "ecs" || m == nil || len(m[1]) > 255:
		bad.add("task definition ARN %q: want arn:aws:ecs:REGION:ACCOUNT:task-definition/FAMILY:REVISION", rj.TaskDefinitionARN)
	case r.account != "" && (td.account != r.account || td.region != r.region || td.partition != r.partition):
		bad.add("task definition %q is not in the cluster's region and account (%s, %s)", rj.TaskDefinitionARN, r.region, r.account)
	default:
		rj.family = m[1]
	}
	r.checkRole(bad, "task role", rj.TaskRoleARN, false)
}

// resolveWhen checks when the job runs: its expression, zone, window,
// state, start and end.
func (r *resolved) resolveWhen(rj *resolvedJob, bad problems, now time.Time) {
	if rj.Expression == "" {
		rj.Expression = DefaultExpression
	}
	var err error
	if rj.parsed, err = expr.Parse(rj.Expression); err != nil {
		bad.add("%w", err)
	}
	if rj.Zone == "" {
		rj.Zone = DefaultZone
	}
	if rj.loc, err = expr.LoadZone(rj.Zone); err != nil {
		bad.add("%v", err)
	}
	if rj.parsed != nil && rj.loc != nil && rj.parsed.Kind() == expr.At {
		if _, ok := rj.parsed.Resolve(rj.loc); !ok {
			bad.add("%s does not exist in %s: the clocks skip that hour when summer time starts; pick a time outside it", rj.Expression, rj.Zone)
		}
	}
	if w := rj.Window; w != 0 && (w < time.Minute || w > 24*time.Hour || w%time.Minute != 0) {
		bad.add("flexible window %s: whole minutes from 1m to 24h, or 0 for off", w)
	}
	switch rj.State {
	case Keep, Enabled, Disabled:
	default:
		bad.add("state %q: use schedule.Keep, schedule.Enabled or schedule.Disabled", rj.State)
	}

	if !rj.Start.IsZero() {
		rj.Start = rj.Start.Truncate(time.Second).UTC()
	}
	if !rj.End.IsZero() {
		rj.End = rj.End.Truncate(time.Second).UTC()
	}
	if !rj.Start.IsZero() && !rj.End.IsZero() && !rj.End.After(rj.Start) {
		bad.add("end %s is not after start %s", rj.End.Format(time.RFC3339), rj.Start.Format(time.RFC3339))
	}
	if !rj.End.IsZero() && !rj.End.After(now) {
		bad.add("end %s has passed: the schedule would never run", rj.End.Format(time.RFC3339))
	}
}

// resolveRetry applies the retry defaults and checks the policy.
func resolveRetry(rj *resolvedJob, bad problems) {
	rt := &rj.Retry
	switch {
	case rt.NoRetries && rt.Attempts != 0:
		bad.add("retry: NoRetries with %d attempts; set one of them", rt.Attempts)
	case !rt.NoRetries && rt.Attempts == 0:
		rt.Attempts = DefaultAttempts
	}
	if rt.MaxAge == 0 {
		rt.MaxAge = DefaultMaxAge
	}
	if a := rt.Attempts; a < 0 || a > 185 {
		bad.add("retry attempts %d: the Scheduler takes 0-185", a)
	}
	if age := rt.MaxAge; age < time.Minute || age > 24*time.Hour || age%time.Second != 0 {
		bad.add("retry maximum event age %s: from 1 minute to 24 hours, in whole seconds", age)
	}
}

// resolveTask checks what the job passes to its task: the command
// override and the tags.
func (r *resolved) resolveTask(rj *resolvedJob, bad problems) {
	switch {
	case len(rj.Command) > 0 && rj.Container == "":
		bad.add("command override needs Container, the name of the container in the task definition")
	case len(rj.Command) == 0 && rj.Container != "":
		bad.add("container %q named without a Command to override", rj.Container)
	case len(rj.Command) > 0:
		in, _ := json.Marshal(overrides{ContainerOverrides: []containerOverride{{Name: rj.Container, Command: rj.Command}}})
		rj.input = string(in)
		if len(rj.input) > 8192 {
			bad.add("command override is %d bytes of JSON; the Scheduler takes at most 8192", len(rj.input))
		}
	}

	rj.taskTags = maps.Clone(r.tags)
	delete(rj.taskTags, resource.TagComponent)
	rj.taskTags[TagJob] = rj.Name
	for k, v := range rj.Tags {
		if err := checkTag(k, v); err != nil {
			bad.add("tag %q: %v", k, err)
		}
		rj.taskTags[k] = v
	}
	if len(rj.taskTags) > 50 {
		bad.add("%d task tags: ECS takes at most 50, including the task definition's", len(rj.taskTags))
	}
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

// passRoles lists the roles the scheduler role may pass: the execution
// role, then the jobs' task roles, sorted and without repeats.
func (r *resolved) passRoles() []string {
	var tasks []string
	for _, j := range r.jobs {
		if j.TaskRoleARN != "" && j.TaskRoleARN != r.ExecutionRoleARN {
			tasks = append(tasks, j.TaskRoleARN)
		}
	}
	slices.Sort(tasks)
	return append([]string{r.ExecutionRoleARN}, slices.Compact(tasks)...)
}
