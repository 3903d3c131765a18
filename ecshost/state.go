package ecshost

import "fmt"

// Op is what Ensure does, or would do, to one resource.
type Op string

// The operations.
const (
	Create Op = "create"
	Update Op = "update"
	Keep   Op = "keep"
	Delete Op = "delete"
)

// Action is one resource and what happens to it.
type Action struct {
	Resource string // "log group", "role", "launch template", …
	Name     string
	Op       Op
	Detail   string // what changes, or why
}

func (a Action) String() string {
	s := fmt.Sprintf("%-6s %s %s", a.Op, a.Resource, a.Name)
	if a.Detail != "" {
		s += ": " + a.Detail
	}
	return s
}

// TaskDefinition is one registered task definition.
type TaskDefinition struct {
	Family   string
	ARN      string // with its revision
	Revision int32
	Image    string
}

// State is what Ensure observed and made: everything the schedule step
// and the deploy tool need.
type State struct {
	Stack       string
	ClusterName string
	ClusterARN  string
	LogGroup    string

	InstanceRoleARN    string
	InstanceProfileARN string
	ExecutionRoleARN   string
	// TaskRoleARNs by container name, for the containers with a TaskPolicy.
	TaskRoleARNs map[string]string

	LaunchTemplateID      string
	LaunchTemplateVersion int64
	AMI                   string

	GroupName   string
	InstanceIDs []string
	// InstanceRefreshID is set when this Ensure started an instance
	// refresh (the template changed).
	InstanceRefreshID string

	// ElasticIP and its allocation, when Spec.ElasticIP is on.
	ElasticIP             string
	ElasticIPAllocationID string

	// TaskDefinitions by container name: the service's and the scheduled
	// tasks' (the schedule step runs these).
	TaskDefinitions map[string]TaskDefinition

	ServiceName string
	ServiceARN  string
	Deployment  Deployment

	// Actions lists what this call did, resource by resource.
	Actions []Action
}

// Changed reports whether any action was not a Keep.
func (s *State) Changed() bool {
	for _, a := range s.Actions {
		if a.Op != Keep {
			return true
		}
	}
	return false
}
