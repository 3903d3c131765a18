package ecshost

import (
	"fmt"

	"github.com/manga-alert-italia/mangaalert/resource"
)

const (
	// component is the value of resource.TagComponent on everything this
	// package owns, and the Component of its plans.
	component = "ecshost"
	// tagSpecHash, on task definitions and the service, records what
	// Ensure last wrote: not every endpoint reports every setting back.
	tagSpecHash = "mangaalert:spec-hash"
)

// names derives every name and ARN of a stack. ARNs are deterministic, so
// Plan can show policies before anything exists.
type names struct {
	stack, partition, region, account string
}

func newNames(stack, region, account string) names {
	return names{stack: stack, partition: resource.Partition(region), region: region, account: account}
}

// arn builds an ARN in the stack's partition; IAM's have region "".
func (n names) arn(service, region, res string) string {
	return resource.ARNIn(n.partition, service, region, n.account, res)
}

func (n names) cluster() string    { return n.stack }
func (n names) clusterARN() string { return n.arn("ecs", n.region, "cluster/"+n.cluster()) }

// containerInstancesARN covers the cluster's container instances (the
// long ARN format carries the cluster name).
func (n names) containerInstancesARN() string {
	return n.arn("ecs", n.region, "container-instance/"+n.cluster()+"/*")
}

func (n names) logGroup() string    { return "/ecs/" + n.stack }
func (n names) logGroupARN() string { return n.arn("logs", n.region, "log-group:"+n.logGroup()) }

// logStreamsARN covers the group and its streams, as CreateLogStream (on
// the group) and PutLogEvents (on a stream) need.
func (n names) logStreamsARN() string { return n.logGroupARN() + ":*" }

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
func (n names) serviceARN(name string) string {
	return n.arn("ecs", n.region, "service/"+n.cluster()+"/"+name)
}
func (n names) eipARN(allocation string) string {
	return n.arn("ec2", n.region, "elastic-ip/"+allocation)
}

// tags returns the ownership tags plus the caller's.
func (n names) tags(extra map[string]string) map[string]string {
	return resource.WithTags(n.stack, component, extra)
}

// ours reports whether a resource's tags mark it as this stack's.
func (n names) ours(tags map[string]string) bool { return resource.Owned(tags, n.stack, component) }

// notOurs is the error of a name taken by a resource without our tags.
func notOurs(kind, name string) error {
	return fmt.Errorf("%s %q %w; delete it or choose another Stack", kind, name, resource.ErrNotOurs)
}
