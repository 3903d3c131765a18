package ecshost_test

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
	astypes "github.com/aws/aws-sdk-go-v2/service/autoscaling/types"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// With autoscaling on (package autoscale's scalable target and capacity
// provider), the counts are AWS's: an Ensure and a Deploy keep the
// service's desired count and the group's desired capacity they find,
// the group is bounded by GroupSize..MaxGroupSize and protects new
// instances from scale-in. Here the test itself plays Application Auto
// Scaling and ECS managed scaling, by setting the counts as they would.
func TestManagedCountsAreKept(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newEnv(t)
	spec := e.spec
	spec.MaxGroupSize, spec.ManagedTasks, spec.ManagedHosts = 3, true, true
	_, err := e.host.Ensure(ctx, spec)
	require.NoError(t, err)
	g := e.group(t)
	assert.Equal(t, []int32{1, 1, 3}, []int32{aws.ToInt32(g.MinSize), aws.ToInt32(g.DesiredCapacity), aws.ToInt32(g.MaxSize)}, "min, desired, max")
	assert.True(t, aws.ToBool(g.NewInstancesProtectedFromScaleIn), "managed termination protection needs it")

	// Application Auto Scaling and ECS managed scaling move the counts.
	_, err = e.ecs.UpdateService(ctx, &ecs.UpdateServiceInput{Cluster: aws.String("manga"), Service: aws.String("manga-serve"), DesiredCount: aws.Int32(3)})
	require.NoError(t, err)
	_, err = e.asg.UpdateAutoScalingGroup(ctx, &autoscaling.UpdateAutoScalingGroupInput{AutoScalingGroupName: aws.String("manga-ecs-host"), DesiredCapacity: aws.Int32(2)})
	require.NoError(t, err)

	e.calls.Reset()
	st, err := e.host.Ensure(ctx, spec)
	require.NoError(t, err)
	assert.Empty(t, operations(e.calls.Mutating()), "a second apply keeps the scaled counts: %v", st.Changes)
	p, err := e.host.Plan(ctx, spec)
	require.NoError(t, err)
	assert.False(t, p.HasChanges(), "%v", p.Changes)

	var rec recorder
	res, err := e.host.Deploy(ctx, spec, e.account+".dkr.ecr."+e.region+".amazonaws.com/mangaalert:2.0.0", onEvent(&rec))
	require.NoError(t, err, rec.text())
	assert.True(t, res.Changed)
	assert.Equal(t, int32(3), e.desiredCount(t), "deploy-image keeps the scaled count")
	assert.Equal(t, int32(2), aws.ToInt32(e.group(t).DesiredCapacity))

	// Autoscaling off again: the counts are the Spec's.
	spec.MaxGroupSize, spec.ManagedTasks, spec.ManagedHosts = 0, false, false
	_, err = e.host.Ensure(ctx, spec)
	require.NoError(t, err)
	g = e.group(t)
	assert.Equal(t, []int32{1, 1, 1}, []int32{aws.ToInt32(g.MinSize), aws.ToInt32(g.DesiredCapacity), aws.ToInt32(g.MaxSize)})
	assert.False(t, aws.ToBool(g.NewInstancesProtectedFromScaleIn))
	assert.Equal(t, int32(1), e.desiredCount(t))
}

func (e *env) group(t *testing.T) *astypes.AutoScalingGroup {
	t.Helper()
	out, err := e.asg.DescribeAutoScalingGroups(context.Background(), &autoscaling.DescribeAutoScalingGroupsInput{AutoScalingGroupNames: []string{"manga-ecs-host"}})
	require.NoError(t, err)
	require.Len(t, out.AutoScalingGroups, 1)
	return &out.AutoScalingGroups[0]
}

func (e *env) desiredCount(t *testing.T) int32 {
	t.Helper()
	out, err := e.ecs.DescribeServices(context.Background(), &ecs.DescribeServicesInput{Cluster: aws.String("manga"), Services: []string{"manga-serve"}})
	require.NoError(t, err)
	require.Len(t, out.Services, 1)
	return out.Services[0].DesiredCount
}
