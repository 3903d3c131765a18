package external_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/scheduler"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"example.com/external"
	"github.com/manga-alert-italia/mangaalert/integration"
	"github.com/manga-alert-italia/mangaalert/stack"
)

func TestMain(m *testing.M) { integration.Main(m) }

// The weather application, deployed from outside the module: what plain
// SDK reads see, a second apply with no write, and a destroy that leaves
// nothing tagged.
func TestDeployTheWeatherApp(t *testing.T) {
	ctx := context.Background()
	cfg := integration.Config(t, integration.EC2, integration.ECS, integration.AutoScaling, integration.IAM, integration.SSM,
		integration.STS, integration.Scheduler, integration.SecretsManager, integration.Logs)
	calls := integration.Record(&cfg)
	fast := func(o *stack.Options) { o.MinDelay, o.MaxDelay = 10*time.Millisecond, 100*time.Millisecond }
	const name, image = "weather", "ghcr.io/example/weather:1.0"
	spec := external.Spec(name, image)

	st, err := stack.New(cfg, fast).Apply(ctx, spec)
	require.NoError(t, err)
	assert.NotEmpty(t, st.Changes)

	ecsc := ecs.NewFromConfig(cfg)
	clusters, err := ecsc.DescribeClusters(ctx, &ecs.DescribeClustersInput{Clusters: []string{name}})
	require.NoError(t, err)
	require.Len(t, clusters.Clusters, 1)
	assert.Equal(t, "ACTIVE", aws.ToString(clusters.Clusters[0].Status))
	assert.Equal(t, st.ClusterARN, aws.ToString(clusters.Clusters[0].ClusterArn))

	svcs, err := ecsc.DescribeServices(ctx, &ecs.DescribeServicesInput{Cluster: aws.String(name), Services: []string{name + "-web"}})
	require.NoError(t, err)
	require.Len(t, svcs.Services, 1)
	assert.Equal(t, "ACTIVE", aws.ToString(svcs.Services[0].Status))
	assert.Equal(t, st.TaskDefinitionARNs["web"], aws.ToString(svcs.Services[0].TaskDefinition))

	// The job's schedule, in the stack's one group: it runs the job's
	// task definition in the cluster, every hour.
	sch := scheduler.NewFromConfig(cfg)
	list, err := sch.ListSchedules(ctx, &scheduler.ListSchedulesInput{NamePrefix: aws.String("fetch")})
	require.NoError(t, err)
	require.Len(t, list.Schedules, 1)
	assert.Equal(t, name, aws.ToString(list.Schedules[0].GroupName))
	got, err := sch.GetSchedule(ctx, &scheduler.GetScheduleInput{Name: list.Schedules[0].Name, GroupName: list.Schedules[0].GroupName})
	require.NoError(t, err)
	assert.Equal(t, "rate(1 hour)", aws.ToString(got.ScheduleExpression))
	require.NotNil(t, got.Target)
	assert.Equal(t, st.ClusterARN, aws.ToString(got.Target.Arn))
	require.NotNil(t, got.Target.EcsParameters)
	assert.Equal(t, st.TaskDefinitionARNs["fetch"], aws.ToString(got.Target.EcsParameters.TaskDefinitionArn))

	// The API key reaches the job through valueFrom, never in plain text.
	sec, err := secretsmanager.NewFromConfig(cfg).DescribeSecret(ctx, &secretsmanager.DescribeSecretInput{SecretId: aws.String(external.APIKey)})
	require.NoError(t, err)
	td, err := ecsc.DescribeTaskDefinition(ctx, &ecs.DescribeTaskDefinitionInput{TaskDefinition: aws.String(st.TaskDefinitionARNs["fetch"])})
	require.NoError(t, err)
	require.Len(t, td.TaskDefinition.ContainerDefinitions, 1)
	c := td.TaskDefinition.ContainerDefinitions[0]
	assert.Equal(t, image, aws.ToString(c.Image))
	require.Len(t, c.Secrets, 1)
	assert.Equal(t, "WEATHER_API_KEY", aws.ToString(c.Secrets[0].Name))
	assert.Equal(t, aws.ToString(sec.ARN), aws.ToString(c.Secrets[0].ValueFrom))
	for _, kv := range c.Environment {
		assert.NotContains(t, aws.ToString(kv.Name), "API_KEY")
	}

	calls.Reset()
	again, err := stack.New(cfg, fast).Apply(ctx, spec)
	require.NoError(t, err)
	assert.Empty(t, again.Changes)
	assert.Empty(t, calls.Mutating(), "a second apply writes nothing")

	gone, err := stack.New(cfg, fast, func(o *stack.Options) { o.PurgeSecrets = true }).Destroy(ctx, name)
	require.NoError(t, err)
	assert.NotEmpty(t, gone)
	vpcs, err := ec2.NewFromConfig(cfg).DescribeVpcs(ctx, &ec2.DescribeVpcsInput{Filters: []ec2types.Filter{
		{Name: aws.String("tag:mangaalert:stack"), Values: []string{name}}}})
	require.NoError(t, err)
	assert.Empty(t, vpcs.Vpcs)
	secs, err := secretsmanager.NewFromConfig(cfg).ListSecrets(ctx, &secretsmanager.ListSecretsInput{IncludePlannedDeletion: aws.Bool(true)})
	require.NoError(t, err)
	assert.Empty(t, secs.SecretList)
	groups, err := sch.ListScheduleGroups(ctx, &scheduler.ListScheduleGroupsInput{NamePrefix: aws.String(name)})
	require.NoError(t, err)
	assert.Empty(t, groups.ScheduleGroups)
	roles, err := iam.NewFromConfig(cfg).ListRoles(ctx, &iam.ListRolesInput{})
	require.NoError(t, err)
	for _, r := range roles.Roles {
		assert.False(t, strings.HasPrefix(aws.ToString(r.RoleName), name+"-"), "role %s left", aws.ToString(r.RoleName))
	}

	calls.Reset()
	gone, err = stack.New(cfg, fast).Destroy(ctx, name)
	require.NoError(t, err)
	assert.Empty(t, gone, "nothing left to destroy")
	assert.Empty(t, calls.Mutating())
}
