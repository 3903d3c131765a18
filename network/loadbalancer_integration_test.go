package network_test

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/manga-alert-italia/mangaalert/network"
)

// With a load balancer the hosts admit only its group, on the dynamic
// ports; back without one, the group goes and the web ports open again.
func TestLoadBalancerGroupComesAndGoes(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	single := network.Spec{Stack: w.stack}
	behind := network.Spec{Stack: w.stack, LoadBalancer: true, SSHCIDRs: []string{"203.0.113.0/24"}}
	_, err := w.net.Ensure(w.ctx, single)
	require.NoError(t, err)

	st, err := w.net.Ensure(w.ctx, behind)
	require.NoError(t, err)
	require.NotEmpty(t, st.LoadBalancerSecurityGroupID)
	groups, err := w.ec2.DescribeSecurityGroups(w.ctx, &ec2.DescribeSecurityGroupsInput{GroupIds: []string{st.HostSecurityGroupID, st.LoadBalancerSecurityGroupID}})
	require.NoError(t, err)
	rules := map[string][]string{}
	for _, g := range groups.SecurityGroups {
		rules[aws.ToString(g.GroupId)] = flatRules(g.IpPermissions)
	}
	assert.ElementsMatch(t, []string{"tcp 32768-65535 " + st.LoadBalancerSecurityGroupID, "tcp 22 203.0.113.0/24"}, rules[st.HostSecurityGroupID],
		"no more 0.0.0.0/0 to the hosts")
	assert.ElementsMatch(t, []string{"tcp 80 0.0.0.0/0", "tcp 443 0.0.0.0/0"}, rules[st.LoadBalancerSecurityGroupID])

	w.calls.Reset()
	_, err = w.net.Ensure(w.ctx, behind)
	require.NoError(t, err)
	assert.Empty(t, w.calls.Mutating(), "a second Ensure writes nothing")

	back, err := w.net.Ensure(w.ctx, single)
	require.NoError(t, err)
	assert.Empty(t, back.LoadBalancerSecurityGroupID)
	_, err = w.ec2.DescribeSecurityGroups(w.ctx, &ec2.DescribeSecurityGroupsInput{GroupIds: []string{st.LoadBalancerSecurityGroupID}})
	require.Error(t, err, "the load balancer's group is deleted")
	assert.Equal(t, wantInventory(single), w.inventory(t))

	_, err = w.net.Ensure(w.ctx, behind)
	require.NoError(t, err)
	require.NoError(t, deleted(w.net.Delete(w.ctx, w.stack)), "the host's group, which names the other, goes first")
}
