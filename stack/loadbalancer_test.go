package stack_test

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/manga-alert-italia/mangaalert/stack"
)

func TestLoadBalancerSpecProblems(t *testing.T) {
	lb := &stack.LoadBalancer{Domain: "shop.example.it"}
	tests := []struct {
		name   string
		change func(*stack.Spec)
		fields []string
	}{
		{"three instances behind a load balancer", func(s *stack.Spec) { s.Host.Instances, s.LoadBalancer = 3, lb }, nil},
		{"one instance behind a load balancer", func(s *stack.Spec) { s.LoadBalancer = lb }, nil},
		{"three instances, no load balancer", func(s *stack.Spec) { s.Host.Instances = 3 }, []string{"Host.Instances"}},
		{"an Elastic IP on three", func(s *stack.Spec) { s.Host.Instances, s.LoadBalancer, s.Host.ElasticIP = 3, lb, true }, []string{"Host.ElasticIP"}},
		{"one zone", func(s *stack.Spec) { s.Host.Instances, s.LoadBalancer, s.Network.AZs = 2, lb, 1 }, []string{"Network.AZs"}},
		{"no domain", func(s *stack.Spec) { s.Host.Instances, s.LoadBalancer = 2, &stack.LoadBalancer{} }, []string{"LoadBalancer.Domain"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := app("demo")
			s.Service.PortMappings = nil // the default: 80, or a dynamic port behind a load balancer
			s.Host.InstanceType = "t4g.micro"
			tt.change(&s)
			err := s.Validate()
			if tt.fields == nil {
				require.NoError(t, err)
				return
			}
			var se *stack.SpecError
			require.ErrorAs(t, err, &se)
			var got []string
			for _, p := range se.Problems {
				got = append(got, p.Field)
			}
			assert.ElementsMatch(t, tt.fields, got, "%v", err)
		})
	}
}

// Offline, three instances plan the load balancer before the host, whose
// group and service say 3, and the cost counts three hosts.
func TestPlanOfThreeInstances(t *testing.T) {
	s := app("demo")
	s.Host.Instances, s.Host.InstanceType = 3, "t4g.micro"
	s.LoadBalancer = &stack.LoadBalancer{Domain: "shop.example.it"}
	p, err := stack.New(aws.Config{Region: "eu-south-1"}, offline).Plan(context.Background(), s)
	require.NoError(t, err)
	var order []string
	for _, c := range p.Changes {
		order = append(order, c.Kind)
	}
	assert.Less(t, indexOf(order, "load balancer"), indexOf(order, "ECS service"))
	g, ok := p.Find("auto scaling group", "demo-ecs-host")
	require.True(t, ok)
	assert.Contains(t, g.Details[0], "3 instances")
	svc, ok := p.Find("ECS service", "demo-web")
	require.True(t, ok)
	assert.Contains(t, svc.Details[0], "3 tasks, registered in target group arn:aws:elasticloadbalancing:eu-south-1:000000000000:targetgroup/demo-tg/planned")
	sg, ok := p.Find("security group", "sg/host")
	require.True(t, ok)
	assert.Equal(t, []string{"allow inbound tcp 32768-65535 from sg/alb"}, sg.Details)
	for _, l := range p.Cost {
		if l.Item == "EC2 t4g.micro on-demand" {
			assert.InDelta(t, 3*730, l.Quantity, 0.01)
		}
	}
}
