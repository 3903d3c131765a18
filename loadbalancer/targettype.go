package loadbalancer

import elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"

// targetType is how ECS registers the service's tasks: by instance and
// dynamic host port in bridge mode, by the task's own address in awsvpc
// (Spec.IPTargets), where a task has no host port to name.
func (s Spec) targetType() elbtypes.TargetTypeEnum {
	if s.IPTargets {
		return elbtypes.TargetTypeEnumIp
	}
	return elbtypes.TargetTypeEnumInstance
}

// targetsDetail says what the target group reaches, for the plan.
func (s Spec) targetsDetail() string {
	if s.IPTargets {
		return "HTTP to the tasks' own addresses (awsvpc)"
	}
	return "HTTP to the instances' dynamic ports"
}
