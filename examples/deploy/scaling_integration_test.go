package main

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	aas "github.com/aws/aws-sdk-go-v2/service/applicationautoscaling"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/manga-alert-italia/mangaalert/integration"
)

// max_tasks, capacity_provider and max_instances through the tool, on the
// emulator: the scalable target and its request-count policy, the
// capacity provider as the cluster's default strategy, the group's
// bounds, the proxies the service believes; a second apply after
// "autoscaling" moved the counts writes nothing; without the flags the
// scaling goes; destroy leaves nothing.
//
// What moto 5.2.1 does not model, so this test plays it: Application
// Auto Scaling never changes a count and ECS managed scaling never
// changes the group (the test sets both counts as they would), no task is
// placed through the capacity provider, and a service's capacity provider
// strategy is not reported back after its creation (the host package
// compares its own settings hash instead).
func TestScalingThroughTheTool(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	cfg := integration.Config(t, append(slices.Clone(stackServices), integration.ELBv2, integration.ACM, integration.AppAutoScaling)...)
	ac := &account{cfg: cfg, calls: integration.Record(&cfg), env: map[string]string{}}
	scaled := []string{"--instances", "2", "--max-tasks", "4", "--capacity-provider", "--max-instances", "3"}
	run := func(args ...string) string {
		return strings.Join(strings.Fields(ac.mustRun(t, append(args, "--instance-type", "t4g.micro")...)), " ")
	}
	scaling, asg, svc, lbs := aas.NewFromConfig(ac.cfg), autoscaling.NewFromConfig(ac.cfg), ecs.NewFromConfig(ac.cfg), elb.NewFromConfig(ac.cfg)

	plan := run(append([]string{"plan", "--offline"}, scaled...)...)
	for _, want := range []string{"create scalable target service/mangaalert/mangaalert-serve 2 to 4 tasks",
		"create scaling policy mangaalert-tasks target tracking ALBRequestCountPerTarget", "create capacity provider mangaalert-hosts",
		"update cluster capacity providers mangaalert mangaalert-hosts, the default strategy", "2 to 3 instances (capacity provider)",
		"this configuration at its scaled maximum: 3 instances, 4 tasks", "MANGAALERT_TRUSTED_PROXIES"} {
		assert.Contains(t, plan, want)
	}

	run(append([]string{"apply"}, scaled...)...)
	t.Logf("apply with scaling: %d writes", len(ac.calls.Mutating()))
	targets, err := scaling.DescribeScalableTargets(ctx, &aas.DescribeScalableTargetsInput{ServiceNamespace: "ecs"})
	require.NoError(t, err)
	require.Len(t, targets.ScalableTargets, 1)
	assert.Equal(t, []int32{2, 4}, []int32{aws.ToInt32(targets.ScalableTargets[0].MinCapacity), aws.ToInt32(targets.ScalableTargets[0].MaxCapacity)})
	policies, err := scaling.DescribeScalingPolicies(ctx, &aas.DescribeScalingPoliciesInput{ServiceNamespace: "ecs"})
	require.NoError(t, err)
	require.Len(t, policies.ScalingPolicies, 1)
	metric := policies.ScalingPolicies[0].TargetTrackingScalingPolicyConfiguration.PredefinedMetricSpecification
	lb, err := lbs.DescribeLoadBalancers(ctx, &elb.DescribeLoadBalancersInput{Names: []string{"mangaalert"}})
	require.NoError(t, err)
	lbARN := aws.ToString(lb.LoadBalancers[0].LoadBalancerArn)
	assert.Equal(t, "ALBRequestCountPerTarget", string(metric.PredefinedMetricType))
	assert.True(t, strings.HasPrefix(aws.ToString(metric.ResourceLabel), lbARN[strings.Index(lbARN, "app/"):]+"/targetgroup/mangaalert-tg/"),
		"the label names the load balancer and its target group: %s", aws.ToString(metric.ResourceLabel))

	g := group(t, asg)
	assert.Equal(t, []int32{2, 2, 3}, []int32{aws.ToInt32(g.MinSize), aws.ToInt32(g.DesiredCapacity), aws.ToInt32(g.MaxSize)}, "min, desired, max")
	assert.True(t, aws.ToBool(g.NewInstancesProtectedFromScaleIn))
	cps, err := svc.DescribeCapacityProviders(ctx, &ecs.DescribeCapacityProvidersInput{CapacityProviders: []string{"mangaalert-hosts"}})
	require.NoError(t, err)
	require.Len(t, cps.CapacityProviders, 1)
	assert.Equal(t, aws.ToString(g.AutoScalingGroupARN), aws.ToString(cps.CapacityProviders[0].AutoScalingGroupProvider.AutoScalingGroupArn))
	cl, err := svc.DescribeClusters(ctx, &ecs.DescribeClustersInput{Clusters: []string{"mangaalert"}})
	require.NoError(t, err)
	assert.Equal(t, []string{"mangaalert-hosts"}, cl.Clusters[0].CapacityProviders)

	s := service(t, svc)
	env := map[string]string{}
	for _, e := range serveDefinition(t, svc, aws.ToString(s.TaskDefinition)).Environment {
		env[aws.ToString(e.Name)] = aws.ToString(e.Value)
	}
	assert.Equal(t, "10.0.0.0/16", env["MANGAALERT_TRUSTED_PROXIES"], "behind the load balancer the service believes the VPC's X-Forwarded-For")

	// Application Auto Scaling and ECS managed scaling move the counts.
	_, err = svc.UpdateService(ctx, &ecs.UpdateServiceInput{Cluster: aws.String("mangaalert"), Service: aws.String("mangaalert-serve"), DesiredCount: aws.Int32(4)})
	require.NoError(t, err)
	_, err = asg.UpdateAutoScalingGroup(ctx, &autoscaling.UpdateAutoScalingGroupInput{AutoScalingGroupName: aws.String("mangaalert-ecs-host"), DesiredCapacity: aws.Int32(3)})
	require.NoError(t, err)
	ac.calls.Reset()
	run(append([]string{"apply"}, scaled...)...)
	assert.Empty(t, operations(ac.calls.Mutating()), "a second apply writes nothing and keeps the scaled counts")
	assert.Equal(t, int32(4), service(t, svc).DesiredCount)
	assert.Equal(t, int32(3), aws.ToInt32(group(t, asg).DesiredCapacity))
	assert.Contains(t, run(append([]string{"plan"}, scaled...)...), "no changes")
	status := run(append([]string{"status"}, scaled...)...)
	assert.Contains(t, status, "service scaling: service/mangaalert/mangaalert-serve between 2 and 4 tasks")
	assert.Contains(t, status, "capacity provider mangaalert-hosts (ACTIVE): managed scaling ENABLED at 100%")
	assert.Empty(t, operations(ac.calls.Mutating()), "plan and status only read")

	// Without the flags the scaling goes, and the counts are the
	// configuration's again.
	out := run("apply", "--instances", "2")
	assert.Contains(t, out, "delete capacity provider mangaalert-hosts")
	targets, err = scaling.DescribeScalableTargets(ctx, &aas.DescribeScalableTargetsInput{ServiceNamespace: "ecs"})
	require.NoError(t, err)
	assert.Empty(t, targets.ScalableTargets)
	cps, err = svc.DescribeCapacityProviders(ctx, &ecs.DescribeCapacityProvidersInput{CapacityProviders: []string{"mangaalert-hosts"}})
	require.NoError(t, err)
	assert.Empty(t, cps.CapacityProviders)
	g = group(t, asg)
	assert.Equal(t, []int32{2, 2, 2}, []int32{aws.ToInt32(g.MinSize), aws.ToInt32(g.DesiredCapacity), aws.ToInt32(g.MaxSize)})
	assert.False(t, aws.ToBool(g.NewInstancesProtectedFromScaleIn))
	assert.Equal(t, int32(2), service(t, svc).DesiredCount)
	ac.calls.Reset()
	run("apply", "--instances", "2")
	assert.Empty(t, operations(ac.calls.Mutating()), "settled without scaling")

	// One host: nothing in front of it, so no proxy is believed.
	run("apply", "--instances", "1")
	for _, e := range serveDefinition(t, svc, aws.ToString(service(t, svc).TaskDefinition)).Environment {
		assert.NotEqual(t, "MANGAALERT_TRUSTED_PROXIES", aws.ToString(e.Name), "one host believes no X-Forwarded-For")
	}

	run(append([]string{"apply"}, scaled...)...)
	run("destroy", "--yes", "--purge-secrets")
	targets, err = scaling.DescribeScalableTargets(ctx, &aas.DescribeScalableTargetsInput{ServiceNamespace: "ecs"})
	require.NoError(t, err)
	assert.Empty(t, targets.ScalableTargets, "destroy leaves no scalable target")
	policies, err = scaling.DescribeScalingPolicies(ctx, &aas.DescribeScalingPoliciesInput{ServiceNamespace: "ecs"})
	require.NoError(t, err)
	assert.Empty(t, policies.ScalingPolicies)
	cps, err = svc.DescribeCapacityProviders(ctx, &ecs.DescribeCapacityProvidersInput{CapacityProviders: []string{"mangaalert-hosts"}})
	require.NoError(t, err)
	assert.Empty(t, cps.CapacityProviders, "destroy leaves no capacity provider")
	groups, err := asg.DescribeAutoScalingGroups(ctx, &autoscaling.DescribeAutoScalingGroupsInput{})
	require.NoError(t, err)
	assert.Empty(t, groups.AutoScalingGroups)
}
