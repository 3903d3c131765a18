package ecshost_test

import (
	"context"
	"encoding/base64"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/manga-alert-italia/mangaalert/change"
	"github.com/manga-alert-italia/mangaalert/ecshost"
	"github.com/manga-alert-italia/mangaalert/iampolicy"
	"github.com/manga-alert-italia/mangaalert/integration"
	"github.com/manga-alert-italia/mangaalert/resource"
)

func TestMain(m *testing.M) { integration.Main(m) }

var services = []integration.Service{integration.EC2, integration.ECS, integration.AutoScaling,
	integration.IAM, integration.SSM, integration.Logs, integration.STS}

// env is one isolated account on the emulator with a VPC, a subnet and a
// host security group, as the network step would make them.
type env struct {
	account string
	calls   *integration.Calls
	host    *ecshost.Host
	spec    ecshost.Spec
	ec2     *ec2.Client
	ecs     *ecs.Client
	asg     *autoscaling.Client
	iam     *iam.Client
	logs    *cloudwatchlogs.Client
	ssm     *ssm.Client
	region  string
	// refreshes fakes the instance-refresh calls moto lacks.
	refreshes *refreshes
}

func newEnv(t testing.TB, optFns ...func(*ecshost.Options)) *env {
	t.Helper()
	ctx := context.Background()
	cfg := integration.Config(t, services...)
	calls := integration.Record(&cfg)
	e := &env{calls: calls, ec2: ec2.NewFromConfig(cfg), ecs: ecs.NewFromConfig(cfg), asg: autoscaling.NewFromConfig(cfg),
		iam: iam.NewFromConfig(cfg), logs: cloudwatchlogs.NewFromConfig(cfg), ssm: ssm.NewFromConfig(cfg), region: cfg.Region}
	vpc, err := e.ec2.CreateVpc(ctx, &ec2.CreateVpcInput{CidrBlock: aws.String("10.0.0.0/16")})
	require.NoError(t, err)
	subnet, err := e.ec2.CreateSubnet(ctx, &ec2.CreateSubnetInput{VpcId: vpc.Vpc.VpcId, CidrBlock: aws.String("10.0.1.0/24")})
	require.NoError(t, err)
	sg, err := e.ec2.CreateSecurityGroup(ctx, &ec2.CreateSecurityGroupInput{VpcId: vpc.Vpc.VpcId, GroupName: aws.String("host"), Description: aws.String("host")})
	require.NoError(t, err)
	e.account, err = integration.AccountOf(cfg)
	require.NoError(t, err)
	e.spec = testSpec(e.region, e.account, aws.ToString(subnet.Subnet.SubnetId), aws.ToString(sg.GroupId))
	optFns = append([]func(*ecshost.Options){func(o *ecshost.Options) { o.MinDelay, o.MaxDelay = time.Millisecond, 10*time.Millisecond }}, optFns...)
	e.refreshes = &refreshes{AutoScalingAPI: e.asg}
	clients := ecshost.ClientsFromConfig(cfg)
	clients.AutoScaling = e.refreshes
	e.host = ecshost.New(clients, optFns...)
	calls.Reset()
	return e
}

// testSpec is the stack as the deploy tool would describe it.
func testSpec(region, account, subnet, sg string) ecshost.Spec {
	table := "arn:aws:dynamodb:" + region + ":" + account + ":table/mangaalert"
	return ecshost.Spec{
		Stack:           "manga",
		SubnetIDs:       []string{subnet},
		SecurityGroupID: sg,
		Image:           account + ".dkr.ecr." + region + ".amazonaws.com/mangaalert:1.0.0",
		Environment:     map[string]string{"MANGAALERT_TABLE": "mangaalert"},
		Secrets: []ecshost.Secret{{Name: "SMTP_PASSWORD",
			ValueFrom: "arn:aws:secretsmanager:" + region + ":" + account + ":secret:mangaalert/smtp-AbCdEf:password::"}},
		Service: ecshost.Container{TaskPolicy: iampolicy.New(iampolicy.Statement{
			Effect:   iampolicy.Allow,
			Action:   []string{"dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Query"},
			Resource: []string{table, table + "/index/*"},
		})},
	}
}

// operations returns the names of the recorded calls.
func operations(calls []integration.Call) []string {
	var out []string
	for _, c := range calls {
		out = append(out, c.String())
	}
	return out
}

func TestEnsureOnEmulator(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newEnv(t)

	plan, err := e.host.Plan(ctx, e.spec)
	require.NoError(t, err)
	assert.False(t, plan.Offline)
	assert.Equal(t, 12, changed(plan.Changes))
	assert.Empty(t, operations(e.calls.Mutating()), "Plan writes nothing")

	e.calls.Reset()
	st, err := e.host.Ensure(ctx, e.spec)
	require.NoError(t, err)
	assert.Len(t, st.Changes, 12, "Ensure made what Plan said")
	for i, c := range st.Changes {
		assert.Equal(t, plan.Changes[i].Kind+" "+plan.Changes[i].Name, c.Kind+" "+c.Name)
	}
	t.Logf("first Ensure: %d calls, %d mutating", e.calls.Count(), len(e.calls.Mutating()))
	assert.Equal(t, "manga", st.ClusterName)
	assert.Equal(t, "arn:aws:ecs:"+e.region+":"+e.account+":cluster/manga", st.ClusterARN)
	assert.Equal(t, "/ecs/manga", st.LogGroup)
	assert.Equal(t, "manga-serve", st.ServiceName)
	assert.Equal(t, "manga-ecs-host", st.GroupName)
	assert.Equal(t, "arn:aws:iam::"+e.account+":role/mangaalert/manga/manga-ecs-execution", st.ExecutionRoleARN)
	assert.Equal(t, "arn:aws:iam::"+e.account+":role/mangaalert/manga/manga-task-serve", st.TaskRoleARNs["serve"])
	assert.Len(t, st.TaskRoleARNs, 1, "scrape and notify have no TaskPolicy, so no task role")
	for _, name := range []string{"serve", "scrape", "notify"} {
		td := st.TaskDefinitions[name]
		assert.Equal(t, "manga-"+name, td.Family)
		assert.Equal(t, "arn:aws:ecs:"+e.region+":"+e.account+":task-definition/manga-"+name+":1", td.ARN)
	}
	assert.Equal(t, int32(0), st.Deployment.MinimumHealthyPercent, "static host port 80: stop, then start")
	assert.Equal(t, int32(100), st.Deployment.MaximumPercent)

	t.Run("a second Ensure writes nothing", func(t *testing.T) {
		e.calls.Reset()
		st2, err := e.host.Ensure(ctx, e.spec)
		require.NoError(t, err)
		assert.Empty(t, operations(e.calls.Mutating()))
		assert.LessOrEqual(t, e.calls.Count(), 60, "calls of a no-op Ensure: %v", operations(e.calls.All()))
		t.Logf("no-op Ensure: %d calls", e.calls.Count())
		assert.Empty(t, st2.Changes)
		assert.Equal(t, st.TaskDefinitions, st2.TaskDefinitions)
		assert.Equal(t, st.InstanceIDs, []string(nil), "the first Ensure created the group, so saw no instance")
		assert.Len(t, st2.InstanceIDs, 1)
	})

	t.Run("the instance runs our template", func(t *testing.T) {
		inst := groupInstance(t, e)
		ami, err := e.ssm.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String(ecshost.AMIParameter("t4g.nano", false))})
		require.NoError(t, err)
		assert.Equal(t, aws.ToString(ami.Parameter.Value), aws.ToString(inst.ImageId), "AMI from SSM")
		assert.Equal(t, ec2types.InstanceTypeT4gNano, inst.InstanceType)
		tags := map[string]string{}
		for _, tag := range inst.Tags {
			tags[aws.ToString(tag.Key)] = aws.ToString(tag.Value)
		}
		assert.Equal(t, st.LaunchTemplateID, tags["aws:ec2launchtemplate:id"])
		assert.Equal(t, "manga", tags[resource.TagStack], "tags propagated to the instance")

		// moto launches group instances without copying the template's
		// metadata options onto them (they report its defaults), so the
		// IMDS settings are read from the template version the instance
		// was launched from, which its own tag names.
		v, err := e.ec2.DescribeLaunchTemplateVersions(ctx, &ec2.DescribeLaunchTemplateVersionsInput{
			LaunchTemplateId: aws.String(st.LaunchTemplateID), Versions: []string{tags["aws:ec2launchtemplate:version"]}})
		require.NoError(t, err)
		require.Len(t, v.LaunchTemplateVersions, 1)
		data := v.LaunchTemplateVersions[0].LaunchTemplateData
		require.NotNil(t, data.MetadataOptions)
		assert.Equal(t, ec2types.LaunchTemplateHttpTokensStateRequired, data.MetadataOptions.HttpTokens)
		assert.Equal(t, int32(1), aws.ToInt32(data.MetadataOptions.HttpPutResponseHopLimit))
		require.Len(t, data.BlockDeviceMappings, 1)
		ebs := data.BlockDeviceMappings[0].Ebs
		assert.Equal(t, ec2types.VolumeTypeGp3, ebs.VolumeType)
		assert.True(t, aws.ToBool(ebs.Encrypted))
		assert.Equal(t, int32(8), aws.ToInt32(ebs.VolumeSize), "the standard AL2023 AMI's 8 GiB")
		assert.Nil(t, data.KeyName, "no key pair unless asked")

		attr, err := e.ec2.DescribeInstanceAttribute(ctx, &ec2.DescribeInstanceAttributeInput{
			InstanceId: inst.InstanceId, Attribute: ec2types.InstanceAttributeNameUserData})
		require.NoError(t, err)
		script, err := base64.StdEncoding.DecodeString(aws.ToString(attr.UserData.Value))
		require.NoError(t, err)
		assert.Contains(t, string(script), "ECS_CLUSTER=manga\nECS_ENABLE_TASK_IAM_ROLE=true\nECS_AWSVPC_BLOCK_IMDS=true\nECS_CONTAINER_STOP_TIMEOUT=30s\n")
		assert.Contains(t, string(script), "--insert DOCKER-USER 1 --in-interface docker+ --destination 169.254.169.254/32 --jump DROP")
		assert.NotContains(t, string(script), "associate-address", "no Elastic IP asked")
	})

	t.Run("a terminated instance is replaced", func(t *testing.T) {
		old := groupInstance(t, e)
		_, err := e.ec2.TerminateInstances(ctx, &ec2.TerminateInstancesInput{InstanceIds: []string{aws.ToString(old.InstanceId)}})
		require.NoError(t, err)
		fresh := groupInstance(t, e)
		assert.NotEqual(t, aws.ToString(old.InstanceId), aws.ToString(fresh.InstanceId))
		assert.Equal(t, aws.ToString(old.ImageId), aws.ToString(fresh.ImageId))
		e.calls.Reset()
		_, err = e.host.Ensure(ctx, e.spec)
		require.NoError(t, err)
		assert.Empty(t, operations(e.calls.Mutating()), "the replacement runs the current template: nothing to refresh")
	})

	t.Run("the execution role reads only the named secrets", func(t *testing.T) {
		pol, err := e.iam.GetRolePolicy(ctx, &iam.GetRolePolicyInput{RoleName: aws.String("manga-ecs-execution"), PolicyName: aws.String("ecs-execution")})
		require.NoError(t, err)
		doc, err := iampolicy.Parse(aws.ToString(pol.PolicyDocument))
		require.NoError(t, err)
		assert.Empty(t, iampolicy.Check("execution", doc))
		var secrets []string
		for _, s := range doc.Statement {
			if slices.Contains(s.Action, "secretsmanager:GetSecretValue") {
				secrets = append(secrets, s.Resource...)
			}
		}
		assert.Equal(t, []string{"arn:aws:secretsmanager:" + e.region + ":" + e.account + ":secret:mangaalert/smtp-AbCdEf"}, secrets)
	})

	t.Run("only a changed task definition gets a revision", func(t *testing.T) {
		spec := e.spec
		spec.Tasks = []ecshost.Container{{Name: "scrape", MemoryMiB: 128}, {Name: "notify"}}
		e.calls.Reset()
		st3, err := e.host.Ensure(ctx, spec)
		require.NoError(t, err)
		assert.Equal(t, []string{"ECS.RegisterTaskDefinition"}, operations(e.calls.Mutating()))
		assert.Equal(t, int32(2), st3.TaskDefinitions["scrape"].Revision)
		assert.Equal(t, int32(1), st3.TaskDefinitions["notify"].Revision)
		assert.Equal(t, int32(1), st3.TaskDefinitions["serve"].Revision)

		// Back to the original: a revision again, since the latest differs.
		e.calls.Reset()
		st4, err := e.host.Ensure(ctx, e.spec)
		require.NoError(t, err)
		assert.Equal(t, []string{"ECS.RegisterTaskDefinition"}, operations(e.calls.Mutating()))
		assert.Equal(t, int32(3), st4.TaskDefinitions["scrape"].Revision)
	})

	t.Run("drift is put back", func(t *testing.T) {
		_, err := e.logs.PutRetentionPolicy(ctx, &cloudwatchlogs.PutRetentionPolicyInput{LogGroupName: aws.String("/ecs/manga"), RetentionInDays: aws.Int32(3653)})
		require.NoError(t, err)
		_, err = e.iam.UpdateAssumeRolePolicy(ctx, &iam.UpdateAssumeRolePolicyInput{RoleName: aws.String("manga-ecs-execution"),
			PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ecs-tasks.amazonaws.com"},"Action":"sts:AssumeRole"}]}`)})
		require.NoError(t, err)
		_, err = e.ecs.UpdateService(ctx, &ecs.UpdateServiceInput{Cluster: aws.String("manga"), Service: aws.String("manga-serve"), DesiredCount: aws.Int32(0)})
		require.NoError(t, err)
		_, err = e.asg.UpdateAutoScalingGroup(ctx, &autoscaling.UpdateAutoScalingGroupInput{AutoScalingGroupName: aws.String("manga-ecs-host"), HealthCheckGracePeriod: aws.Int32(0)})
		require.NoError(t, err)

		plan, err := e.host.Plan(ctx, e.spec)
		require.NoError(t, err)
		assert.Equal(t, 4, changed(plan.Changes), "%v", plan.Changes)
		assert.Equal(t, 8, plan.Count(change.Keep), "the plan shows the whole host")

		e.calls.Reset()
		st, err := e.host.Ensure(ctx, e.spec)
		require.NoError(t, err)
		assert.ElementsMatch(t, []string{"CloudWatch Logs.PutRetentionPolicy", "IAM.UpdateAssumeRolePolicy", "ECS.UpdateService", "Auto Scaling.UpdateAutoScalingGroup"},
			operations(e.calls.Mutating()))
		var kinds []string
		for _, c := range st.Changes {
			assert.Equal(t, change.Update, c.Action)
			kinds = append(kinds, c.Kind)
		}
		assert.Equal(t, []string{"log group", "IAM role", "auto scaling group", "ECS service"}, kinds)
		e.calls.Reset()
		_, err = e.host.Ensure(ctx, e.spec)
		require.NoError(t, err)
		assert.Empty(t, operations(e.calls.Mutating()))
	})

	t.Run("container insights can be turned on", func(t *testing.T) {
		spec := e.spec
		spec.ContainerInsights = true
		e.calls.Reset()
		_, err := e.host.Ensure(ctx, spec)
		require.NoError(t, err)
		assert.Equal(t, []string{"ECS.UpdateCluster"}, operations(e.calls.Mutating()))
		cl, err := e.ecs.DescribeClusters(ctx, &ecs.DescribeClustersInput{Clusters: []string{"manga"}, Include: []ecstypes.ClusterField{ecstypes.ClusterFieldSettings}})
		require.NoError(t, err)
		assert.Equal(t, "enabled", aws.ToString(cl.Clusters[0].Settings[0].Value))
	})

	t.Run("delete leaves nothing of ours", func(t *testing.T) {
		deleted, err := e.host.Delete(ctx, "manga")
		require.NoError(t, err)
		assertNothingLeft(t, e)
		var kinds []string
		for _, c := range deleted {
			assert.Equal(t, change.Delete, c.Action)
			kinds = append(kinds, c.Kind+" "+c.Name)
		}
		assert.ElementsMatch(t, []string{"ECS service manga-serve", "ECS cluster manga", "auto scaling group manga-ecs-host", "launch template manga-ecs-host",
			"task definition manga-notify", "task definition manga-scrape", "task definition manga-serve", "instance profile manga-ecs-instance",
			"IAM role manga-ecs-execution", "IAM role manga-ecs-instance", "IAM role manga-task-serve", "log group /ecs/manga"}, kinds)
		e.calls.Reset()
		deleted, err = e.host.Delete(ctx, "manga")
		require.NoError(t, err, "deleting again is fine")
		assert.Nil(t, deleted)
		assert.Empty(t, operations(e.calls.Mutating()))
	})
}

// groupInstance returns the group's one InService instance. moto launches
// a group's instances, and replaces a terminated one, within the call that
// causes it, so one read sees it: no waiting on the clock.
func groupInstance(t *testing.T, e *env) ec2types.Instance {
	t.Helper()
	ctx := context.Background()
	g, err := e.asg.DescribeAutoScalingGroups(ctx, &autoscaling.DescribeAutoScalingGroupsInput{AutoScalingGroupNames: []string{"manga-ecs-host"}})
	require.NoError(t, err)
	require.Len(t, g.AutoScalingGroups, 1)
	var id string
	for _, i := range g.AutoScalingGroups[0].Instances {
		if i.LifecycleState == "InService" {
			id = aws.ToString(i.InstanceId)
		}
	}
	require.NotEmpty(t, id, "no InService instance in %v", g.AutoScalingGroups[0].Instances)
	out, err := e.ec2.DescribeInstances(ctx, &ec2.DescribeInstancesInput{InstanceIds: []string{id}})
	require.NoError(t, err)
	return out.Reservations[0].Instances[0]
}

func assertNothingLeft(t *testing.T, e *env) {
	t.Helper()
	ctx := context.Background()
	cl, err := e.ecs.DescribeClusters(ctx, &ecs.DescribeClustersInput{Clusters: []string{"manga"}})
	require.NoError(t, err)
	for _, c := range cl.Clusters {
		assert.Equal(t, "INACTIVE", aws.ToString(c.Status), "cluster")
	}
	g, err := e.asg.DescribeAutoScalingGroups(ctx, &autoscaling.DescribeAutoScalingGroupsInput{AutoScalingGroupNames: []string{"manga-ecs-host"}})
	require.NoError(t, err)
	assert.Empty(t, g.AutoScalingGroups, "group")
	lt, err := e.ec2.DescribeLaunchTemplates(ctx, &ec2.DescribeLaunchTemplatesInput{})
	require.NoError(t, err)
	assert.Empty(t, lt.LaunchTemplates, "launch templates")
	roles, err := e.iam.ListRoles(ctx, &iam.ListRolesInput{PathPrefix: aws.String("/mangaalert/")})
	require.NoError(t, err)
	assert.Empty(t, roles.Roles, "roles")
	profiles, err := e.iam.ListInstanceProfiles(ctx, &iam.ListInstanceProfilesInput{})
	require.NoError(t, err)
	assert.Empty(t, profiles.InstanceProfiles, "instance profiles")
	groups, err := e.logs.DescribeLogGroups(ctx, &cloudwatchlogs.DescribeLogGroupsInput{LogGroupNamePrefix: aws.String("/ecs/")})
	require.NoError(t, err)
	assert.Empty(t, groups.LogGroups, "log groups")
	for _, status := range []ecstypes.TaskDefinitionStatus{ecstypes.TaskDefinitionStatusActive, ecstypes.TaskDefinitionStatusInactive} {
		tds, err := e.ecs.ListTaskDefinitions(ctx, &ecs.ListTaskDefinitionsInput{Status: status})
		require.NoError(t, err)
		assert.Empty(t, tds.TaskDefinitionArns, "task definitions %s", status)
	}
	addrs, err := e.ec2.DescribeAddresses(ctx, &ec2.DescribeAddressesInput{})
	require.NoError(t, err)
	assert.Empty(t, addrs.Addresses, "elastic IPs")
	svc, err := e.ecs.DescribeServices(ctx, &ecs.DescribeServicesInput{Cluster: aws.String("manga"), Services: []string{"manga-serve"}})
	if err == nil {
		for _, s := range svc.Services {
			assert.Equal(t, "INACTIVE", aws.ToString(s.Status), "service")
		}
	}
	out, err := e.ec2.DescribeInstances(ctx, &ec2.DescribeInstancesInput{})
	require.NoError(t, err)
	for _, r := range out.Reservations {
		for _, i := range r.Instances {
			assert.Contains(t, []ec2types.InstanceStateName{"terminated", "shutting-down"}, i.State.Name, "instance %s", aws.ToString(i.InstanceId))
		}
	}
}

func decode(t *testing.T, b64 string) string {
	t.Helper()
	b, err := base64.StdEncoding.DecodeString(b64)
	require.NoError(t, err)
	return string(b)
}
