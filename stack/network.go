package stack

// The network step: package network, with the stack's options.

import (
	"cmp"
	"context"
	"errors"
	"fmt"

	"github.com/manga-alert-italia/mangaalert/change"
	"github.com/manga-alert-italia/mangaalert/cost"
	"github.com/manga-alert-italia/mangaalert/network"
)

func networkSpec(spec Spec) network.Spec {
	n := network.Spec{Stack: spec.Stack, CIDR: spec.Network.CIDR, AZs: spec.Network.AZs, Ports: spec.Network.Ports,
		IngressCIDRs: spec.Network.IngressCIDRs, SSHCIDRs: spec.Network.SSHCIDRs}
	if spec.Network.NAT {
		n.Topology = network.PrivateWithNAT
	}
	n.LoadBalancer = spec.LoadBalancer != nil
	n.JobsGroup, n.TaskPorts = spec.jobsAwsvpc(), taskPorts(spec) // issue 16
	return n
}

func (s *Stack) network() *network.Network {
	return network.New(s.cl.ec2, func(o *network.Options) {
		o.Logger, o.MinDelay, o.MaxDelay = s.o.Logger, s.o.MinDelay, s.o.MaxDelay
		o.Offline, o.OnChange = s.o.Offline, s.o.OnChange
	})
}

// planNetwork plans the network and hands on the subnet and security
// group IDs, placeholders for those not yet made.
func (s *Stack) planNetwork(ctx context.Context, spec Spec, o *Outputs) (*change.Plan, error) {
	p, err := s.network().Plan(ctx, networkSpec(spec))
	if err != nil {
		return nil, fmt.Errorf("plan the network: %w", err)
	}
	o.SubnetIDs, o.SecurityGroupID = nil, "sg-planned"
	for i := 0; ; i++ {
		c, ok := p.Find("subnet", fmt.Sprintf("subnet/public/%d", i))
		if !ok {
			break
		}
		id := c.ID
		if id == "" || c.Action == change.Create {
			id = fmt.Sprintf("subnet-planned%d", i)
		}
		o.SubnetIDs = append(o.SubnetIDs, id)
	}
	if c, ok := p.Find("security group", "sg/host"); ok && c.ID != "" {
		o.SecurityGroupID = c.ID
	}
	planLoadBalancerNetwork(spec, p, o)
	planAwsvpcNetwork(spec, p, o)
	var e cost.Estimate
	for _, l := range p.Cost {
		if l.Quantity != 0 { // PublicOnly's zero line: the host counts its address
			e = append(e, l)
		}
	}
	p.Cost = e
	return p, nil
}

// ensureNetwork makes the network and hands on its subnets and security
// group.
func (s *Stack) ensureNetwork(ctx context.Context, spec Spec, o *Outputs) ([]change.Change, error) {
	st, err := s.network().Ensure(ctx, networkSpec(spec))
	if err != nil {
		return nil, err
	}
	// Bridge mode on EC2 needs no NAT, awsvpc does (Validate refused it
	// before any write); Preflight checks it on what was built.
	if err := network.Preflight(st, cmp.Or(spec.Network.Mode, NetworkModeBridge), "EC2"); err != nil {
		return st.Changes, err
	}
	o.SubnetIDs, o.SecurityGroupID = st.PublicSubnetIDs, st.HostSecurityGroupID
	awsvpcOutputs(st, o)
	o.VPCID, o.LoadBalancerSecurityGroupID = st.VPCID, st.LoadBalancerSecurityGroupID
	return st.Changes, nil
}

// deleteNetwork deletes the stack's network; nothing when there is none.
func (s *Stack) deleteNetwork(ctx context.Context, stack string) ([]change.Change, error) {
	return s.network().Delete(ctx, stack)
}

// networkProblems are what network's own rules find wrong with the
// network part of a Spec, without AWS.
func networkProblems(spec Spec) []Problem {
	err := networkSpec(spec).Validate()
	errs := []error{err}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		errs = j.Unwrap()
	}
	var out []Problem
	for _, e := range errs {
		var se *network.SpecError
		switch {
		case errors.As(e, &se) && se.Field == "Stack": // Spec.Validate reports the name by its own rule
		case errors.As(e, &se):
			out = append(out, Problem{Field: "Network." + se.Field, Problem: fmt.Sprintf("%q %s: %s", se.Value, se.Problem, se.Fix)})
		case e != nil:
			out = append(out, Problem{Field: "Network", Problem: e.Error()})
		}
	}
	return out
}

// publicIPv4Price is what AWS bills for each public IPv4 address.
var publicIPv4Price = network.PublicIPv4Price

// natEstimate is what a NAT gateway would add to the stack.
func natEstimate(spec Spec) cost.Estimate {
	return network.New(nil, func(o *network.Options) { o.Offline = true }).
		Estimate(network.Spec{Stack: spec.Stack, Topology: network.PrivateWithNAT})
}
