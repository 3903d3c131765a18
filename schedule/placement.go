package schedule

// Where a job's task runs (issue 16): the seed's bridge mode on EC2
// needs nothing; an awsvpc task, on EC2 or Fargate, needs its network
// configuration in the schedule's target.

import (
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/scheduler/types"
)

// Launch types and capacity providers a Placement names.
const (
	LaunchEC2           = "EC2"
	LaunchFargate       = "FARGATE"
	CapacityFargateSpot = "FARGATE_SPOT"
)

// Placement says where a job's task runs. The zero value is the EC2
// launch type in bridge mode: no network configuration.
type Placement struct {
	// LaunchType is LaunchEC2 (default) or LaunchFargate.
	LaunchType string
	// CapacityProvider, instead of a launch type, runs the task with
	// this capacity provider strategy (weight 1), such as
	// CapacityFargateSpot; the cluster must have it.
	CapacityProvider string
	// Subnets and SecurityGroups, when Subnets is not empty, give the
	// task its own network interface (the awsvpc network mode, which
	// Fargate requires): in these subnets, with these groups.
	Subnets        []string
	SecurityGroups []string
	// AssignPublicIP gives a Fargate task's interface a public address,
	// its way out of a public subnet without a NAT. EC2 refuses it.
	AssignPublicIP bool
}

// fargate says whether the task runs on Fargate (capacity or launch type).
func (p Placement) fargate() bool {
	return p.LaunchType == LaunchFargate || strings.HasPrefix(p.CapacityProvider, "FARGATE")
}

// checkPlacement reports what the Scheduler or ECS would refuse.
func checkPlacement(p Placement, bad problems) {
	switch p.LaunchType {
	case "", LaunchEC2, LaunchFargate:
	default:
		bad.add("launch type %q: use %q or %q", p.LaunchType, LaunchEC2, LaunchFargate)
	}
	if p.LaunchType != "" && p.CapacityProvider != "" {
		bad.add("launch type %q and capacity provider %q: ECS takes one or the other", p.LaunchType, p.CapacityProvider)
	}
	if p.fargate() && len(p.Subnets) == 0 {
		bad.add("Fargate tasks need the awsvpc network configuration: give the subnets (and security groups) of their interfaces")
	}
	if len(p.Subnets) > 16 || len(p.SecurityGroups) > 5 {
		bad.add("%d subnets and %d security groups: the ECS target takes at most 16 and 5", len(p.Subnets), len(p.SecurityGroups))
	}
	if len(p.Subnets) == 0 && len(p.SecurityGroups) > 0 {
		bad.add("security groups without subnets: give both, for a task with its own network interface")
	}
	if p.AssignPublicIP && !p.fargate() {
		bad.add("a public IP on an EC2 task: EC2 never gives an awsvpc task one; place the task in private subnets with a NAT route instead")
	}
}

// placeTarget sets the launch type or capacity provider strategy and the
// network configuration of an ECS target.
func placeTarget(p Placement, e *types.EcsParameters) {
	switch {
	case p.CapacityProvider != "":
		e.LaunchType = ""
		e.CapacityProviderStrategy = []types.CapacityProviderStrategyItem{{CapacityProvider: aws.String(p.CapacityProvider), Weight: 1}}
	case p.LaunchType == LaunchFargate:
		e.LaunchType = types.LaunchTypeFargate
	default:
		e.LaunchType = types.LaunchTypeEc2
	}
	if len(p.Subnets) == 0 {
		return // bridge mode on EC2: no NetworkConfiguration (that is awsvpc's)
	}
	public := types.AssignPublicIpDisabled
	if p.AssignPublicIP {
		public = types.AssignPublicIpEnabled
	}
	e.NetworkConfiguration = &types.NetworkConfiguration{AwsvpcConfiguration: &types.AwsVpcConfiguration{
		Subnets: p.Subnets, SecurityGroups: p.SecurityGroups, AssignPublicIp: public}}
}
