package stack

// Adapter to package network's current API (New with WithX options, its
// own Plan and Change types, Ensure without the changes it made). When
// network has the shape of issue 11 (New(client, optFns), Plan returning
// *change.Plan, State.Changes, Delete returning []change.Change), each
// body below becomes one call.

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/manga-alert-italia/mangaalert/change"
	"github.com/manga-alert-italia/mangaalert/cost"
	"github.com/manga-alert-italia/mangaalert/network"
	"github.com/manga-alert-italia/mangaalert/resource"
)

func networkSpec(spec Spec) network.Spec {
	n := network.Spec{Stack: spec.Stack, CIDR: spec.Network.CIDR, AZs: spec.Network.AZs, Ports: spec.Network.Ports,
		IngressCIDRs: spec.Network.IngressCIDRs, SSHCIDRs: spec.Network.SSHCIDRs}
	if spec.Network.NAT {
		n.Topology = network.PrivateWithNAT
	}
	return n
}

func (s *Stack) network() *network.Network {
	opts := []network.Option{network.WithLogger(s.o.Logger), network.WithDelays(s.o.MinDelay, s.o.MaxDelay)}
	if s.o.Offline {
		return network.New(nil, opts...)
	}
	return network.New(s.cl.ec2, opts...)
}

// networkKinds name network's component tags as resource kinds.
var networkKinds = map[string]string{"vpc": "vpc", "igw": "internet gateway", "subnet": "subnet", "rt": "route table",
	"sg": "security group", "nat": "NAT gateway", "eip": "Elastic IP"}

func networkChanges(p *network.Plan) []change.Change {
	var out []change.Change
	for _, c := range p.Changes {
		kind, _, _ := strings.Cut(c.Component, "/")
		if k, ok := networkKinds[kind]; ok {
			kind = k
		}
		out = append(out, change.Change{Action: change.Action(c.Action), Kind: kind, Name: c.Component, ID: c.ID, Details: c.Details})
	}
	return out
}

// planNetwork plans the network and hands on the subnet and security
// group IDs, placeholders for those not yet made.
func (s *Stack) planNetwork(ctx context.Context, spec Spec, o *Outputs) (*change.Plan, error) {
	np, err := s.network().Plan(ctx, networkSpec(spec))
	if err != nil {
		return nil, fmt.Errorf("plan the network: %w", err)
	}
	o.SubnetIDs, o.SecurityGroupID = nil, "sg-planned"
	for i := 0; ; i++ {
		c, ok := np.Change(fmt.Sprintf("subnet/public/%d", i))
		if !ok {
			break
		}
		id := c.ID
		if id == "" || c.Action == network.Create {
			id = fmt.Sprintf("subnet-planned%d", i)
		}
		o.SubnetIDs = append(o.SubnetIDs, id)
	}
	if c, ok := np.Change("sg/host"); ok && c.ID != "" {
		o.SecurityGroupID = c.ID
	}
	var e cost.Estimate
	for _, l := range np.Cost {
		if l.Quantity != 0 { // PublicOnly's zero line: the host counts its address
			e = append(e, l)
		}
	}
	return &change.Plan{Component: "network", Offline: np.Offline, Changes: networkChanges(np), Cost: e}, nil
}

// ensureNetwork makes the network. Until network.Ensure returns its
// changes, they come from a plan made just before.
func (s *Stack) ensureNetwork(ctx context.Context, spec Spec, o *Outputs) ([]change.Change, error) {
	net := s.network()
	np, err := net.Plan(ctx, networkSpec(spec))
	if err != nil {
		return nil, err
	}
	st, err := net.Ensure(ctx, networkSpec(spec))
	if err != nil {
		return nil, err
	}
	// Bridge mode on EC2 needs no NAT; Preflight says so, or why not.
	if err := network.Preflight(st, "bridge", "EC2"); err != nil {
		return nil, err
	}
	o.SubnetIDs, o.SecurityGroupID = st.PublicSubnetIDs, st.HostSecurityGroupID
	return made(networkChanges(np)), nil
}

// deleteNetwork deletes the stack's network; nothing when there is none.
func (s *Stack) deleteNetwork(ctx context.Context, stack string) ([]change.Change, error) {
	out, err := s.cl.ec2.DescribeVpcs(ctx, &ec2.DescribeVpcsInput{Filters: []ec2types.Filter{
		{Name: aws.String("tag:" + resource.TagStack), Values: []string{stack}}}})
	if err != nil {
		return nil, fmt.Errorf("find the network: %w", err)
	}
	if len(out.Vpcs) == 0 {
		return nil, nil
	}
	if err := s.network().Delete(ctx, stack); err != nil {
		return nil, err
	}
	return []change.Change{{Action: change.Delete, Kind: "vpc", Name: stack, ID: aws.ToString(out.Vpcs[0].VpcId),
		Details: []string{"with its subnets, gateways, route tables and security groups"}}}, nil
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
	return network.New(nil).Estimate(network.Spec{Stack: spec.Stack, Topology: network.PrivateWithNAT})
}
