package ecshost

// The awsvpc network mode and Fargate for the scheduled tasks (issue 16).
// The zero AwsVPC is the seed's shape: every task definition in bridge
// mode on EC2, the service with no network configuration.

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/manga-alert-italia/mangaalert/internal/engine"
)

// Network modes of the task definitions (AwsVPC.NetworkMode).
const (
	NetworkModeBridge = "bridge"
	NetworkModeAwsvpc = "awsvpc"
)

// Where the scheduled tasks run (AwsVPC.TasksOn).
const (
	TasksOnEC2         = "ec2"
	TasksOnFargate     = "fargate"
	TasksOnFargateSpot = "fargate-spot"
)

// The Fargate size of a scheduled task: the smallest Fargate offers
// (0.25 vCPU with 0.5 GB is a valid pair), which the scraper and the
// notifier use a fraction of. Fargate bills the task's size, not the
// containers' limits.
const (
	FargateTaskCPU       = "256"
	FargateTaskMemoryMiB = "512"
)

// AwsVPC says how the tasks are networked and where the scheduled ones
// run. Zero fields mean the seed's shape: bridge mode, everything on the
// EC2 hosts.
type AwsVPC struct {
	// NetworkMode of the service's task definition, and of the scheduled
	// tasks' on EC2: NetworkModeBridge (default) or NetworkModeAwsvpc.
	// In awsvpc each task gets its own network interface in
	// TaskSubnetIDs: on EC2 it never has a public address, so those must
	// be private subnets routed through a NAT (network.Preflight).
	NetworkMode string
	// TaskSubnetIDs are the subnets of awsvpc tasks' interfaces (the
	// network's private subnets).
	TaskSubnetIDs []string
	// TasksOn is where the scheduled tasks run: TasksOnEC2 (default),
	// TasksOnFargate or TasksOnFargateSpot. On Fargate their task
	// definitions are awsvpc, compatible with EC2 and FARGATE, sized
	// FargateTaskCPU/FargateTaskMemoryMiB, and take no memory of the
	// hosts.
	TasksOn string
}

func (a AwsVPC) awsvpc() bool { return a.NetworkMode == NetworkModeAwsvpc }

// onFargate says whether the scheduled tasks run on Fargate.
func (a AwsVPC) onFargate() bool {
	return a.TasksOn == TasksOnFargate || a.TasksOn == TasksOnFargateSpot
}

// taskAwsvpc says whether the scheduled tasks' definitions are awsvpc.
func (a AwsVPC) taskAwsvpc() bool { return a.awsvpc() || a.onFargate() }

// hostTasks are the scheduled tasks that run on the hosts, and so count
// in their memory: none when they run on Fargate.
func (s Spec) hostTasks() []Container {
	if s.onFargate() {
		return nil
	}
	return s.Tasks
}

// networkInterfaces is how many network interfaces each instance type
// takes (EC2's "maximum network interfaces"); the primary one is the
// host's, each awsvpc task on it takes one more (no interface trunking on
// burstable types).
var networkInterfaces = map[string]int{
	"t4g.nano": 2, "t4g.micro": 2, "t4g.small": 3, "t4g.medium": 3,
	"t3.nano": 2, "t3.micro": 2, "t3.small": 3, "t3.medium": 3,
	"t3a.nano": 2, "t3a.micro": 2, "t3a.small": 2, "t3a.medium": 3,
}

// NetworkInterfaces is how many network interfaces an instance type
// takes (0 when unknown): one is the host's, each awsvpc task on it takes
// another.
func NetworkInterfaces(instanceType string) int { return networkInterfaces[instanceType] }

// awsvpcTasksPerHost is how many awsvpc tasks one instance can run at once
// (0 when the type is unknown).
func (s Spec) awsvpcTasksPerHost() int { return max(networkInterfaces[s.InstanceType]-1, 0) }

// awsvpcDeployment is the rollout in awsvpc mode. Each task has its own
// address, so ports never collide; what limits a rollout is the
// instances' free network interfaces. With room for a second task per
// instance the new task starts next to the old one (100%/200%); with
// room for one (nano and micro types), one old task stops before its
// replacement starts: the others keep serving behind the load balancer
// (50%/100%), and one instance alone has a short gap (0%/100%).
func (s Spec) awsvpcDeployment() Deployment {
	per := s.awsvpcTasksPerHost()
	switch {
	case per >= 2:
		return Deployment{100, 200, "awsvpc: each task its own network interface, and the instances have one spare: the new task starts next to the old one (no gap)"}
	case s.desiredCount() >= 2:
		return Deployment{50, 100, fmt.Sprintf("awsvpc on %s: one network interface for tasks per instance, so a task stops before its replacement starts, one at a time, while the others serve", s.InstanceType)}
	}
	return Deployment{0, 100, fmt.Sprintf("awsvpc on %s: one network interface for tasks on the one instance: stop the old task, then start the new one (a short gap)", s.InstanceType)}
}

// awsvpcProblems refuses what cannot work: awsvpc tasks with no subnets
// to put their interfaces in, an unknown mode or place, scheduled tasks
// in awsvpc on EC2 instances with no interface left for them, and a Spot
// Fargate task whose image is not built for x86 (Fargate Spot runs only
// that).
func (s Spec) awsvpcProblems() []string {
	var p []string
	switch s.NetworkMode {
	case "", NetworkModeBridge, NetworkModeAwsvpc:
	default:
		p = append(p, fmt.Sprintf("NetworkMode %q: use %q (default) or %q", s.NetworkMode, NetworkModeBridge, NetworkModeAwsvpc))
	}
	switch s.TasksOn {
	case "", TasksOnEC2, TasksOnFargate, TasksOnFargateSpot:
	default:
		p = append(p, fmt.Sprintf("TasksOn %q: use %q (default), %q or %q", s.TasksOn, TasksOnEC2, TasksOnFargate, TasksOnFargateSpot))
	}
	if s.taskAwsvpc() && len(s.TaskSubnetIDs) == 0 {
		p = append(p, "TaskSubnetIDs is empty: awsvpc and Fargate tasks need subnets for their network interfaces (the network's private subnets, or its public ones for Fargate with a public address)")
	}
	if s.awsvpc() && !s.onFargate() && len(s.Tasks) > 0 {
		if per, ok := networkInterfaces[s.InstanceType]; ok && per-1 < 2 {
			p = append(p, fmt.Sprintf("NetworkMode awsvpc with the scheduled tasks on EC2: a %s takes %d network interfaces, the host's and the service task's, so no job could start; "+
				"run the jobs on Fargate (TasksOn %q) or pick an instance type with 3 (t4g.small)", s.InstanceType, per, TasksOnFargate))
		}
	}
	if s.TasksOn == TasksOnFargateSpot && !slices.Contains(s.ImageArch, "amd64") {
		p = append(p, fmt.Sprintf("TasksOn %q runs x86 only, and the image is built for %v: build it for amd64 too, or use %q (Graviton)", TasksOnFargateSpot, s.ImageArch, TasksOnFargate))
	}
	return p
}

// awsvpcTaskDef sets what the awsvpc mode and Fargate change in one
// container's task definition: the mode, host ports equal to container
// ports (awsvpc has no host port of its own), and for a task on Fargate
// both compatibilities, a task size and its CPU architecture.
func (r *run) awsvpcTaskDef(c Container, service bool, in *ecs.RegisterTaskDefinitionInput) {
	s := r.spec
	if (service && !s.awsvpc()) || (!service && !s.taskAwsvpc()) {
		return
	}
	in.NetworkMode = ecstypes.NetworkModeAwsvpc
	def := &in.ContainerDefinitions[0]
	for i := range def.PortMappings {
		def.PortMappings[i].HostPort = def.PortMappings[i].ContainerPort
	}
	if service || !s.onFargate() {
		return
	}
	in.RequiresCompatibilities = []ecstypes.Compatibility{ecstypes.CompatibilityEc2, ecstypes.CompatibilityFargate}
	in.Cpu, in.Memory = aws.String(FargateTaskCPU), aws.String(FargateTaskMemoryMiB)
	// Graviton is 20% cheaper on Fargate; Spot is x86 only.
	arch := ecstypes.CPUArchitectureX8664
	if s.TasksOn == TasksOnFargate && slices.Contains(s.ImageArch, "arm64") {
		arch = ecstypes.CPUArchitectureArm64
	}
	in.RuntimePlatform = &ecstypes.RuntimePlatform{CpuArchitecture: arch, OperatingSystemFamily: ecstypes.OSFamilyLinux}
}

// serviceNetwork is the service's network configuration: in awsvpc its
// tasks' interfaces in TaskSubnetIDs with the host's group (which admits
// the load balancer on the container port), never a public address (EC2
// gives awsvpc tasks none). Nil in bridge mode.
func (s Spec) serviceNetwork() *ecstypes.NetworkConfiguration {
	if !s.awsvpc() {
		return nil
	}
	return &ecstypes.NetworkConfiguration{AwsvpcConfiguration: &ecstypes.AwsVpcConfiguration{
		Subnets: slices.Clone(s.TaskSubnetIDs), SecurityGroups: []string{s.SecurityGroupID}, AssignPublicIp: ecstypes.AssignPublicIpDisabled,
	}}
}

// sameNetwork compares the service's network configuration with the
// wanted one (nil: none).
//
// TODO(issue 16): moving an existing service from bridge to awsvpc is an
// UpdateService with the other task definition and a network
// configuration, not checked on AWS (moto accepts anything). The other
// way UpdateService cannot remove the configuration (nil keeps it):
// package stack refuses it before any write (stack.ErrLeaveAwsvpc).
func sameNetwork(have, want *ecstypes.NetworkConfiguration) bool {
	key := func(n *ecstypes.NetworkConfiguration) string {
		if n == nil || n.AwsvpcConfiguration == nil {
			return ""
		}
		a := n.AwsvpcConfiguration
		sub, sg := slices.Clone(a.Subnets), slices.Clone(a.SecurityGroups)
		slices.Sort(sub)
		slices.Sort(sg)
		return fmt.Sprint(sub, sg, a.AssignPublicIp == ecstypes.AssignPublicIpEnabled)
	}
	return key(have) == key(want)
}

// awsvpcNotes say what the plan's lines do not about the mode.
func (s Spec) awsvpcNotes() []string {
	var n []string
	if s.awsvpc() {
		n = append(n, fmt.Sprintf("network mode awsvpc: each task its own network interface in %d private subnets; a %s has room for %s at once",
			len(s.TaskSubnetIDs), s.InstanceType, plural(s.awsvpcTasksPerHost(), "task")))
	}
	if s.onFargate() {
		n = append(n, fmt.Sprintf("scheduled tasks on %s: %s CPU units and %s MiB each, nothing taken from the hosts' memory", s.TasksOn, FargateTaskCPU, FargateTaskMemoryMiB))
	}
	return n
}

func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return strconv.Itoa(n) + " " + what + "s"
}

// Fargate's capacity providers, which a cluster must have for a task to
// name them in its capacity provider strategy.
const (
	capacityFargate     = "FARGATE"
	capacityFargateSpot = "FARGATE_SPOT"
	kindCapacity        = "Fargate capacity providers" // autoscale's own step is "cluster capacity providers"
)

// fargateCapacitySteps associates FARGATE and FARGATE_SPOT with the
// cluster when the scheduled tasks run on Fargate Spot (their schedules
// name FARGATE_SPOT). Providers the cluster has already, and its default
// strategy, are kept: another step may have put its own there. Nothing
// is removed when Spot is no longer asked for: an associated provider
// costs nothing and may still run a task.
func (r *run) fargateCapacitySteps(ctx context.Context) ([]engine.Step, error) {
	if r.spec.TasksOn != TasksOnFargateSpot {
		return nil, nil
	}
	name := r.n.cluster()
	var have []string
	strategy := []ecstypes.CapacityProviderStrategyItem{} // the API requires the field; empty keeps none
	exists := false
	if !r.offline {
		c, err := r.h.findCluster(ctx, name)
		if err != nil {
			return nil, err
		}
		if c != nil {
			exists, have = true, c.CapacityProviders
			if c.DefaultCapacityProviderStrategy != nil {
				strategy = c.DefaultCapacityProviderStrategy
			}
		}
	}
	want := slices.Clone(have)
	var missing []string
	for _, p := range []string{capacityFargate, capacityFargateSpot} {
		if !slices.Contains(want, p) {
			want, missing = append(want, p), append(missing, p)
		}
	}
	if len(missing) == 0 {
		return []engine.Step{{Change: keepChange(kindCapacity, name, "", strings.Join(have, ", "))}}, nil
	}
	put := func(ctx context.Context) error {
		_, err := r.h.c.ECS.PutClusterCapacityProviders(ctx, &ecs.PutClusterCapacityProvidersInput{
			Cluster: aws.String(name), CapacityProviders: want, DefaultCapacityProviderStrategy: strategy})
		if err != nil {
			return fmt.Errorf("add the capacity providers %v to cluster %q: %w", missing, name, err)
		}
		return nil
	}
	if !exists { // with the cluster this apply creates
		return []engine.Step{create(kindCapacity, name, []string{strings.Join(missing, ", ")}, put)}, nil
	}
	var e edits
	e.add("add "+strings.Join(missing, ", "), put)
	return []engine.Step{e.step(kindCapacity, name, "")}, nil
}
