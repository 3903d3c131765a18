package ecshost

import "github.com/manga-alert-italia/mangaalert/change"

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

	// Changes lists what this call changed, resource by resource (no
	// Keep): empty when the host already matched the Spec.
	Changes []change.Change
}
