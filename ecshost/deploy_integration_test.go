package ecshost_test

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/manga-alert-italia/mangaalert/ecshost"
)

// TestDeployOnEmulator is the moto round trip of Deploy: moto completes
// every deployment at once, so this checks what reaches ECS, not the
// rollout (the scripted fake in deploy_test.go does that).
func TestDeployOnEmulator(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newEnv(t)
	_, err := e.host.Ensure(ctx, e.spec)
	require.NoError(t, err)

	image := e.account + ".dkr.ecr." + e.region + ".amazonaws.com/mangaalert:2.0.0"
	var rec recorder
	e.calls.Reset()
	res, err := e.host.Deploy(ctx, e.spec, image, onEvent(&rec))
	require.NoError(t, err, rec.text())
	assert.True(t, res.Changed)
	assert.Equal(t, []string{"ECS.RegisterTaskDefinition", "ECS.UpdateService", "ECS.RegisterTaskDefinition", "ECS.RegisterTaskDefinition"},
		operations(e.calls.Mutating()))
	assert.Contains(t, rec.kinds(), ecshost.EventDone)

	svc, err := e.ecs.DescribeServices(ctx, &ecs.DescribeServicesInput{Cluster: aws.String("manga"), Services: []string{"manga-serve"}})
	require.NoError(t, err)
	require.Len(t, svc.Services, 1)
	assert.Equal(t, res.TaskDefinitions["serve"].ARN, aws.ToString(svc.Services[0].TaskDefinition))
	assert.Equal(t, ecstypes.LaunchTypeEc2, svc.Services[0].LaunchType)

	td, err := e.ecs.DescribeTaskDefinition(ctx, &ecs.DescribeTaskDefinitionInput{TaskDefinition: aws.String(res.TaskDefinitions["serve"].ARN)})
	require.NoError(t, err)
	def := td.TaskDefinition
	assert.Equal(t, ecstypes.NetworkModeBridge, def.NetworkMode)
	assert.Equal(t, []ecstypes.Compatibility{ecstypes.CompatibilityEc2}, def.RequiresCompatibilities)
	assert.Equal(t, "arn:aws:iam::"+e.account+":role/mangaalert/manga/manga-ecs-execution", aws.ToString(def.ExecutionRoleArn))
	assert.Equal(t, "arn:aws:iam::"+e.account+":role/mangaalert/manga/manga-task-serve", aws.ToString(def.TaskRoleArn))
	require.Len(t, def.ContainerDefinitions, 1)
	c := def.ContainerDefinitions[0]
	assert.Equal(t, image, aws.ToString(c.Image))
	assert.Equal(t, []string{"serve"}, c.Command)
	assert.Equal(t, []string{"CMD", "/mangaalert", "healthcheck"}, c.HealthCheck.Command)
	assert.Equal(t, int32(80), aws.ToInt32(c.PortMappings[0].HostPort))
	assert.Equal(t, int32(8080), aws.ToInt32(c.PortMappings[0].ContainerPort))
	assert.Equal(t, int32(96), aws.ToInt32(c.Memory))
	assert.Equal(t, int32(48), aws.ToInt32(c.MemoryReservation))
	assert.Equal(t, int32(30), aws.ToInt32(c.StopTimeout))
	assert.Equal(t, ecstypes.LogDriverAwslogs, c.LogConfiguration.LogDriver)
	assert.Equal(t, "/ecs/manga", c.LogConfiguration.Options["awslogs-group"])
	require.Len(t, c.Secrets, 1)
	assert.Equal(t, "SMTP_PASSWORD", aws.ToString(c.Secrets[0].Name))
	assert.True(t, strings.HasSuffix(aws.ToString(c.Secrets[0].ValueFrom), ":secret:mangaalert/smtp-AbCdEf:password::"))
	require.Len(t, c.Environment, 1)
	assert.Equal(t, "MANGAALERT_TABLE", aws.ToString(c.Environment[0].Name))

	// Ensure with an empty Image keeps what Deploy rolled out.
	spec := e.spec
	spec.Image = ""
	e.calls.Reset()
	st, err := e.host.Ensure(ctx, spec)
	require.NoError(t, err)
	assert.Empty(t, operations(e.calls.Mutating()))
	assert.Equal(t, image, st.TaskDefinitions["notify"].Image)
}
