package ecshost_test

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
	astypes "github.com/aws/aws-sdk-go-v2/service/autoscaling/types"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/manga-alert-italia/mangaalert/change"
	"github.com/manga-alert-italia/mangaalert/ecshost"
	"github.com/manga-alert-italia/mangaalert/iampolicy"
	"github.com/manga-alert-italia/mangaalert/resource"
)

var (
	_ ecshost.SSMAPI         = (*ssm.Client)(nil)
	_ ecshost.LogsAPI        = (*cloudwatchlogs.Client)(nil)
	_ ecshost.STSAPI         = (*sts.Client)(nil)
	_ ecshost.EC2API         = (*ec2.Client)(nil)
	_ ecshost.AutoScalingAPI = (*autoscaling.Client)(nil)
	_ ecshost.IAMAPI         = (*iam.Client)(nil)
)

func TestEnsureWithElasticIP(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	var heard []change.Change
	e := newEnv(t, func(o *ecshost.Options) { o.OnChange = func(c change.Change) { heard = append(heard, c) } })
	e.spec.ElasticIP = true
	e.spec.SessionManager = true
	st, err := e.host.Ensure(ctx, e.spec)
	require.NoError(t, err)
	require.NotEmpty(t, st.ElasticIPAllocationID)
	assert.NotEmpty(t, st.ElasticIP)
	assert.Equal(t, st.Changes, heard, "OnChange hears each change as it is made")
	assert.Equal(t, "create elastic IP manga host address: associated by the instance at boot", st.Changes[1].String())

	e.calls.Reset()
	_, err = e.host.Ensure(ctx, e.spec)
	require.NoError(t, err)
	assert.Empty(t, operations(e.calls.Mutating()))

	pol, err := e.iam.GetRolePolicy(ctx, &iam.GetRolePolicyInput{RoleName: aws.String("manga-ecs-instance"), PolicyName: aws.String("ecs-instance")})
	require.NoError(t, err)
	doc, err := iampolicy.Parse(aws.ToString(pol.PolicyDocument))
	require.NoError(t, err)
	assert.Empty(t, iampolicy.Check("instance", doc))
	assert.Contains(t, doc.JSON(), "elastic-ip/"+st.ElasticIPAllocationID+`"`, "the role may associate only this allocation")
	attached, err := e.iam.ListAttachedRolePolicies(ctx, &iam.ListAttachedRolePoliciesInput{RoleName: aws.String("manga-ecs-instance")})
	require.NoError(t, err)
	require.Len(t, attached.AttachedPolicies, 1)
	assert.Equal(t, ecshost.SSMManagedPolicy, aws.ToString(attached.AttachedPolicies[0].PolicyArn))

	inst := groupInstance(t, e)
	attr, err := e.ec2.DescribeInstanceAttribute(ctx, &ec2.DescribeInstanceAttributeInput{InstanceId: inst.InstanceId, Attribute: ec2types.InstanceAttributeNameUserData})
	require.NoError(t, err)
	assert.Contains(t, decode(t, aws.ToString(attr.UserData.Value)), "--allocation-id "+st.ElasticIPAllocationID)

	// Turning the option off releases the address and the attachment.
	e.spec.ElasticIP, e.spec.SessionManager = false, false
	st2, err := e.host.Ensure(ctx, e.spec)
	require.NoError(t, err)
	assert.Empty(t, st2.ElasticIPAllocationID)
	addrs, err := e.ec2.DescribeAddresses(ctx, &ec2.DescribeAddressesInput{})
	require.NoError(t, err)
	assert.Empty(t, addrs.Addresses)
	attached, err = e.iam.ListAttachedRolePolicies(ctx, &iam.ListAttachedRolePoliciesInput{RoleName: aws.String("manga-ecs-instance")})
	require.NoError(t, err)
	assert.Empty(t, attached.AttachedPolicies)

	heard = nil
	deleted, err := e.host.Delete(ctx, "manga")
	require.NoError(t, err)
	assert.NotEmpty(t, deleted)
	assert.Equal(t, deleted, heard)
	assertNothingLeft(t, e)
}

// refreshes stands in for the instance-refresh calls, which moto does not
// implement; every other Auto Scaling call goes to moto.
type refreshes struct {
	ecshost.AutoScalingAPI
	mu      sync.Mutex
	started []*autoscaling.StartInstanceRefreshInput
}

func (r *refreshes) StartInstanceRefresh(_ context.Context, in *autoscaling.StartInstanceRefreshInput, _ ...func(*autoscaling.Options)) (*autoscaling.StartInstanceRefreshOutput, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.started = append(r.started, in)
	return &autoscaling.StartInstanceRefreshOutput{InstanceRefreshId: aws.String("refresh-1")}, nil
}

func (r *refreshes) DescribeInstanceRefreshes(_ context.Context, in *autoscaling.DescribeInstanceRefreshesInput, _ ...func(*autoscaling.Options)) (*autoscaling.DescribeInstanceRefreshesOutput, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.started) == 0 {
		return &autoscaling.DescribeInstanceRefreshesOutput{}, nil
	}
	return &autoscaling.DescribeInstanceRefreshesOutput{InstanceRefreshes: []astypes.InstanceRefresh{
		{InstanceRefreshId: aws.String("refresh-1"), Status: astypes.InstanceRefreshStatusInProgress}}}, nil
}

func TestTemplateChangeRefreshesTheInstance(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newEnv(t)
	st, err := e.host.Ensure(ctx, e.spec)
	require.NoError(t, err)
	arm := st.AMI

	rf, host := e.refreshes, e.host
	e.spec.InstanceType = "t3.micro"
	e.calls.Reset()
	st2, err := host.Ensure(ctx, e.spec)
	require.NoError(t, err)
	assert.Equal(t, []string{"EC2.CreateLaunchTemplateVersion", "EC2.ModifyLaunchTemplate", "Auto Scaling.UpdateAutoScalingGroup"},
		operations(e.calls.Mutating()))
	assert.Equal(t, int64(2), st2.LaunchTemplateVersion)
	assert.NotEqual(t, arm, st2.AMI, "an x86_64 type reads the x86_64 AMI")
	assert.Equal(t, "refresh-1", st2.InstanceRefreshID)
	require.Len(t, rf.started, 1)
	prefs := rf.started[0].Preferences
	assert.Equal(t, int32(100), aws.ToInt32(prefs.MinHealthyPercentage), "launch the new instance before terminating the old")
	assert.Equal(t, int32(200), aws.ToInt32(prefs.MaxHealthyPercentage))

	g, err := e.asg.DescribeAutoScalingGroups(ctx, &autoscaling.DescribeAutoScalingGroupsInput{AutoScalingGroupNames: []string{"manga-ecs-host"}})
	require.NoError(t, err)
	assert.Equal(t, "2", aws.ToString(g.AutoScalingGroups[0].LaunchTemplate.Version))

	// The refresh is under way: the next Ensure starts none and writes nothing.
	e.calls.Reset()
	_, err = host.Ensure(ctx, e.spec)
	require.NoError(t, err)
	assert.Empty(t, operations(e.calls.Mutating()))
	assert.Len(t, rf.started, 1)

	// The AMI stays pinned until asked to refresh it.
	e.spec.RefreshAMI = true
	e.calls.Reset()
	_, err = host.Ensure(ctx, e.spec)
	require.NoError(t, err)
	assert.Empty(t, operations(e.calls.Mutating()), "the parameter still names the same AMI")
}

func TestEnsureRefusesBeforeWriting(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newEnv(t)
	tests := []struct {
		name   string
		setup  func(t *testing.T)
		modify func(*ecshost.Spec)
		is     error
	}{
		{name: "too broad task policy", modify: func(s *ecshost.Spec) {
			s.Service.TaskPolicy = iampolicy.New(iampolicy.Statement{Effect: iampolicy.Allow, Action: []string{"ses:*"}, Resource: []string{"*"}})
		}, is: iampolicy.ErrTooBroad},
		{name: "bad spec", modify: func(s *ecshost.Spec) { s.SubnetIDs = nil }, is: ecshost.ErrInvalidSpec},
		{name: "a cluster of that name that is not ours", setup: func(t *testing.T) {
			_, err := e.ecs.CreateCluster(ctx, &ecs.CreateClusterInput{ClusterName: aws.String("manga")})
			require.NoError(t, err)
		}, is: resource.ErrNotOurs},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.setup != nil {
				tt.setup(t)
			}
			spec := e.spec
			if tt.modify != nil {
				tt.modify(&spec)
			}
			e.calls.Reset()
			_, err := e.host.Ensure(ctx, spec)
			require.Error(t, err)
			assert.True(t, errors.Is(err, tt.is), "%v", err)
			assert.Empty(t, operations(e.calls.Mutating()), "nothing written")
		})
	}
	// Delete leaves the foreign cluster alone.
	deleted, err := e.host.Delete(ctx, "manga")
	require.NoError(t, err)
	assert.Nil(t, deleted, "nothing of ours was there")
	cl, err := e.ecs.DescribeClusters(ctx, &ecs.DescribeClustersInput{Clusters: []string{"manga"}})
	require.NoError(t, err)
	require.Len(t, cl.Clusters, 1)
	assert.Equal(t, "ACTIVE", aws.ToString(cl.Clusters[0].Status))
}
