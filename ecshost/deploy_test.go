package ecshost_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/aws/smithy-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/manga-alert-italia/mangaalert/ecshost"
	"github.com/manga-alert-italia/mangaalert/resource"
)

var _ ecshost.ECSAPI = (*ecs.Client)(nil)

// fakeECS is a scripted ECS API for rollouts. moto runs no rollout (its
// deployments are static, with no circuit breaker) and its DescribeTasks
// answers do not decode in the Go SDK, so the DescribeServices answers of a
// rollout, and the stopped tasks, are written here step by step. Calls the
// deployer does not make panic (the embedded interface is nil).
type fakeECS struct {
	ecshost.ECSAPI

	mu       sync.Mutex
	defs     map[string][]registered // by family
	service  ecstypes.Service
	script   []step // applied one per DescribeServices after the update
	updates  []*ecs.UpdateServiceInput
	stopped  []ecstypes.Task
	describe int
}

type registered struct {
	def  *ecstypes.TaskDefinition
	tags []ecstypes.Tag
}

// step changes the service as ECS would between two DescribeServices.
type step func(svc *ecstypes.Service, newDep, oldDep *ecstypes.Deployment)

const oldTD = "arn:aws:ecs:eu-south-1:123456789012:task-definition/manga-serve:1"

func newFakeECS(script ...step) *fakeECS {
	now := time.Now()
	return &fakeECS{
		defs: map[string][]registered{},
		service: ecstypes.Service{
			ServiceName:    aws.String("manga-serve"),
			ServiceArn:     aws.String("arn:aws:ecs:eu-south-1:123456789012:service/manga/manga-serve"),
			Status:         aws.String("ACTIVE"),
			TaskDefinition: aws.String(oldTD),
			DesiredCount:   1,
			RunningCount:   1,
			Tags:           []ecstypes.Tag{{Key: aws.String(resource.TagStack), Value: aws.String("manga")}, {Key: aws.String(resource.TagComponent), Value: aws.String("ecshost")}},
			Deployments: []ecstypes.Deployment{{Id: aws.String("ecs-svc/old"), Status: aws.String("PRIMARY"), TaskDefinition: aws.String(oldTD),
				DesiredCount: 1, RunningCount: 1, RolloutState: ecstypes.DeploymentRolloutStateCompleted, CreatedAt: aws.Time(now.Add(-time.Hour))}},
		},
		script: script,
	}
}

func (f *fakeECS) DescribeTaskDefinition(_ context.Context, in *ecs.DescribeTaskDefinitionInput, _ ...func(*ecs.Options)) (*ecs.DescribeTaskDefinitionOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	revs := f.defs[aws.ToString(in.TaskDefinition)]
	if len(revs) == 0 {
		return nil, &smithy.GenericAPIError{Code: "ClientException", Message: "Unable to describe task definition."}
	}
	last := revs[len(revs)-1]
	return &ecs.DescribeTaskDefinitionOutput{TaskDefinition: last.def, Tags: last.tags}, nil
}

func (f *fakeECS) RegisterTaskDefinition(_ context.Context, in *ecs.RegisterTaskDefinitionInput, _ ...func(*ecs.Options)) (*ecs.RegisterTaskDefinitionOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	fam := aws.ToString(in.Family)
	rev := int32(len(f.defs[fam]) + 2) // revision 1 is what runs before the test
	def := &ecstypes.TaskDefinition{
		Family: in.Family, Revision: rev, Status: ecstypes.TaskDefinitionStatusActive,
		TaskDefinitionArn:    aws.String(fmt.Sprintf("arn:aws:ecs:eu-south-1:123456789012:task-definition/%s:%d", fam, rev)),
		ContainerDefinitions: in.ContainerDefinitions, NetworkMode: in.NetworkMode,
	}
	f.defs[fam] = append(f.defs[fam], registered{def, in.Tags})
	return &ecs.RegisterTaskDefinitionOutput{TaskDefinition: def, Tags: in.Tags}, nil
}

// UpdateService starts a deployment as ECS does: a new PRIMARY one with
// nothing running yet, the old one ACTIVE.
func (f *fakeECS) UpdateService(_ context.Context, in *ecs.UpdateServiceInput, _ ...func(*ecs.Options)) (*ecs.UpdateServiceOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.updates = append(f.updates, in)
	f.service.TaskDefinition = in.TaskDefinition
	old := f.service.Deployments[0]
	old.Status = aws.String("ACTIVE")
	f.service.Deployments = []ecstypes.Deployment{{Id: aws.String("ecs-svc/new"), Status: aws.String("PRIMARY"), TaskDefinition: in.TaskDefinition,
		DesiredCount: 1, RolloutState: ecstypes.DeploymentRolloutStateInProgress, RolloutStateReason: aws.String("ECS deployment ecs-svc/new in progress."),
		CreatedAt: aws.Time(time.Now())}, old}
	svc := f.service
	return &ecs.UpdateServiceOutput{Service: &svc}, nil
}

func (f *fakeECS) DescribeServices(_ context.Context, in *ecs.DescribeServicesInput, _ ...func(*ecs.Options)) (*ecs.DescribeServicesOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.updates) > 0 && f.describe < len(f.script) {
		var newDep, oldDep *ecstypes.Deployment
		for i := range f.service.Deployments {
			switch aws.ToString(f.service.Deployments[i].Id) {
			case "ecs-svc/new":
				newDep = &f.service.Deployments[i]
			case "ecs-svc/old":
				oldDep = &f.service.Deployments[i]
			}
		}
		f.script[f.describe](&f.service, newDep, oldDep)
		f.describe++
	}
	svc := f.service
	svc.Deployments = append([]ecstypes.Deployment(nil), f.service.Deployments...)
	svc.Events = append([]ecstypes.ServiceEvent(nil), f.service.Events...)
	return &ecs.DescribeServicesOutput{Services: []ecstypes.Service{svc}}, nil
}

func (f *fakeECS) ListTasks(_ context.Context, in *ecs.ListTasksInput, _ ...func(*ecs.Options)) (*ecs.ListTasksOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var arns []string
	for _, t := range f.stopped {
		arns = append(arns, aws.ToString(t.TaskArn))
	}
	return &ecs.ListTasksOutput{TaskArns: arns}, nil
}

func (f *fakeECS) DescribeTasks(_ context.Context, in *ecs.DescribeTasksInput, _ ...func(*ecs.Options)) (*ecs.DescribeTasksOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return &ecs.DescribeTasksOutput{Tasks: f.stopped}, nil
}

// event adds a service event, newest first as ECS lists them.
func event(svc *ecstypes.Service, msg string) {
	id := fmt.Sprintf("ev-%d", len(svc.Events))
	svc.Events = append([]ecstypes.ServiceEvent{{Id: aws.String(id), CreatedAt: aws.Time(time.Now()), Message: aws.String(msg)}}, svc.Events...)
}

// drop removes the deployment with the given ID.
func drop(svc *ecstypes.Service, id string) {
	var keep []ecstypes.Deployment
	for _, d := range svc.Deployments {
		if aws.ToString(d.Id) != id {
			keep = append(keep, d)
		}
	}
	svc.Deployments = keep
}

const newTD = "arn:aws:ecs:eu-south-1:123456789012:task-definition/manga-serve:2"

// deployHost is a Host with only the ECS client, which is all Deploy uses.
func deployHost(f ecshost.ECSAPI, optFns ...func(*ecshost.Options)) *ecshost.Host {
	optFns = append([]func(*ecshost.Options){func(o *ecshost.Options) {
		o.Account, o.MinDelay, o.MaxDelay = account, time.Millisecond, time.Millisecond
	}}, optFns...)
	return ecshost.New(ecshost.Clients{ECS: f, Region: region}, optFns...)
}

// onEvent sends the rollout's events to rec.
func onEvent(rec *recorder) func(*ecshost.DeployOptions) {
	return func(o *ecshost.DeployOptions) { o.OnEvent = rec.add }
}

type recorder struct {
	mu     sync.Mutex
	events []ecshost.Event
}

func (r *recorder) add(e ecshost.Event) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, e)
}

func (r *recorder) kinds() []ecshost.EventKind {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []ecshost.EventKind
	for _, e := range r.events {
		out = append(out, e.Kind)
	}
	return out
}

func (r *recorder) text() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var b strings.Builder
	for _, e := range r.events {
		fmt.Fprintln(&b, e.Kind, e.Message)
	}
	return b.String()
}

const image2 = "123456789012.dkr.ecr.eu-south-1.amazonaws.com/mangaalert:2.0.0"

func TestDeploySucceeds(t *testing.T) {
	f := newFakeECS(
		// 0%/100%: the old task stops first, then the new one starts.
		func(svc *ecstypes.Service, nd, od *ecstypes.Deployment) {
			od.RunningCount, od.DesiredCount = 0, 0
			nd.PendingCount = 1
			event(svc, "(service manga-serve) has stopped 1 running tasks: (task old1).")
		},
		func(svc *ecstypes.Service, nd, od *ecstypes.Deployment) {
			nd.PendingCount, nd.RunningCount = 0, 1
			event(svc, "(service manga-serve) has started 1 tasks: (task new1).")
		},
		func(svc *ecstypes.Service, nd, od *ecstypes.Deployment) {
			nd.RolloutState, nd.RolloutStateReason = ecstypes.DeploymentRolloutStateCompleted, aws.String("ECS deployment ecs-svc/new completed.")
			drop(svc, "ecs-svc/old")
			event(svc, "(service manga-serve) has reached a steady state.")
		},
	)
	var rec recorder
	res, err := deployHost(f).Deploy(context.Background(), baseSpec(), image2, onEvent(&rec))
	require.NoError(t, err, rec.text())
	assert.True(t, res.Changed)
	assert.Equal(t, "ecs-svc/new", res.Deployment)
	assert.Equal(t, newTD, res.TaskDefinitions["serve"].ARN)
	assert.Equal(t, image2, res.TaskDefinitions["scrape"].Image, "the scheduled tasks get the image too")

	require.Len(t, f.updates, 1)
	u := f.updates[0]
	assert.Equal(t, newTD, aws.ToString(u.TaskDefinition))
	assert.Equal(t, int32(0), aws.ToInt32(u.DeploymentConfiguration.MinimumHealthyPercent))
	assert.Equal(t, int32(100), aws.ToInt32(u.DeploymentConfiguration.MaximumPercent))
	assert.True(t, u.DeploymentConfiguration.DeploymentCircuitBreaker.Rollback)

	assert.Equal(t, []ecshost.EventKind{
		ecshost.EventRegistered, ecshost.EventDeployment,
		ecshost.EventService, ecshost.EventTasks,
		ecshost.EventService, ecshost.EventTasks,
		ecshost.EventService, ecshost.EventRollout, ecshost.EventDone,
		ecshost.EventRegistered, ecshost.EventRegistered, // the scheduled tasks, after the service
	}, rec.kinds(), rec.text())
	assert.Contains(t, rec.text(), "has started 1 tasks")
	assert.Contains(t, rec.text(), "1 running, 0 pending, 0 failed of 1")

	t.Run("the same image again changes nothing", func(t *testing.T) {
		var again recorder
		res, err := deployHost(f).Deploy(context.Background(), baseSpec(), image2, onEvent(&again))
		require.NoError(t, err)
		assert.False(t, res.Changed)
		assert.Len(t, f.updates, 1, "no second UpdateService")
		assert.Equal(t, []ecshost.EventKind{ecshost.EventDone}, again.kinds())
		for fam, revs := range f.defs {
			assert.Len(t, revs, 1, "no second revision of %s", fam)
		}
	})
}

func TestDeployRolledBack(t *testing.T) {
	f := newFakeECS(
		func(svc *ecstypes.Service, nd, od *ecstypes.Deployment) {
			od.RunningCount, od.DesiredCount = 0, 0
			nd.PendingCount = 1
		},
		func(svc *ecstypes.Service, nd, od *ecstypes.Deployment) {
			nd.PendingCount, nd.FailedTasks = 0, 1
			event(svc, "(service manga-serve) (task new1) failed container health checks.")
		},
		// The circuit breaker gives up and rolls back to revision 1.
		func(svc *ecstypes.Service, nd, od *ecstypes.Deployment) {
			nd.FailedTasks = 2
			nd.Status = aws.String("ACTIVE")
			nd.RolloutState, nd.RolloutStateReason = ecstypes.DeploymentRolloutStateFailed, aws.String("ECS deployment circuit breaker: tasks failed to start.")
			od.Status, od.RolloutState, od.DesiredCount = aws.String("PRIMARY"), ecstypes.DeploymentRolloutStateInProgress, 1
			event(svc, "(service manga-serve) rolling back to deployment ecs-svc/old.")
		},
	)
	f.stopped = []ecstypes.Task{
		{TaskArn: aws.String("arn:aws:ecs:eu-south-1:123456789012:task/manga/new1"), TaskDefinitionArn: aws.String(newTD),
			StoppedReason: aws.String("Task failed container health checks"),
			Containers:    []ecstypes.Container{{Name: aws.String("serve"), ExitCode: aws.Int32(1), Reason: aws.String("healthcheck: connection refused")}}},
		{TaskArn: aws.String("arn:aws:ecs:eu-south-1:123456789012:task/manga/new2"), TaskDefinitionArn: aws.String(newTD),
			StoppedReason: aws.String("Essential container in task exited")},
		{TaskArn: aws.String("arn:aws:ecs:eu-south-1:123456789012:task/manga/old0"), TaskDefinitionArn: aws.String(oldTD),
			StoppedReason: aws.String("Scaling activity initiated by (deployment ecs-svc/new)")},
	}
	var rec recorder
	_, err := deployHost(f).Deploy(context.Background(), baseSpec(), image2, onEvent(&rec))
	require.Error(t, err)
	assert.ErrorIs(t, err, ecshost.ErrRolledBack)
	var rb *ecshost.RollbackError
	require.True(t, errors.As(err, &rb))
	assert.Equal(t, newTD, rb.FailedTaskDefinition)
	assert.Equal(t, oldTD, rb.RolledBackTo)
	assert.Equal(t, "ecs-svc/new", rb.Deployment)
	assert.Contains(t, rb.Reason, "circuit breaker")
	require.Len(t, rb.StoppedTasks, 2, "only the failed revision's tasks")
	assert.Equal(t, "Task failed container health checks", rb.StoppedTasks[0].Reason)
	assert.Equal(t, []string{"serve: exit 1 healthcheck: connection refused"}, rb.StoppedTasks[0].Exits)
	for _, want := range []string{"manga-serve:2", "Task failed container health checks", "Essential container in task exited"} {
		assert.Contains(t, err.Error(), want)
	}
	assert.NotContains(t, err.Error(), "Scaling activity")
	assert.Empty(t, f.defs["manga-scrape"], "a rolled-back image never reaches the scheduled tasks")
	assert.Empty(t, f.defs["manga-notify"])
	assert.Contains(t, rec.text(), "FAILED")
	assert.Contains(t, rec.text(), "failed container health checks")
}

// TestDeployTimesOut gives the rollout a timeout that has passed by the
// time the watch first waits: the watch reads the service once before it
// waits (the script moves the new task to pending there), then finds the
// deadline gone. How fast the machine runs changes nothing.
func TestDeployTimesOut(t *testing.T) {
	f := newFakeECS(func(svc *ecstypes.Service, nd, od *ecstypes.Deployment) {
		od.RunningCount, od.DesiredCount = 0, 0
		nd.PendingCount = 1 // and never more: the task never starts
	})
	_, err := deployHost(f).Deploy(context.Background(), baseSpec(), image2, func(o *ecshost.DeployOptions) { o.Timeout = time.Nanosecond })
	require.Error(t, err)
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	var te *ecshost.TimeoutError
	require.True(t, errors.As(err, &te))
	assert.Equal(t, "ecs-svc/new", te.Deployment)
	assert.Equal(t, newTD, te.TaskDefinition)
	assert.Contains(t, te.Last, "0 running, 1 pending")
	assert.Contains(t, err.Error(), "no task of it stopped, so none started", "the error names why it cannot finish")
	assert.Equal(t, 1, f.describe, "one read of the rollout, then the deadline")
}

func TestDeployRefusesBeforeWriting(t *testing.T) {
	f := newFakeECS()
	_, err := deployHost(f).Deploy(context.Background(), baseSpec(), " ")
	assert.ErrorIs(t, err, ecshost.ErrInvalidSpec)
	_, err = deployHost(f).Deploy(context.Background(), baseSpec(), "999999999999.dkr.ecr.eu-south-1.amazonaws.com/other:1")
	assert.ErrorIs(t, err, ecshost.ErrInvalidSpec)
	assert.Contains(t, err.Error(), "another ECR repository")
	bad := baseSpec()
	bad.SubnetIDs = nil
	_, err = deployHost(f).Deploy(context.Background(), bad, image2)
	assert.ErrorIs(t, err, ecshost.ErrInvalidSpec)
	_, err = deployHost(f, func(o *ecshost.Options) { o.Offline = true }).Deploy(context.Background(), baseSpec(), image2)
	assert.ErrorIs(t, err, ecshost.ErrOffline)
	assert.Empty(t, f.updates)
	assert.Empty(t, f.defs)
}

// slowRole answers CreateService and RegisterTaskDefinition as ECS does
// while a new role is not visible yet, n times, then lets them through.
type slowRole struct {
	*fakeECS
	n int
}

func (s *slowRole) RegisterTaskDefinition(ctx context.Context, in *ecs.RegisterTaskDefinitionInput, opts ...func(*ecs.Options)) (*ecs.RegisterTaskDefinitionOutput, error) {
	if s.n > 0 {
		s.n--
		return nil, &smithy.GenericAPIError{Code: "ClientException", Message: "Role is not valid"}
	}
	return s.fakeECS.RegisterTaskDefinition(ctx, in, opts...)
}

func TestDeployWaitsForANewRole(t *testing.T) {
	f := &slowRole{fakeECS: newFakeECS(func(svc *ecstypes.Service, nd, od *ecstypes.Deployment) {
		nd.RunningCount, nd.RolloutState = 1, ecstypes.DeploymentRolloutStateCompleted
		drop(svc, "ecs-svc/old")
	}), n: 2}
	_, err := deployHost(f).Deploy(context.Background(), baseSpec(), image2)
	require.NoError(t, err)
	assert.Equal(t, 0, f.n)

	// Never visible: the AWS error comes back, not a timeout. The
	// propagation wait has passed by the first pause, so the register is
	// tried once, whatever the machine's speed.
	f.n = 1_000_000
	f.defs = map[string][]registered{}
	_, err = deployHost(f, func(o *ecshost.Options) { o.IAMPropagation = time.Nanosecond }).
		Deploy(context.Background(), baseSpec(), "123456789012.dkr.ecr.eu-south-1.amazonaws.com/mangaalert:3.0.0")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "Role is not valid")
	assert.Less(t, f.n, 1_000_000, "tried")
}
