package network

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/manga-alert-italia/mangaalert/internal/awserr"
)

// routeTable is what one of our route tables must say: the public one
// sends 0.0.0.0/0 to the internet gateway, the private one to the NAT
// gateway.
type routeTable struct {
	comp       string
	target     string // the component the default route goes to
	targetName string
	private    bool
}

func routeTableOf(private bool) routeTable {
	if private {
		return routeTable{comp: compPrivateRT, target: compNAT, targetName: "NAT gateway", private: true}
	}
	return routeTable{comp: compPublicRT, target: compIGW, targetName: "internet gateway"}
}

// routes decides a route table: created, its default route created or
// pointed back at its target, and each subnet of its kind associated with
// it (or moved back to it).
func (r *run) routes(private bool) ([]*item, error) {
	want := routeTableOf(private)
	rt, err := single(r.routeTables, r.spec.Stack, want.comp, func(t types.RouteTable) *string { return t.RouteTableId })
	if err != nil {
		return nil, err
	}
	if rt != nil {
		r.ids[want.comp] = aws.ToString(rt.RouteTableId)
	}
	it := newItem(kindRT, want.comp, r.ids[want.comp])
	if rt == nil {
		it.then(r.createRouteTable(want.comp))
	}
	r.defaultRoute(it, rt, want)
	r.associations(it, want)
	return []*item{it}, nil
}

func (r *run) createRouteTable(comp string) func(context.Context) error {
	return func(ctx context.Context) error {
		out, err := r.api.CreateRouteTable(ctx, &ec2.CreateRouteTableInput{
			VpcId: aws.String(r.ids[compVPC]), TagSpecifications: tagSpec(r.spec.Stack, comp, types.ResourceTypeRouteTable)})
		if err != nil {
			return wrap(err, "create route table %s", comp)
		}
		r.ids[comp] = aws.ToString(out.RouteTable.RouteTableId)
		return nil
	}
}

// defaultRoute adds to it the creation or the fix of the table's 0.0.0.0/0
// route; rt is nil when the table does not exist yet.
func (r *run) defaultRoute(it *item, rt *types.RouteTable, want routeTable) {
	var route *types.Route
	if rt != nil {
		for i := range rt.Routes {
			if aws.ToString(rt.Routes[i].DestinationCidrBlock) == "0.0.0.0/0" {
				route = &rt.Routes[i]
			}
		}
	}
	targetID := r.ids[want.target] // "" when a step before creates it
	switch {
	case route == nil:
		detail := "route 0.0.0.0/0 missing -> "
		if rt == nil {
			detail = "route 0.0.0.0/0 -> "
		}
		it.note(detail + want.targetName)
		it.then(func(ctx context.Context) error {
			rtID, target := r.ids[want.comp], r.ids[want.target]
			in := &ec2.CreateRouteInput{RouteTableId: aws.String(rtID), DestinationCidrBlock: aws.String("0.0.0.0/0")}
			if want.private {
				in.NatGatewayId = aws.String(target)
			} else {
				in.GatewayId = aws.String(target)
			}
			_, err := r.api.CreateRoute(ctx, in)
			if awserr.Is(err, "RouteAlreadyExists") {
				// Made meanwhile, or by this very call whose answer was lost
				// and which the SDK's retryer sent again: set it, whatever it
				// points to now.
				_, err = r.api.ReplaceRoute(ctx, &ec2.ReplaceRouteInput{RouteTableId: in.RouteTableId,
					DestinationCidrBlock: in.DestinationCidrBlock, GatewayId: in.GatewayId, NatGatewayId: in.NatGatewayId})
			}
			return wrap(err, "create route 0.0.0.0/0 of %s %s to %s", want.comp, rtID, target)
		})
	case targetID == "" || routeTarget(*route) != targetID || route.State == types.RouteStateBlackhole:
		it.note(fmt.Sprintf("route 0.0.0.0/0 -> %s (was %s)", want.targetName, describeRoute(*route)))
		it.then(func(ctx context.Context) error {
			rtID, target := r.ids[want.comp], r.ids[want.target]
			in := &ec2.ReplaceRouteInput{RouteTableId: aws.String(rtID), DestinationCidrBlock: aws.String("0.0.0.0/0")}
			if want.private {
				in.NatGatewayId = aws.String(target)
			} else {
				in.GatewayId = aws.String(target)
			}
			_, err := r.api.ReplaceRoute(ctx, in)
			return wrap(err, "replace route 0.0.0.0/0 of %s %s with %s", want.comp, rtID, target)
		})
	}
}

// associations adds to it the association of each subnet of the table's
// kind that is not associated with it: moved from another table, or
// associated for the first time.
func (r *run) associations(it *item, want routeTable) {
	current := map[string]types.RouteTableAssociation{} // by subnet
	for _, t := range r.in.routeTables {
		for _, a := range t.Associations {
			if a.SubnetId != nil && !disassociated(a) {
				current[aws.ToString(a.SubnetId)] = a
			}
		}
	}
	for i := range r.spec.AZs {
		sc := compSubnet(want.private, i)
		subnetID := r.ids[sc] // "" when a step before creates it
		a, found := current[subnetID]
		switch {
		case subnetID != "" && found && aws.ToString(a.RouteTableId) == r.ids[want.comp]:
			continue
		case subnetID != "" && found:
			it.note(fmt.Sprintf("move %s from %s", sc, aws.ToString(a.RouteTableId)))
			it.then(func(ctx context.Context) error {
				rtID := r.ids[want.comp]
				_, err := r.api.ReplaceRouteTableAssociation(ctx, &ec2.ReplaceRouteTableAssociationInput{
					AssociationId: a.RouteTableAssociationId, RouteTableId: aws.String(rtID)})
				return wrap(err, "associate %s %s with %s %s", sc, subnetID, want.comp, rtID)
			})
		default:
			it.note("associate " + sc)
			it.then(func(ctx context.Context) error {
				rtID, subnetID := r.ids[want.comp], r.ids[sc]
				_, err := r.api.AssociateRouteTable(ctx, &ec2.AssociateRouteTableInput{
					RouteTableId: aws.String(rtID), SubnetId: aws.String(subnetID)})
				return wrap(err, "associate %s %s with %s %s", sc, subnetID, want.comp, rtID)
			})
		}
	}
}

func disassociated(a types.RouteTableAssociation) bool {
	return a.AssociationState != nil && (a.AssociationState.State == types.RouteTableAssociationStateCodeDisassociated ||
		a.AssociationState.State == types.RouteTableAssociationStateCodeDisassociating)
}

func routeTarget(rt types.Route) string {
	for _, id := range []*string{rt.GatewayId, rt.NatGatewayId, rt.InstanceId, rt.NetworkInterfaceId,
		rt.TransitGatewayId, rt.VpcPeeringConnectionId, rt.EgressOnlyInternetGatewayId, rt.LocalGatewayId} {
		if id != nil {
			return aws.ToString(id)
		}
	}
	return ""
}

func describeRoute(rt types.Route) string {
	s := routeTarget(rt)
	if s == "" {
		s = "no target"
	}
	if rt.State == types.RouteStateBlackhole {
		s += ", blackhole"
	}
	return s
}
