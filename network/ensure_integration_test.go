package network_test

import (
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/manga-alert-italia/mangaalert/change"
	"github.com/manga-alert-italia/mangaalert/network"
	"github.com/manga-alert-italia/mangaalert/resource"
)

// The no-op budget the issue sets: a second Ensure reads at most this much.
const noopCallBudget = 25

func TestEnsureBuildsTheTopology(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		spec network.Spec
	}{
		{name: "default", spec: network.Spec{}},
		{name: "NAT in three zones with SSH", spec: network.Spec{CIDR: "172.20.0.0/20", AZs: 3, Topology: network.PrivateWithNAT,
			Ports: []int32{8080}, IngressCIDRs: []string{"203.0.113.0/24", "198.51.100.0/24"}, SSHCIDRs: []string{"192.0.2.7/32"}}},
		{name: "one zone", spec: network.Spec{AZs: 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			w := newWorld(t)
			spec := tt.spec
			spec.Stack = w.stack

			start := time.Now()
			st, err := w.net.Ensure(w.ctx, spec)
			require.NoError(t, err)
			t.Logf("fresh Ensure: %s, %d calls, %d mutating", time.Since(start), w.calls.Count(), len(w.calls.Mutating()))
			w.checkTopology(t, st, spec)
			assert.Equal(t, wantInventory(spec), w.inventory(t), "one resource per component, all tagged")
			public, private := spec.Layout()
			assert.Equal(t, public, subnetBlocks(t, w, st.PublicSubnetIDs))
			assert.Equal(t, private, subnetBlocks(t, w, st.PrivateSubnetIDs))

			// Idempotent: the second run writes nothing and reads little.
			w.calls.Reset()
			again, err := w.net.Ensure(w.ctx, spec)
			require.NoError(t, err)
			assert.Empty(t, w.calls.Mutating(), "a second Ensure makes no mutating call")
			assert.LessOrEqual(t, w.calls.Count(), noopCallBudget)
			t.Logf("no-op Ensure: %d calls", w.calls.Count())
			assert.Equal(t, withoutChanges(st), again, "the same state is observed")
			assert.Empty(t, again.Changes, "a no-op Ensure reports no change")

			// And the plan of an ensured stack keeps everything.
			p, err := w.net.Plan(w.ctx, spec)
			require.NoError(t, err)
			assert.False(t, p.HasChanges(), "plan of an ensured stack:\n%s", p)
			assert.Equal(t, len(p.Changes), p.Count(change.Keep))
		})
	}
}

func subnetBlocks(t *testing.T, w *world, ids []string) []string {
	t.Helper()
	var blocks []string
	for _, id := range ids {
		out, err := w.ec2.DescribeSubnets(w.ctx, &ec2.DescribeSubnetsInput{SubnetIds: []string{id}})
		require.NoError(t, err)
		blocks = append(blocks, aws.ToString(out.Subnets[0].CidrBlock))
	}
	return blocks
}

// The count is deterministic, so it is asserted exactly: it is the number
// to keep under the budget as the package grows.
func TestNoopEnsureCalls(t *testing.T) {
	t.Parallel()
	for _, topo := range []network.Topology{network.PublicOnly, network.PrivateWithNAT} {
		t.Run(topo.String(), func(t *testing.T) {
			t.Parallel()
			w := newWorld(t)
			spec := network.Spec{Stack: w.stack, Topology: topo}
			_, err := w.net.Ensure(w.ctx, spec)
			require.NoError(t, err)
			w.calls.Reset()
			_, err = w.net.Ensure(w.ctx, spec)
			require.NoError(t, err)
			assert.Empty(t, w.calls.Mutating())
			// zones, VPC, its two DNS attributes, subnets, route tables,
			// groups, NAT gateways, internet gateways, addresses.
			assert.Equal(t, 10, w.calls.Count(), "%v", w.calls.All())
			assert.LessOrEqual(t, w.calls.Count(), noopCallBudget)
		})
	}
}

func TestPlanOfEmptyAccountMatchesOffline(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	spec := network.Spec{Stack: w.stack, Topology: network.PrivateWithNAT}
	online, err := w.net.Plan(w.ctx, spec)
	require.NoError(t, err)
	assert.Empty(t, w.calls.Mutating(), "Plan writes nothing")
	off, err := network.New(nil, offline).Plan(w.ctx, spec)
	require.NoError(t, err)
	require.Len(t, online.Changes, len(off.Changes))
	for i, c := range online.Changes {
		assert.Equal(t, off.Changes[i].Name, c.Name)
		assert.Equal(t, off.Changes[i].Kind, c.Kind)
		assert.Equal(t, change.Create, c.Action)
	}
	sub, _ := find(online, "subnet/public/0")
	assert.Contains(t, sub.Details, "10.0.0.0/24 in eu-south-1a", "real zone names online")
	assert.False(t, online.Offline)
	assert.Equal(t, wantInventory(spec), wantInventory(spec))
	assert.Empty(t, w.inventory(t), "nothing was created")
}

// Ensure fixes what drifted that it owns, and Plan says so first.
func TestEnsureFixesDrift(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	spec := network.Spec{Stack: w.stack, Topology: network.PrivateWithNAT}
	st, err := w.net.Ensure(w.ctx, spec)
	require.NoError(t, err)
	ctx, c := w.ctx, w.ec2

	// Someone breaks things by hand.
	publicRT := routeTableOf(t, w, st.PublicSubnetIDs[0])
	_, err = c.DeleteRoute(ctx, &ec2.DeleteRouteInput{RouteTableId: publicRT.RouteTableId, DestinationCidrBlock: aws.String("0.0.0.0/0")})
	require.NoError(t, err)
	_, err = c.ModifySubnetAttribute(ctx, &ec2.ModifySubnetAttributeInput{SubnetId: aws.String(st.PublicSubnetIDs[1]),
		MapPublicIpOnLaunch: &types.AttributeBooleanValue{Value: aws.Bool(false)}})
	require.NoError(t, err)
	_, err = c.ModifySubnetAttribute(ctx, &ec2.ModifySubnetAttributeInput{SubnetId: aws.String(st.PrivateSubnetIDs[0]),
		MapPublicIpOnLaunch: &types.AttributeBooleanValue{Value: aws.Bool(true)}})
	require.NoError(t, err)
	_, err = c.ModifyVpcAttribute(ctx, &ec2.ModifyVpcAttributeInput{VpcId: aws.String(st.VPCID),
		EnableDnsHostnames: &types.AttributeBooleanValue{Value: aws.Bool(false)}})
	require.NoError(t, err)
	_, err = c.AuthorizeSecurityGroupIngress(ctx, &ec2.AuthorizeSecurityGroupIngressInput{GroupId: aws.String(st.HostSecurityGroupID),
		IpPermissions: []types.IpPermission{{IpProtocol: aws.String("tcp"), FromPort: aws.Int32(22), ToPort: aws.Int32(22),
			IpRanges: []types.IpRange{{CidrIp: aws.String("0.0.0.0/0")}}}}})
	require.NoError(t, err)
	_, err = c.RevokeSecurityGroupIngress(ctx, &ec2.RevokeSecurityGroupIngressInput{GroupId: aws.String(st.HostSecurityGroupID),
		IpPermissions: []types.IpPermission{{IpProtocol: aws.String("tcp"), FromPort: aws.Int32(443), ToPort: aws.Int32(443),
			IpRanges: []types.IpRange{{CidrIp: aws.String("0.0.0.0/0")}}}}})
	require.NoError(t, err)
	// An untagged table of someone else's takes one of our private subnets.
	other, err := c.CreateRouteTable(ctx, &ec2.CreateRouteTableInput{VpcId: aws.String(st.VPCID)})
	require.NoError(t, err)
	privateRT := routeTableOf(t, w, st.PrivateSubnetIDs[1])
	for _, a := range privateRT.Associations {
		if aws.ToString(a.SubnetId) == st.PrivateSubnetIDs[1] {
			_, err = c.ReplaceRouteTableAssociation(ctx, &ec2.ReplaceRouteTableAssociationInput{
				AssociationId: a.RouteTableAssociationId, RouteTableId: other.RouteTable.RouteTableId})
			require.NoError(t, err)
		}
	}

	p, err := w.net.Plan(ctx, spec)
	require.NoError(t, err)
	want := map[string][]string{
		"vpc":              {"enableDnsHostnames off -> on"},
		"subnet/public/1":  {"public IPv4 on launch false -> true"},
		"subnet/private/0": {"public IPv4 on launch true -> false"},
		"rt/public":        {"route 0.0.0.0/0 missing -> internet gateway"},
		"rt/private":       {"move subnet/private/1 from " + aws.ToString(other.RouteTable.RouteTableId)},
		"sg/host":          {"allow inbound tcp 443 from 0.0.0.0/0", "revoke inbound tcp 22 from 0.0.0.0/0"},
	}
	for _, ch := range p.Changes {
		if d, ok := want[ch.Name]; ok {
			assert.Equal(t, change.Update, ch.Action, ch.Name)
			assert.Equal(t, d, ch.Details, ch.Name)
		} else {
			assert.Equal(t, change.Keep, ch.Action, ch.Name)
		}
	}
	assert.Equal(t, len(want), p.Count(change.Update), "plan:\n%s", p)

	w.calls.Reset()
	fixed, err := w.net.Ensure(ctx, spec)
	require.NoError(t, err)
	assert.Len(t, w.calls.Mutating(), 7, "one write per drift: %v", w.calls.Mutating())
	require.Len(t, fixed.Changes, len(want), "Ensure says what it fixed")
	for _, ch := range fixed.Changes {
		assert.Equal(t, change.Update, ch.Action, ch.Name)
		assert.Equal(t, want[ch.Name], ch.Details, ch.Name)
		assert.NotEmpty(t, ch.ID, ch.Name)
	}
	assert.Equal(t, withoutChanges(st), withoutChanges(fixed))
	w.checkTopology(t, fixed, spec)
	attr, err := c.DescribeVpcAttribute(ctx, &ec2.DescribeVpcAttributeInput{VpcId: aws.String(st.VPCID), Attribute: types.VpcAttributeNameEnableDnsHostnames})
	require.NoError(t, err)
	assert.True(t, aws.ToBool(attr.EnableDnsHostnames.Value))
	// The foreign table itself is left alone.
	_, err = c.DescribeRouteTables(ctx, &ec2.DescribeRouteTablesInput{RouteTableIds: []string{aws.ToString(other.RouteTable.RouteTableId)}})
	require.NoError(t, err)

	w.calls.Reset()
	_, err = w.net.Ensure(ctx, spec)
	require.NoError(t, err)
	assert.Empty(t, w.calls.Mutating())
}

func routeTableOf(t *testing.T, w *world, subnetID string) types.RouteTable {
	t.Helper()
	out, err := w.ec2.DescribeRouteTables(w.ctx, &ec2.DescribeRouteTablesInput{Filters: []types.Filter{
		{Name: aws.String("association.subnet-id"), Values: []string{subnetID}}}})
	require.NoError(t, err)
	require.Len(t, out.RouteTables, 1)
	return out.RouteTables[0]
}

// Changing topology and zone count moves nothing that stays, and removes
// what the Spec no longer wants.
func TestEnsureFollowsSpecChanges(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	small := network.Spec{Stack: w.stack, AZs: 1}
	first, err := w.net.Ensure(w.ctx, small)
	require.NoError(t, err)

	big := network.Spec{Stack: w.stack, AZs: 3, Topology: network.PrivateWithNAT}
	grown, err := w.net.Ensure(w.ctx, big)
	require.NoError(t, err)
	w.checkTopology(t, grown, big)
	assert.Equal(t, first.PublicSubnetIDs[0], grown.PublicSubnetIDs[0], "existing subnet kept")
	assert.Equal(t, first.HostSecurityGroupID, grown.HostSecurityGroupID)
	assert.Equal(t, wantInventory(big), w.inventory(t))

	p, err := w.net.Plan(w.ctx, small)
	require.NoError(t, err)
	// rt/private, nat, eip/nat, 3 private and 2 public subnets.
	assert.Equal(t, 8, p.Count(change.Delete), "plan:\n%s", p)

	shrunk, err := w.net.Ensure(w.ctx, small)
	require.NoError(t, err)
	w.checkTopology(t, shrunk, small)
	assert.Equal(t, withoutChanges(first), withoutChanges(shrunk))
	assert.Equal(t, wantInventory(small), w.inventory(t), "NAT, its address, private and surplus subnets deleted")
}

func TestEnsureRefusesBeforeWriting(t *testing.T) {
	t.Parallel()
	t.Run("more zones than the region has", func(t *testing.T) {
		t.Parallel()
		w := newWorld(t)
		_, err := w.net.Ensure(w.ctx, network.Spec{Stack: w.stack, AZs: 7})
		var ze *network.ZonesError
		require.ErrorAs(t, err, &ze)
		assert.ErrorIs(t, err, network.ErrInvalidSpec)
		assert.Equal(t, 7, ze.Want)
		assert.NotEmpty(t, ze.Available)
		assert.Equal(t, 1, w.calls.Count(), "only the zones were read: %v", w.calls.All())
		_, err = w.net.Plan(w.ctx, network.Spec{Stack: w.stack, AZs: 7})
		require.ErrorAs(t, err, &ze)
	})
	t.Run("invalid spec", func(t *testing.T) {
		t.Parallel()
		w := newWorld(t)
		_, err := w.net.Ensure(w.ctx, network.Spec{Stack: w.stack, IngressCIDRs: []string{"::/0"}})
		require.ErrorIs(t, err, network.ErrInvalidSpec)
		assert.Zero(t, w.calls.Count(), "no call at all")
	})
	t.Run("VPC block changed", func(t *testing.T) {
		t.Parallel()
		w := newWorld(t)
		_, err := w.net.Ensure(w.ctx, network.Spec{Stack: w.stack})
		require.NoError(t, err)
		w.calls.Reset()
		_, err = w.net.Ensure(w.ctx, network.Spec{Stack: w.stack, CIDR: "10.1.0.0/16"})
		require.ErrorIs(t, err, network.ErrConflict)
		assert.Contains(t, err.Error(), "set Spec.CIDR to 10.0.0.0/16")
		assert.Empty(t, w.calls.Mutating())
	})
	t.Run("conflict found after a drift to fix", func(t *testing.T) {
		t.Parallel()
		w := newWorld(t)
		st, err := w.net.Ensure(w.ctx, network.Spec{Stack: w.stack, AZs: 1})
		require.NoError(t, err)
		_, err = w.ec2.ModifyVpcAttribute(w.ctx, &ec2.ModifyVpcAttributeInput{VpcId: aws.String(st.VPCID),
			EnableDnsHostnames: &types.AttributeBooleanValue{Value: aws.Bool(false)}})
		require.NoError(t, err)
		// A subnet/public/1 where the layout does not put it.
		_, err = w.ec2.CreateSubnet(w.ctx, &ec2.CreateSubnetInput{VpcId: aws.String(st.VPCID), CidrBlock: aws.String("10.0.7.0/24"),
			TagSpecifications: []types.TagSpecification{{ResourceType: types.ResourceTypeSubnet, Tags: []types.Tag{
				{Key: aws.String(resource.TagStack), Value: aws.String(w.stack)},
				{Key: aws.String(resource.TagComponent), Value: aws.String("subnet/public/1")}}}}})
		require.NoError(t, err)
		w.calls.Reset()
		_, err = w.net.Ensure(w.ctx, network.Spec{Stack: w.stack, AZs: 2})
		require.ErrorIs(t, err, network.ErrConflict)
		assert.Contains(t, err.Error(), "has block 10.0.7.0/24 where the layout wants 10.0.1.0/24")
		assert.Empty(t, w.calls.Mutating(), "the DNS drift before it was not fixed either")
	})
	t.Run("duplicate resources", func(t *testing.T) {
		t.Parallel()
		w := newWorld(t)
		for range 2 {
			_, err := w.ec2.CreateVpc(w.ctx, &ec2.CreateVpcInput{CidrBlock: aws.String("10.0.0.0/16"),
				TagSpecifications: []types.TagSpecification{{ResourceType: types.ResourceTypeVpc, Tags: []types.Tag{
					{Key: aws.String(resource.TagStack), Value: aws.String(w.stack)},
					{Key: aws.String(resource.TagComponent), Value: aws.String("vpc")}}}}})
			require.NoError(t, err)
		}
		_, err := w.net.Ensure(w.ctx, network.Spec{Stack: w.stack})
		require.ErrorIs(t, err, network.ErrConflict)
		assert.Contains(t, err.Error(), "2 VPCs")
		assert.Empty(t, w.calls.Mutating())
	})
}

// Stacks in one account do not see each other.
func TestStacksAreSeparate(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	a, err := w.net.Ensure(w.ctx, network.Spec{Stack: "a"})
	require.NoError(t, err)
	b, err := w.net.Ensure(w.ctx, network.Spec{Stack: "b", CIDR: "10.1.0.0/16"})
	require.NoError(t, err)
	assert.NotEqual(t, a.VPCID, b.VPCID)
	require.NoError(t, deleted(w.net.Delete(w.ctx, "a")))
	w.calls.Reset()
	_, err = w.net.Ensure(w.ctx, network.Spec{Stack: "b", CIDR: "10.1.0.0/16"})
	require.NoError(t, err)
	assert.Empty(t, w.calls.Mutating(), "deleting a left b whole")
}
