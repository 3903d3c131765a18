package autoscale_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	aas "github.com/aws/aws-sdk-go-v2/service/applicationautoscaling"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
	astypes "github.com/aws/aws-sdk-go-v2/service/autoscaling/types"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/manga-alert-italia/mangaalert/autoscale"
	"github.com/manga-alert-italia/mangaalert/change"
	"github.com/manga-alert-italia/mangaalert/integration"
	"github.com/manga-alert-italia/mangaalert/resource"
)

func TestMain(m *testing.M) { integration.Main(m) }

// world is one emulator account with what the host package leaves: a
// cluster, the service, and the hosts' Auto Scaling group.
type world struct {
	ctx      context.Context
	cfg      aws.Config
	calls    *integration.Calls
	ecs      *ecs.Client
	aas      *aas.Client
	groupARN string
}

func newWorld(t *testing.T) *world {
	t.Helper()
	cfg := integration.Config(t, integration.EC2, integration.ECS, integration.AutoScaling, integration.AppAutoScaling, integration.CloudWatch)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	t.Cleanup(cancel)
	w := &world{ctx: ctx, cfg: cfg, ecs: ecs.NewFromConfig(cfg), aas: aas.NewFromConfig(cfg)}
	_, err := w.ecs.CreateCluster(ctx, &ecs.CreateClusterInput{ClusterName: aws.String("shop")})
	require.NoError(t, err)
	td, err := w.ecs.RegisterTaskDefinition(ctx, &ecs.RegisterTaskDefinitionInput{Family: aws.String("shop-serve"),
		ContainerDefinitions: []ecstypes.ContainerDefinition{{Name: aws.String("serve"), Image: aws.String("shop:1"), Memory: aws.Int32(96)}}})
	require.NoError(t, err)
	_, err = w.ecs.CreateService(ctx, &ecs.CreateServiceInput{Cluster: aws.String("shop"), ServiceName: aws.String("shop-serve"),
		TaskDefinition: td.TaskDefinition.TaskDefinitionArn, DesiredCount: aws.Int32(2), LaunchType: ecstypes.LaunchTypeEc2})
	require.NoError(t, err)
	lt, err := ec2.NewFromConfig(cfg).CreateLaunchTemplate(ctx, &ec2.CreateLaunchTemplateInput{LaunchTemplateName: aws.String("shop-ecs-host"),
		LaunchTemplateData: &ec2types.RequestLaunchTemplateData{ImageId: aws.String("ami-12c6146b"), InstanceType: ec2types.InstanceTypeT4gMicro}})
	require.NoError(t, err)
	asg := autoscaling.NewFromConfig(cfg)
	_, err = asg.CreateAutoScalingGroup(ctx, &autoscaling.CreateAutoScalingGroupInput{AutoScalingGroupName: aws.String("shop-ecs-host"),
		MinSize: aws.Int32(0), MaxSize: aws.Int32(3), AvailabilityZones: []string{integration.Region + "a"},
		LaunchTemplate: &astypes.LaunchTemplateSpecification{LaunchTemplateId: lt.LaunchTemplate.LaunchTemplateId}, NewInstancesProtectedFromScaleIn: aws.Bool(true)})
	require.NoError(t, err)
	g, err := asg.DescribeAutoScalingGroups(ctx, &autoscaling.DescribeAutoScalingGroupsInput{AutoScalingGroupNames: []string{"shop-ecs-host"}})
	require.NoError(t, err)
	require.Len(t, g.AutoScalingGroups, 1)
	w.groupARN = aws.ToString(g.AutoScalingGroups[0].AutoScalingGroupARN)
	w.calls = integration.Record(&w.cfg)
	return w
}

func (w *world) autoscaler() *autoscale.Autoscaler {
	return autoscale.New(autoscale.ClientsFromConfig(w.cfg))
}

func (w *world) spec() autoscale.Spec {
	return autoscale.Spec{Stack: "shop", Service: "shop-serve", Tasks: &autoscale.Tasks{Min: 2, Max: 5},
		Hosts: &autoscale.Hosts{GroupARN: w.groupARN}}
}

func TestEnsureIsIdempotentAndDeleteRemovesAll(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	as := w.autoscaler()

	st, err := as.Ensure(w.ctx, w.spec())
	require.NoError(t, err)
	assert.Len(t, st.Changes, 4, "target, policy, provider, cluster: %v", st.Changes)
	assert.NotEmpty(t, st.ScalableTargetARN)
	assert.NotEmpty(t, st.PolicyARN)
	assert.Equal(t, "shop-hosts", st.CapacityProvider)

	targets, err := w.aas.DescribeScalableTargets(w.ctx, &aas.DescribeScalableTargetsInput{ServiceNamespace: "ecs"})
	require.NoError(t, err)
	require.Len(t, targets.ScalableTargets, 1)
	assert.Equal(t, "service/shop/shop-serve", aws.ToString(targets.ScalableTargets[0].ResourceId))
	assert.Equal(t, int32(2), aws.ToInt32(targets.ScalableTargets[0].MinCapacity))
	assert.Equal(t, int32(5), aws.ToInt32(targets.ScalableTargets[0].MaxCapacity))
	policies, err := w.aas.DescribeScalingPolicies(w.ctx, &aas.DescribeScalingPoliciesInput{ServiceNamespace: "ecs"})
	require.NoError(t, err)
	require.Len(t, policies.ScalingPolicies, 1)
	p := policies.ScalingPolicies[0].TargetTrackingScalingPolicyConfiguration
	require.NotNil(t, p)
	assert.Equal(t, autoscale.MetricCPU, string(p.PredefinedMetricSpecification.PredefinedMetricType))
	assert.Equal(t, float64(autoscale.DefaultCPUPercent), aws.ToFloat64(p.TargetValue))

	cps, err := w.ecs.DescribeCapacityProviders(w.ctx, &ecs.DescribeCapacityProvidersInput{CapacityProviders: []string{"shop-hosts"},
		Include: []ecstypes.CapacityProviderField{ecstypes.CapacityProviderFieldTags}})
	require.NoError(t, err)
	require.Len(t, cps.CapacityProviders, 1)
	g := cps.CapacityProviders[0].AutoScalingGroupProvider
	assert.Equal(t, w.groupARN, aws.ToString(g.AutoScalingGroupArn))
	assert.Equal(t, ecstypes.ManagedScalingStatusEnabled, g.ManagedScaling.Status)
	assert.Equal(t, int32(autoscale.DefaultTargetCapacity), aws.ToInt32(g.ManagedScaling.TargetCapacity))
	assert.Equal(t, ecstypes.ManagedTerminationProtectionEnabled, g.ManagedTerminationProtection)
	assert.Contains(t, cps.CapacityProviders[0].Tags, ecstypes.Tag{Key: aws.String(resource.TagStack), Value: aws.String("shop")})
	cl, err := w.ecs.DescribeClusters(w.ctx, &ecs.DescribeClustersInput{Clusters: []string{"shop"}})
	require.NoError(t, err)
	assert.Equal(t, []string{"shop-hosts"}, cl.Clusters[0].CapacityProviders)
	require.Len(t, cl.Clusters[0].DefaultCapacityProviderStrategy, 1)
	assert.Equal(t, "shop-hosts", aws.ToString(cl.Clusters[0].DefaultCapacityProviderStrategy[0].CapacityProvider))

	w.calls.Reset()
	again, err := as.Ensure(w.ctx, w.spec())
	require.NoError(t, err)
	assert.Empty(t, w.calls.Mutating(), "a second Ensure writes nothing")
	assert.Empty(t, again.Changes)
	plan, err := as.Plan(w.ctx, w.spec())
	require.NoError(t, err)
	assert.False(t, plan.HasChanges(), "%v", plan.Changes)

	lines, err := as.Status(w.ctx, "shop")
	require.NoError(t, err)
	require.Len(t, lines, 2)
	assert.Contains(t, lines[0], "between 2 and 5 tasks")
	assert.Contains(t, lines[1], "the cluster's default strategy")

	w.calls.Reset()
	gone, err := as.Delete(w.ctx, "shop")
	require.NoError(t, err)
	assert.Len(t, gone, 4, "policy, target, cluster's providers, provider: %v", gone)
	targets, err = w.aas.DescribeScalableTargets(w.ctx, &aas.DescribeScalableTargetsInput{ServiceNamespace: "ecs"})
	require.NoError(t, err)
	assert.Empty(t, targets.ScalableTargets)
	policies, err = w.aas.DescribeScalingPolicies(w.ctx, &aas.DescribeScalingPoliciesInput{ServiceNamespace: "ecs"})
	require.NoError(t, err)
	assert.Empty(t, policies.ScalingPolicies)
	cps, err = w.ecs.DescribeCapacityProviders(w.ctx, &ecs.DescribeCapacityProvidersInput{CapacityProviders: []string{"shop-hosts"}})
	require.NoError(t, err)
	assert.Empty(t, cps.CapacityProviders)
	lines, err = as.Status(w.ctx, "shop")
	require.NoError(t, err)
	assert.Empty(t, lines)

	again2, err := as.Delete(w.ctx, "shop")
	require.NoError(t, err)
	assert.Empty(t, again2, "a second Delete finds nothing")
}

// A changed Spec updates in place: new bounds re-register the target, the
// load balancer's label moves the policy to requests per target, a new
// target capacity updates the provider; a nil Tasks and Hosts remove
// them.
func TestEnsureUpdatesAndRemoves(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	as := w.autoscaler()
	_, err := as.Ensure(w.ctx, w.spec())
	require.NoError(t, err)

	s := w.spec()
	s.Tasks.Max = 8
	s.Tasks.ResourceLabel = "app/shop/50dc/targetgroup/shop-tg/73e2"
	s.Hosts.TargetCapacity = 80
	st, err := as.Ensure(w.ctx, s)
	require.NoError(t, err)
	require.Len(t, st.Changes, 3, "%v", st.Changes)
	for _, c := range st.Changes {
		assert.Equal(t, change.Update, c.Action, "%v", c)
	}
	policies, err := w.aas.DescribeScalingPolicies(w.ctx, &aas.DescribeScalingPoliciesInput{ServiceNamespace: "ecs"})
	require.NoError(t, err)
	require.Len(t, policies.ScalingPolicies, 1)
	m := policies.ScalingPolicies[0].TargetTrackingScalingPolicyConfiguration.PredefinedMetricSpecification
	assert.Equal(t, autoscale.MetricRequests, string(m.PredefinedMetricType))
	assert.Equal(t, "app/shop/50dc/targetgroup/shop-tg/73e2", aws.ToString(m.ResourceLabel))
	w.calls.Reset()
	_, err = as.Ensure(w.ctx, s)
	require.NoError(t, err)
	assert.Empty(t, w.calls.Mutating())

	st, err = as.Ensure(w.ctx, autoscale.Spec{Stack: "shop"})
	require.NoError(t, err)
	assert.Len(t, st.Changes, 4, "%v", st.Changes)
	for _, c := range st.Changes {
		assert.NotEqual(t, change.Create, c.Action, "%v", c)
	}
	lines, err := as.Status(w.ctx, "shop")
	require.NoError(t, err)
	assert.Empty(t, lines)
}

// A capacity provider of the same name that is not the stack's is
// refused, never modified.
func TestProviderNotOurs(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	_, err := w.ecs.CreateCapacityProvider(w.ctx, &ecs.CreateCapacityProviderInput{Name: aws.String("shop-hosts"),
		AutoScalingGroupProvider: &ecstypes.AutoScalingGroupProvider{AutoScalingGroupArn: aws.String(w.groupARN)}})
	require.NoError(t, err)
	w.calls.Reset()
	_, err = w.autoscaler().Ensure(w.ctx, w.spec())
	require.ErrorIs(t, err, resource.ErrNotOurs)
	assert.Empty(t, w.calls.Mutating())
}

// ECS cannot move a capacity provider to another group: Ensure says how
// to get there, and writes nothing.
func TestProviderOfAnotherGroup(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	as := w.autoscaler()
	_, err := as.Ensure(w.ctx, w.spec())
	require.NoError(t, err)
	s := w.spec()
	s.Hosts.GroupARN = strings.Replace(w.groupARN, "shop-ecs-host", "other-ecs-host", 1)
	w.calls.Reset()
	_, err = as.Ensure(w.ctx, s)
	require.ErrorContains(t, err, "apply once without the capacity provider")
	assert.Empty(t, w.calls.Mutating())
}
