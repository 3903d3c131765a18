package network_test

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/manga-alert-italia/mangaalert/network"
)

// The jobs' group on the emulator: made with no inbound rule, a second
// Ensure writes nothing, a rule added by hand is revoked, and it goes
// when the Spec no longer wants it.
func TestJobsGroup(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	spec := network.Spec{Stack: w.stack, Topology: network.PrivateWithNAT, JobsGroup: true}
	st, err := w.net.Ensure(w.ctx, spec)
	require.NoError(t, err)
	require.NotEmpty(t, st.JobsSecurityGroupID)
	require.NoError(t, network.Preflight(st, "awsvpc", "EC2"), "the private subnets route through the NAT")
	g := describeGroup(t, w, st.JobsSecurityGroupID)
	assert.Empty(t, g.IpPermissions, "nothing in")
	assert.Equal(t, []string{"-1 0.0.0.0/0"}, flatRules(g.IpPermissionsEgress), "everything out")

	w.calls.Reset()
	_, err = w.net.Ensure(w.ctx, spec)
	require.NoError(t, err)
	assert.Empty(t, w.calls.Mutating(), "a second Ensure writes nothing")

	_, err = w.ec2.AuthorizeSecurityGroupIngress(w.ctx, &ec2.AuthorizeSecurityGroupIngressInput{GroupId: aws.String(st.JobsSecurityGroupID),
		IpProtocol: aws.String("tcp"), FromPort: aws.Int32(22), ToPort: aws.Int32(22), CidrIp: aws.String("0.0.0.0/0")})
	require.NoError(t, err)
	_, err = w.net.Ensure(w.ctx, spec)
	require.NoError(t, err)
	assert.Empty(t, describeGroup(t, w, st.JobsSecurityGroupID).IpPermissions, "a rule added by hand is revoked")

	spec.JobsGroup = false
	st2, err := w.net.Ensure(w.ctx, spec)
	require.NoError(t, err)
	assert.Empty(t, st2.JobsSecurityGroupID)
	out, err := w.ec2.DescribeSecurityGroups(w.ctx, &ec2.DescribeSecurityGroupsInput{GroupIds: []string{st.JobsSecurityGroupID}})
	if err == nil {
		assert.Empty(t, out.SecurityGroups, "the jobs' group is gone")
	}
}

func describeGroup(t *testing.T, w *world, id string) *types.SecurityGroup {
	t.Helper()
	out, err := w.ec2.DescribeSecurityGroups(w.ctx, &ec2.DescribeSecurityGroupsInput{GroupIds: []string{id}})
	require.NoError(t, err)
	require.Len(t, out.SecurityGroups, 1)
	return &out.SecurityGroups[0]
}
