package network

import (
	"context"
	"fmt"
	"maps"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/manga-alert-italia/mangaalert/change"
	"github.com/manga-alert-italia/mangaalert/internal/engine"
)

// Delete removes every resource tagged with the stack, in dependency order:
// NAT gateways (waiting until they are gone) and their Elastic IPs, route
// tables with their associations, the internet gateway (detached first),
// subnets, security groups, and last the VPC. It returns the changes it
// made, and nil, nil when nothing of the stack exists, so it can be run
// again after a failure.
//
// Before deleting anything it looks inside the stack's VPC for what is not
// ours (subnets, security groups, route tables, gateways, network
// interfaces of instances not terminated): if there is any, it deletes
// nothing and returns an error wrapping ErrForeignDependency that lists
// them. What carries no tag of ours is never touched.
//
// Instances do not go at once. When nothing but instances shutting down
// stands in the way, Delete waits (up to Timeout) until they are
// terminated. A network interface that outlives its terminated instance
// (made without DeleteOnTermination; on moto 5.2.1, every one) is ours,
// and deleted before anything else, when the instance or the interface
// carries the stack tag mangaalert:stack (the ecshost Auto Scaling group
// propagates it to its instances); so is an unattached interface carrying
// it. That of a terminated instance without the tag is foreign.
func (n *Network) Delete(ctx context.Context, stack string) ([]change.Change, error) {
	if err := (Spec{Stack: stack}).Validate(); err != nil {
		return nil, err
	}
	switch {
	case n.opts.Offline:
		return nil, ErrOffline
	case n.client == nil:
		return nil, errNoClient
	}
	t, err := n.observeTeardown(ctx, stack)
	if err != nil {
		return nil, err
	}
	if err := t.refuseForeign(ctx); err != nil {
		return nil, err
	}
	var done []change.Change
	_, err = engine.Run(ctx, n.log.With("stack", stack), t.steps(), func(c change.Change) {
		done = append(done, c)
		if n.opts.OnChange != nil {
			n.opts.OnChange(c)
		}
	})
	return done, err
}

// teardown is what Delete read of a stack: its VPCs (one, unless someone
// made more) with what they hold, its internet gateways and addresses,
// and what holds network interfaces in the VPCs.
type teardown struct {
	n        *Network
	stack    string
	vpcs     []types.Vpc
	contents []*inVPC // of each VPC
	igws     []types.InternetGateway
	eips     []types.Address
	natENIs  map[string]bool
	foreign  []string
	held     *users
}

func (n *Network) observeTeardown(ctx context.Context, stack string) (*teardown, error) {
	t := &teardown{n: n, stack: stack, natENIs: map[string]bool{}}
	var err error
	if t.vpcs, err = n.vpcs(ctx, stack); err != nil {
		return nil, err
	}
	if t.igws, err = n.gateways(ctx, stackFilter(stack)); err != nil {
		return nil, err
	}
	if t.eips, err = n.addresses(ctx, stack); err != nil {
		return nil, err
	}
	t.contents = make([]*inVPC, len(t.vpcs))
	for i, v := range t.vpcs {
		vpcID := aws.ToString(v.VpcId)
		if t.contents[i], err = n.inVPC(ctx, vpcID); err != nil {
			return nil, err
		}
		f, err := n.foreign(ctx, stack, vpcID, t.contents[i])
		if err != nil {
			return nil, err
		}
		t.foreign = append(t.foreign, f...)
		maps.Copy(t.natENIs, t.contents[i].natENIs)
	}
	for _, a := range t.eips {
		if eni := aws.ToString(a.NetworkInterfaceId); eni != "" && !t.natENIs[eni] {
			t.foreign = append(t.foreign, fmt.Sprintf("Elastic IP %s of the stack, associated with %s", aws.ToString(a.PublicIp), eni))
		}
	}
	if t.held, err = n.users(ctx, stack, t.vpcIDs(), t.natENIs); err != nil {
		return nil, err
	}
	return t, nil
}

func (t *teardown) vpcIDs() []string {
	var out []string
	for _, v := range t.vpcs {
		out = append(out, aws.ToString(v.VpcId))
	}
	return out
}

// refuseForeign fails, before any write, when something not ours stands
// in the way. When only instances shutting down do, it waits for them
// first, then judges what they left.
func (t *teardown) refuseForeign(ctx context.Context) error {
	if len(t.foreign)+len(t.held.foreign) == 0 {
		held, err := t.n.awaitShutdown(ctx, t.stack, t.vpcIDs(), t.natENIs, t.held)
		if err != nil {
			return err
		}
		t.held = held
	}
	if foreign := append(t.foreign, t.held.foreign...); len(foreign) > 0 {
		return fmt.Errorf("network: delete stack %q: %w: %s; nothing was deleted: delete those first (the stacks that use this network), then run Delete again",
			t.stack, ErrForeignDependency, strings.Join(foreign, ", "))
	}
	return nil
}

// steps are the deletions in dependency order: the interfaces our
// terminated instances left (they hold subnets and groups), NAT gateways
// (their interfaces hold subnets and addresses until gone), addresses,
// route tables, internet gateways, then per VPC its subnets, security
// groups and itself.
func (t *teardown) steps() []engine.Step {
	n, stack := t.n, t.stack
	var steps []engine.Step
	del := func(kind, name, id string, apply func(context.Context) error, details ...string) {
		steps = append(steps, engine.Step{
			Change: change.Change{Action: change.Delete, Kind: kind, Name: name, ID: id, Details: details}, Apply: apply})
	}
	for _, e := range t.held.leftovers {
		id := aws.ToString(e.NetworkInterfaceId)
		del(kindInterface, id, id, func(ctx context.Context) error { return n.deleteLeftover(ctx, stack, e) },
			"left by terminated instance "+orUnknown(attachedInstance(e)))
	}
	for _, in := range t.contents {
		for _, g := range in.nats {
			if c := componentOf(g.Tags, stack); c != "" {
				id := aws.ToString(g.NatGatewayId)
				del(kindNAT, c, id, func(ctx context.Context) error { return n.deleteNATs(ctx, []string{id}) })
			}
		}
	}
	for _, a := range t.eips {
		id := aws.ToString(a.AllocationId)
		del(kindEIP, componentOf(a.Tags, stack), id, func(ctx context.Context) error { return n.releaseAddress(ctx, id) })
	}
	for _, in := range t.contents {
		for _, rt := range in.routeTables {
			if c := componentOf(rt.Tags, stack); c != "" {
				del(kindRT, c, aws.ToString(rt.RouteTableId), func(ctx context.Context) error { return n.deleteRouteTable(ctx, rt) })
			}
		}
	}
	for _, g := range t.igws {
		if c := componentOf(g.Tags, stack); c != "" {
			del(kindIGW, c, aws.ToString(g.InternetGatewayId), func(ctx context.Context) error { return n.deleteGateway(ctx, g) })
		}
	}
	for i, v := range t.vpcs {
		for _, s := range t.contents[i].subnets {
			if c := componentOf(s.Tags, stack); c != "" {
				id := aws.ToString(s.SubnetId)
				del(kindSubnet, c, id, func(ctx context.Context) error { return n.deleteSubnet(ctx, id) })
			}
		}
		for _, g := range hostGroupFirst(t.contents[i].groups, stack) {
			if c := componentOf(g.Tags, stack); c != "" {
				id := aws.ToString(g.GroupId)
				del(kindSG, c, id, func(ctx context.Context) error { return n.deleteGroup(ctx, id) })
			}
		}
		id := aws.ToString(v.VpcId)
		del(kindVPC, compVPC, id, func(ctx context.Context) error { return n.deleteVPC(ctx, id) })
	}
	return steps
}

// foreign lists what in one of our VPCs is not ours and would keep Delete
// from finishing; network interfaces are judged apart (users).
func (n *Network) foreign(ctx context.Context, stack, vpcID string, in *inVPC) ([]string, error) {
	var out []string
	for _, s := range in.subnets {
		if componentOf(s.Tags, stack) == "" {
			out = append(out, fmt.Sprintf("subnet %s (%s) in %s", aws.ToString(s.SubnetId), aws.ToString(s.CidrBlock), vpcID))
		}
	}
	for _, g := range in.groups {
		if componentOf(g.Tags, stack) == "" && aws.ToString(g.GroupName) != "default" {
			out = append(out, fmt.Sprintf("security group %s (%s) in %s", aws.ToString(g.GroupId), aws.ToString(g.GroupName), vpcID))
		}
	}
	for _, t := range in.routeTables {
		if componentOf(t.Tags, stack) == "" && !isMain(t) {
			out = append(out, fmt.Sprintf("route table %s in %s", aws.ToString(t.RouteTableId), vpcID))
		}
	}
	for _, g := range in.nats {
		if componentOf(g.Tags, stack) == "" {
			out = append(out, fmt.Sprintf("NAT gateway %s in %s", aws.ToString(g.NatGatewayId), vpcID))
		}
	}
	igws, err := n.gateways(ctx, filter("attachment.vpc-id", vpcID))
	if err != nil {
		return nil, err
	}
	for _, g := range igws {
		if componentOf(g.Tags, stack) == "" {
			out = append(out, fmt.Sprintf("internet gateway %s attached to %s", aws.ToString(g.InternetGatewayId), vpcID))
		}
	}
	return out, nil
}

func isMain(t types.RouteTable) bool {
	for _, a := range t.Associations {
		if aws.ToBool(a.Main) {
			return true
		}
	}
	return false
}
