package ecshost_test

import (
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/manga-alert-italia/mangaalert/ecshost"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

func TestUserDataGolden(t *testing.T) {
	tests := []struct {
		name   string
		golden string
		data   ecshost.UserData
	}{
		{"without elastic ip", "userdata.golden", ecshost.UserData{
			Stack: "manga", Cluster: "manga", Region: "eu-south-1", StopTimeout: 30 * time.Second, ReservedMemoryMiB: ecshost.ReservedMemoryMiB,
			Group: "manga-ecs-host"}},
		{"standard AMI: installs the agent", "userdata-agent.golden", ecshost.UserData{
			Stack: "manga", Cluster: "manga", Region: "eu-south-1", StopTimeout: 30 * time.Second, ReservedMemoryMiB: ecshost.ReservedMemoryMiB,
			InstallAgent: true, Group: "manga-ecs-host"}},
		{"with elastic ip", "userdata-eip.golden", ecshost.UserData{
			Stack: "manga", Cluster: "manga", Region: "eu-south-1", StopTimeout: 90 * time.Second, ReservedMemoryMiB: ecshost.ReservedMemoryMiB,
			AllocationID: "eipalloc-0123456789abcdef0", Group: "manga-ecs-host"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.data.Render()
			require.NoError(t, err)
			path := filepath.Join("testdata", tt.golden)
			if *update {
				require.NoError(t, os.WriteFile(path, []byte(got), 0o644))
			}
			want, err := os.ReadFile(path)
			require.NoError(t, err, "run go test -run TestUserDataGolden -update to write it")
			assert.Equal(t, string(want), got)

			// What the golden files must say, whatever their layout.
			assert.True(t, strings.HasPrefix(got, "#!/bin/bash\n"))
			assert.Contains(t, got, "ECS_CLUSTER="+tt.data.Cluster+"\n")
			assert.Contains(t, got, "ECS_ENABLE_TASK_IAM_ROLE=true\n")
			assert.Contains(t, got, "ECS_AWSVPC_BLOCK_IMDS=true\n")
			assert.Contains(t, got, "ECS_CONTAINER_STOP_TIMEOUT="+tt.data.StopTimeout.String()+"\n")
			assert.Contains(t, got, strings.TrimPrefix(ecshost.IMDSBlockRule, "iptables "))
			assert.Contains(t, got, "systemctl enable --now --no-block imds-block.service")
			// The dead-host check comes last, after everything the host needs
			// to run, and tells the host's own group only.
			assert.True(t, strings.HasSuffix(got, "systemctl enable --now --no-block ecs-self-health.timer\n"))
			assert.Contains(t, got, "if [ \"${down}\" -lt 300 ]; then")
			assert.Contains(t, got, "aws autoscaling set-instance-health --region eu-south-1 --instance-id \"${instance_id}\" --health-status Unhealthy")
			assert.Contains(t, got, "unhealthy to manga-ecs-host")
			if bash, err := exec.LookPath("bash"); err == nil {
				cmd := exec.Command(bash, "-n")
				cmd.Stdin = strings.NewReader(got)
				out, err := cmd.CombinedOutput()
				assert.NoError(t, err, "bash -n: %s", out)
				// The self-check is a script of its own, inside a heredoc.
				_, check, _ := strings.Cut(got, "<<'CHECK'\n")
				check, _, _ = strings.Cut(check, "\nCHECK\n")
				require.True(t, strings.HasPrefix(check, "#!/bin/bash\n"), "the self-check script")
				cmd = exec.Command(bash, "-n")
				cmd.Stdin = strings.NewReader(check)
				out, err = cmd.CombinedOutput()
				assert.NoError(t, err, "bash -n on the self-check: %s", out)
			}
			if tt.data.InstallAgent {
				assert.Contains(t, got, "dnf install -y ecs-init")
				assert.Less(t, strings.Index(got, "ECS_CLUSTER="), strings.Index(got, "systemctl enable --now --no-block docker.service ecs.service"),
					"the config is written before the agent first starts")
			} else {
				assert.NotContains(t, got, "ecs-init")
			}
			if tt.data.AllocationID == "" {
				assert.NotContains(t, got, "associate-address")
			} else {
				assert.Contains(t, got, "X-aws-ec2-metadata-token: ${token}", "IMDSv2 token for the instance id")
				assert.Contains(t, got, "--allocation-id "+tt.data.AllocationID+" --instance-id \"${instance_id}\" --allow-reassociation")
			}
		})
	}
}
