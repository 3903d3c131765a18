package autoscale_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/manga-alert-italia/mangaalert/autoscale"
)

func TestValidate(t *testing.T) {
	group := "arn:aws:autoscaling:eu-south-1:123456789012:autoScalingGroup:0b5e:autoScalingGroupName/shop-ecs-host"
	tests := []struct {
		name  string
		spec  autoscale.Spec
		field string // "" for valid
	}{
		{"nothing to scale", autoscale.Spec{Stack: "shop"}, ""},
		{"tasks and hosts", autoscale.Spec{Stack: "shop", Service: "shop-serve", Tasks: &autoscale.Tasks{Min: 2, Max: 4}, Hosts: &autoscale.Hosts{GroupARN: group}}, ""},
		{"bad stack", autoscale.Spec{Stack: "Shop"}, "Stack"},
		{"tasks without service", autoscale.Spec{Stack: "shop", Tasks: &autoscale.Tasks{Min: 1, Max: 2}}, "Service"},
		{"max below min", autoscale.Spec{Stack: "shop", Service: "s", Tasks: &autoscale.Tasks{Min: 3, Max: 2}}, "Tasks"},
		{"zero min", autoscale.Spec{Stack: "shop", Service: "s", Tasks: &autoscale.Tasks{Max: 2}}, "Tasks"},
		{"bad label", autoscale.Spec{Stack: "shop", Service: "s", Tasks: &autoscale.Tasks{Min: 1, Max: 2, ResourceLabel: "targetgroup/x/y"}}, "Tasks.ResourceLabel"},
		{"cpu above 100", autoscale.Spec{Stack: "shop", Service: "s", Tasks: &autoscale.Tasks{Min: 1, Max: 2, CPUPercent: 120}}, "Tasks.CPUPercent"},
		{"not a group", autoscale.Spec{Stack: "shop", Hosts: &autoscale.Hosts{GroupARN: "shop-ecs-host"}}, "Hosts.GroupARN"},
		{"capacity above 100", autoscale.Spec{Stack: "shop", Hosts: &autoscale.Hosts{GroupARN: group, TargetCapacity: 101}}, "Hosts.TargetCapacity"},
		{"a name ECS refuses", autoscale.Spec{Stack: "ecsdemo", Hosts: &autoscale.Hosts{GroupARN: group}}, "Stack"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.spec.Validate()
			if tt.field == "" {
				require.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, autoscale.ErrInvalidSpec)
			var se *autoscale.SpecError
			require.ErrorAs(t, err, &se)
			assert.Equal(t, tt.field, se.Field, "%v", err)
		})
	}
}

func TestLabelOf(t *testing.T) {
	assert.Equal(t, "app/shop/50dc/targetgroup/shop-tg/73e2", autoscale.LabelOf(
		"arn:aws:elasticloadbalancing:eu-south-1:123456789012:loadbalancer/app/shop/50dc",
		"arn:aws:elasticloadbalancing:eu-south-1:123456789012:targetgroup/shop-tg/73e2"))
	assert.Empty(t, autoscale.LabelOf("arn:aws:elasticloadbalancing:eu-south-1:1:loadbalancer/net/shop/1", "arn:x:targetgroup/a/b"))
	assert.Empty(t, autoscale.LabelOf("", ""))
}

func TestMetric(t *testing.T) {
	s := autoscale.Spec{Stack: "shop", Service: "s", Tasks: &autoscale.Tasks{Min: 1, Max: 2}}.WithDefaults()
	assert.Equal(t, autoscale.MetricCPU, s.Tasks.Metric())
	assert.Equal(t, float64(autoscale.DefaultCPUPercent), s.Tasks.Target())
	s.Tasks.ResourceLabel = "app/a/b/targetgroup/c/d"
	assert.Equal(t, autoscale.MetricRequests, s.Tasks.Metric())
	assert.Equal(t, float64(autoscale.DefaultRequestsPerTarget), s.Tasks.Target())
}
