package network

import (
	"context"
	"fmt"
	"net/netip"
	"slices"
	"sort"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
)

// Ensure makes the stack's network match spec: it creates what is missing,
// fixes what drifted (DNS attributes, public IPs on launch, routes, route
// table associations, security group rules), deletes what the Spec no
// longer wants (the NAT topology when back to PublicOnly, subnets of zones
// no longer asked for), and returns what it observed. A second call with the
// same Spec makes no write. An invalid Spec, too few zones, a conflict (see
// ErrConflict) or subnets to delete that are still in use
// (ErrForeignDependency) fail before any write.
func (n *Network) Ensure(ctx context.Context, spec Spec) (*State, error) {
	r, err := n.newRun(ctx, spec, false)
	if err != nil {
		return nil, err
	}
	// A dry pass first, on what was just read: every refusal (conflicts,
	// subnets still in use) comes before the first write.
	r.dry = true
	if err := r.reconcile(ctx); err != nil {
		return nil, err
	}
	r.dry, r.progress, r.plan = false, progress{}, &Plan{Spec: r.spec}
	if err := r.reconcile(ctx); err != nil {
		return nil, err
	}
	for _, c := range r.plan.Changes {
		if c.Action != Keep {
			n.Logger.DebugContext(ctx, "ensured", "stack", spec.Stack, "component", c.Component, "id", c.ID, "action", c.Action, "details", c.Details)
		}
	}
	return r.state, nil
}

// run is one pass of Plan (dry) or Ensure over the stack's resources: the
// same code decides for both, so the plan is what Ensure does.
type run struct {
	n     *Network
	api   API
	dry   bool
	spec  Spec
	block netip.Prefix
	zones []string // one per wanted zone, in subnet order

	plan  *Plan
	state *State

	// What was found: the VPC's attributes, and our resources by component.
	vpcID, vpcCIDR           string
	dnsSupport, dnsHostnames bool
	in                       *inVPC
	subnets                  map[string][]types.Subnet
	routeTables              map[string][]types.RouteTable
	groups                   map[string][]types.SecurityGroup
	nats                     map[string][]types.NatGateway
	igws                     map[string][]types.InternetGateway
	eips                     map[string][]types.Address

	progress
}

// progress is filled as a run goes; "" for what a dry run would create.
type progress struct {
	igwID              string
	publicIDs          []string
	privateIDs         []string
	natID, natAlloc    string
	natIP, hostGroupID string
}

func (n *Network) newRun(ctx context.Context, spec Spec, dry bool) (*run, error) {
	spec = spec.WithDefaults()
	if err := spec.Validate(); err != nil {
		return nil, err
	}
	if n.Offline && !dry {
		return nil, ErrOffline
	}
	r := &run{n: n, api: n.client, dry: dry, spec: spec, in: &inVPC{natENIs: map[string]bool{}},
		plan: &Plan{Spec: spec, Offline: n.Offline}}
	r.block, _ = parseBlock(spec.CIDR)
	if n.Offline {
		for i := range spec.AZs {
			r.zones = append(r.zones, fmt.Sprintf("(zone %d)", i+1))
		}
		r.group()
		return r, nil
	}

	zones, err := n.zones(ctx)
	if err != nil {
		return nil, err
	}
	if len(zones) < spec.AZs {
		return nil, &ZonesError{Want: spec.AZs, Available: zones}
	}

	vpcs, err := n.vpcs(ctx, spec.Stack)
	if err != nil {
		return nil, err
	}
	if len(vpcs) > 1 {
		return nil, conflict("stack %q has %d VPCs (%s): keep one, delete the others (or run Delete and Ensure again)",
			spec.Stack, len(vpcs), joinIDs(ids(vpcs, func(v types.Vpc) *string { return v.VpcId })))
	}
	if len(vpcs) == 1 {
		r.vpcID, r.vpcCIDR = aws.ToString(vpcs[0].VpcId), aws.ToString(vpcs[0].CidrBlock)
		if r.dnsSupport, err = n.vpcAttribute(ctx, r.vpcID, types.VpcAttributeNameEnableDnsSupport); err != nil {
			return nil, err
		}
		if r.dnsHostnames, err = n.vpcAttribute(ctx, r.vpcID, types.VpcAttributeNameEnableDnsHostnames); err != nil {
			return nil, err
		}
		if r.in, err = n.inVPC(ctx, r.vpcID); err != nil {
			return nil, err
		}
	}
	igws, err := n.gateways(ctx, stackFilter(spec.Stack))
	if err != nil {
		return nil, err
	}
	eips, err := n.addresses(ctx, spec.Stack)
	if err != nil {
		return nil, err
	}
	r.group()
	r.igws = byComponent(igws, spec.Stack, gatewayTags)
	r.eips = byComponent(eips, spec.Stack, addressTags)
	r.zones = r.assignZones(zones)
	return r, nil
}

// assignZones gives subnet index i (public and private alike) the zone its
// existing subnets are in, and new indexes the first zones in name order
// that no other index uses, so the subnets stay in distinct zones whatever
// was made before.
func (r *run) assignZones(region []string) []string {
	out := make([]string, r.spec.AZs)
	used := map[string]bool{}
	for i := range out {
		for _, private := range []bool{false, true} {
			if s := r.subnets[compSubnet(private, i)]; len(s) > 0 && out[i] == "" {
				out[i] = aws.ToString(s[0].AvailabilityZone)
				used[out[i]] = true
			}
		}
	}
	for i := range out {
		for _, z := range region {
			if out[i] == "" && !used[z] {
				out[i] = z
				used[z] = true
			}
		}
		if out[i] == "" { // more subnets than free zones: only if some share a zone already
			out[i] = region[i%len(region)]
		}
	}
	return out
}

func (r *run) group() {
	s := r.spec.Stack
	r.subnets = byComponent(r.in.subnets, s, subnetTags)
	r.routeTables = byComponent(r.in.routeTables, s, routeTableTags)
	r.groups = byComponent(r.in.groups, s, groupTags)
	r.nats = byComponent(r.in.nats, s, natTags)
	r.igws = map[string][]types.InternetGateway{}
	r.eips = map[string][]types.Address{}
}

func (n *Network) vpcAttribute(ctx context.Context, vpcID string, name types.VpcAttributeName) (bool, error) {
	out, err := n.client.DescribeVpcAttribute(ctx, &ec2.DescribeVpcAttributeInput{VpcId: aws.String(vpcID), Attribute: name})
	if err != nil {
		return false, wrap(err, "read %s of %s", name, vpcID)
	}
	v := out.EnableDnsSupport
	if name == types.VpcAttributeNameEnableDnsHostnames {
		v = out.EnableDnsHostnames
	}
	return v != nil && aws.ToBool(v.Value), nil
}

func conflict(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrConflict, fmt.Sprintf(format, args...))
}

// single returns the one resource of a component, nil when there is none,
// and a conflict when there are several.
func single[T any](m map[string][]T, stack, component string, id func(T) *string) (*T, error) {
	switch items := m[component]; len(items) {
	case 0:
		return nil, nil
	case 1:
		return &items[0], nil
	default:
		return nil, conflict("stack %q has %d resources tagged %s (%s): delete all but one",
			stack, len(items), component, joinIDs(ids(items, id)))
	}
}

// do runs a write, unless the run is a plan.
func (r *run) do(ctx context.Context, what string, f func(context.Context) error) error {
	if r.dry {
		return nil
	}
	r.n.Logger.DebugContext(ctx, what, "stack", r.spec.Stack)
	return f(ctx)
}

func newChange(component, id string) *Change {
	c := &Change{Component: component, ID: id, Action: Keep}
	if id == "" {
		c.Action = Create
	}
	return c
}

// fix records a drift being fixed (or, on a resource being created, one
// more thing it gets).
func (c *Change) fix(detail string) {
	if c.Action == Keep {
		c.Action = Update
	}
	c.Details = append(c.Details, detail)
}

func (r *run) record(c *Change) { r.plan.Changes = append(r.plan.Changes, *c) }

func (r *run) reconcile(ctx context.Context) error {
	nat := r.spec.Topology == PrivateWithNAT
	steps := []func(context.Context) error{
		r.ensureVPC,
		r.ensureGateway,
		func(ctx context.Context) error { return r.ensureSubnets(ctx, false) },
		func(ctx context.Context) error { return r.ensureRoutes(ctx, false) },
	}
	if nat {
		steps = append(steps,
			func(ctx context.Context) error { return r.ensureSubnets(ctx, true) },
			r.ensureNATAddress,
			r.ensureNAT,
			func(ctx context.Context) error { return r.ensureRoutes(ctx, true) },
		)
	}
	steps = append(steps, r.ensureHostGroup, r.removeUnwanted)
	for _, step := range steps {
		if err := step(ctx); err != nil {
			return err
		}
	}
	r.state = &State{
		Stack: r.spec.Stack, VPCID: r.vpcID, CIDR: r.spec.CIDR, AZs: r.stateZones(),
		PublicSubnetIDs: r.publicIDs, PrivateSubnetIDs: r.privateIDs,
		InternetGatewayID: r.igwID, HostSecurityGroupID: r.hostGroupID,
		NAT: nat, NATGatewayID: r.natID, NATPublicIP: r.natIP, NATAllocationID: r.natAlloc,
	}
	return nil
}

// stateZones are the zones of the public subnets as found (a subnet never
// moves), or as chosen for the ones created.
func (r *run) stateZones() []string {
	zs := slices.Clone(r.zones)
	for i := range zs {
		if s := r.subnets[compSubnet(false, i)]; len(s) == 1 {
			zs[i] = aws.ToString(s[0].AvailabilityZone)
		}
	}
	return zs
}

func (r *run) ensureVPC(ctx context.Context) error {
	c := newChange(compVPC, r.vpcID)
	if r.vpcID == "" {
		c.Details = []string{r.spec.CIDR, "DNS hostnames on"}
		err := r.do(ctx, "create VPC", func(ctx context.Context) error {
			out, err := r.api.CreateVpc(ctx, &ec2.CreateVpcInput{
				CidrBlock:         aws.String(r.spec.CIDR),
				TagSpecifications: tagSpec(r.spec.Stack, compVPC, types.ResourceTypeVpc),
			})
			if err != nil {
				return wrap(err, "create VPC %s", r.spec.CIDR)
			}
			r.vpcID = aws.ToString(out.Vpc.VpcId)
			c.ID = r.vpcID
			w := ec2.NewVpcAvailableWaiter(r.api, func(o *ec2.VpcAvailableWaiterOptions) {
				o.MinDelay, o.MaxDelay = r.n.Delays.Min, r.n.Delays.Max
			})
			if err := w.Wait(ctx, &ec2.DescribeVpcsInput{VpcIds: []string{r.vpcID}}, r.n.Timeout); err != nil {
				return wrap(err, "wait for VPC %s", r.vpcID)
			}
			return r.setVPCAttribute(ctx, types.VpcAttributeNameEnableDnsHostnames)
		})
		if err != nil {
			return err
		}
		r.record(c)
		return nil
	}
	if r.vpcCIDR != r.spec.CIDR {
		return conflict("VPC %s of stack %q has block %s and the Spec says %s: a VPC's block cannot change; set Spec.CIDR to %s, or Delete the stack first",
			r.vpcID, r.spec.Stack, r.vpcCIDR, r.spec.CIDR, r.vpcCIDR)
	}
	for _, a := range []struct {
		on   bool
		name types.VpcAttributeName
	}{{r.dnsSupport, types.VpcAttributeNameEnableDnsSupport}, {r.dnsHostnames, types.VpcAttributeNameEnableDnsHostnames}} {
		if a.on {
			continue
		}
		c.fix(string(a.name) + " off -> on")
		if err := r.do(ctx, "fix "+string(a.name), func(ctx context.Context) error { return r.setVPCAttribute(ctx, a.name) }); err != nil {
			return err
		}
	}
	r.record(c)
	return nil
}

func (r *run) setVPCAttribute(ctx context.Context, name types.VpcAttributeName) error {
	in := &ec2.ModifyVpcAttributeInput{VpcId: aws.String(r.vpcID)}
	on := &types.AttributeBooleanValue{Value: aws.Bool(true)}
	if name == types.VpcAttributeNameEnableDnsHostnames {
		in.EnableDnsHostnames = on
	} else {
		in.EnableDnsSupport = on
	}
	_, err := r.api.ModifyVpcAttribute(ctx, in)
	return wrap(err, "turn on %s of %s", name, r.vpcID)
}

func (r *run) ensureGateway(ctx context.Context) error {
	igw, err := single(r.igws, r.spec.Stack, compIGW, func(g types.InternetGateway) *string { return g.InternetGatewayId })
	if err != nil {
		return err
	}
	attached := false
	if igw != nil {
		r.igwID = aws.ToString(igw.InternetGatewayId)
		for _, a := range igw.Attachments {
			if a.State == types.AttachmentStatusDetached || a.State == types.AttachmentStatusDetaching {
				continue
			}
			if r.vpcID == "" || aws.ToString(a.VpcId) != r.vpcID {
				return conflict("internet gateway %s of stack %q is attached to %s, not to the stack's VPC: detach it",
					r.igwID, r.spec.Stack, aws.ToString(a.VpcId))
			}
			attached = true
		}
	}
	c := newChange(compIGW, r.igwID)
	if igw == nil {
		c.Details = []string{"attach to the VPC"}
		err := r.do(ctx, "create internet gateway", func(ctx context.Context) error {
			out, err := r.api.CreateInternetGateway(ctx, &ec2.CreateInternetGatewayInput{
				TagSpecifications: tagSpec(r.spec.Stack, compIGW, types.ResourceTypeInternetGateway),
			})
			if err != nil {
				return wrap(err, "create internet gateway")
			}
			r.igwID = aws.ToString(out.InternetGateway.InternetGatewayId)
			c.ID = r.igwID
			return nil
		})
		if err != nil {
			return err
		}
	} else if !attached {
		c.fix("detached -> attach to the VPC")
	}
	if !attached {
		err := r.do(ctx, "attach internet gateway", func(ctx context.Context) error {
			_, err := r.api.AttachInternetGateway(ctx, &ec2.AttachInternetGatewayInput{
				InternetGatewayId: aws.String(r.igwID), VpcId: aws.String(r.vpcID)})
			return wrap(err, "attach internet gateway %s to %s", r.igwID, r.vpcID)
		})
		if err != nil {
			return err
		}
	}
	r.record(c)
	return nil
}

// ensureSubnets makes the public or private subnet of each wanted zone.
func (r *run) ensureSubnets(ctx context.Context, private bool) error {
	mapPublic := !private
	for i := range r.spec.AZs {
		comp := compSubnet(private, i)
		s, err := single(r.subnets, r.spec.Stack, comp, func(s types.Subnet) *string { return s.SubnetId })
		if err != nil {
			return err
		}
		want := subnetCIDR(r.block, private, i).String()
		var id string
		if s != nil {
			id = aws.ToString(s.SubnetId)
		}
		c := newChange(comp, id)
		if s == nil {
			c.Details = []string{want + " in " + r.zones[i]}
			if mapPublic {
				c.Details = append(c.Details, "public IPv4 on launch")
			}
			err := r.do(ctx, "create subnet "+comp, func(ctx context.Context) error {
				out, err := r.api.CreateSubnet(ctx, &ec2.CreateSubnetInput{
					VpcId: aws.String(r.vpcID), CidrBlock: aws.String(want), AvailabilityZone: aws.String(r.zones[i]),
					TagSpecifications: tagSpec(r.spec.Stack, comp, types.ResourceTypeSubnet),
				})
				if err != nil {
					return wrap(err, "create subnet %s (%s in %s)", comp, want, r.zones[i])
				}
				id = aws.ToString(out.Subnet.SubnetId)
				c.ID = id
				return nil
			})
			if err != nil {
				return err
			}
		} else if got := aws.ToString(s.CidrBlock); got != want {
			return conflict("subnet %s (%s) of stack %q has block %s where the layout wants %s: a subnet's block cannot change; "+
				"set Spec.CIDR back to the one the stack was made with, or Delete the stack first", id, comp, r.spec.Stack, got, want)
		}
		if s == nil && mapPublic || s != nil && aws.ToBool(s.MapPublicIpOnLaunch) != mapPublic {
			if s != nil {
				c.fix(fmt.Sprintf("public IPv4 on launch %t -> %t", !mapPublic, mapPublic))
			}
			err := r.do(ctx, "set public IPv4 on launch of "+comp, func(ctx context.Context) error {
				_, err := r.api.ModifySubnetAttribute(ctx, &ec2.ModifySubnetAttributeInput{
					SubnetId: aws.String(id), MapPublicIpOnLaunch: &types.AttributeBooleanValue{Value: aws.Bool(mapPublic)}})
				return wrap(err, "set public IPv4 on launch of %s %s", comp, id)
			})
			if err != nil {
				return err
			}
		}
		if private {
			r.privateIDs = append(r.privateIDs, id)
		} else {
			r.publicIDs = append(r.publicIDs, id)
		}
		r.record(c)
	}
	return nil
}

// ensureRoutes makes the public route table (default route to the internet
// gateway) or the private one (default route to the NAT gateway), and
// associates it with its subnets.
func (r *run) ensureRoutes(ctx context.Context, private bool) error {
	comp, targetID, targetName, subnets := compPublicRT, r.igwID, "internet gateway", r.publicIDs
	if private {
		comp, targetID, targetName, subnets = compPrivateRT, r.natID, "NAT gateway", r.privateIDs
	}
	rt, err := single(r.routeTables, r.spec.Stack, comp, func(t types.RouteTable) *string { return t.RouteTableId })
	if err != nil {
		return err
	}
	var rtID string
	if rt != nil {
		rtID = aws.ToString(rt.RouteTableId)
	}
	c := newChange(comp, rtID)
	if rt == nil {
		err := r.do(ctx, "create route table "+comp, func(ctx context.Context) error {
			out, err := r.api.CreateRouteTable(ctx, &ec2.CreateRouteTableInput{
				VpcId: aws.String(r.vpcID), TagSpecifications: tagSpec(r.spec.Stack, comp, types.ResourceTypeRouteTable)})
			if err != nil {
				return wrap(err, "create route table %s", comp)
			}
			rtID = aws.ToString(out.RouteTable.RouteTableId)
			c.ID = rtID
			return nil
		})
		if err != nil {
			return err
		}
	}

	// The default route.
	var route *types.Route
	if rt != nil {
		for i := range rt.Routes {
			if aws.ToString(rt.Routes[i].DestinationCidrBlock) == "0.0.0.0/0" {
				route = &rt.Routes[i]
			}
		}
	}
	routeIn := func() (*ec2.CreateRouteInput, *ec2.ReplaceRouteInput) {
		cr := &ec2.CreateRouteInput{RouteTableId: aws.String(rtID), DestinationCidrBlock: aws.String("0.0.0.0/0")}
		rr := &ec2.ReplaceRouteInput{RouteTableId: aws.String(rtID), DestinationCidrBlock: aws.String("0.0.0.0/0")}
		if private {
			cr.NatGatewayId, rr.NatGatewayId = aws.String(targetID), aws.String(targetID)
		} else {
			cr.GatewayId, rr.GatewayId = aws.String(targetID), aws.String(targetID)
		}
		return cr, rr
	}
	switch {
	case route == nil:
		if rt == nil {
			c.Details = append(c.Details, "route 0.0.0.0/0 -> "+targetName)
		} else {
			c.fix("route 0.0.0.0/0 missing -> " + targetName)
		}
		err = r.do(ctx, "create default route of "+comp, func(ctx context.Context) error {
			cr, _ := routeIn()
			_, err := r.api.CreateRoute(ctx, cr)
			return wrap(err, "create route 0.0.0.0/0 of %s %s to %s", comp, rtID, targetID)
		})
	case targetID == "" || routeTarget(*route) != targetID || route.State == types.RouteStateBlackhole:
		c.fix(fmt.Sprintf("route 0.0.0.0/0 -> %s (was %s)", targetName, describeRoute(*route)))
		err = r.do(ctx, "replace default route of "+comp, func(ctx context.Context) error {
			_, rr := routeIn()
			_, err := r.api.ReplaceRoute(ctx, rr)
			return wrap(err, "replace route 0.0.0.0/0 of %s %s with %s", comp, rtID, targetID)
		})
	}
	if err != nil {
		return err
	}

	// The associations: where each of our subnets is associated now.
	current := map[string]types.RouteTableAssociation{}
	for _, t := range r.in.routeTables {
		for _, a := range t.Associations {
			if a.SubnetId != nil && !disassociated(a) {
				current[aws.ToString(a.SubnetId)] = a
			}
		}
	}
	for i, subnetID := range subnets {
		sc := compSubnet(private, i)
		a, found := current[subnetID]
		switch {
		case subnetID != "" && found && aws.ToString(a.RouteTableId) == rtID:
			continue
		case subnetID != "" && found:
			c.fix(fmt.Sprintf("move %s from %s", sc, aws.ToString(a.RouteTableId)))
			err = r.do(ctx, "move "+sc+" to "+comp, func(ctx context.Context) error {
				_, err := r.api.ReplaceRouteTableAssociation(ctx, &ec2.ReplaceRouteTableAssociationInput{
					AssociationId: a.RouteTableAssociationId, RouteTableId: aws.String(rtID)})
				return wrap(err, "associate %s %s with %s %s", sc, subnetID, comp, rtID)
			})
		default:
			if rt == nil {
				c.Details = append(c.Details, "associate "+sc)
			} else {
				c.fix("associate " + sc)
			}
			err = r.do(ctx, "associate "+sc+" with "+comp, func(ctx context.Context) error {
				_, err := r.api.AssociateRouteTable(ctx, &ec2.AssociateRouteTableInput{
					RouteTableId: aws.String(rtID), SubnetId: aws.String(subnetID)})
				return wrap(err, "associate %s %s with %s %s", sc, subnetID, comp, rtID)
			})
		}
		if err != nil {
			return err
		}
	}
	r.record(c)
	return nil
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

func (r *run) ensureNATAddress(ctx context.Context) error {
	a, err := single(r.eips, r.spec.Stack, compNATAddress, func(a types.Address) *string { return a.AllocationId })
	if err != nil {
		return err
	}
	if a != nil {
		r.natAlloc, r.natIP = aws.ToString(a.AllocationId), aws.ToString(a.PublicIp)
		r.record(newChange(compNATAddress, r.natAlloc))
		return nil
	}
	c := newChange(compNATAddress, "")
	c.Details = []string{"Elastic IP for the NAT gateway"}
	err = r.do(ctx, "allocate the NAT's Elastic IP", func(ctx context.Context) error {
		out, err := r.api.AllocateAddress(ctx, &ec2.AllocateAddressInput{
			Domain: types.DomainTypeVpc, TagSpecifications: tagSpec(r.spec.Stack, compNATAddress, types.ResourceTypeElasticIp)})
		if err != nil {
			return wrap(err, "allocate the NAT gateway's Elastic IP")
		}
		r.natAlloc, r.natIP = aws.ToString(out.AllocationId), aws.ToString(out.PublicIp)
		c.ID = r.natAlloc
		return nil
	})
	if err != nil {
		return err
	}
	r.record(c)
	return nil
}

func (r *run) ensureNAT(ctx context.Context) error {
	g, err := single(r.nats, r.spec.Stack, compNAT, func(g types.NatGateway) *string { return g.NatGatewayId })
	if err != nil {
		return err
	}
	if g != nil {
		r.natID = aws.ToString(g.NatGatewayId)
		c := newChange(compNAT, r.natID)
		if g.State == types.NatGatewayStatePending && !r.dry {
			if err := r.waitNAT(ctx); err != nil {
				return err
			}
		}
		r.record(c)
		return nil
	}
	c := newChange(compNAT, "")
	c.Details = []string{"in " + compSubnet(false, 0) + " with " + compNATAddress}
	err = r.do(ctx, "create NAT gateway", func(ctx context.Context) error {
		out, err := r.api.CreateNatGateway(ctx, &ec2.CreateNatGatewayInput{
			SubnetId: aws.String(r.publicIDs[0]), AllocationId: aws.String(r.natAlloc),
			ConnectivityType:  types.ConnectivityTypePublic,
			TagSpecifications: tagSpec(r.spec.Stack, compNAT, types.ResourceTypeNatgateway),
		})
		if err != nil {
			return wrap(err, "create NAT gateway in %s", r.publicIDs[0])
		}
		r.natID = aws.ToString(out.NatGateway.NatGatewayId)
		c.ID = r.natID
		return r.waitNAT(ctx)
	})
	if err != nil {
		return err
	}
	r.record(c)
	return nil
}

func (r *run) waitNAT(ctx context.Context) error {
	w := ec2.NewNatGatewayAvailableWaiter(r.api, func(o *ec2.NatGatewayAvailableWaiterOptions) {
		o.MinDelay, o.MaxDelay = r.n.Delays.Min, r.n.Delays.Max
	})
	err := w.Wait(ctx, &ec2.DescribeNatGatewaysInput{NatGatewayIds: []string{r.natID}}, r.n.Timeout)
	return wrap(err, "wait for NAT gateway %s to be available", r.natID)
}

func (r *run) ensureHostGroup(ctx context.Context) error {
	g, err := single(r.groups, r.spec.Stack, compHostSG, func(g types.SecurityGroup) *string { return g.GroupId })
	if err != nil {
		return err
	}
	wantIn := desiredIngress(r.spec)
	var haveIn, haveOut []rule
	c := newChange(compHostSG, "")
	if g != nil {
		r.hostGroupID = aws.ToString(g.GroupId)
		c = newChange(compHostSG, r.hostGroupID)
		haveIn, haveOut = rulesOf(g.IpPermissions), rulesOf(g.IpPermissionsEgress)
	} else {
		name := r.spec.Stack + "-host"
		haveOut = openEgress // AWS gives every new group this rule
		err := r.do(ctx, "create security group "+compHostSG, func(ctx context.Context) error {
			out, err := r.api.CreateSecurityGroup(ctx, &ec2.CreateSecurityGroupInput{
				GroupName: aws.String(name), VpcId: aws.String(r.vpcID),
				Description:       aws.String("ECS host of stack " + r.spec.Stack + ": backend ports in, everything out"),
				TagSpecifications: tagSpec(r.spec.Stack, compHostSG, types.ResourceTypeSecurityGroup),
			})
			if err != nil {
				return wrap(err, "create security group %s", name)
			}
			r.hostGroupID = aws.ToString(out.GroupId)
			c.ID = r.hostGroupID
			return nil
		})
		if err != nil {
			return err
		}
	}
	addIn, delIn := diffRules(wantIn, haveIn)
	addOut, delOut := diffRules(openEgress, haveOut)
	detail := func(verb string, rs []rule, inbound bool) {
		for _, x := range rs {
			d := verb + " " + x.describe(inbound)
			if g == nil {
				c.Details = append(c.Details, d)
			} else {
				c.fix(d)
			}
		}
	}
	detail("allow", addIn, true)
	detail("allow", addOut, false)
	detail("revoke", delIn, true)
	detail("revoke", delOut, false)
	gid := func() *string { return aws.String(r.hostGroupID) }
	// Add before revoking, so a changed rule never leaves a gap.
	if len(addIn) > 0 {
		err = r.do(ctx, "authorize ingress", func(ctx context.Context) error {
			_, err := r.api.AuthorizeSecurityGroupIngress(ctx, &ec2.AuthorizeSecurityGroupIngressInput{GroupId: gid(), IpPermissions: permsOf(addIn)})
			return wrap(err, "allow %d inbound rules in %s", len(addIn), r.hostGroupID)
		})
	}
	if err == nil && len(addOut) > 0 {
		err = r.do(ctx, "authorize egress", func(ctx context.Context) error {
			_, err := r.api.AuthorizeSecurityGroupEgress(ctx, &ec2.AuthorizeSecurityGroupEgressInput{GroupId: gid(), IpPermissions: permsOf(addOut)})
			return wrap(err, "allow outbound traffic in %s", r.hostGroupID)
		})
	}
	if err == nil && len(delIn) > 0 {
		err = r.do(ctx, "revoke ingress", func(ctx context.Context) error {
			_, err := r.api.RevokeSecurityGroupIngress(ctx, &ec2.RevokeSecurityGroupIngressInput{GroupId: gid(), IpPermissions: permsOf(delIn)})
			return wrap(err, "revoke %d inbound rules of %s", len(delIn), r.hostGroupID)
		})
	}
	if err == nil && len(delOut) > 0 {
		err = r.do(ctx, "revoke egress", func(ctx context.Context) error {
			_, err := r.api.RevokeSecurityGroupEgress(ctx, &ec2.RevokeSecurityGroupEgressInput{GroupId: gid(), IpPermissions: permsOf(delOut)})
			return wrap(err, "revoke %d outbound rules of %s", len(delOut), r.hostGroupID)
		})
	}
	if err != nil {
		return err
	}
	r.record(c)
	return nil
}

// removeNAT deletes the NAT topology of a stack back to PublicOnly: the
// private route table, the NAT gateway, its address, the private subnets.
func (r *run) removeNAT(ctx context.Context) error {
	for _, t := range r.routeTables[compPrivateRT] {
		if err := r.remove(ctx, compPrivateRT, aws.ToString(t.RouteTableId), func(ctx context.Context) error {
			return r.n.deleteRouteTable(ctx, t)
		}); err != nil {
			return err
		}
	}
	for _, g := range r.nats[compNAT] {
		id := aws.ToString(g.NatGatewayId)
		if err := r.remove(ctx, compNAT, id, func(ctx context.Context) error { return r.n.deleteNATs(ctx, []string{id}) }); err != nil {
			return err
		}
	}
	for _, a := range r.eips[compNATAddress] {
		id := aws.ToString(a.AllocationId)
		if err := r.remove(ctx, compNATAddress, id, func(ctx context.Context) error { return r.n.releaseAddress(ctx, id) }); err != nil {
			return err
		}
	}
	return nil
}

// removeUnwanted deletes what the Spec no longer asks for: the NAT
// topology when back to PublicOnly, subnets of zones no longer wanted. It
// first makes sure no instance or task still has an interface in those
// subnets: if one has, it deletes nothing.
func (r *run) removeUnwanted(ctx context.Context) error {
	var comps, subnetIDs []string
	for comp, subnets := range r.subnets {
		private, i, ok := parseSubnet(comp)
		if ok && (i >= r.spec.AZs || private && r.spec.Topology != PrivateWithNAT) {
			comps = append(comps, comp)
			subnetIDs = append(subnetIDs, ids(subnets, func(s types.Subnet) *string { return s.SubnetId })...)
		}
	}
	sort.Strings(comps)
	if len(subnetIDs) > 0 {
		users, err := r.n.interfaces(ctx, filter("subnet-id", subnetIDs...), r.in.natENIs)
		if err != nil {
			return err
		}
		if len(users) > 0 {
			return fmt.Errorf("network: stack %q: %w: %s; they are in subnets the Spec no longer wants (%s): "+
				"stop or move them, or keep Spec.AZs and Spec.Topology as they were", r.spec.Stack, ErrForeignDependency,
				strings.Join(users, ", "), strings.Join(comps, ", "))
		}
	}
	if r.spec.Topology != PrivateWithNAT {
		if err := r.removeNAT(ctx); err != nil {
			return err
		}
	}
	for _, comp := range comps {
		for _, s := range r.subnets[comp] {
			id := aws.ToString(s.SubnetId)
			if err := r.remove(ctx, comp, id, func(ctx context.Context) error { return r.n.deleteSubnet(ctx, id) }); err != nil {
				return err
			}
		}
	}
	return nil
}

func (r *run) remove(ctx context.Context, comp, id string, f func(context.Context) error) error {
	if err := r.do(ctx, "delete "+comp, f); err != nil {
		return err
	}
	r.record(&Change{Component: comp, ID: id, Action: Delete, Details: []string{"no longer in the Spec"}})
	return nil
}
