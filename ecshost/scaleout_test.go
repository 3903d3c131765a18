package ecshost_test

import (
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/manga-alert-italia/mangaalert/ecshost"
)

func TestScaleOutProblems(t *testing.T) {
	for _, tc := range []struct {
		name string
		s    ecshost.ScaleOut
		port int32
		eip  bool
		want string
	}{
		{"three tasks on a static port", ecshost.ScaleOut{DesiredCount: 3, GroupSize: 3}, 80, false, "cannot both bind it"},
		{"an Elastic IP on three instances", ecshost.ScaleOut{GroupSize: 3}, 0, true, "the load balancer is the stable address"},
		{"negative", ecshost.ScaleOut{GroupSize: -1}, 0, false, "use 0 (one) or more"},
		{"a maximum below the size", ecshost.ScaleOut{GroupSize: 3, MaxGroupSize: 2}, 0, false, "MaxGroupSize 2 is below GroupSize 3"},
		{"a maximum nothing reaches", ecshost.ScaleOut{GroupSize: 2, MaxGroupSize: 4}, 0, false, "nothing would grow the group"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			spec := ecshost.Spec{Stack: "s", SubnetIDs: []string{"subnet-1"}, SecurityGroupID: "sg-1", Image: "i", ElasticIP: tc.eip, ScaleOut: tc.s,
				Service: ecshost.Container{PortMappings: []ecshost.PortMapping{{ContainerPort: 8080, HostPort: tc.port}}}}
			_, err := ecshost.New(ecshost.Clients{}, func(o *ecshost.Options) { o.Offline, o.Region = true, "eu-south-1" }).Plan(context.Background(), spec)
			require.ErrorIs(t, err, ecshost.ErrInvalidSpec)
			assert.ErrorContains(t, err, tc.want)
		})
	}
}

// With a capacity provider the plan says the group's bounds and that the
// desired capacity is ECS's; the service names the provider.
func TestManagedPlan(t *testing.T) {
	spec := ecshost.Spec{Stack: "s", SubnetIDs: []string{"subnet-1"}, SecurityGroupID: "sg-1", Image: "i", InstanceType: "t4g.micro",
		ScaleOut: ecshost.ScaleOut{DesiredCount: 2, GroupSize: 2, MaxGroupSize: 5, ManagedHosts: true, ManagedTasks: true, MaxCount: 5, CapacityProvider: "s-hosts"},
		Service:  ecshost.Container{PortMappings: []ecshost.PortMapping{{ContainerPort: 8080}}}}
	p, err := ecshost.New(ecshost.Clients{}, func(o *ecshost.Options) { o.Offline, o.Region = true, "eu-south-1" }).Plan(context.Background(), spec)
	require.NoError(t, err)
	g, ok := p.Find("auto scaling group", "s-ecs-host")
	require.True(t, ok, "%v", p.Changes)
	assert.Contains(t, g.String(), "2 to 5 instances")
	svc, ok := p.Find("ECS service", "s-serve")
	require.True(t, ok, "%v", p.Changes)
	assert.Contains(t, svc.String(), "count kept as Application Auto Scaling sets it, placed through capacity provider s-hosts")
	// Up to 5 tasks on the 2 hosts the group keeps at least: 3 on one,
	// twice that during a rollout.
	assert.Contains(t, strings.Join(p.Notes, "\n"), "service ×6 and")
}
