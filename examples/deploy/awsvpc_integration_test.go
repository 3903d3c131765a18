package main

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
	"github.com/aws/aws-sdk-go-v2/service/scheduler"
	schedtypes "github.com/aws/aws-sdk-go-v2/service/scheduler/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/manga-alert-italia/mangaalert/integration"
)

// network_mode awsvpc without nat is network.Preflight's refusal, made by
// the tool before its first call: exit status 2, the field to set, and
// not one call sent (so not one write), from a flag or from the file.
func TestAwsvpcWithoutNATIsRefusedBeforeAnything(t *testing.T) {
	t.Parallel()
	ac := newAccount(t)
	file := filepath.Join(t.TempDir(), "deploy.json")
	require.NoError(t, os.WriteFile(file, []byte(`{"network_mode": "awsvpc", "instances": 2}`), 0o600))
	for name, args := range map[string][]string{
		"flags":   {"apply", "--network-mode", "awsvpc", "--instances", "2"},
		"config":  {"apply", "--config", file},
		"nat off": {"apply", "--config", file, "--nat=false"},
	} {
		ac.calls.Reset()
		code, out := ac.run(t, args...)
		assert.Equal(t, exitUsage, code, name)
		assert.Contains(t, out, `nat: network_mode "awsvpc" puts the tasks in private subnets`, name)
		assert.Contains(t, out, `Set "nat": true (flag --nat`, name)
		assert.Contains(t, out, "Nothing was sent to AWS.", name)
		assert.Empty(t, operations(ac.calls.Mutating()), "%s: no write", name)
		assert.Empty(t, ac.calls.All(), "%s: no call at all", name)
	}
	code, out := ac.run(t, "apply", "--network-mode", "awsvpc", "--nat", "--instances", "2")
	assert.Equal(t, exitUsage, code)
	assert.Contains(t, out, `jobs_on: "ec2" with network_mode "awsvpc": a t4g.nano has 2 network interfaces`)
	assert.Contains(t, out, `set jobs_on "fargate"`)
	assert.Empty(t, ac.calls.All())
	code, out = ac.run(t, "apply", "--network-mode", "awsvpc", "--nat", "--jobs-on", "fargate")
	assert.Equal(t, exitUsage, code)
	assert.Contains(t, out, "network_mode: \"awsvpc\" puts the site's tasks in private subnets, which only a load balancer reaches: set instances to 2 or more")
	assert.Empty(t, ac.calls.All())
}

// awsvpc with the NAT, on the emulator through the tool: private
// subnets, one NAT gateway, awsvpc task definitions, the service and the
// schedules with their network configuration, the target group by IP;
// the jobs moved to Fargate Spot and then to Fargate in the public
// subnets once the NAT is gone; each second apply writes nothing; destroy
// leaves nothing.
//
// What moto 5.2.1 does not model, so this cannot show: tasks getting
// network interfaces (nothing runs; the service reports
// MOTO_ECS_SERVICE_RUNNING tasks), targets registering by IP, a schedule
// firing, the NAT routing anything.
func TestAwsvpcWithNATOnTheEmulator(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	cfg := integration.Config(t, append(slices.Clone(stackServices), integration.ELBv2, integration.ACM)...)
	ac := &account{cfg: cfg, calls: integration.Record(&cfg), env: map[string]string{}}
	ec, svc, lbs, sch := ec2.NewFromConfig(cfg), ecs.NewFromConfig(cfg), elb.NewFromConfig(cfg), scheduler.NewFromConfig(cfg)
	// t4g.small: three network interfaces, the host's, the service task's
	// and one for a job (a nano has two: the tool refuses jobs in awsvpc
	// on EC2 there).
	base := []string{"--instances", "2", "--network-mode", "awsvpc", "--nat", "--instance-type", "t4g.small"}
	run := func(args ...string) string {
		return strings.Join(strings.Fields(ac.mustRun(t, append(args, base...)...)), " ")
	}

	plan := run("plan", "--offline")
	for _, want := range []string{"create subnet subnet/private/0", "create NAT gateway nat", "create Elastic IP eip/nat", "create security group sg/jobs",
		"HTTP to the tasks' own addresses (awsvpc)", "NAT gateway 730 hour 32.85", "NAT gateway data processed"} {
		assert.Contains(t, plan, want)
	}

	run("apply")
	t.Logf("apply awsvpc with nat: %d writes", len(ac.calls.Mutating()))
	private := subnets(t, ec, "subnet/private/")
	public := subnets(t, ec, "subnet/public/")
	require.Len(t, private, 2)
	nats, err := ec.DescribeNatGateways(ctx, &ec2.DescribeNatGatewaysInput{Filter: []ec2types.Filter{
		{Name: aws.String("tag:mangaalert:stack"), Values: []string{"mangaalert"}}, {Name: aws.String("state"), Values: []string{"available", "pending"}}}})
	require.NoError(t, err)
	require.Len(t, nats.NatGateways, 1, "exactly one NAT gateway")
	assert.Contains(t, public, aws.ToString(nats.NatGateways[0].SubnetId), "in a public subnet")

	host, albGroup := groups(t, ec)
	jobsGroup := securityGroup(t, ec, "sg/jobs")
	assert.Equal(t, []string{"tcp 8080-8080 from " + aws.ToString(albGroup.GroupId)}, ingress(host), "the load balancer reaches the tasks on their own port")
	assert.Empty(t, jobsGroup.IpPermissions, "the jobs' group admits nothing")

	s := service(t, svc)
	require.NotNil(t, s.NetworkConfiguration)
	assert.ElementsMatch(t, private, s.NetworkConfiguration.AwsvpcConfiguration.Subnets)
	assert.Equal(t, []string{aws.ToString(host.GroupId)}, s.NetworkConfiguration.AwsvpcConfiguration.SecurityGroups)
	td := taskDefinition(t, svc, aws.ToString(s.TaskDefinition))
	assert.Equal(t, ecstypes.NetworkModeAwsvpc, td.NetworkMode)
	assert.Equal(t, int32(8080), aws.ToInt32(td.ContainerDefinitions[0].PortMappings[0].HostPort), "awsvpc: host port = container port")
	tgs, err := lbs.DescribeTargetGroups(ctx, &elb.DescribeTargetGroupsInput{Names: []string{"mangaalert-tg"}})
	require.NoError(t, err)
	assert.Equal(t, elbtypes.TargetTypeEnumIp, tgs.TargetGroups[0].TargetType)

	for _, job := range []string{"scrape", "notify"} {
		e := ecsTarget(t, sch, job)
		assert.Equal(t, schedtypes.LaunchTypeEc2, e.LaunchType, job)
		require.NotNil(t, e.NetworkConfiguration, job)
		assert.ElementsMatch(t, private, e.NetworkConfiguration.AwsvpcConfiguration.Subnets, job)
		assert.Equal(t, []string{aws.ToString(jobsGroup.GroupId)}, e.NetworkConfiguration.AwsvpcConfiguration.SecurityGroups, job)
		assert.Equal(t, schedtypes.AssignPublicIpDisabled, e.NetworkConfiguration.AwsvpcConfiguration.AssignPublicIp, job)
		assert.Equal(t, ecstypes.NetworkModeAwsvpc, taskDefinition(t, svc, aws.ToString(e.TaskDefinitionArn)).NetworkMode, job)
	}

	ac.calls.Reset()
	run("apply")
	assert.Empty(t, operations(ac.calls.Mutating()), "a second apply writes nothing")
	assert.Contains(t, run("diff"), "No drift")
	assert.Contains(t, run("plan"), "no changes")
	status := run("status")
	assert.Empty(t, operations(ac.calls.Mutating()), "plan, status and diff only read")
	for _, want := range []string{"private subnets: ", "NAT gateway nat-", "jobs' security group sg-", "runs mangaalert-scrape:1 on EC2 (awsvpc) in 2 subnets"} {
		assert.Contains(t, status, want)
	}

	// The jobs on Fargate Spot: both compatibilities, a Fargate size, the
	// cluster's FARGATE_SPOT provider, still in the private subnets.
	run("apply", "--jobs-on", "fargate-spot")
	e := ecsTarget(t, sch, "scrape")
	assert.Empty(t, e.LaunchType)
	require.Len(t, e.CapacityProviderStrategy, 1)
	assert.Equal(t, "FARGATE_SPOT", aws.ToString(e.CapacityProviderStrategy[0].CapacityProvider))
	assert.ElementsMatch(t, private, e.NetworkConfiguration.AwsvpcConfiguration.Subnets)
	jd := taskDefinition(t, svc, aws.ToString(e.TaskDefinitionArn))
	assert.ElementsMatch(t, []ecstypes.Compatibility{ecstypes.CompatibilityEc2, ecstypes.CompatibilityFargate}, jd.RequiresCompatibilities)
	assert.Equal(t, "256", aws.ToString(jd.Cpu))
	assert.Equal(t, "512", aws.ToString(jd.Memory))
	assert.NotEmpty(t, aws.ToString(jd.ExecutionRoleArn), "Fargate pulls the image and writes the logs with the execution role")
	clusters, err := svc.DescribeClusters(ctx, &ecs.DescribeClustersInput{Clusters: []string{"mangaalert"}})
	require.NoError(t, err)
	assert.Subset(t, clusters.Clusters[0].CapacityProviders, []string{"FARGATE", "FARGATE_SPOT"})
	ac.calls.Reset()
	run("apply", "--jobs-on", "fargate-spot")
	assert.Empty(t, operations(ac.calls.Mutating()), "settled on Fargate Spot")

	// deploy-image is not run here: with instances 2 it waits for two
	// running tasks, and the harness's moto reports one
	// (MOTO_ECS_SERVICE_RUNNING=1). TestJobsOnFargateWithoutNAT runs it.

	// Back to bridge mode cannot be done in place: refused before any
	// write, saying how.
	ac.calls.Reset()
	code, out := ac.run(t, "apply", "--instances", "1", "--nat", "--instance-type", "t4g.small")
	assert.Equal(t, exitFailure, code)
	assert.Contains(t, out, "the service runs in the awsvpc network mode, which ECS cannot take it out of in place: service mangaalert-serve; nothing was changed")
	assert.Contains(t, out, "aws ecs delete-service --cluster mangaalert --service mangaalert-serve --force")
	assert.Empty(t, operations(ac.calls.Mutating()), "refused before any write")

	run("destroy", "--yes", "--purge-secrets")
	assertNothingLeft(t, ec, lbs)
}

// Jobs on Fargate without a NAT: the public subnets, a public address
// for the run, the jobs' group; the service stays in bridge mode.
func TestJobsOnFargateWithoutNAT(t *testing.T) {
	t.Parallel()
	ac := newAccount(t)
	ec, svc, sch := ec2.NewFromConfig(ac.cfg), ecs.NewFromConfig(ac.cfg), scheduler.NewFromConfig(ac.cfg)
	run := func(args ...string) string { return ac.mustRun(t, append(args, "--jobs-on", "fargate")...) }

	plan := strings.Join(strings.Fields(run("plan", "--offline")), " ")
	assert.Contains(t, plan, "Fargate vCPU, jobs")
	assert.Contains(t, plan, "USD a run")
	assert.Contains(t, plan, "public IPv4 of the job tasks")
	assert.NotContains(t, plan, "create NAT gateway")

	run("apply")
	public := subnets(t, ec, "subnet/public/")
	assert.Empty(t, subnets(t, ec, "subnet/private/"))
	jobsGroup := securityGroup(t, ec, "sg/jobs")
	e := ecsTarget(t, sch, "notify")
	assert.Equal(t, schedtypes.LaunchTypeFargate, e.LaunchType)
	assert.ElementsMatch(t, public, e.NetworkConfiguration.AwsvpcConfiguration.Subnets)
	assert.Equal(t, []string{aws.ToString(jobsGroup.GroupId)}, e.NetworkConfiguration.AwsvpcConfiguration.SecurityGroups)
	assert.Equal(t, schedtypes.AssignPublicIpEnabled, e.NetworkConfiguration.AwsvpcConfiguration.AssignPublicIp, "no NAT: the run's own public address")
	jd := taskDefinition(t, svc, aws.ToString(e.TaskDefinitionArn))
	assert.Equal(t, ecstypes.NetworkModeAwsvpc, jd.NetworkMode)
	assert.Equal(t, ecstypes.CPUArchitectureArm64, jd.RuntimePlatform.CpuArchitecture, "Graviton: the image is built for arm64")
	s := service(t, svc)
	// moto answers an empty networkConfiguration where AWS has none.
	assert.True(t, s.NetworkConfiguration == nil || s.NetworkConfiguration.AwsvpcConfiguration == nil, "the service stays in bridge mode")
	assert.Equal(t, ecstypes.NetworkModeBridge, taskDefinition(t, svc, aws.ToString(s.TaskDefinition)).NetworkMode)

	ac.calls.Reset()
	run("apply")
	assert.Empty(t, operations(ac.calls.Mutating()), "a second apply writes nothing")

	// A new image: the schedules keep their placement, read back from
	// what the network holds (deploy-image writes no network).
	ac.mustRun(t, "deploy-image", "--jobs-on", "fargate", "ghcr.io/owner/mangaalert:1.1")
	e = ecsTarget(t, sch, "notify")
	assert.Equal(t, schedtypes.LaunchTypeFargate, e.LaunchType)
	assert.ElementsMatch(t, public, e.NetworkConfiguration.AwsvpcConfiguration.Subnets)
	assert.Equal(t, []string{aws.ToString(jobsGroup.GroupId)}, e.NetworkConfiguration.AwsvpcConfiguration.SecurityGroups)
	assert.Equal(t, "ghcr.io/owner/mangaalert:1.1", aws.ToString(taskDefinition(t, svc, aws.ToString(e.TaskDefinitionArn)).ContainerDefinitions[0].Image))

	// Back on the hosts: the jobs' group goes, the schedules lose their
	// network configuration.
	ac.mustRun(t, "apply")
	back := ecsTarget(t, sch, "notify")
	assert.Nil(t, back.NetworkConfiguration)
	assert.Equal(t, schedtypes.LaunchTypeEc2, back.LaunchType)
	assert.Nil(t, findSecurityGroup(t, ec, "sg/jobs"), "the jobs' group is gone")
	ac.mustRun(t, "destroy", "--yes", "--purge-secrets")
	assertNothingLeft(t, ec, nil)
}

func subnets(t *testing.T, c *ec2.Client, prefix string) []string {
	t.Helper()
	out, err := c.DescribeSubnets(context.Background(), &ec2.DescribeSubnetsInput{Filters: []ec2types.Filter{
		{Name: aws.String("tag:mangaalert:stack"), Values: []string{"mangaalert"}}}})
	require.NoError(t, err)
	var ids []string
	for _, s := range out.Subnets {
		for _, tag := range s.Tags {
			if aws.ToString(tag.Key) == "mangaalert:component" && strings.HasPrefix(aws.ToString(tag.Value), prefix) {
				ids = append(ids, aws.ToString(s.SubnetId))
			}
		}
	}
	return ids
}

func findSecurityGroup(t *testing.T, c *ec2.Client, component string) *ec2types.SecurityGroup {
	t.Helper()
	out, err := c.DescribeSecurityGroups(context.Background(), &ec2.DescribeSecurityGroupsInput{Filters: []ec2types.Filter{
		{Name: aws.String("tag:mangaalert:stack"), Values: []string{"mangaalert"}}, {Name: aws.String("tag:mangaalert:component"), Values: []string{component}}}})
	require.NoError(t, err)
	if len(out.SecurityGroups) == 0 {
		return nil
	}
	require.Len(t, out.SecurityGroups, 1)
	return &out.SecurityGroups[0]
}

func securityGroup(t *testing.T, c *ec2.Client, component string) *ec2types.SecurityGroup {
	t.Helper()
	g := findSecurityGroup(t, c, component)
	require.NotNil(t, g, component)
	return g
}

func taskDefinition(t *testing.T, c *ecs.Client, arn string) *ecstypes.TaskDefinition {
	t.Helper()
	out, err := c.DescribeTaskDefinition(context.Background(), &ecs.DescribeTaskDefinitionInput{TaskDefinition: aws.String(arn)})
	require.NoError(t, err)
	return out.TaskDefinition
}

func ecsTarget(t *testing.T, c *scheduler.Client, job string) *schedtypes.EcsParameters {
	t.Helper()
	out, err := c.GetSchedule(context.Background(), &scheduler.GetScheduleInput{Name: aws.String(job), GroupName: aws.String("mangaalert")})
	require.NoError(t, err)
	require.NotNil(t, out.Target.EcsParameters)
	return out.Target.EcsParameters
}

// assertNothingLeft: no VPC, NAT gateway, address or load balancer of the
// stack after destroy.
func assertNothingLeft(t *testing.T, ec *ec2.Client, lbs *elb.Client) {
	t.Helper()
	ctx := context.Background()
	ours := []ec2types.Filter{{Name: aws.String("tag-key"), Values: []string{"mangaalert:stack"}}}
	vpcs, err := ec.DescribeVpcs(ctx, &ec2.DescribeVpcsInput{Filters: ours})
	require.NoError(t, err)
	assert.Empty(t, vpcs.Vpcs, "destroy leaves no VPC")
	nats, err := ec.DescribeNatGateways(ctx, &ec2.DescribeNatGatewaysInput{Filter: append(ours, ec2types.Filter{Name: aws.String("state"), Values: []string{"pending", "available", "deleting"}})})
	require.NoError(t, err)
	assert.Empty(t, nats.NatGateways, "no NAT gateway")
	addrs, err := ec.DescribeAddresses(ctx, &ec2.DescribeAddressesInput{Filters: ours})
	require.NoError(t, err)
	assert.Empty(t, addrs.Addresses, "no Elastic IP")
	groups, err := ec.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{Filters: ours})
	require.NoError(t, err)
	assert.Empty(t, groups.SecurityGroups, "no security group")
	if lbs != nil {
		all, err := lbs.DescribeLoadBalancers(ctx, &elb.DescribeLoadBalancersInput{})
		require.NoError(t, err)
		assert.Empty(t, all.LoadBalancers)
	}
}

// The jobs on Fargate Spot beside the hosts' capacity provider (package
// autoscale): both sets of providers stay on the cluster, and a second
// apply writes nothing (each step keeps what the other put there).
func TestFargateSpotJobsBesideTheHostsCapacityProvider(t *testing.T) {
	t.Parallel()
	cfg := integration.Config(t, append(slices.Clone(stackServices), integration.ELBv2, integration.ACM, integration.AppAutoScaling)...)
	ac := &account{cfg: cfg, calls: integration.Record(&cfg), env: map[string]string{}}
	args := []string{"apply", "--instances", "2", "--capacity-provider", "--max-instances", "3", "--jobs-on", "fargate-spot", "--instance-type", "t4g.micro"}
	ac.mustRun(t, args...)
	out, err := ecs.NewFromConfig(cfg).DescribeClusters(context.Background(), &ecs.DescribeClustersInput{Clusters: []string{"mangaalert"}})
	require.NoError(t, err)
	assert.ElementsMatch(t, []string{"mangaalert-hosts", "FARGATE", "FARGATE_SPOT"}, out.Clusters[0].CapacityProviders)
	require.Len(t, out.Clusters[0].DefaultCapacityProviderStrategy, 1)
	assert.Equal(t, "mangaalert-hosts", aws.ToString(out.Clusters[0].DefaultCapacityProviderStrategy[0].CapacityProvider), "the hosts' provider stays the default")
	ac.calls.Reset()
	ac.mustRun(t, args...)
	assert.Empty(t, operations(ac.calls.Mutating()), "a second apply writes nothing")
}
