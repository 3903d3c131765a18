package loadbalancer_test

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/manga-alert-italia/mangaalert/loadbalancer"
)

// awsvpc tasks register by IP: the target group is made with target type
// ip; one of the other type is refused before any write, since a target
// group cannot change its type.
func TestIPTargetsForAwsvpcTasks(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	lb := w.lb(loadbalancer.ClientsFromConfig(w.cfg))
	spec := w.spec
	spec.IPTargets = true
	st, err := lb.Ensure(w.ctx, spec)
	require.NoError(t, err)
	tgs, err := elb.NewFromConfig(w.cfg).DescribeTargetGroups(w.ctx, &elb.DescribeTargetGroupsInput{TargetGroupArns: []string{st.TargetGroupARN}})
	require.NoError(t, err)
	assert.Equal(t, elbtypes.TargetTypeEnumIp, tgs.TargetGroups[0].TargetType)
	assert.Equal(t, aws.ToString(tgs.TargetGroups[0].VpcId), spec.VPCID)

	w.calls.Reset()
	_, err = lb.Ensure(w.ctx, spec)
	require.NoError(t, err)
	assert.Empty(t, w.calls.Mutating(), "a second Ensure writes nothing")

	spec.IPTargets = false
	w.calls.Reset()
	_, err = lb.Ensure(w.ctx, spec)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "a target group cannot change its type")
	assert.Empty(t, w.calls.Mutating(), "refused before any write")
}
