package network

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
)

// unwantedSubnets are the components and IDs of our subnets the Spec no
// longer wants: zones beyond Spec.AZs, private ones when PublicOnly.
func (r *run) unwantedSubnets() (comps, subnetIDs []string) {
	for comp, subnets := range r.subnets {
		private, i, ok := parseSubnet(comp)
		if ok && (i >= r.spec.AZs || private && r.spec.Topology != PrivateWithNAT) {
			comps = append(comps, comp)
			subnetIDs = append(subnetIDs, ids(subnets, func(s types.Subnet) *string { return s.SubnetId })...)
		}
	}
	slices.Sort(comps)
	return comps, subnetIDs
}

// readInUse describes the network interfaces (instances, tasks, endpoints)
// in the subnets the Spec no longer wants.
func (r *run) readInUse(ctx context.Context) ([]string, error) {
	_, subnetIDs := r.unwantedSubnets()
	if len(subnetIDs) == 0 {
		return nil, nil
	}
	return r.n.interfaces(ctx, filter("subnet-id", subnetIDs...), r.in.natENIs)
}

// unwanted decides the deletion of what the Spec no longer asks for: the
// NAT topology (private route table, NAT gateway, its address) when back
// to PublicOnly, then the subnets of zones no longer wanted. It refuses,
// deleting nothing, when something still has an interface in one of
// those subnets.
func (r *run) unwanted() ([]*item, error) {
	comps, _ := r.unwantedSubnets()
	if len(r.inUse) > 0 {
		return nil, fmt.Errorf("network: stack %q: %w: %s; they are in subnets the Spec no longer wants (%s): "+
			"stop or move them, or keep Spec.AZs and Spec.Topology as they were", r.spec.Stack, ErrForeignDependency,
			strings.Join(r.inUse, ", "), strings.Join(comps, ", "))
	}
	var items []*item
	if r.spec.Topology != PrivateWithNAT {
		for _, t := range r.routeTables[compPrivateRT] {
			items = append(items, removal(kindRT, compPrivateRT, aws.ToString(t.RouteTableId),
				func(ctx context.Context) error { return r.n.deleteRouteTable(ctx, t) }))
		}
		for _, g := range r.nats[compNAT] {
			id := aws.ToString(g.NatGatewayId)
			items = append(items, removal(kindNAT, compNAT, id,
				func(ctx context.Context) error { return r.n.deleteNATs(ctx, []string{id}) }))
		}
		for _, a := range r.eips[compNATAddress] {
			id := aws.ToString(a.AllocationId)
			items = append(items, removal(kindEIP, compNATAddress, id,
				func(ctx context.Context) error { return r.n.releaseAddress(ctx, id) }))
		}
	}
	for _, comp := range comps {
		for _, s := range r.subnets[comp] {
			id := aws.ToString(s.SubnetId)
			items = append(items, removal(kindSubnet, comp, id, func(ctx context.Context) error { return r.n.deleteSubnet(ctx, id) }))
		}
	}
	return items, nil
}
