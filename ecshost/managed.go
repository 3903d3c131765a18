package ecshost

// How the host lives with autoscaling (package autoscale): the group's
// bounds and scale-in protection, the counts Ensure and Deploy keep, the
// service's capacity provider strategy. See ScaleOut's autoscaling fields.

import (
	"context"
	"fmt"
	"slices"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
	astypes "github.com/aws/aws-sdk-go-v2/service/autoscaling/types"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
)

// maxGroupSize is the group's maximum: MaxGroupSize, at least GroupSize.
func (s Spec) maxGroupSize() int32 { return max(s.MaxGroupSize, s.groupSize()) }

// groupDesired is what an update sets as the group's desired capacity:
// nil (keep) when the capacity provider owns it.
func (s Spec) groupDesired() *int32 {
	if s.ManagedHosts {
		return nil
	}
	return aws.Int32(s.groupSize())
}

// sizeDrift says how the group's bounds differ, "" when they do not; the
// desired capacity counts only when nothing else owns it.
func (r *run) sizeDrift(g *astypes.AutoScalingGroup) string {
	n, hi := r.spec.groupSize(), r.spec.maxGroupSize()
	lo, want, top := aws.ToInt32(g.MinSize), aws.ToInt32(g.DesiredCapacity), aws.ToInt32(g.MaxSize)
	desired := n
	if r.spec.ManagedHosts {
		desired = min(max(want, n), hi) // ECS's, within the new bounds
	}
	if lo == n && top == hi && want == desired {
		return ""
	}
	if r.spec.ManagedHosts {
		return fmt.Sprintf("size %d/%d/%d → min %d, max %d (desired kept for ECS's managed scaling)", lo, want, top, n, hi)
	}
	return fmt.Sprintf("size %d/%d/%d → %d/%d/%d", lo, want, top, n, desired, hi)
}

// updateCount is the desired count an update sends: nil (keep) when
// Application Auto Scaling owns it.
func (s serviceSettings) updateCount() *int32 {
	if s.managed {
		return nil
	}
	return aws.Int32(s.DesiredCount)
}

// createStrategy is a new service's capacity provider strategy, nil for
// the launch type.
func (s serviceSettings) createStrategy() []ecstypes.CapacityProviderStrategyItem {
	if s.CapacityProvider == "" {
		return nil
	}
	return []ecstypes.CapacityProviderStrategyItem{{CapacityProvider: aws.String(s.CapacityProvider), Weight: 1}}
}

// strategyUpdate is what an update of svc sends as its capacity provider
// strategy, and whether it must start a new deployment to move the
// running tasks: the provider's strategy (sent each time: ECS takes the
// same strategy as no change), or an empty one to return a service that
// has a strategy to the EC2 launch type (as UpdateService documents).
//
// TODO(autoscale): the move from the EC2 launch type onto an Auto Scaling
// group capacity provider is not in UpdateService's documented list of
// transitions (Fargate launch type → group provider is), and moto does not
// model either: check it on AWS; if refused, the service must be recreated
// on the provider (delete, then Ensure) and Ensure should say so.
func strategyUpdate(svc *ecstypes.Service, provider string) ([]ecstypes.CapacityProviderStrategyItem, bool) {
	has := slices.ContainsFunc(svc.CapacityProviderStrategy, func(i ecstypes.CapacityProviderStrategyItem) bool {
		return aws.ToString(i.CapacityProvider) == provider
	})
	switch {
	case provider != "":
		return []ecstypes.CapacityProviderStrategyItem{{CapacityProvider: aws.String(provider), Weight: 1}}, !has
	case len(svc.CapacityProviderStrategy) > 0:
		return []ecstypes.CapacityProviderStrategyItem{}, true
	}
	return nil, false
}

// managedProblems: the group grows past GroupSize only through a capacity
// provider.
func (s Spec) managedProblems() []string {
	var p []string
	if s.MaxGroupSize != 0 && s.MaxGroupSize < s.groupSize() {
		p = append(p, fmt.Sprintf("MaxGroupSize %d is below GroupSize %d: use 0 (GroupSize) or at least GroupSize", s.MaxGroupSize, s.groupSize()))
	}
	if s.maxGroupSize() > s.groupSize() && !s.ManagedHosts {
		p = append(p, fmt.Sprintf("MaxGroupSize %d above GroupSize %d without ManagedHosts: nothing would grow the group; give it a capacity provider (ManagedHosts) or leave MaxGroupSize 0",
			s.MaxGroupSize, s.groupSize()))
	}
	return p
}

// managedDetail adds who owns the service's count and where its tasks
// are placed to the service's plan line.
func (s Spec) managedDetail() string {
	d := ""
	if s.ManagedTasks {
		d += ", count kept as Application Auto Scaling sets it"
	}
	if s.CapacityProvider != "" {
		d += ", placed through capacity provider " + s.CapacityProvider
	}
	return d
}

// unprotect lifts the scale-in protection of the group's instances before
// the group is deleted. Under managed termination protection ECS protects
// every instance that runs a task; AWS's force delete terminates them
// anyway, but an emulator (moto) only scales the group to zero, which
// leaves protected instances running and Delete waiting for them. Lifting
// it first makes the teardown the same everywhere.
func (d *deleter) unprotect(ctx context.Context, g *astypes.AutoScalingGroup) error {
	var ids []string
	for _, i := range g.Instances {
		if aws.ToBool(i.ProtectedFromScaleIn) {
			ids = append(ids, aws.ToString(i.InstanceId))
		}
	}
	if len(ids) == 0 || g.Status != nil {
		return nil
	}
	_, err := d.h.c.AutoScaling.SetInstanceProtection(ctx, &autoscaling.SetInstanceProtectionInput{
		AutoScalingGroupName: g.AutoScalingGroupName, InstanceIds: ids, ProtectedFromScaleIn: aws.Bool(false)})
	if err != nil {
		return fmt.Errorf("lift the scale-in protection of %v: %w", ids, err)
	}
	return nil
}

// tasksPerHost is how many of the service's tasks one host holds at most
// outside a rollout: the most tasks (MaxCount, or DesiredCount) spread
// over the fewest hosts (GroupSize), as ECS spreads them over the zones.
func (s Spec) tasksPerHost() int {
	most := max(s.MaxCount, s.desiredCount())
	hosts := s.groupSize()
	return int((most + hosts - 1) / hosts)
}
