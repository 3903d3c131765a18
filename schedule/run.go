package schedule

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/scheduler"

	"github.com/manga-alert-italia/mangaalert/change"
	"github.com/manga-alert-italia/mangaalert/internal/engine"
)

// The kinds of resource this package's changes name.
const (
	kindGroup          = "schedule group"
	kindQueue          = "dead-letter queue"
	kindRole           = "IAM role"
	kindRolePolicy     = "role policy"
	kindAttachedPolicy = "attached policy"
	kindSchedule       = "schedule"
)

// run is one Plan's or Ensure's view of the stack: the resolved Spec,
// what was observed (nothing when offline), and what its steps learn as
// they apply.
type run struct {
	s   *Schedules
	r   *resolved
	now time.Time

	group       observedGroup
	queue       observedQueue
	orphanQueue observedQueue // a queue this stack created and no longer wants
	role        observedRole
	schedules   map[string]*scheduler.GetScheduleOutput // by name, in the group
	rewritten   map[string]bool                         // jobs whose schedule the steps write

	// roleChanged is set by a step that created the role or changed its
	// trust or policy: IAM may lag, so schedule writes wait for it.
	roleChanged bool
}

// diff resolves spec, observes the stack (unless offline) and decides the
// steps that make it as spec says, in order: the group, the queue, the
// role and its policy (all before the schedules that need them), the
// schedules, and last what is no longer wanted. Plan lists the steps,
// Ensure runs them.
func (s *Schedules) diff(ctx context.Context, spec Spec) (*run, []engine.Step, error) {
	rn := &run{s: s, now: s.opts.Now(), schedules: map[string]*scheduler.GetScheduleOutput{}, rewritten: map[string]bool{}}
	r, err := spec.resolve(rn.now)
	if err != nil {
		return nil, nil, err
	}
	if err := s.checkWhere(r); err != nil {
		return nil, nil, err
	}
	rn.r = r
	if !s.opts.Offline {
		if err := s.online(true); err != nil {
			return nil, nil, err
		}
		if err := rn.observe(ctx); err != nil {
			return nil, nil, err
		}
	}
	steps := []engine.Step{rn.groupStep()}
	steps = append(steps, rn.queueSteps()...)
	steps = append(steps, rn.roleSteps()...)
	jobs, err := rn.jobSteps()
	if err != nil {
		return nil, nil, err
	}
	steps = append(steps, jobs...)
	return rn, append(steps, rn.leftoverSteps()...), nil
}

// checkWhere refuses a Spec whose cluster is not where Options.Account
// and Options.Region say the schedules are.
func (s *Schedules) checkWhere(r *resolved) error {
	if s.opts.Region != "" && r.region != s.opts.Region {
		return fmt.Errorf("cluster %s is in region %s, the schedules in %s: the Scheduler starts tasks in its own region", r.ClusterARN, r.region, s.opts.Region)
	}
	if s.opts.Account != "" && r.account != s.opts.Account {
		return fmt.Errorf("cluster %s is in account %s, the schedules in %s", r.ClusterARN, r.account, s.opts.Account)
	}
	return nil
}

// observe reads the stack as it is, making no change.
func (rn *run) observe(ctx context.Context) error {
	r := rn.r
	var err error
	if rn.group, err = rn.s.readGroup(ctx, r.group, r.Stack); err != nil {
		return err
	}
	if rn.group.exists && rn.group.arn != r.groupARN {
		return fmt.Errorf("schedule group %q has ARN %s, not %s: the Scheduler client works in another region or account than the cluster", r.group, rn.group.arn, r.groupARN)
	}
	if err := rn.observeQueue(ctx); err != nil {
		return err
	}
	if rn.role, err = rn.s.readRole(ctx, r.role, r.Stack); err != nil {
		return err
	}
	if rn.group.exists && !rn.group.deleting {
		if rn.schedules, err = rn.s.readSchedules(ctx, r.group); err != nil {
			return err
		}
	}
	return nil
}

// newStep is a change and the calls that make it.
func newStep(a change.Action, kind, name, id string, details []string, apply func(context.Context) error) engine.Step {
	return engine.Step{Change: change.Change{Action: a, Kind: kind, Name: name, ID: id, Details: details}, Apply: apply}
}

// keep is the step of a resource that stays as it is.
func keep(kind, name, id string) engine.Step {
	return engine.Step{Change: change.Change{Action: change.Keep, Kind: kind, Name: name, ID: id}}
}

// leftoverSteps delete what the stack has and the Spec no longer wants:
// schedules no job names, and a dead-letter queue it stopped asking for.
func (rn *run) leftoverSteps() []engine.Step {
	var steps []engine.Step
	for _, name := range sortedKeys(rn.schedules) {
		if rn.r.job(name) != nil {
			continue
		}
		steps = append(steps, rn.s.deleteScheduleStep(rn.r.group, rn.schedules[name].Arn, name, "no job of the spec names it"))
	}
	if q := rn.orphanQueue; q.exists {
		steps = append(steps, rn.s.deleteQueueStep(rn.r.Stack+"-scheduler-dlq", q.url, q.arn,
			"the spec no longer creates a dead-letter queue; its messages are lost"))
	}
	return steps
}
