package network

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
)

// observe validates spec and reads, once, everything Plan and Ensure
// decide on: the region's zones, the stack's VPC with its attributes and
// contents, its internet gateway and Elastic IPs, and what uses the
// subnets the Spec no longer wants. Offline (only for a plan) it reads
// nothing and sees an empty account.
func (n *Network) observe(ctx context.Context, spec Spec, plan bool) (*run, error) {
	spec = spec.WithDefaults()
	if err := spec.Validate(); err != nil {
		return nil, err
	}
	switch {
	case n.opts.Offline && !plan:
		return nil, ErrOffline
	case n.client == nil && !n.opts.Offline:
		return nil, errNoClient
	}
	r := &run{n: n, api: n.client, spec: spec, in: &inVPC{natENIs: map[string]bool{}}, ids: map[string]string{}}
	r.block, _ = parseBlock(spec.CIDR)
	if n.opts.Offline {
		for i := range spec.AZs {
			r.zones = append(r.zones, fmt.Sprintf("(zone %d)", i+1))
		}
		r.group(nil, nil)
		return r, nil
	}

	zones, err := n.zones(ctx)
	if err != nil {
		return nil, err
	}
	if len(zones) < spec.AZs {
		return nil, &ZonesError{Want: spec.AZs, Available: zones}
	}
	if err := r.readVPC(ctx); err != nil {
		return nil, err
	}
	igws, err := n.gateways(ctx, stackFilter(spec.Stack))
	if err != nil {
		return nil, err
	}
	eips, err := n.addresses(ctx, spec.Stack)
	if err != nil {
		return nil, err
	}
	r.group(igws, eips)
	r.zones = r.assignZones(zones)
	if r.inUse, err = r.readInUse(ctx); err != nil {
		return nil, err
	}
	return r, nil
}

// readVPC finds the stack's VPC, its DNS attributes and what it holds.
func (r *run) readVPC(ctx context.Context) error {
	n, spec := r.n, r.spec
	vpcs, err := n.vpcs(ctx, spec.Stack)
	if err != nil {
		return err
	}
	if len(vpcs) > 1 {
		return conflict("stack %q has %d VPCs (%s): keep one, delete the others (or run Delete and Ensure again)",
			spec.Stack, len(vpcs), joinIDs(ids(vpcs, func(v types.Vpc) *string { return v.VpcId })))
	}
	if len(vpcs) == 0 {
		return nil
	}
	vpcID := aws.ToString(vpcs[0].VpcId)
	r.ids[compVPC], r.vpcCIDR = vpcID, aws.ToString(vpcs[0].CidrBlock)
	if r.dnsSupport, err = n.vpcAttribute(ctx, vpcID, types.VpcAttributeNameEnableDnsSupport); err != nil {
		return err
	}
	if r.dnsHostnames, err = n.vpcAttribute(ctx, vpcID, types.VpcAttributeNameEnableDnsHostnames); err != nil {
		return err
	}
	r.in, err = n.inVPC(ctx, vpcID)
	return err
}

// group sorts what was read by component, dropping what is not ours.
func (r *run) group(igws []types.InternetGateway, eips []types.Address) {
	s := r.spec.Stack
	r.subnets = byComponent(r.in.subnets, s, subnetTags)
	r.routeTables = byComponent(r.in.routeTables, s, routeTableTags)
	r.groups = byComponent(r.in.groups, s, groupTags)
	r.nats = byComponent(r.in.nats, s, natTags)
	r.igws = byComponent(igws, s, gatewayTags)
	r.eips = byComponent(eips, s, addressTags)
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

// zones returns the names of the region's available availability zones,
// sorted (Local and Wavelength zones excluded: they cannot host these
// subnets' default resources).
func (n *Network) zones(ctx context.Context) ([]string, error) {
	out, err := n.client.DescribeAvailabilityZones(ctx, &ec2.DescribeAvailabilityZonesInput{
		Filters: []types.Filter{filter("state", "available"), filter("zone-type", "availability-zone")},
	})
	if err != nil {
		return nil, wrap(err, "list availability zones")
	}
	var names []string
	for _, z := range out.AvailabilityZones {
		if z.ZoneType != nil && aws.ToString(z.ZoneType) != "availability-zone" {
			continue
		}
		names = append(names, aws.ToString(z.ZoneName))
	}
	sort.Strings(names)
	return names, nil
}

// vpcs returns the VPCs tagged as the stack's "vpc".
func (n *Network) vpcs(ctx context.Context, stack string) ([]types.Vpc, error) {
	var vpcs []types.Vpc
	p := ec2.NewDescribeVpcsPaginator(n.client, &ec2.DescribeVpcsInput{Filters: []types.Filter{stackFilter(stack)}})
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			return nil, wrap(err, "find the VPC of stack %q", stack)
		}
		for _, v := range out.Vpcs {
			if componentOf(v.Tags, stack) == compVPC {
				vpcs = append(vpcs, v)
			}
		}
	}
	return vpcs, nil
}

// inVPC is everything a VPC holds that this package reads, ours or not.
type inVPC struct {
	subnets     []types.Subnet
	routeTables []types.RouteTable
	groups      []types.SecurityGroup
	nats        []types.NatGateway // pending or available only
	natENIs     map[string]bool    // interfaces of every NAT gateway, live or deleted
}

func (n *Network) inVPC(ctx context.Context, vpcID string) (*inVPC, error) {
	in := &inVPC{natENIs: map[string]bool{}}
	if vpcID == "" {
		return in, nil
	}
	byVPC := []types.Filter{filter("vpc-id", vpcID)}
	sp := ec2.NewDescribeSubnetsPaginator(n.client, &ec2.DescribeSubnetsInput{Filters: byVPC})
	for sp.HasMorePages() {
		out, err := sp.NextPage(ctx)
		if err != nil {
			return nil, wrap(err, "list the subnets of %s", vpcID)
		}
		in.subnets = append(in.subnets, out.Subnets...)
	}
	rp := ec2.NewDescribeRouteTablesPaginator(n.client, &ec2.DescribeRouteTablesInput{Filters: byVPC})
	for rp.HasMorePages() {
		out, err := rp.NextPage(ctx)
		if err != nil {
			return nil, wrap(err, "list the route tables of %s", vpcID)
		}
		in.routeTables = append(in.routeTables, out.RouteTables...)
	}
	gp := ec2.NewDescribeSecurityGroupsPaginator(n.client, &ec2.DescribeSecurityGroupsInput{Filters: byVPC})
	for gp.HasMorePages() {
		out, err := gp.NextPage(ctx)
		if err != nil {
			return nil, wrap(err, "list the security groups of %s", vpcID)
		}
		in.groups = append(in.groups, out.SecurityGroups...)
	}
	// By VPC, not by tag: not every emulator filters NAT gateways by tag;
	// tags are checked by the callers. Every state, for their interfaces.
	np := ec2.NewDescribeNatGatewaysPaginator(n.client, &ec2.DescribeNatGatewaysInput{
		Filter: []types.Filter{filter("vpc-id", vpcID)},
	})
	for np.HasMorePages() {
		out, err := np.NextPage(ctx)
		if err != nil {
			return nil, wrap(err, "list the NAT gateways of %s", vpcID)
		}
		for _, g := range out.NatGateways {
			for _, a := range g.NatGatewayAddresses {
				in.natENIs[aws.ToString(a.NetworkInterfaceId)] = true
			}
			if g.State == types.NatGatewayStatePending || g.State == types.NatGatewayStateAvailable {
				in.nats = append(in.nats, g)
			}
		}
	}
	return in, nil
}

// gateways returns the internet gateways tagged with the stack.
func (n *Network) gateways(ctx context.Context, filters ...types.Filter) ([]types.InternetGateway, error) {
	var igws []types.InternetGateway
	p := ec2.NewDescribeInternetGatewaysPaginator(n.client, &ec2.DescribeInternetGatewaysInput{Filters: filters})
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			return nil, wrap(err, "list internet gateways")
		}
		igws = append(igws, out.InternetGateways...)
	}
	return igws, nil
}

// addresses returns the Elastic IPs tagged with the stack.
func (n *Network) addresses(ctx context.Context, stack string) ([]types.Address, error) {
	out, err := n.client.DescribeAddresses(ctx, &ec2.DescribeAddressesInput{Filters: []types.Filter{stackFilter(stack)}})
	if err != nil {
		return nil, wrap(err, "list the Elastic IPs of stack %q", stack)
	}
	var ours []types.Address
	for _, a := range out.Addresses {
		if componentOf(a.Tags, stack) != "" {
			ours = append(ours, a)
		}
	}
	return ours, nil
}

// byComponent groups resources by their component tag, dropping what is
// not ours.
func byComponent[T any](items []T, stack string, tags func(T) []types.Tag) map[string][]T {
	m := map[string][]T{}
	for _, it := range items {
		if c := componentOf(tags(it), stack); c != "" {
			m[c] = append(m[c], it)
		}
	}
	return m
}

func subnetTags(s types.Subnet) []types.Tag           { return s.Tags }
func routeTableTags(t types.RouteTable) []types.Tag   { return t.Tags }
func groupTags(g types.SecurityGroup) []types.Tag     { return g.Tags }
func natTags(g types.NatGateway) []types.Tag          { return g.Tags }
func gatewayTags(g types.InternetGateway) []types.Tag { return g.Tags }
func addressTags(a types.Address) []types.Tag         { return a.Tags }
func ids[T any](items []T, id func(T) *string) []string {
	var out []string
	for _, it := range items {
		out = append(out, aws.ToString(id(it)))
	}
	slices.Sort(out)
	return out
}

func joinIDs(ids []string) string { return strings.Join(ids, ", ") }
