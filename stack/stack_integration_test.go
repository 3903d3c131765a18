package stack_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	dbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/scheduler"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/manga-alert-italia/mangaalert/change"
	"github.com/manga-alert-italia/mangaalert/integration"
	"github.com/manga-alert-italia/mangaalert/resource"
	"github.com/manga-alert-italia/mangaalert/schedule"
	"github.com/manga-alert-italia/mangaalert/stack"
)

func TestMain(m *testing.M) { integration.Main(m) }

// emulated is an account of its own on the emulator, its calls recorded.
func emulated(t *testing.T) (aws.Config, *integration.Calls) {
	t.Helper()
	cfg := integration.Config(t, integration.EC2, integration.ECS, integration.AutoScaling, integration.IAM, integration.SSM,
		integration.STS, integration.Scheduler, integration.SecretsManager, integration.DynamoDB, integration.Logs)
	return cfg, integration.Record(&cfg)
}

func fast(o *stack.Options) { o.MinDelay, o.MaxDelay = 10*time.Millisecond, 100*time.Millisecond }

func TestApplyTwiceDeployImageDestroy(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	cfg, calls := emulated(t)
	var heard []change.Change
	st := stack.New(cfg, fast, func(o *stack.Options) { o.OnChange = func(c change.Change) { heard = append(heard, c) } })
	spec := app("demo")

	status, err := st.Status(ctx, "demo")
	require.NoError(t, err)
	assert.Contains(t, status.Sections[1].Lines, "not deployed (run apply)")

	state, err := st.Apply(ctx, spec)
	require.NoError(t, err)
	assert.Equal(t, state.Changes, heard, "OnChange hears every change Apply reports")
	assert.False(t, slicesContainsKeep(state.Changes), "Changes are what was done, never a Keep")
	assert.Contains(t, state.TaskDefinitionARNs["fetch"], ":task-definition/demo-fetch:1")
	assert.Contains(t, state.SecretARNs["demo/api-key"], ":secret:demo/api-key-")
	assert.NotContains(t, state.SecretARNs["demo/api-key"], "xxxxxx")

	calls.Reset()
	again, err := st.Apply(ctx, spec)
	require.NoError(t, err)
	assert.Empty(t, again.Changes)
	assert.Empty(t, calls.Mutating(), "a second apply writes nothing")

	calls.Reset()
	plan, err := st.Plan(ctx, spec)
	require.NoError(t, err)
	assert.False(t, plan.HasChanges(), "%v", plan.Changes)
	assert.Empty(t, calls.Mutating(), "plan only reads")

	status, err = st.Status(ctx, "demo")
	require.NoError(t, err)
	var b strings.Builder
	require.NoError(t, status.Write(&b))
	assert.Contains(t, b.String(), "demo-web: ACTIVE: desired 1")
	assert.Contains(t, b.String(), "demo-fetch: revision 1, ghcr.io/example/app:1.0")
	assert.Regexp(t, `fetch: rate\(1 hour\) in Europe/Rome, ENABLED; runs demo-fetch:1; next `, b.String())
	assert.Contains(t, b.String(), "table demo: ACTIVE")
	assert.Contains(t, b.String(), "secret demo/api-key: last changed")

	t.Run("deploy-image moves the service and the schedule", func(t *testing.T) {
		rolled, err := st.DeployImage(ctx, spec, "ghcr.io/example/app:1.1")
		require.NoError(t, err)
		assert.NotEmpty(t, rolled.Changes)
		got, err := scheduler.NewFromConfig(cfg).GetSchedule(ctx, &scheduler.GetScheduleInput{Name: aws.String("fetch"), GroupName: aws.String("demo")})
		require.NoError(t, err)
		assert.Equal(t, rolled.TaskDefinitionARNs["fetch"], aws.ToString(got.Target.EcsParameters.TaskDefinitionArn))
		assert.Contains(t, rolled.TaskDefinitionARNs["fetch"], ":task-definition/demo-fetch:2")
		svc, err := ecs.NewFromConfig(cfg).DescribeServices(ctx, &ecs.DescribeServicesInput{Cluster: aws.String("demo"), Services: []string{"demo-web"}})
		require.NoError(t, err)
		assert.Equal(t, rolled.TaskDefinitionARNs["web"], aws.ToString(svc.Services[0].TaskDefinition))

		// An apply with the new image agrees with what DeployImage made.
		spec.Image = "ghcr.io/example/app:1.1"
		calls.Reset()
		after, err := st.Apply(ctx, spec)
		require.NoError(t, err)
		assert.Empty(t, after.Changes)
		assert.Empty(t, calls.Mutating())
	})

	gone, err := stack.New(cfg, fast, func(o *stack.Options) { o.PurgeSecrets = true }).Destroy(ctx, "demo")
	require.NoError(t, err)
	var kinds []string
	for _, c := range gone {
		assert.Equal(t, change.Delete, c.Action)
		kinds = append(kinds, c.Kind)
	}
	// Each resource deleted, in the reverse order of Apply.
	last := -1
	for _, k := range []string{"schedule group", "ECS cluster", "dynamodb table", "secret", "vpc"} {
		i := slices.Index(kinds, k)
		assert.Greater(t, i, last, "%s after the one before it in %v", k, kinds)
		last = i
	}

	calls.Reset()
	gone, err = st.Destroy(ctx, "demo")
	require.NoError(t, err)
	assert.Empty(t, gone, "nothing is left")
	assert.Empty(t, calls.Mutating())
}

// What would fail halfway fails before the first write.
func TestApplyRefusesBeforeWriting(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	cfg, calls := emulated(t)
	st := stack.New(cfg, fast)

	noImage := app("refused")
	noImage.Image = ""
	_, err := st.Apply(ctx, noImage)
	assert.ErrorIs(t, err, stack.ErrNoImage)

	noValue := app("refused")
	noValue.Secrets[0].Generate = nil
	_, err = st.Apply(ctx, noValue)
	assert.ErrorIs(t, err, stack.ErrMissingSecret)
	assert.Empty(t, calls.Mutating())

	_, err = st.DeployImage(ctx, app("refused"), "ghcr.io/example/app:1.1")
	assert.ErrorIs(t, err, stack.ErrNotDeployed)
	assert.Empty(t, calls.Mutating())
}

// A stack applied when each job had its own schedule group and scheduler
// role (STACK-JOB) loses them at the next Apply; a group of that shape
// whose schedules run in another stack's cluster is that stack's, and
// stays.
func TestApplyRemovesTheFormerGroupsOnce(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	cfg, calls := emulated(t)
	st := stack.New(cfg, fast)
	account, err := st.Account(ctx)
	require.NoError(t, err)
	arn := func(what string) string { return "arn:aws:ecs:" + cfg.Region + ":" + account + ":" + what }
	former := func(group, cluster string) {
		_, err := schedule.NewFromConfig(cfg).Ensure(ctx, schedule.Spec{Stack: group, ClusterARN: arn("cluster/" + cluster),
			ExecutionRoleARN: "arn:aws:iam::" + account + ":role/x", Jobs: []schedule.Job{{Name: "fetch",
				TaskDefinitionARN: arn("task-definition/" + cluster + "-fetch:1"), Expression: "rate(1 hour)"}}})
		require.NoError(t, err)
	}
	former("legacy-fetch", "legacy")       // this stack's, from before
	former("legacy-other", "legacy-other") // the stack legacy-other's own

	state, err := st.Apply(ctx, app("legacy"))
	require.NoError(t, err)
	c, ok := (&change.Plan{Changes: state.Changes}).Find("schedule group", "legacy-fetch")
	require.True(t, ok, "%v", state.Changes)
	assert.Equal(t, change.Delete, c.Action)
	groups := scheduler.NewFromConfig(cfg)
	_, err = groups.GetScheduleGroup(ctx, &scheduler.GetScheduleGroupInput{Name: aws.String("legacy-fetch")})
	assert.Error(t, err, "the former group is gone")
	_, err = groups.GetScheduleGroup(ctx, &scheduler.GetScheduleGroupInput{Name: aws.String("legacy-other")})
	assert.NoError(t, err, "another stack's group stays")

	calls.Reset()
	again, err := st.Apply(ctx, app("legacy"))
	require.NoError(t, err)
	assert.Empty(t, again.Changes)
	assert.Empty(t, calls.Mutating(), "removed once")

	_, err = stack.New(cfg, fast, func(o *stack.Options) { o.PurgeSecrets = true }).Destroy(ctx, "legacy")
	require.NoError(t, err)
	_, err = groups.GetScheduleGroup(ctx, &scheduler.GetScheduleGroupInput{Name: aws.String("legacy-other")})
	assert.NoError(t, err, "destroy leaves another stack's group alone")
}

// The table is the stack's only when it carries the stack's tag, and only
// with the definition's keys; an older table of the stack gets what the
// definition added (on-demand billing, an index, TTL), once.
func TestTableOwnershipShapeAndGrowth(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	cfg, calls := emulated(t)
	db := dynamodb.NewFromConfig(cfg)
	create := func(name string, key string, tags ...dbtypes.Tag) {
		_, err := db.CreateTable(ctx, &dynamodb.CreateTableInput{TableName: aws.String(name), Tags: tags,
			AttributeDefinitions:  []dbtypes.AttributeDefinition{{AttributeName: aws.String(key), AttributeType: dbtypes.ScalarAttributeTypeS}},
			KeySchema:             []dbtypes.KeySchemaElement{{AttributeName: aws.String(key), KeyType: dbtypes.KeyTypeHash}},
			ProvisionedThroughput: &dbtypes.ProvisionedThroughput{ReadCapacityUnits: aws.Int64(1), WriteCapacityUnits: aws.Int64(1)}})
		require.NoError(t, err)
	}
	ours := []dbtypes.Tag{{Key: aws.String("mangaalert:stack"), Value: aws.String("grown")}}
	create("someone-elses", "pk")
	create("other-keys", "id", ours...)
	create("grown", "pk", ours...)
	st := stack.New(cfg, fast)
	def := func(name string) *stack.Table {
		return &stack.Table{Name: name, TTLAttribute: "ttl", Definition: &dynamodb.CreateTableInput{
			AttributeDefinitions: []dbtypes.AttributeDefinition{{AttributeName: aws.String("pk"), AttributeType: dbtypes.ScalarAttributeTypeS},
				{AttributeName: aws.String("g"), AttributeType: dbtypes.ScalarAttributeTypeS}},
			KeySchema: []dbtypes.KeySchemaElement{{AttributeName: aws.String("pk"), KeyType: dbtypes.KeyTypeHash}},
			GlobalSecondaryIndexes: []dbtypes.GlobalSecondaryIndex{{IndexName: aws.String("byg"),
				KeySchema:  []dbtypes.KeySchemaElement{{AttributeName: aws.String("g"), KeyType: dbtypes.KeyTypeHash}},
				Projection: &dbtypes.Projection{ProjectionType: dbtypes.ProjectionTypeAll}}}}}
	}
	spec := app("grown")
	spec.Table = def("someone-elses")
	_, err := st.Plan(ctx, spec)
	assert.ErrorIs(t, err, resource.ErrNotOurs)
	spec.Table = def("other-keys")
	_, err = st.Plan(ctx, spec)
	assert.ErrorIs(t, err, stack.ErrTableShape)

	spec.Table = def("grown")
	plan, err := st.Plan(ctx, spec)
	require.NoError(t, err)
	c, ok := plan.Find("dynamodb table", "grown")
	require.True(t, ok)
	assert.Equal(t, change.Update, c.Action)
	assert.Subset(t, c.Details, []string{"billing: on-demand", "add index byg", "TTL on ttl"})
	_, err = st.Apply(ctx, spec)
	require.NoError(t, err)
	d, err := db.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String("grown")})
	require.NoError(t, err)
	require.Len(t, d.Table.GlobalSecondaryIndexes, 1)
	assert.Equal(t, dbtypes.BillingModePayPerRequest, d.Table.BillingModeSummary.BillingMode)
	calls.Reset()
	again, err := st.Apply(ctx, spec)
	require.NoError(t, err)
	assert.Empty(t, again.Changes)
	assert.Empty(t, calls.Mutating())
}

func slicesContainsKeep(cs []change.Change) bool {
	for _, c := range cs {
		if c.Action == change.Keep {
			return true
		}
	}
	return false
}
