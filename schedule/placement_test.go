package schedule

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/scheduler/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// What a Placement makes of a schedule's ECS target.
func TestPlaceTarget(t *testing.T) {
	nc := func(public types.AssignPublicIp) *types.NetworkConfiguration {
		return &types.NetworkConfiguration{AwsvpcConfiguration: &types.AwsVpcConfiguration{
			Subnets: []string{"subnet-1"}, SecurityGroups: []string{"sg-1"}, AssignPublicIp: public}}
	}
	tests := []struct {
		name     string
		p        Placement
		launch   types.LaunchType
		capacity string
		network  *types.NetworkConfiguration
	}{
		{name: "zero: EC2 in bridge mode", launch: types.LaunchTypeEc2},
		{name: "EC2 in awsvpc", p: Placement{LaunchType: LaunchEC2, Subnets: []string{"subnet-1"}, SecurityGroups: []string{"sg-1"}},
			launch: types.LaunchTypeEc2, network: nc(types.AssignPublicIpDisabled)},
		{name: "Fargate with a public address", p: Placement{LaunchType: LaunchFargate, Subnets: []string{"subnet-1"}, SecurityGroups: []string{"sg-1"}, AssignPublicIP: true},
			launch: types.LaunchTypeFargate, network: nc(types.AssignPublicIpEnabled)},
		{name: "Fargate Spot", p: Placement{CapacityProvider: CapacityFargateSpot, Subnets: []string{"subnet-1"}, SecurityGroups: []string{"sg-1"}},
			capacity: "FARGATE_SPOT", network: nc(types.AssignPublicIpDisabled)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := &types.EcsParameters{}
			placeTarget(tt.p, e)
			assert.Equal(t, tt.launch, e.LaunchType)
			if tt.capacity == "" {
				assert.Empty(t, e.CapacityProviderStrategy)
			} else {
				require.Len(t, e.CapacityProviderStrategy, 1)
				assert.Equal(t, tt.capacity, aws.ToString(e.CapacityProviderStrategy[0].CapacityProvider))
				assert.Equal(t, int32(1), e.CapacityProviderStrategy[0].Weight)
			}
			assert.Equal(t, tt.network, e.NetworkConfiguration)
		})
	}
}

func TestPlacementProblems(t *testing.T) {
	net := Placement{Subnets: []string{"subnet-1"}, SecurityGroups: []string{"sg-1"}}
	tests := []struct {
		name string
		p    Placement
		want string
	}{
		{"unknown launch type", Placement{LaunchType: "LAMBDA"}, `launch type "LAMBDA"`},
		{"both", Placement{LaunchType: LaunchFargate, CapacityProvider: CapacityFargateSpot, Subnets: net.Subnets}, "ECS takes one or the other"},
		{"Fargate without subnets", Placement{LaunchType: LaunchFargate}, "Fargate tasks need the awsvpc network configuration"},
		{"groups without subnets", Placement{SecurityGroups: []string{"sg-1"}}, "security groups without subnets"},
		{"public IP on EC2", Placement{Subnets: net.Subnets, AssignPublicIP: true}, "EC2 never gives an awsvpc task one"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var errs []error
			checkPlacement(tt.p, problems{errs: &errs})
			require.NotEmpty(t, errs)
			assert.Contains(t, errs[0].Error(), tt.want)
		})
	}
	var errs []error
	checkPlacement(Placement{CapacityProvider: CapacityFargateSpot, Subnets: net.Subnets, SecurityGroups: net.SecurityGroups, AssignPublicIP: true}, problems{errs: &errs})
	assert.Empty(t, errs, "Fargate Spot with a public address is fine")
}
