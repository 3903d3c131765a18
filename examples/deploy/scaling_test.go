package main

import (
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The scaling fields are checked before any call, and a problem is named
// by the configuration's field.
func TestValidateScaling(t *testing.T) {
	tests := []struct {
		name   string
		change func(*Config)
		want   []string // "field: words of the problem"; none means valid
	}{
		{"tasks and hosts behind the load balancer", func(c *Config) {
			c.InstanceType, c.Instances, c.MaxTasks, c.CapacityProvider, c.MaxInstances = "t4g.micro", 2, 4, true, 3
		}, nil},
		{"a capacity provider at the group's size", func(c *Config) { c.InstanceType, c.Instances, c.CapacityProvider = "t4g.micro", 2, true }, nil},
		{"tasks on one host's fixed port", func(c *Config) { c.MaxTasks = 2 }, []string{"max_tasks: 2 tasks on 1 host(s) publishing host port 80"}},
		{"fewer tasks than hosts", func(c *Config) { c.InstanceType, c.Instances, c.MaxTasks = "t4g.micro", 3, 2 }, []string{"max_tasks: 2 is below Host.Instances (3)"}},
		{"more hosts with nothing to add them", func(c *Config) { c.InstanceType, c.Instances, c.MaxInstances = "t4g.micro", 2, 4 },
			[]string{"max_instances: 4 above Host.Instances (2) with nothing to grow the group: turn on the capacity provider (Scaling.CapacityProvider)"}},
		{"a maximum below the hosts", func(c *Config) {
			c.InstanceType, c.Instances, c.MaxInstances, c.CapacityProvider = "t4g.micro", 3, 2, true
		},
			[]string{"max_instances: 2: use 0 (Host.Instances) or at least Host.Instances (3)"}},
		{"a name ECS refuses for a provider", func(c *Config) { c.Stack, c.CapacityProvider = "ecsmanga", true },
			[]string{`capacity_provider: the stack "ecsmanga" starts with "ecs"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := valid()
			tt.change(&c)
			o := options{overrides: []func(*Config){func(x *Config) { *x = c }}}
			_, err := o.config(false)
			if len(tt.want) == 0 {
				require.NoError(t, err)
				return
			}
			_, got := assertProblems(t, err, tt.want)
			assert.Len(t, got, len(tt.want), "exactly the expected problems:\n%s", strings.Join(got, "\n"))
		})
	}
}

// The flags set the scaling fields over the file.
func TestScalingFlags(t *testing.T) {
	a, out, errOut := testApp(nil)
	code := a.run(context.Background(), []string{"plan", "--offline", "--instances", "2", "--instance-type", "t4g.micro", "--domain", "manga.example.it",
		"--max-tasks", "5", "--capacity-provider", "--max-instances", "4"})
	require.Equal(t, exitOK, code, "stderr: %s", errOut)
	plan := strings.Join(strings.Fields(out.String()), " ")
	assert.Contains(t, plan, "create scalable target service/mangaalert/mangaalert-serve 2 to 5 tasks")
	assert.Contains(t, plan, "2 to 4 instances (capacity provider)")
	assert.Contains(t, plan, "this configuration at its scaled maximum: 4 instances, 5 tasks")

	a, _, errOut = testApp(nil)
	assert.Equal(t, exitUsage, a.run(context.Background(), []string{"plan", "--max-tasks", "many"}), "a bad number is a usage error")
	assert.Contains(t, errOut.String(), "--max-tasks=many: want a number")
}
