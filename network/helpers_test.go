package network_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/manga-alert-italia/mangaalert/change"
	"github.com/manga-alert-italia/mangaalert/integration"
	"github.com/manga-alert-italia/mangaalert/network"
	"github.com/manga-alert-italia/mangaalert/resource"
)

// world is one fresh emulator account: the package under test, a plain
// client to look at (or tamper with) what it did, and its call recorder.
type world struct {
	net    *network.Network
	ec2    *ec2.Client
	calls  *integration.Calls
	cfg    aws.Config
	stack  string
	ctx    context.Context
	cancel context.CancelFunc
}

func newWorld(t testing.TB, opts ...func(*network.Options)) *world {
	t.Helper()
	cfg := integration.Config(t, integration.EC2)
	look := ec2.NewFromConfig(cfg) // built before Record: its calls are not counted
	calls := integration.Record(&cfg)
	opts = append([]func(*network.Options){fast}, opts...)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return &world{net: network.New(ec2.NewFromConfig(cfg), opts...),
		ec2: look, calls: calls, cfg: cfg, stack: "test", ctx: ctx, cancel: cancel}
}

// fast makes the waits of a test short: the emulator answers at once.
func fast(o *network.Options) {
	o.MinDelay, o.MaxDelay, o.Timeout = time.Millisecond, 20*time.Millisecond, 30*time.Second
}

func offline(o *network.Options) { o.Offline = true }

// withoutChanges is a State without what the Ensure that returned it
// changed: what two Ensures of one network share.
func withoutChanges(s *network.State) *network.State {
	c := *s
	c.Changes = nil
	return &c
}

// find returns the change of a component in a plan, by its Name.
func find(p *change.Plan, component string) (change.Change, bool) {
	for _, c := range p.Changes {
		if c.Name == component {
			return c, true
		}
	}
	return change.Change{}, false
}

// inventory counts the live resources carrying the stack tag, by component.
func (w *world) inventory(t testing.TB) map[string]int {
	t.Helper()
	ctx, byTag := w.ctx, []types.Filter{{Name: aws.String("tag:" + resource.TagStack), Values: []string{w.stack}}}
	inv := map[string]int{}
	count := func(tags []types.Tag) {
		var stack, comp string
		for _, tg := range tags {
			switch aws.ToString(tg.Key) {
			case resource.TagStack:
				stack = aws.ToString(tg.Value)
			case resource.TagComponent:
				comp = aws.ToString(tg.Value)
			}
		}
		if stack == w.stack {
			inv[comp]++
		}
	}
	vpcs, err := w.ec2.DescribeVpcs(ctx, &ec2.DescribeVpcsInput{Filters: byTag})
	require.NoError(t, err)
	for _, x := range vpcs.Vpcs {
		count(x.Tags)
	}
	subnets, err := w.ec2.DescribeSubnets(ctx, &ec2.DescribeSubnetsInput{Filters: byTag})
	require.NoError(t, err)
	for _, x := range subnets.Subnets {
		count(x.Tags)
	}
	igws, err := w.ec2.DescribeInternetGateways(ctx, &ec2.DescribeInternetGatewaysInput{Filters: byTag})
	require.NoError(t, err)
	for _, x := range igws.InternetGateways {
		count(x.Tags)
	}
	rts, err := w.ec2.DescribeRouteTables(ctx, &ec2.DescribeRouteTablesInput{Filters: byTag})
	require.NoError(t, err)
	for _, x := range rts.RouteTables {
		count(x.Tags)
	}
	sgs, err := w.ec2.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{Filters: byTag})
	require.NoError(t, err)
	for _, x := range sgs.SecurityGroups {
		count(x.Tags)
	}
	eips, err := w.ec2.DescribeAddresses(ctx, &ec2.DescribeAddressesInput{Filters: byTag})
	require.NoError(t, err)
	for _, x := range eips.Addresses {
		count(x.Tags)
	}
	nats, err := w.ec2.DescribeNatGateways(ctx, &ec2.DescribeNatGatewaysInput{})
	require.NoError(t, err)
	for _, x := range nats.NatGateways {
		if x.State == types.NatGatewayStatePending || x.State == types.NatGatewayStateAvailable {
			count(x.Tags) // not every emulator filters NAT gateways by tag
		}
	}
	return inv
}

// wantInventory is what a stack of spec holds: one of each component.
func wantInventory(spec network.Spec) map[string]int {
	p, err := network.New(nil, offline).Plan(context.Background(), spec)
	if err != nil {
		panic(err)
	}
	inv := map[string]int{}
	for _, c := range p.Changes {
		inv[c.Name]++
	}
	return inv
}

// checkTopology looks at what a State names with Describe calls: the
// internet gateway attached, the default routes, subnets in distinct zones
// with the right public-IP setting, one NAT, the host group's rules.
func (w *world) checkTopology(t testing.TB, st *network.State, spec network.Spec) {
	t.Helper()
	ctx := w.ctx
	spec = spec.WithDefaults()
	require.Len(t, st.PublicSubnetIDs, spec.AZs)
	require.Len(t, st.AZs, spec.AZs)

	igw, err := w.ec2.DescribeInternetGateways(ctx, &ec2.DescribeInternetGatewaysInput{InternetGatewayIds: []string{st.InternetGatewayID}})
	require.NoError(t, err)
	require.Len(t, igw.InternetGateways, 1)
	require.Len(t, igw.InternetGateways[0].Attachments, 1)
	assert.Equal(t, st.VPCID, aws.ToString(igw.InternetGateways[0].Attachments[0].VpcId), "gateway attached to the VPC")

	subnets := func(ids []string, public bool) {
		out, err := w.ec2.DescribeSubnets(ctx, &ec2.DescribeSubnetsInput{SubnetIds: ids})
		require.NoError(t, err)
		require.Len(t, out.Subnets, len(ids))
		var zones []string
		for _, s := range out.Subnets {
			assert.Equal(t, st.VPCID, aws.ToString(s.VpcId))
			assert.Equal(t, public, aws.ToBool(s.MapPublicIpOnLaunch), "public IPv4 on launch of %s", aws.ToString(s.SubnetId))
			zones = append(zones, aws.ToString(s.AvailabilityZone))
		}
		slices.Sort(zones)
		assert.Len(t, slices.Compact(zones), len(ids), "subnets in distinct zones")
	}
	subnets(st.PublicSubnetIDs, true)

	defaultRoute := func(subnetID string) types.Route {
		out, err := w.ec2.DescribeRouteTables(ctx, &ec2.DescribeRouteTablesInput{Filters: []types.Filter{
			{Name: aws.String("association.subnet-id"), Values: []string{subnetID}}}})
		require.NoError(t, err)
		require.Len(t, out.RouteTables, 1, "subnet %s explicitly associated", subnetID)
		for _, r := range out.RouteTables[0].Routes {
			if aws.ToString(r.DestinationCidrBlock) == "0.0.0.0/0" {
				return r
			}
		}
		t.Fatalf("no default route for subnet %s", subnetID)
		return types.Route{}
	}
	for _, id := range st.PublicSubnetIDs {
		assert.Equal(t, st.InternetGatewayID, aws.ToString(defaultRoute(id).GatewayId))
	}

	nats, err := w.ec2.DescribeNatGateways(ctx, &ec2.DescribeNatGatewaysInput{Filter: []types.Filter{
		{Name: aws.String("vpc-id"), Values: []string{st.VPCID}}, {Name: aws.String("state"), Values: []string{"pending", "available"}}}})
	require.NoError(t, err)
	if spec.Topology == network.PrivateWithNAT {
		assert.True(t, st.NAT)
		require.Len(t, st.PrivateSubnetIDs, spec.AZs)
		subnets(st.PrivateSubnetIDs, false)
		require.Len(t, nats.NatGateways, 1, "exactly one NAT gateway")
		g := nats.NatGateways[0]
		assert.Equal(t, st.NATGatewayID, aws.ToString(g.NatGatewayId))
		assert.Equal(t, st.PublicSubnetIDs[0], aws.ToString(g.SubnetId), "the NAT lives in a public subnet")
		require.NotEmpty(t, g.NatGatewayAddresses)
		assert.Equal(t, st.NATAllocationID, aws.ToString(g.NatGatewayAddresses[0].AllocationId))
		assert.NotEmpty(t, st.NATPublicIP)
		for _, id := range st.PrivateSubnetIDs {
			assert.Equal(t, st.NATGatewayID, aws.ToString(defaultRoute(id).NatGatewayId))
		}
	} else {
		assert.False(t, st.NAT)
		assert.Empty(t, st.PrivateSubnetIDs)
		assert.Empty(t, nats.NatGateways, "no NAT gateway")
	}

	sg, err := w.ec2.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{GroupIds: []string{st.HostSecurityGroupID}})
	require.NoError(t, err)
	require.Len(t, sg.SecurityGroups, 1)
	assert.ElementsMatch(t, wantRules(spec), flatRules(sg.SecurityGroups[0].IpPermissions), "inbound rules")
	assert.Equal(t, []string{"-1 0.0.0.0/0"}, flatRules(sg.SecurityGroups[0].IpPermissionsEgress), "egress open")
}

func wantRules(spec network.Spec) []string {
	var rs []string
	for _, p := range spec.Ports {
		for _, c := range spec.IngressCIDRs {
			rs = append(rs, "tcp "+fmt.Sprint(p)+" "+c)
		}
	}
	for _, c := range spec.SSHCIDRs {
		rs = append(rs, "tcp 22 "+c)
	}
	return rs
}

func flatRules(perms []types.IpPermission) []string {
	var rs []string
	for _, p := range perms {
		proto := aws.ToString(p.IpProtocol)
		head := proto
		if proto != "-1" {
			head += " " + fmt.Sprint(aws.ToInt32(p.FromPort))
			if aws.ToInt32(p.ToPort) != aws.ToInt32(p.FromPort) {
				head += "-" + fmt.Sprint(aws.ToInt32(p.ToPort))
			}
		}
		for _, r := range p.IpRanges {
			rs = append(rs, head+" "+aws.ToString(r.CidrIp))
		}
		for _, r := range p.Ipv6Ranges {
			rs = append(rs, head+" "+aws.ToString(r.CidrIpv6))
		}
		for _, g := range p.UserIdGroupPairs {
			rs = append(rs, head+" "+aws.ToString(g.GroupId))
		}
	}
	return rs
}

// deleted is the error of a Delete, for require.NoError.
func deleted(_ []change.Change, err error) error { return err }
