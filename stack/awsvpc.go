package stack

// The awsvpc network mode and Fargate for the jobs (issue 16): what the
// Spec's Network.Mode and JobsOn change in the network, the host, the
// load balancer and the schedules, and the refusal of awsvpc without a
// NAT before anything is sent.

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"

	"github.com/manga-alert-italia/mangaalert/change"
	"github.com/manga-alert-italia/mangaalert/ecshost"
	"github.com/manga-alert-italia/mangaalert/internal/awserr"
	"github.com/manga-alert-italia/mangaalert/network"
	"github.com/manga-alert-italia/mangaalert/schedule"
)

// Network modes of the service's tasks (Network.Mode).
const (
	// NetworkModeBridge (the default): the tasks share the host's
	// address, no NAT needed.
	NetworkModeBridge = ecshost.NetworkModeBridge
	// NetworkModeAwsvpc gives each task its own network interface in the
	// private subnets: it needs Network.NAT (one NAT gateway) and a
	// LoadBalancer, the only way in to a private address.
	NetworkModeAwsvpc = ecshost.NetworkModeAwsvpc
)

// Where the jobs run (Spec.JobsOn).
const (
	JobsOnEC2         = ecshost.TasksOnEC2         // the default: on the hosts, as the service
	JobsOnFargate     = ecshost.TasksOnFargate     // Fargate, per second of each run
	JobsOnFargateSpot = ecshost.TasksOnFargateSpot // Fargate Spot: about 70% less, may be stopped
)

func (s Spec) awsvpc() bool { return s.Network.Mode == NetworkModeAwsvpc }

func (s Spec) jobsOnFargate() bool {
	return s.JobsOn == JobsOnFargate || s.JobsOn == JobsOnFargateSpot
}

// jobsAwsvpc says whether the jobs' tasks have their own network
// interface (and so the jobs' security group).
func (s Spec) jobsAwsvpc() bool { return s.awsvpc() || s.jobsOnFargate() }

// jobsPublic says whether Fargate jobs run in the public subnets with a
// public address. Cost first: without a NAT, a public IPv4 for the few
// minutes of a run costs about 0.0004 USD, where a NAT for the jobs alone
// would be some 37 USD a month. With the NAT the operator asked for,
// they run in the private subnets like everything else: no public
// address, and the NAT's hourly price is paid either way (its per-GB
// line counts the jobs' traffic).
func (s Spec) jobsPublic() bool { return s.jobsOnFargate() && !s.Network.NAT }

// awsvpcProblems checks Network.Mode and JobsOn. Awsvpc without the NAT
// is network.PreflightSpec's refusal: the check that Apply's network
// step makes on what it built, made here on what it would build, so it
// fails before any call.
func awsvpcProblems(s Spec) []Problem {
	var ps []Problem
	bad := func(field, format string, args ...any) {
		ps = append(ps, Problem{Field: field, Problem: fmt.Sprintf(format, args...)})
	}
	switch s.Network.Mode {
	case "", NetworkModeBridge, NetworkModeAwsvpc:
	default:
		bad("Network.Mode", "%q: use %q (default) or %q", s.Network.Mode, NetworkModeBridge, NetworkModeAwsvpc)
	}
	switch s.JobsOn {
	case "", JobsOnEC2, JobsOnFargate, JobsOnFargateSpot:
	default:
		bad("JobsOn", "%q: use %q (default), %q or %q", s.JobsOn, JobsOnEC2, JobsOnFargate, JobsOnFargateSpot)
	}
	if !s.awsvpc() {
		return ps
	}
	if err := network.PreflightSpec(networkSpec(s), NetworkModeAwsvpc, "EC2"); errors.Is(err, network.ErrAwsvpcNeedsNAT) {
		bad("Network.NAT", "network mode awsvpc on EC2 needs the NAT: %v; set Network.NAT (one NAT gateway, private subnets)", err)
	} else if err != nil {
		bad("Network.Mode", "%v", err)
	}
	it := cmp.Or(s.Host.InstanceType, ecshost.DefaultInstanceType)
	if n := ecshost.NetworkInterfaces(it); !s.jobsOnFargate() && len(s.Jobs) > 0 && n > 0 && n < 3 {
		bad("Network.Mode", "awsvpc with the jobs on the hosts: a %s takes %d network interfaces, the host's and the service task's, so no job could start; "+
			"run the jobs on Fargate (JobsOn %q) or pick an instance type with 3 (t4g.small)", it, n, JobsOnFargate)
	}
	if s.LoadBalancer == nil {
		bad("Network.Mode", "awsvpc puts the service's tasks in the private subnets, where nothing from the internet reaches them but a load balancer: "+
			"add a LoadBalancer (Host.Instances 2 or more), or keep the bridge mode")
	}
	return ps
}

// taskPorts are the service's container ports the load balancer reaches
// awsvpc tasks on.
func taskPorts(s Spec) []int32 {
	if !s.awsvpc() || s.LoadBalancer == nil {
		return nil
	}
	var ps []int32
	for _, pm := range s.Service.PortMappings {
		ps = append(ps, pm.ContainerPort)
	}
	return ps
}

// planAwsvpcNetwork hands on the private subnets and the jobs' group of
// a plan: their IDs, or placeholders for those not made yet.
func planAwsvpcNetwork(spec Spec, p *change.Plan, o *Outputs) {
	o.PrivateSubnetIDs, o.JobsSecurityGroupID = nil, ""
	if spec.Network.NAT {
		for i := 0; ; i++ {
			c, ok := p.Find("subnet", fmt.Sprintf("subnet/private/%d", i))
			if !ok {
				break
			}
			id := c.ID
			if id == "" || c.Action == change.Create {
				id = fmt.Sprintf("subnet-plannedprivate%d", i)
			}
			o.PrivateSubnetIDs = append(o.PrivateSubnetIDs, id)
		}
	}
	if spec.jobsAwsvpc() {
		o.JobsSecurityGroupID = "sg-plannedjobs"
		if c, ok := p.Find("security group", "sg/jobs"); ok && c.ID != "" {
			o.JobsSecurityGroupID = c.ID
		}
	}
}

// awsvpcOutputs hands on what Ensure made for awsvpc tasks.
func awsvpcOutputs(st *network.State, o *Outputs) {
	o.PrivateSubnetIDs, o.JobsSecurityGroupID = slices.Clone(st.PrivateSubnetIDs), st.JobsSecurityGroupID
}

// hostAwsVPC is the host's part of the mode: the service's tasks in the
// private subnets, the jobs' task definitions for Fargate.
func hostAwsVPC(spec Spec, o Outputs) ecshost.AwsVPC {
	a := ecshost.AwsVPC{NetworkMode: spec.Network.Mode, TasksOn: spec.JobsOn}
	switch {
	case spec.awsvpc():
		a.TaskSubnetIDs = o.PrivateSubnetIDs
	case spec.jobsOnFargate():
		a.TaskSubnetIDs = jobSubnets(spec, o)
	}
	return a
}

// jobSubnets are the subnets of the jobs' interfaces: the private ones
// behind the NAT, else (Fargate with a public address) the public ones.
func jobSubnets(spec Spec, o Outputs) []string {
	if spec.jobsPublic() {
		return o.SubnetIDs
	}
	return o.PrivateSubnetIDs
}

// jobPlacement is where a job's schedule starts its task.
//
// Jobs on the hosts name the hosts' capacity provider when there is one:
// a run that finds no room then waits in PROVISIONING while managed
// scaling adds a host, instead of failing for want of memory.
func jobPlacement(spec Spec, o Outputs) schedule.Placement {
	var p schedule.Placement // bridge mode on EC2
	if spec.jobsAwsvpc() {
		p = schedule.Placement{LaunchType: schedule.LaunchEC2, Subnets: jobSubnets(spec, o), SecurityGroups: []string{o.JobsSecurityGroupID}}
	}
	switch {
	case spec.JobsOn == JobsOnFargate:
		p.LaunchType = schedule.LaunchFargate
	case spec.JobsOn == JobsOnFargateSpot:
		p.LaunchType, p.CapacityProvider = "", schedule.CapacityFargateSpot
	case spec.Scaling.CapacityProvider:
		p.LaunchType, p.CapacityProvider = "", providerName(spec.Stack)
	}
	if !spec.jobsAwsvpc() {
		return p
	}
	p.AssignPublicIP = spec.jobsPublic()
	return p
}

// awsvpcNotes say in the plan where the tasks run, and why there.
func awsvpcNotes(spec Spec) []string {
	var n []string
	if spec.awsvpc() {
		n = append(n, "network mode awsvpc: the service's tasks have their own interfaces in the private subnets, reached by the load balancer's target group by IP; they go out through the one NAT gateway")
	}
	switch {
	case spec.jobsPublic():
		n = append(n, fmt.Sprintf("jobs on %s in the public subnets with a public IP for the run (no NAT: its address costs about 0.0004 USD a run, a NAT some 37 USD a month); their security group admits nothing", spec.JobsOn))
	case spec.jobsOnFargate():
		n = append(n, fmt.Sprintf("jobs on %s in the private subnets, out through the NAT; their security group admits nothing", spec.JobsOn))
	case spec.awsvpc():
		n = append(n, "jobs on the hosts in awsvpc, in the private subnets; their security group admits nothing")
	}
	return n
}

// ErrLeaveAwsvpc: the service runs in the awsvpc network mode and the
// Spec wants it in bridge mode. UpdateService cannot remove a service's
// network configuration, so the service must be deleted and made again;
// Apply refuses before its first write and says how.
var ErrLeaveAwsvpc = errors.New("stack: the service runs in the awsvpc network mode, which ECS cannot take it out of in place")

// checkLeaveAwsvpc reads the service (reads only, before Apply's first
// write) and refuses to move it from awsvpc to bridge.
func (s *Stack) checkLeaveAwsvpc(ctx context.Context, spec Spec) error {
	if spec.awsvpc() {
		return nil
	}
	name := family(spec.Stack, spec.Service.Name) // the service is named as its family
	out, err := s.cl.ecs.DescribeServices(ctx, &ecs.DescribeServicesInput{Cluster: aws.String(spec.Stack), Services: []string{name}})
	switch {
	case awserr.Is(err, "ClusterNotFoundException"):
		return nil
	case err != nil:
		return fmt.Errorf("describe service %s: %w", name, err)
	}
	for _, svc := range out.Services {
		if aws.ToString(svc.Status) == "ACTIVE" && svc.NetworkConfiguration != nil && svc.NetworkConfiguration.AwsvpcConfiguration != nil {
			return fmt.Errorf("%w: service %s; nothing was changed. Keep the awsvpc mode, or delete the service "+
				"(aws ecs delete-service --cluster %s --service %s --force), wait until it is gone and apply again: "+
				"it is made anew in bridge mode, and the site is down meanwhile", ErrLeaveAwsvpc, name, spec.Stack, name)
		}
	}
	return nil
}
