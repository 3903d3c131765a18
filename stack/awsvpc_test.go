package stack_test

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/manga-alert-italia/mangaalert/stack"
)

// awsvpc needs the NAT and the load balancer; the refusal of awsvpc
// without the NAT is network.PreflightSpec's, before anything is sent.
func TestAwsvpcProblems(t *testing.T) {
	lb := &stack.LoadBalancer{Domain: "demo.example.it"}
	tests := []struct {
		name        string
		modify      func(*stack.Spec)
		field, want string
	}{
		{"unknown mode", func(s *stack.Spec) { s.Network.Mode = "host" }, "Network.Mode", `"host": use "bridge" (default) or "awsvpc"`},
		{"unknown place for the jobs", func(s *stack.Spec) { s.JobsOn = "lambda" }, "JobsOn", `"lambda"`},
		{"awsvpc without the NAT", func(s *stack.Spec) { s.Network.Mode, s.LoadBalancer, s.Host.Instances = "awsvpc", lb, 2 },
			"Network.NAT", "get no public IP and need a NAT route"},
		{"awsvpc with the jobs on a nano", func(s *stack.Spec) {
			s.Network.Mode, s.Network.NAT, s.LoadBalancer, s.Host.Instances = "awsvpc", true, lb, 2
		},
			"Network.Mode", "a t4g.nano takes 2 network interfaces, the host's and the service task's, so no job could start"},
		{"awsvpc without the load balancer", func(s *stack.Spec) { s.Network.Mode, s.Network.NAT = "awsvpc", true },
			"Network.Mode", "nothing from the internet reaches them but a load balancer"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			spec := app("demo")
			tt.modify(&spec)
			err := spec.Validate()
			require.ErrorIs(t, err, stack.ErrInvalidSpec)
			var found bool
			for _, p := range err.(*stack.SpecError).Problems {
				if p.Field == tt.field && strings.Contains(p.Problem, tt.want) {
					found = true
				}
			}
			assert.True(t, found, "want %s: %s in %v", tt.field, tt.want, err)
		})
	}
	spec := app("demo")
	spec.Network.Mode, spec.Network.NAT, spec.LoadBalancer, spec.Host.Instances, spec.JobsOn = "awsvpc", true, lb, 2, stack.JobsOnFargate
	require.NoError(t, spec.Validate())
}

// Jobs on Fargate are priced per run in the plan's table: Graviton,
// Spot, and a public address for the run without a NAT.
func TestFargateJobsInTheCostTable(t *testing.T) {
	tests := []struct {
		name     string
		jobsOn   string
		nat      bool
		price    float64
		publicIP bool
	}{
		{"Fargate, no NAT", stack.JobsOnFargate, false, stack.FargateVCPUPrice.USD, true},
		{"Fargate with the NAT", stack.JobsOnFargate, true, stack.FargateVCPUPrice.USD, false},
		{"Fargate Spot", stack.JobsOnFargateSpot, false, stack.FargateSpotVCPUPrice.USD, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			spec := app("demo")
			spec.JobsOn, spec.Network.NAT = tt.jobsOn, tt.nat
			p, err := stack.New(aws.Config{Region: "eu-south-1"}, offline).Plan(context.Background(), spec)
			require.NoError(t, err)
			var vcpu, ip bool
			for _, l := range p.Cost {
				switch l.Item {
				case "Fargate vCPU, jobs":
					vcpu = true
					assert.InDelta(t, tt.price, l.Price.USD, 1e-9)
					// rate(1 hour): 730 runs of the default 2 minutes, 0.25 vCPU.
					assert.InDelta(t, 730*2.0/60*0.25, l.Quantity, 1e-6)
					assert.Contains(t, l.Note, "fetch 730 runs × 2m0s")
					assert.Contains(t, l.Note, "USD a run")
				case "public IPv4 of the job tasks":
					ip = true
				}
			}
			assert.True(t, vcpu, "the jobs' vCPU line")
			assert.Equal(t, tt.publicIP, ip, "a public address for each run only without the NAT")
			if tt.nat {
				_, ok := p.Find("NAT gateway", "nat")
				assert.True(t, ok)
			}
		})
	}
	p, err := stack.New(aws.Config{Region: "eu-south-1"}, offline).Plan(context.Background(), app("demo"))
	require.NoError(t, err)
	for _, l := range p.Cost {
		assert.NotContains(t, l.Item, "Fargate", "jobs on the hosts cost nothing more")
	}
}

// Alternatives gets the Spec as a caller has it, before its defaults: a
// job that follows another has no schedule yet, and still runs.
func TestAlternativesCountAFollowingJobsRuns(t *testing.T) {
	spec := app("demo")
	spec.Jobs[0].Schedule = "cron(0 0/6 * * ? *)"
	spec.Jobs = append(spec.Jobs, stack.Job{Container: stack.Container{Name: "notify"}, After: "fetch"})
	for _, a := range stack.Alternatives(spec, nil) {
		for _, l := range a.Lines {
			if strings.HasPrefix(l.Item, "Fargate vCPU, jobs") {
				assert.NotContains(t, l.Note, "notify 0 runs", a.Name)
				assert.Contains(t, l.Note, "notify 12", a.Name) // 121 or 122 in 730 hours
			}
		}
	}
}
