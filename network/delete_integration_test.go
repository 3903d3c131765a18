package network_test

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/manga-alert-italia/mangaalert/change"
	"github.com/manga-alert-italia/mangaalert/network"
)

func TestDelete(t *testing.T) {
	t.Parallel()
	for _, topo := range []network.Topology{network.PublicOnly, network.PrivateWithNAT} {
		t.Run(topo.String(), func(t *testing.T) {
			t.Parallel()
			w := newWorld(t)
			ctx, c := w.ctx, w.ec2

			// Someone else's VPC, untagged, with a subnet and a gateway of its own.
			theirs, err := c.CreateVpc(ctx, &ec2.CreateVpcInput{CidrBlock: aws.String("10.0.0.0/16")})
			require.NoError(t, err)
			theirVPC := aws.ToString(theirs.Vpc.VpcId)
			theirSubnet, err := c.CreateSubnet(ctx, &ec2.CreateSubnetInput{VpcId: aws.String(theirVPC), CidrBlock: aws.String("10.0.0.0/24")})
			require.NoError(t, err)
			theirIGW, err := c.CreateInternetGateway(ctx, &ec2.CreateInternetGatewayInput{})
			require.NoError(t, err)
			_, err = c.AttachInternetGateway(ctx, &ec2.AttachInternetGatewayInput{
				InternetGatewayId: theirIGW.InternetGateway.InternetGatewayId, VpcId: aws.String(theirVPC)})
			require.NoError(t, err)
			theirEIP, err := c.AllocateAddress(ctx, &ec2.AllocateAddressInput{Domain: types.DomainTypeVpc})
			require.NoError(t, err)

			spec := network.Spec{Stack: w.stack, Topology: topo}
			st, err := w.net.Ensure(ctx, spec)
			require.NoError(t, err)
			before := w.inventory(t)
			require.NotEmpty(t, before)

			w.calls.Reset()
			changes, err := w.net.Delete(ctx, w.stack)
			require.NoError(t, err)
			deletedNames := map[string]int{}
			for _, c := range changes {
				assert.Equal(t, change.Delete, c.Action, c.String())
				deletedNames[c.Name]++
			}
			assert.Equal(t, before, deletedNames, "one change per resource deleted")
			assert.Equal(t, change.Change{Action: change.Delete, Kind: "vpc", Name: "vpc", ID: st.VPCID}, changes[len(changes)-1])
			assert.Empty(t, w.inventory(t), "nothing of ours is left")
			var order []string
			for _, call := range w.calls.Mutating() {
				order = append(order, call.Operation)
			}
			t.Logf("delete: %v", order)
			assert.Equal(t, "DeleteVpc", order[len(order)-1], "the VPC goes last")
			if topo == network.PrivateWithNAT {
				assert.Equal(t, []string{"DeleteNatGateway", "ReleaseAddress"}, order[:2], "NAT and its address first")
				nats, err := c.DescribeNatGateways(ctx, &ec2.DescribeNatGatewaysInput{NatGatewayIds: []string{st.NATGatewayID}})
				require.NoError(t, err)
				for _, g := range nats.NatGateways {
					assert.Equal(t, types.NatGatewayStateDeleted, g.State)
				}
			}
			assert.Less(t, indexOf(order, "DetachInternetGateway"), indexOf(order, "DeleteInternetGateway"))
			assert.Less(t, indexOf(order, "DeleteRouteTable"), indexOf(order, "DeleteSubnet"))

			// Theirs is untouched.
			vpcs, err := c.DescribeVpcs(ctx, &ec2.DescribeVpcsInput{})
			require.NoError(t, err)
			var left []string
			for _, v := range vpcs.Vpcs {
				if !aws.ToBool(v.IsDefault) {
					left = append(left, aws.ToString(v.VpcId))
				}
			}
			assert.Equal(t, []string{theirVPC}, left)
			_, err = c.DescribeSubnets(ctx, &ec2.DescribeSubnetsInput{SubnetIds: []string{aws.ToString(theirSubnet.Subnet.SubnetId)}})
			assert.NoError(t, err)
			igw, err := c.DescribeInternetGateways(ctx, &ec2.DescribeInternetGatewaysInput{
				InternetGatewayIds: []string{aws.ToString(theirIGW.InternetGateway.InternetGatewayId)}})
			require.NoError(t, err)
			require.Len(t, igw.InternetGateways[0].Attachments, 1, "their gateway still attached")
			eips, err := c.DescribeAddresses(ctx, &ec2.DescribeAddressesInput{AllocationIds: []string{aws.ToString(theirEIP.AllocationId)}})
			require.NoError(t, err)
			assert.Len(t, eips.Addresses, 1)

			// Again: nothing there, nil, and no write.
			w.calls.Reset()
			require.NoError(t, deleted(w.net.Delete(ctx, w.stack)))
			assert.Empty(t, w.calls.Mutating())
		})
	}
}

func indexOf(s []string, v string) int {
	for i, x := range s {
		if x == v {
			return i
		}
	}
	return -1
}

func TestDeleteNothing(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	changes, err := w.net.Delete(w.ctx, "never-made")
	require.NoError(t, err)
	assert.Nil(t, changes)
	assert.Empty(t, w.calls.Mutating())
}

// What is not ours inside our VPC stops Delete before it deletes anything.
func TestDeleteRefusesForeignDependencies(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx, c := w.ctx, w.ec2
	spec := network.Spec{Stack: w.stack, Topology: network.PrivateWithNAT}
	st, err := w.net.Ensure(ctx, spec)
	require.NoError(t, err)
	before := w.inventory(t)

	foreign, err := c.CreateSubnet(ctx, &ec2.CreateSubnetInput{VpcId: aws.String(st.VPCID), CidrBlock: aws.String("10.0.50.0/24")})
	require.NoError(t, err)
	foreignID := aws.ToString(foreign.Subnet.SubnetId)
	group, err := c.CreateSecurityGroup(ctx, &ec2.CreateSecurityGroupInput{VpcId: aws.String(st.VPCID),
		GroupName: aws.String("theirs"), Description: aws.String("not ours")})
	require.NoError(t, err)

	w.calls.Reset()
	_, err = w.net.Delete(ctx, w.stack)
	require.ErrorIs(t, err, network.ErrForeignDependency)
	assert.Contains(t, err.Error(), foreignID)
	assert.Contains(t, err.Error(), aws.ToString(group.GroupId))
	assert.Contains(t, err.Error(), "nothing was deleted")
	assert.Empty(t, w.calls.Mutating())
	assert.Equal(t, before, w.inventory(t))

	// Once they are gone, Delete finishes.
	_, err = c.DeleteSubnet(ctx, &ec2.DeleteSubnetInput{SubnetId: aws.String(foreignID)})
	require.NoError(t, err)
	_, err = c.DeleteSecurityGroup(ctx, &ec2.DeleteSecurityGroupInput{GroupId: group.GroupId})
	require.NoError(t, err)
	require.NoError(t, deleted(w.net.Delete(ctx, w.stack)))
	assert.Empty(t, w.inventory(t))
}

// Shrinking the Spec under a running instance deletes nothing: not even
// the NAT its private subnet routes through.
func TestEnsureKeepsSubnetsInUse(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx := w.ctx
	big := network.Spec{Stack: w.stack, Topology: network.PrivateWithNAT}
	st, err := w.net.Ensure(ctx, big)
	require.NoError(t, err)
	instance := w.runInstance(t, st.PrivateSubnetIDs[1])
	before := w.inventory(t)

	small := network.Spec{Stack: w.stack}
	_, err = w.net.Plan(ctx, small)
	require.ErrorIs(t, err, network.ErrForeignDependency, "the plan says so too")
	w.calls.Reset()
	_, err = w.net.Ensure(ctx, small)
	require.ErrorIs(t, err, network.ErrForeignDependency)
	assert.Contains(t, err.Error(), instance)
	assert.Contains(t, err.Error(), "subnet/private/1")
	assert.Empty(t, w.calls.Mutating())
	assert.Equal(t, before, w.inventory(t))
}

// runInstance starts an instance in a subnet, as the ECS host would be,
// with tags when given.
func (w *world) runInstance(t *testing.T, subnetID string, tags ...types.Tag) string {
	t.Helper()
	in := &ec2.RunInstancesInput{ImageId: w.image(t), MinCount: aws.Int32(1), MaxCount: aws.Int32(1),
		InstanceType: types.InstanceTypeT3Micro, SubnetId: aws.String(subnetID)}
	if len(tags) > 0 {
		in.TagSpecifications = []types.TagSpecification{{ResourceType: types.ResourceTypeInstance, Tags: tags}}
	}
	run, err := w.ec2.RunInstances(w.ctx, in)
	require.NoError(t, err)
	return aws.ToString(run.Instances[0].InstanceId)
}
