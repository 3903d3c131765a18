package ecshost

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/manga-alert-italia/mangaalert/internal/poll"
)

// DefaultDeployTimeout bounds the wait for a rollout.
const DefaultDeployTimeout = 15 * time.Minute

// EventKind says what an Event reports.
type EventKind string

// The kinds of rollout event.
const (
	EventRegistered EventKind = "registered" // a new task definition revision
	EventDeployment EventKind = "deployment" // the service started a deployment
	EventTasks      EventKind = "tasks"      // running, pending or failed tasks changed
	EventRollout    EventKind = "rollout"    // the deployment's rollout state changed
	EventService    EventKind = "service"    // an event ECS logged for the service
	EventDone       EventKind = "done"       // steady state reached
)

// Event is one step of a rollout, reported as it happens.
type Event struct {
	Time       time.Time
	Kind       EventKind
	Deployment string // the deployment's ID, when known
	Message    string
}

func (e Event) String() string {
	return fmt.Sprintf("%s %-10s %s", e.Time.Format("15:04:05"), e.Kind, e.Message)
}

type deployConfig struct {
	onEvent func(Event)
	timeout time.Duration
	spec    *Spec
}

// DeployOption configures one Deploy.
type DeployOption func(*deployConfig)

// OnEvent receives the rollout's events as they happen, on Deploy's
// goroutine.
func OnEvent(fn func(Event)) DeployOption { return func(c *deployConfig) { c.onEvent = fn } }

// DeployTimeout bounds the wait for steady state (default 15 minutes).
func DeployTimeout(d time.Duration) DeployOption { return func(c *deployConfig) { c.timeout = d } }

// WithSpec gives Deploy the Spec, for a process that did not call Ensure
// (the deploy tool's deploy command); otherwise Deploy uses the Spec of
// the Host's last successful Ensure.
func WithSpec(s Spec) DeployOption { return func(c *deployConfig) { c.spec = &s } }

// ErrNoSpec means Deploy has no Spec to work from.
var ErrNoSpec = errors.New("ecshost: deploy needs the stack's Spec: call Ensure first or pass WithSpec")

// ErrRolledBack is wrapped by a *RollbackError.
var ErrRolledBack = errors.New("deployment rolled back by the circuit breaker")

// RollbackError is a rollout the circuit breaker stopped and rolled back.
type RollbackError struct {
	Service              string
	Deployment           string
	FailedTaskDefinition string
	RolledBackTo         string // the task definition running again, when known
	Reason               string // ECS's rollout state reason
	StoppedTasks         []StoppedTask
}

// StoppedTask is one task of the failed revision that stopped, and why.
type StoppedTask struct {
	ARN    string
	Reason string   // the task's stopped reason
	Exits  []string // "container: exit 1: reason", per container
}

func (e *RollbackError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "service %s: %v: revision %s failed", e.Service, ErrRolledBack, e.FailedTaskDefinition)
	if e.RolledBackTo != "" {
		fmt.Fprintf(&b, ", back to %s", e.RolledBackTo)
	}
	if e.Reason != "" {
		fmt.Fprintf(&b, " (%s)", e.Reason)
	}
	if len(e.StoppedTasks) == 0 {
		b.WriteString("; no stopped task found")
	}
	for _, t := range e.StoppedTasks {
		fmt.Fprintf(&b, "; task %s stopped: %s", lastPart(t.ARN), t.Reason)
		for _, x := range t.Exits {
			fmt.Fprintf(&b, " [%s]", x)
		}
	}
	return b.String()
}

// Unwrap makes errors.Is(err, ErrRolledBack) true.
func (e *RollbackError) Unwrap() error { return ErrRolledBack }

// TimeoutError is a rollout that did not reach steady state in time.
type TimeoutError struct {
	Service        string
	Deployment     string
	TaskDefinition string
	After          time.Duration
	Last           string // the deployment's last observed state
	StoppedTasks   []StoppedTask
}

func (e *TimeoutError) Error() string {
	s := fmt.Sprintf("service %s: deployment %s of %s not stable after %s (last: %s)", e.Service, e.Deployment, e.TaskDefinition, e.After, e.Last)
	for _, t := range e.StoppedTasks {
		s += fmt.Sprintf("; task %s stopped: %s", lastPart(t.ARN), t.Reason)
	}
	return s
}

// Unwrap makes errors.Is(err, context.DeadlineExceeded) true.
func (e *TimeoutError) Unwrap() error { return context.DeadlineExceeded }

// DeployResult is what Deploy did.
type DeployResult struct {
	TaskDefinitions map[string]TaskDefinition // by container, after Deploy
	Deployment      string                    // the watched deployment's ID ("" when nothing changed)
	Changed         bool                      // a new revision was rolled out
}

// Deploy rolls the image out: it registers a new revision of the service's
// task definition when it changed, points the service at it, and waits for
// steady state, reporting events through OnEvent as they happen. Once the
// service runs the image, the scheduled tasks' definitions get it too (one
// image for all), so a release that rolls back never reaches them.
// When the circuit breaker rolls back it returns a *RollbackError naming
// the failed revision and why its tasks stopped; when time runs out, a
// *TimeoutError. Nothing changed is not an error.
func (h *Host) Deploy(ctx context.Context, image string, opts ...DeployOption) (*DeployResult, error) {
	cfg := deployConfig{timeout: DefaultDeployTimeout, onEvent: func(Event) {}}
	for _, o := range opts {
		o(&cfg)
	}
	if h.c.ECS == nil {
		return nil, ErrOffline
	}
	spec := cfg.spec
	if spec == nil {
		spec = h.remembered()
	}
	if spec == nil {
		return nil, ErrNoSpec
	}
	if strings.TrimSpace(image) == "" {
		return nil, &SpecError{Problems: []string{"Deploy: image is empty; give the image to roll out (repo:tag or an ECR URI)"}}
	}
	s := *spec
	old := s.withDefaults()
	s.Image = image
	if !slices.Equal(ecrRepositories(old), ecrRepositories(s.withDefaults())) {
		return nil, &SpecError{Problems: []string{fmt.Sprintf(
			"Deploy: image %q is in another ECR repository than the one the execution role may pull from; run Ensure with the new Image first", image)}}
	}
	r, err := h.start(ctx, s, true, false)
	if err != nil {
		return nil, err
	}
	// The roles exist (Ensure made them); their ARNs follow from the names.
	r.st.ExecutionRoleARN = r.n.roleARN(r.n.executionRole())
	for _, c := range r.spec.containers() {
		if !c.TaskPolicy.IsZero() {
			r.st.TaskRoleARNs[c.Name] = r.n.roleARN(r.n.taskRole(c.Name))
		}
	}
	d := &deployer{h: h, r: r, cfg: cfg}
	res, err := d.run(ctx)
	if err == nil {
		h.remember(s) // the next Deploy starts from what runs now
	}
	return res, err
}

type deployer struct {
	h   *Host
	r   *run
	cfg deployConfig
}

func (d *deployer) emit(kind EventKind, deployment, format string, args ...any) {
	e := Event{Time: time.Now(), Kind: kind, Deployment: deployment, Message: fmt.Sprintf(format, args...)}
	d.h.log.Debug("deploy", "kind", kind, "deployment", deployment, "message", e.Message)
	d.cfg.onEvent(e)
}

func (d *deployer) run(ctx context.Context) (*DeployResult, error) {
	r := d.r
	if err := r.images(ctx); err != nil {
		return nil, err
	}
	if err := d.register(ctx, r.spec.Service); err != nil {
		return nil, err
	}
	res := &DeployResult{TaskDefinitions: r.st.TaskDefinitions}
	changed, err := d.rollout(ctx, res)
	if err != nil {
		return res, err
	}
	res.Changed = changed
	// Only now the scheduled tasks get the image: a release the circuit
	// breaker rolls back never reaches them.
	for _, t := range r.spec.Tasks {
		if err := d.register(ctx, t); err != nil {
			return res, err
		}
	}
	return res, nil
}

// register ensures one container's task definition and reports a new
// revision.
func (d *deployer) register(ctx context.Context, c Container) error {
	n := len(d.r.st.Actions)
	if err := d.r.taskDefinition(ctx, c); err != nil {
		return err
	}
	for _, a := range d.r.st.Actions[n:] {
		if a.Op != Keep {
			d.emit(EventRegistered, "", "%s %s", a.Name, a.Detail)
		}
	}
	return nil
}

// rollout points the service at its new revision and watches the rollout;
// it reports whether there was anything to roll out.
func (d *deployer) rollout(ctx context.Context, res *DeployResult) (bool, error) {
	r := d.r
	name := r.n.service(r.spec.Service.Name)
	td := r.st.TaskDefinitions[r.spec.Service.Name].ARN
	svc, err := d.h.findService(ctx, r.n, name)
	if err != nil {
		return false, err
	}
	if svc == nil {
		return false, fmt.Errorf("service %q does not exist in cluster %q: run Ensure first", name, r.n.cluster())
	}
	var dep *ecstypes.Deployment
	if aws.ToString(svc.TaskDefinition) == td {
		dep = primary(svc.Deployments)
		if dep != nil && dep.RolloutState == ecstypes.DeploymentRolloutStateCompleted && len(svc.Deployments) == 1 {
			d.emit(EventDone, aws.ToString(dep.Id), "%s already runs %s", name, td)
			return false, nil
		}
	} else {
		out, err := d.h.c.ECS.UpdateService(ctx, &ecs.UpdateServiceInput{
			Cluster:                 aws.String(r.n.cluster()),
			Service:                 aws.String(name),
			TaskDefinition:          aws.String(td),
			DesiredCount:            aws.Int32(1),
			DeploymentConfiguration: r.serviceSettings().Deployment,
		})
		if err != nil {
			return false, fmt.Errorf("update service %q to %s: %w", name, td, err)
		}
		dep = primary(out.Service.Deployments)
	}
	if dep == nil {
		return false, fmt.Errorf("service %q reports no primary deployment; look at it in the ECS console", name)
	}
	res.Deployment = aws.ToString(dep.Id)
	d.emit(EventDeployment, res.Deployment, "%s → %s (%s)", name, td, r.st.Deployment)
	return true, d.watch(ctx, name, td, dep)
}

func primary(ds []ecstypes.Deployment) *ecstypes.Deployment {
	for i := range ds {
		if aws.ToString(ds[i].Status) == "PRIMARY" {
			return &ds[i]
		}
	}
	return nil
}

// watch follows one deployment until it completes, fails or time runs out.
func (d *deployer) watch(ctx context.Context, name, td string, dep *ecstypes.Deployment) error {
	id := aws.ToString(dep.Id)
	since := aws.ToTime(dep.CreatedAt).Add(-time.Second)
	wctx, cancel := context.WithTimeout(ctx, d.cfg.timeout)
	defer cancel()
	seen := map[string]bool{}
	last := counts(dep)
	lastState := dep.RolloutState
	var failure error
	err := poll.Until(wctx, "deployment "+id, d.h.delays, func(ctx context.Context) (bool, error) {
		svc, err := d.h.findService(ctx, d.r.n, name)
		if err != nil {
			return false, err
		}
		if svc == nil {
			return false, fmt.Errorf("service %q disappeared during the rollout", name)
		}
		evs := svc.Events
		for i := len(evs) - 1; i >= 0; i-- { // oldest first
			e := evs[i]
			if key := aws.ToString(e.Id); !seen[key] && !aws.ToTime(e.CreatedAt).Before(since) {
				seen[key] = true
				d.emit(EventService, id, "%s", aws.ToString(e.Message))
			}
		}
		cur := findDeployment(svc.Deployments, id)
		if cur == nil {
			p := primary(svc.Deployments)
			failure = d.rollback(ctx, name, td, id, p, "the deployment was replaced")
			return true, nil
		}
		if c := counts(cur); c != last {
			d.emit(EventTasks, id, "%s", c)
			last = c
		}
		if cur.RolloutState != lastState {
			d.emit(EventRollout, id, "%s: %s", cur.RolloutState, aws.ToString(cur.RolloutStateReason))
			lastState = cur.RolloutState
		}
		switch {
		case cur.RolloutState == ecstypes.DeploymentRolloutStateFailed:
			failure = d.rollback(ctx, name, td, id, primary(svc.Deployments), aws.ToString(cur.RolloutStateReason))
			return true, nil
		case aws.ToString(cur.Status) != "PRIMARY":
			failure = d.rollback(ctx, name, td, id, primary(svc.Deployments), "another deployment became primary")
			return true, nil
		case len(svc.Deployments) == 1 && cur.RolloutState == ecstypes.DeploymentRolloutStateCompleted,
			len(svc.Deployments) == 1 && cur.RolloutState == "" && cur.RunningCount == cur.DesiredCount:
			d.emit(EventDone, id, "%s runs %s: %s", name, td, counts(cur))
			return true, nil
		}
		return false, nil
	})
	if errors.Is(err, context.DeadlineExceeded) && ctx.Err() == nil {
		stopped, _ := d.stoppedTasks(ctx, name, td)
		return &TimeoutError{Service: name, Deployment: id, TaskDefinition: td, After: d.cfg.timeout,
			Last: fmt.Sprintf("%s, %s", lastState, last), StoppedTasks: stopped}
	}
	if err != nil {
		return err
	}
	return failure
}

// rollback builds the error of a rolled-back deployment, with why the
// failed revision's tasks stopped.
func (d *deployer) rollback(ctx context.Context, name, td, id string, now *ecstypes.Deployment, reason string) error {
	e := &RollbackError{Service: name, Deployment: id, FailedTaskDefinition: td, Reason: reason}
	if now != nil {
		e.RolledBackTo = aws.ToString(now.TaskDefinition)
	}
	stopped, err := d.stoppedTasks(ctx, name, td)
	if err != nil {
		d.h.log.Debug("deploy: could not read the stopped tasks", "err", err)
		e.Reason += fmt.Sprintf("; stopped tasks unreadable: %v", err)
	}
	e.StoppedTasks = stopped
	return e
}

// stoppedTasks returns the service's stopped tasks of revision td.
func (d *deployer) stoppedTasks(ctx context.Context, name, td string) ([]StoppedTask, error) {
	cluster := aws.String(d.r.n.cluster())
	list, err := d.h.c.ECS.ListTasks(ctx, &ecs.ListTasksInput{Cluster: cluster, ServiceName: aws.String(name), DesiredStatus: ecstypes.DesiredStatusStopped})
	if err != nil {
		return nil, fmt.Errorf("list stopped tasks of %q: %w", name, err)
	}
	if len(list.TaskArns) == 0 {
		return nil, nil
	}
	out, err := d.h.c.ECS.DescribeTasks(ctx, &ecs.DescribeTasksInput{Cluster: cluster, Tasks: list.TaskArns[:min(100, len(list.TaskArns))]})
	if err != nil {
		return nil, fmt.Errorf("describe stopped tasks of %q: %w", name, err)
	}
	var res []StoppedTask
	for _, t := range out.Tasks {
		if aws.ToString(t.TaskDefinitionArn) != td {
			continue
		}
		st := StoppedTask{ARN: aws.ToString(t.TaskArn), Reason: aws.ToString(t.StoppedReason)}
		for _, c := range t.Containers {
			x := aws.ToString(c.Name) + ":"
			if c.ExitCode != nil {
				x += fmt.Sprintf(" exit %d", aws.ToInt32(c.ExitCode))
			}
			if c.Reason != nil {
				x += " " + aws.ToString(c.Reason)
			}
			st.Exits = append(st.Exits, x)
		}
		res = append(res, st)
	}
	return res, nil
}

func findDeployment(ds []ecstypes.Deployment, id string) *ecstypes.Deployment {
	for i := range ds {
		if aws.ToString(ds[i].Id) == id {
			return &ds[i]
		}
	}
	return nil
}

type taskCounts struct{ running, pending, failed, desired int32 }

func (c taskCounts) String() string {
	return fmt.Sprintf("%d running, %d pending, %d failed of %d", c.running, c.pending, c.failed, c.desired)
}

func counts(d *ecstypes.Deployment) taskCounts {
	return taskCounts{d.RunningCount, d.PendingCount, d.FailedTasks, d.DesiredCount}
}

func lastPart(arn string) string {
	if i := strings.LastIndex(arn, "/"); i >= 0 {
		return arn[i+1:]
	}
	return arn
}
