package stack

// The autoscale step: package autoscale, after the host (the scalable
// target is the host's service, the capacity provider its group). It runs
// on every Apply, so that a Spec without Scaling removes what an earlier
// one made; Destroy runs it after the host, once the service and cluster
// are gone (ECS refuses to detach a provider a service still names).

import (
	"context"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
	"github.com/aws/aws-sdk-go-v2/service/ecs"

	"github.com/manga-alert-italia/mangaalert/autoscale"
	"github.com/manga-alert-italia/mangaalert/change"
	"github.com/manga-alert-italia/mangaalert/cost"
	"github.com/manga-alert-italia/mangaalert/ecshost"
	"github.com/manga-alert-italia/mangaalert/resource"
)

// Scaling grows the stack past Host.Instances on AWS's own machinery
// (package autoscale); its zero value scales nothing.
type Scaling struct {
	// MaxTasks, when not 0, scales the service between Host.Instances and
	// MaxTasks tasks by target tracking: requests per task behind the
	// load balancer, else the service's average CPU. Apply and
	// DeployImage then keep the count Application Auto Scaling set.
	MaxTasks int32
	// CapacityProvider gives the hosts' group an ECS capacity provider
	// (STACK-hosts) with managed scaling and managed termination
	// protection, as the cluster's default strategy; the service places
	// its tasks through it, and ECS sets the group's desired capacity.
	CapacityProvider bool
	// MaxInstances is the group's maximum (default Host.Instances, also
	// its minimum); above Host.Instances it needs CapacityProvider.
	MaxInstances int32
	// TargetCapacity, CPUPercent and RequestsPerTarget tune the
	// provider and the policy (package autoscale's defaults when 0).
	TargetCapacity                int32
	CPUPercent, RequestsPerTarget float64
}

// maxInstances is the group's maximum.
func (s Spec) maxInstances() int32 { return max(s.Scaling.MaxInstances, s.instances()) }

// scalingProblems: the bounds must hold Host.Instances, tasks beyond one a
// host need dynamic host ports, and only a capacity provider grows the
// group.
func scalingProblems(s Spec) []Problem {
	var ps []Problem
	bad := func(field, format string, args ...any) {
		ps = append(ps, Problem{Field: field, Problem: fmt.Sprintf(format, args...)})
	}
	sc, n := s.Scaling, s.instances()
	switch {
	case sc.MaxTasks < 0:
		bad("Scaling.MaxTasks", "%d: use 0 (a fixed count) or at least Host.Instances (%d)", sc.MaxTasks, n)
	case sc.MaxTasks > 0 && sc.MaxTasks < n:
		bad("Scaling.MaxTasks", "%d is below Host.Instances (%d), the least the service runs: use 0 (a fixed count) or at least %d", sc.MaxTasks, n, n)
	case sc.MaxTasks > n && staticHostPort(s.Service) != 0:
		bad("Scaling.MaxTasks", "%d tasks on %d host(s) publishing host port %d: two tasks on one host cannot both bind it; "+
			"scale tasks behind the load balancer (Host.Instances 2 or more), whose dynamic host ports they share", sc.MaxTasks, n, staticHostPort(s.Service))
	}
	switch {
	case sc.MaxInstances < 0 || (sc.MaxInstances > 0 && sc.MaxInstances < n):
		bad("Scaling.MaxInstances", "%d: use 0 (Host.Instances) or at least Host.Instances (%d)", sc.MaxInstances, n)
	case sc.MaxInstances > n && !sc.CapacityProvider:
		bad("Scaling.MaxInstances", "%d above Host.Instances (%d) with nothing to grow the group: turn on the capacity provider (Scaling.CapacityProvider)", sc.MaxInstances, n)
	}
	if sc.CapacityProvider {
		for _, p := range []string{"aws", "ecs", "fargate"} {
			if strings.HasPrefix(s.Stack, p) {
				bad("Scaling.CapacityProvider", "the stack %q starts with %q, which ECS refuses at the start of a capacity provider's name (%s): choose another stack name",
					s.Stack, p, providerName(s.Stack))
			}
		}
	}
	if sc.TargetCapacity < 0 || sc.TargetCapacity > 100 {
		bad("Scaling.TargetCapacity", "%d: use a percent from 1 to 100 (0: %d)", sc.TargetCapacity, autoscale.DefaultTargetCapacity)
	}
	if sc.CPUPercent < 0 || sc.CPUPercent > 100 || sc.RequestsPerTarget < 0 {
		bad("Scaling", "CPUPercent %g, RequestsPerTarget %g: use a percent up to 100 and a positive request count (0: the defaults)", sc.CPUPercent, sc.RequestsPerTarget)
	}
	return ps
}

func staticHostPort(c Container) int32 {
	for _, pm := range c.PortMappings {
		if pm.HostPort != 0 {
			return pm.HostPort
		}
	}
	return 0
}

func providerName(stack string) string { return stack + "-hosts" }

// hostScaling tells the host how it lives with the scaling (package
// ecshost's ScaleOut autoscaling fields).
func hostScaling(spec Spec, hs *ecshost.Spec) {
	sc := spec.Scaling
	hs.MaxGroupSize = spec.maxInstances()
	hs.ManagedTasks, hs.MaxCount = sc.MaxTasks > 0, sc.MaxTasks
	hs.ManagedHosts = sc.CapacityProvider
	if sc.CapacityProvider {
		hs.CapacityProvider = providerName(spec.Stack)
	}
}

// autoscaleSpec is the scaling package autoscale makes, from the host's
// group and the load balancer's ARNs.
func autoscaleSpec(spec Spec, groupARN string, o Outputs) autoscale.Spec {
	sc := spec.Scaling
	as := autoscale.Spec{Stack: spec.Stack, Cluster: spec.Stack, Service: family(spec.Stack, spec.Service.Name), Tags: spec.Tags}
	if sc.MaxTasks > 0 {
		as.Tasks = &autoscale.Tasks{Min: spec.instances(), Max: sc.MaxTasks, CPUPercent: sc.CPUPercent, RequestsPerTarget: sc.RequestsPerTarget}
		if spec.LoadBalancer != nil {
			as.Tasks.ResourceLabel = autoscale.LabelOf(o.LoadBalancerARN, o.TargetGroupARN)
		}
	}
	if sc.CapacityProvider {
		as.Hosts = &autoscale.Hosts{GroupARN: groupARN, TargetCapacity: sc.TargetCapacity}
	}
	return as
}

func (s *Stack) autoscaler() *autoscale.Autoscaler {
	return autoscale.New(s.cl.scaling, func(a *autoscale.Options) {
		a.Logger, a.Offline, a.OnChange = s.o.Logger, s.o.Offline, s.o.OnChange
	})
}

// groupARN is the ARN of the hosts' group: read when it exists, else
// (offline, or before the first apply) a placeholder with its name.
func (s *Stack) groupARN(ctx context.Context, spec Spec, o *Outputs) (string, error) {
	if !s.o.Offline {
		out, err := s.cl.asg.DescribeAutoScalingGroups(ctx, &autoscaling.DescribeAutoScalingGroupsInput{AutoScalingGroupNames: []string{hostGroup(spec.Stack)}})
		if err != nil {
			return "", fmt.Errorf("describe auto scaling group %s: %w", hostGroup(spec.Stack), err)
		}
		for _, g := range out.AutoScalingGroups {
			return aws.ToString(g.AutoScalingGroupARN), nil
		}
	}
	return resource.ARNIn(o.Partition, "autoscaling", o.Region, o.Account, "autoScalingGroup:planned:autoScalingGroupName/"+hostGroup(spec.Stack)), nil
}

// planAutoscale plans the scaling, or the removal of what a Spec without
// it left.
func (s *Stack) planAutoscale(ctx context.Context, spec Spec, o *Outputs) (*change.Plan, error) {
	group, err := s.groupARN(ctx, spec, o)
	if err != nil {
		return nil, err
	}
	p, err := s.autoscaler().Plan(ctx, autoscaleSpec(spec, group, *o))
	if err != nil {
		return nil, fmt.Errorf("plan the scaling: %w", err)
	}
	return p, nil
}

// ensureAutoscale makes the scaling after the host.
//
// The jobs on the hosts name the provider (jobPlacement), so it is made
// before the schedules. The first apply with a capacity provider made the
// service on the launch type (the provider needs the group first, the
// service needs the provider attached): once it is attached, the host is
// ensured again and moves the service onto it. A later apply finds it
// attached and makes the service on it.
func (s *Stack) ensureAutoscale(ctx context.Context, spec Spec, o *Outputs, st *State) ([]change.Change, error) {
	group, err := s.groupARN(ctx, spec, o)
	if err != nil {
		return nil, err
	}
	as, err := s.autoscaler().Ensure(ctx, autoscaleSpec(spec, group, *o))
	if as == nil {
		return nil, err
	}
	cs := as.Changes
	if err != nil || !spec.Scaling.CapacityProvider {
		return cs, err
	}
	for _, c := range as.Changes {
		if c.Kind == "cluster capacity providers" {
			more, err := s.ensureHost(ctx, spec, o, st)
			return append(cs, more...), err
		}
	}
	return cs, nil
}

// applyHostSpec is the host's Spec for Apply: the service names the
// capacity provider only once the provider is attached to the cluster
// (before, ECS would refuse the service).
func (s *Stack) applyHostSpec(ctx context.Context, spec Spec, o Outputs) (ecshost.Spec, error) {
	hs := hostSpec(spec, o)
	if hs.CapacityProvider == "" {
		return hs, nil
	}
	out, err := s.cl.ecs.DescribeClusters(ctx, &ecs.DescribeClustersInput{Clusters: []string{spec.Stack}})
	if err != nil {
		return hs, fmt.Errorf("describe cluster %s: %w", spec.Stack, err)
	}
	for _, c := range out.Clusters {
		if aws.ToString(c.Status) != "INACTIVE" {
			for _, p := range c.CapacityProviders {
				if p == hs.CapacityProvider {
					return hs, nil
				}
			}
		}
	}
	hs.CapacityProvider = ""
	return hs, nil
}

func (s *Stack) deleteAutoscale(ctx context.Context, stack string) ([]change.Change, error) {
	return s.autoscaler().Delete(ctx, stack)
}

func (s *Stack) autoscaleStatus(ctx context.Context, stack string) ([]string, error) {
	lines, err := s.autoscaler().Status(ctx, stack)
	if err == nil && len(lines) == 0 {
		lines = []string{"none (fixed counts; max_tasks scales the service's tasks, capacity_provider the hosts)"}
	}
	return lines, err
}

// scalingAlternative prices this configuration at its scaled maximum:
// each host up to Scaling.MaxInstances pays its instance, volume and
// address. Tasks cost nothing by themselves on EC2: they share the hosts.
func scalingAlternative(spec Spec, estimate cost.Estimate) []Alternative {
	hi, n := spec.maxInstances(), spec.instances()
	if hi <= n {
		return nil
	}
	var lines cost.Estimate
	for _, l := range estimate {
		if strings.HasPrefix(l.Item, "EC2 ") || l.Item == "EBS gp3 root volume" || l.Item == "public IPv4 address" {
			l.Quantity = l.Quantity / float64(n) * float64(hi)
		}
		lines = append(lines, l)
	}
	name := fmt.Sprintf("this configuration at its scaled maximum: %d instances", hi)
	if spec.Scaling.MaxTasks > 0 {
		name += fmt.Sprintf(", %d tasks", spec.Scaling.MaxTasks)
	}
	return []Alternative{{Name: name, Lines: lines, Full: true,
		Gives: fmt.Sprintf("what the month costs if the capacity provider keeps all %d hosts running the whole month", hi),
		Takes: fmt.Sprintf("the bill grows with the load: between this stack (%d hosts) and this line", n)}}
}
