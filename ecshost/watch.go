package ecshost

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/manga-alert-italia/mangaalert/internal/poll"
)

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
	wctx, cancel := context.WithTimeout(ctx, d.o.Timeout)
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
			d.emit(EventDone, id, "%s: %s", lastPart(td), counts(cur))
			return true, nil
		}
		return false, nil
	})
	if errors.Is(err, context.DeadlineExceeded) && ctx.Err() == nil {
		stopped, _ := d.stoppedTasks(ctx, name, td)
		return &TimeoutError{Service: name, Deployment: id, TaskDefinition: td, After: d.o.Timeout,
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
		d.h.o.Logger.Debug("deploy: could not read the stopped tasks", "err", err)
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
