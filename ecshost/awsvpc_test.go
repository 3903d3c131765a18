package ecshost_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/manga-alert-italia/mangaalert/ecshost"
)

// What the awsvpc mode and Fargate change in the task definitions: the
// service's mode and host port, the jobs' mode, compatibilities, size and
// architecture.
func TestTaskDefinitionsInAwsvpcAndOnFargate(t *testing.T) {
	tests := []struct {
		name                  string
		awsvpc                ecshost.AwsVPC
		arch                  []string
		serviceMode, taskMode ecstypes.NetworkMode
		fargate               bool
		cpuArch               ecstypes.CPUArchitecture
	}{
		{name: "bridge on EC2 (default)", serviceMode: ecstypes.NetworkModeBridge, taskMode: ecstypes.NetworkModeBridge},
		{name: "awsvpc, jobs on EC2", awsvpc: ecshost.AwsVPC{NetworkMode: "awsvpc", TaskSubnetIDs: []string{"subnet-p"}},
			serviceMode: ecstypes.NetworkModeAwsvpc, taskMode: ecstypes.NetworkModeAwsvpc},
		{name: "bridge, jobs on Fargate", awsvpc: ecshost.AwsVPC{TasksOn: "fargate", TaskSubnetIDs: []string{"subnet-0a"}},
			serviceMode: ecstypes.NetworkModeBridge, taskMode: ecstypes.NetworkModeAwsvpc, fargate: true, cpuArch: ecstypes.CPUArchitectureArm64},
		{name: "jobs on Fargate, image x86 only", awsvpc: ecshost.AwsVPC{TasksOn: "fargate", TaskSubnetIDs: []string{"subnet-0a"}}, arch: []string{"amd64"},
			serviceMode: ecstypes.NetworkModeBridge, taskMode: ecstypes.NetworkModeAwsvpc, fargate: true, cpuArch: ecstypes.CPUArchitectureX8664},
		{name: "awsvpc, jobs on Fargate Spot", awsvpc: ecshost.AwsVPC{NetworkMode: "awsvpc", TasksOn: "fargate-spot", TaskSubnetIDs: []string{"subnet-p"}},
			serviceMode: ecstypes.NetworkModeAwsvpc, taskMode: ecstypes.NetworkModeAwsvpc, fargate: true, cpuArch: ecstypes.CPUArchitectureX8664},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := baseSpec()
			s.AwsVPC = tt.awsvpc
			s.InstanceType = "t4g.small" // room for a job's interface beside the service's
			if tt.arch != nil {
				s.ImageArch, s.InstanceType = tt.arch, "t3.small"
			}
			ins, err := offline().TaskDefinitionInputs(context.Background(), s)
			require.NoError(t, err)
			svc, task := ins[0], ins[1]
			assert.Equal(t, tt.serviceMode, svc.NetworkMode)
			assert.Equal(t, []ecstypes.Compatibility{ecstypes.CompatibilityEc2}, svc.RequiresCompatibilities, "the service stays on EC2")
			if tt.serviceMode == ecstypes.NetworkModeAwsvpc {
				pm := svc.ContainerDefinitions[0].PortMappings[0]
				assert.Equal(t, aws.ToInt32(pm.ContainerPort), aws.ToInt32(pm.HostPort), "awsvpc: the host port is the container port")
			}
			assert.Equal(t, tt.taskMode, task.NetworkMode)
			if !tt.fargate {
				assert.Equal(t, []ecstypes.Compatibility{ecstypes.CompatibilityEc2}, task.RequiresCompatibilities)
				assert.Nil(t, task.Cpu)
				return
			}
			assert.Equal(t, []ecstypes.Compatibility{ecstypes.CompatibilityEc2, ecstypes.CompatibilityFargate}, task.RequiresCompatibilities)
			assert.Equal(t, ecshost.FargateTaskCPU, aws.ToString(task.Cpu))
			assert.Equal(t, ecshost.FargateTaskMemoryMiB, aws.ToString(task.Memory))
			assert.LessOrEqual(t, aws.ToInt32(task.ContainerDefinitions[0].Memory), int32(512), "the container fits the task's size")
			assert.Equal(t, tt.cpuArch, task.RuntimePlatform.CpuArchitecture)
			assert.NotEmpty(t, aws.ToString(task.ExecutionRoleArn), "Fargate pulls and logs with the execution role")
		})
	}
}

// The rollout in awsvpc follows the instances' network interfaces.
func TestAwsvpcDeploymentFollowsTheNetworkInterfaces(t *testing.T) {
	tests := []struct {
		name      string
		instance  string
		tasks     int32
		min, max  int32
		saying    string
		jobsOnEC2 bool
	}{
		{"nano, two hosts", "t4g.nano", 2, 50, 100, "one at a time, while the others serve", false},
		{"nano, one host", "t4g.nano", 1, 0, 100, "a short gap", false},
		{"small: a spare interface", "t4g.small", 2, 100, 200, "no gap", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := baseSpec()
			s.InstanceType = tt.instance
			s.AwsVPC = ecshost.AwsVPC{NetworkMode: "awsvpc", TaskSubnetIDs: []string{"subnet-p"}, TasksOn: "fargate"}
			if tt.jobsOnEC2 {
				s.TasksOn = ""
			}
			s.DesiredCount, s.GroupSize = tt.tasks, tt.tasks
			p, err := offline().Plan(context.Background(), s)
			require.NoError(t, err)
			n := note(p, "deployment ")
			assert.Contains(t, n, fmt.Sprintf("deployment %d%%/%d%%", tt.min, tt.max))
			assert.Contains(t, n, tt.saying)
		})
	}
}

func TestAwsvpcProblems(t *testing.T) {
	tests := []struct {
		name   string
		awsvpc ecshost.AwsVPC
		want   string
	}{
		{"unknown mode", ecshost.AwsVPC{NetworkMode: "host"}, `NetworkMode "host"`},
		{"unknown place", ecshost.AwsVPC{TasksOn: "lambda"}, `TasksOn "lambda"`},
		{"no subnets", ecshost.AwsVPC{NetworkMode: "awsvpc"}, "TaskSubnetIDs is empty"},
		{"jobs in awsvpc on a nano", ecshost.AwsVPC{NetworkMode: "awsvpc", TaskSubnetIDs: []string{"subnet-p"}},
			"a t4g.nano takes 2 network interfaces, the host's and the service task's, so no job could start"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := baseSpec()
			s.AwsVPC = tt.awsvpc
			_, err := offline().Plan(context.Background(), s)
			require.ErrorIs(t, err, ecshost.ErrInvalidSpec)
			assert.Contains(t, err.Error(), tt.want)
		})
	}
	s := baseSpec()
	s.ImageArch = []string{"arm64"}
	s.AwsVPC = ecshost.AwsVPC{TasksOn: "fargate-spot", TaskSubnetIDs: []string{"subnet-0a"}}
	_, err := offline().Plan(context.Background(), s)
	require.ErrorIs(t, err, ecshost.ErrInvalidSpec)
	assert.Contains(t, err.Error(), "runs x86 only")
}
