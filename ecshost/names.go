package ecshost

import (
	"fmt"
	"maps"
	"strings"
)

// Tag keys that mark what this package owns.
const (
	TagStack     = "mangaalert:stack"
	TagComponent = "mangaalert:component"
	TagSpecHash  = "mangaalert:spec-hash" // on task definitions and the service: what Ensure last wrote
	Component    = "ecshost"
)

// names derives every name and ARN of a stack. ARNs are deterministic, so
// Plan can show policies before anything exists.
type names struct {
	stack, partition, region, account string
}

func newNames(stack, region, account string) names {
	p := "aws"
	switch {
	case strings.HasPrefix(region, "cn-"):
		p = "aws-cn"
	case strings.HasPrefix(region, "us-gov-"):
		p = "aws-us-gov"
	}
	return names{stack: stack, partition: p, region: region, account: account}
}

func (n names) arn(service, region, resource string) string {
	return fmt.Sprintf("arn:%s:%s:%s:%s:%s", n.partition, service, region, n.account, resource)
}

func (n names) cluster() string    { return n.stack }
func (n names) clusterARN() string { return n.arn("ecs", n.region, "cluster/"+n.cluster()) }

// containerInstancesARN covers the cluster's container instances (the
// long ARN format carries the cluster name).
func (n names) containerInstancesARN() string {
	return n.arn("ecs", n.region, "container-instance/"+n.cluster()+"/*")
}

func (n names) logGroup() string { return "/ecs/" + n.stack }

// logStreamsARN covers the group and its streams, as CreateLogStream (on
// the group) and PutLogEvents (on a stream) need.
func (n names) logStreamsARN() string { return n.arn("logs", n.region, "log-group:"+n.logGroup()+":*") }

// rolePath keeps the stack's roles together: ListRoles by path prefix finds
// them, including task roles of containers since removed.
func (n names) rolePath() string                 { return "/mangaalert/" + n.stack + "/" }
func (n names) instanceRole() string             { return n.stack + "-ecs-instance" }
func (n names) executionRole() string            { return n.stack + "-ecs-execution" }
func (n names) taskRole(container string) string { return n.stack + "-task-" + container }
func (n names) instanceProfile() string          { return n.stack + "-ecs-instance" }
func (n names) roleARN(role string) string {
	return n.arn("iam", "", "role"+n.rolePath()+role)
}
func (n names) instanceProfileARN() string {
	return n.arn("iam", "", "instance-profile"+n.rolePath()+n.instanceProfile())
}

func (n names) launchTemplate() string          { return n.stack + "-ecs-host" }
func (n names) group() string                   { return n.stack + "-ecs-host" }
func (n names) family(container string) string  { return n.stack + "-" + container }
func (n names) service(container string) string { return n.stack + "-" + container }
func (n names) eipARN(allocation string) string {
	return n.arn("ec2", n.region, "elastic-ip/"+allocation)
}

// tags returns the ownership tags plus the caller's.
func (n names) tags(extra map[string]string) map[string]string {
	t := maps.Clone(extra)
	if t == nil {
		t = map[string]string{}
	}
	t[TagStack] = n.stack
	t[TagComponent] = Component
	return t
}

// ours reports whether a resource's tags mark it as this stack's.
func (n names) ours(tags map[string]string) bool {
	return tags[TagStack] == n.stack && tags[TagComponent] == Component
}
