package ecshost

import (
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
)

// ScaleOut is what the host does differently on several instances behind a
// load balancer (package loadbalancer makes it). Its zero value is the one
// host: one instance, one task, no target group.
type ScaleOut struct {
	// DesiredCount is how many tasks of the service run (default 1). More
	// than one needs the service's host ports dynamic (HostPort 0): ECS
	// then places them spread over the instances' zones, and rolls out at
	// 100%/200%.
	DesiredCount int32
	// GroupSize is how many instances the Auto Scaling group keeps
	// (min = max = desired; default 1), launched across SubnetIDs' zones.
	GroupSize int32
	// TargetGroupARN registers the service's tasks in this target group
	// (the service's loadBalancers: the ECS service-linked role does the
	// registering, no role of this package). "" for none.
	TargetGroupARN string
	// TargetContainerPort is the container port the target group reaches
	// (default the service's first container port).
	TargetContainerPort int32

	// Autoscaling (package autoscale makes the scalable target and the
	// capacity provider; these say how the host lives with them).
	//
	// MaxGroupSize is the group's maximum (default GroupSize, which stays
	// its minimum and first desired capacity); above GroupSize only with
	// ManagedHosts: nothing else grows the group.
	MaxGroupSize int32
	// ManagedTasks: Application Auto Scaling owns the service's desired
	// count. Ensure and Deploy keep the count they find; DesiredCount is
	// the count a new service starts with.
	ManagedTasks bool
	// MaxCount is the most tasks Application Auto Scaling may set (default
	// DesiredCount): the memory budget counts the tasks each of GroupSize
	// hosts may then hold.
	MaxCount int32
	// ManagedHosts: an ECS capacity provider with managed scaling and
	// managed termination protection owns the group's desired capacity.
	// Ensure keeps the capacity it finds, and the group protects new
	// instances from scale-in, as managed termination protection requires
	// (ECS lifts the protection of an instance once none of the service's
	// tasks runs there).
	ManagedHosts bool
	// CapacityProvider is the provider the service places its tasks
	// through (weight 1) instead of the EC2 launch type; "" for the
	// launch type. A change moves the running service with a new
	// deployment.
	CapacityProvider string
}

// ServiceHealthGrace is how long the service ignores the target group's
// health checks after a task starts: the binary is up in well under a
// second, the store's first answer may take a few.
const ServiceHealthGrace = 60

func (s Spec) desiredCount() int32 { return max(s.DesiredCount, 1) }
func (s Spec) groupSize() int32    { return max(s.GroupSize, 1) }

// targetPort is the container port registered in the target group.
func (s Spec) targetPort() int32 {
	if s.TargetContainerPort != 0 {
		return s.TargetContainerPort
	}
	for _, pm := range s.Service.PortMappings {
		return pm.ContainerPort
	}
	return DefaultContainerPort
}

// serviceLoadBalancers is the service's loadBalancers: the target group,
// or an empty list, which UpdateService takes as "none" (nil would keep
// what the service has).
func (s Spec) serviceLoadBalancers() []ecstypes.LoadBalancer {
	if s.TargetGroupARN == "" {
		return []ecstypes.LoadBalancer{}
	}
	return []ecstypes.LoadBalancer{{TargetGroupArn: aws.String(s.TargetGroupARN), ContainerName: aws.String(s.Service.Name),
		ContainerPort: aws.Int32(s.targetPort())}}
}

// healthGrace is the service's HealthCheckGracePeriodSeconds: only with a
// target group (ECS refuses it without one).
func (s Spec) healthGrace() *int32 {
	if s.TargetGroupARN == "" {
		return nil
	}
	return aws.Int32(ServiceHealthGrace)
}

// scaleOutProblems: several tasks need dynamic host ports, and an Elastic
// IP is one instance's address.
func (s Spec) scaleOutProblems() []string {
	var p []string
	if s.DesiredCount < 0 || s.GroupSize < 0 {
		p = append(p, fmt.Sprintf("DesiredCount %d, GroupSize %d: use 0 (one) or more", s.DesiredCount, s.GroupSize))
	}
	if port := s.staticHostPort(); s.desiredCount() > 1 && port != 0 {
		p = append(p, fmt.Sprintf("DesiredCount %d with static host port %d: two tasks on one instance cannot both bind it; publish the service on HostPort 0 (dynamic) behind a load balancer",
			s.desiredCount(), port))
	}
	p = append(p, s.managedProblems()...)
	if s.ElasticIP && s.groupSize() > 1 {
		p = append(p, fmt.Sprintf("ElasticIP with GroupSize %d: the address follows one instance; the load balancer is the stable address of several", s.groupSize()))
	}
	return p
}

// sameLoadBalancers compares the service's target groups with the wanted.
func sameLoadBalancers(have, want []ecstypes.LoadBalancer) bool {
	if len(have) != len(want) {
		return false
	}
	for i := range have {
		if aws.ToString(have[i].TargetGroupArn) != aws.ToString(want[i].TargetGroupArn) ||
			aws.ToString(have[i].ContainerName) != aws.ToString(want[i].ContainerName) ||
			aws.ToInt32(have[i].ContainerPort) != aws.ToInt32(want[i].ContainerPort) {
			return false
		}
	}
	return true
}

// scaleDetail adds the tasks and target group to the service's plan line.
func (s Spec) scaleDetail() string {
	if s.desiredCount() == 1 && s.TargetGroupARN == "" {
		return s.managedDetail()
	}
	d := fmt.Sprintf(", %d tasks", s.desiredCount())
	if s.TargetGroupARN != "" {
		d += fmt.Sprintf(", registered in target group %s (container port %d)", s.TargetGroupARN, s.targetPort())
	}
	d += s.managedDetail()
	return d
}

// instances says the group's size: "1 instance", "3 Spot instances".
func (r *run) instances(kind string) string {
	if hi := r.spec.maxGroupSize(); hi > r.spec.groupSize() {
		return fmt.Sprintf("%d to %d %sinstances (capacity provider)", r.spec.groupSize(), hi, kind)
	}
	if n := r.spec.groupSize(); n != 1 {
		return fmt.Sprintf("%d %sinstances", n, kind)
	}
	return "1 " + kind + "instance"
}
