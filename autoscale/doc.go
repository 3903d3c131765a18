// Package autoscale scales a stack's ECS service and its hosts on AWS's
// own machinery, both off unless asked for: Application Auto Scaling
// tracks a target for the service's task count, and an ECS capacity
// provider with managed scaling grows and shrinks the hosts' Auto Scaling
// group to fit the tasks.
//
// Use it as the other infrastructure packages:
//
//	as := autoscale.New(autoscale.ClientsFromConfig(cfg))
//	plan, err := as.Plan(ctx, spec)    // *change.Plan: the scalable target, its policy, the capacity provider
//	state, err := as.Ensure(ctx, spec) // a nil Spec.Tasks or Spec.Hosts removes what was there
//	changes, err := as.Delete(ctx, "mangaalert")
//
// # The service's tasks (Spec.Tasks)
//
// The service (ecs:service:DesiredCount of service/CLUSTER/SERVICE) is
// registered as a scalable target between Min and Max tasks, with one
// target-tracking policy, STACK-tasks: ALBRequestCountPerTarget when the
// service sits behind a load balancer (Tasks.ResourceLabel names its
// target group), else ECSServiceAverageCPUUtilization. From then on
// Application Auto Scaling owns the service's desired count: the host
// package must keep the count it finds (ecshost.ScaleOut.ManagedTasks),
// or every apply would undo the scaling.
//
// # The hosts (Spec.Hosts)
//
// A capacity provider STACK-hosts for the group, with managed scaling at
// Hosts.TargetCapacity percent and managed termination protection, is
// attached to the cluster as its default strategy (the service then
// names it instead of the EC2 launch type). Managed termination
// protection needs the group's new instances protected from scale-in
// (ecshost.ScaleOut.ManagedHosts does both that and keeping the
// group's desired capacity as ECS set it): ECS then removes the
// protection of an instance only once no task of the service runs on it,
// so a scale-in never stops a serving task. ECS makes its own
// target-tracking policy on the group (ECSManagedAutoScalingPolicy-…):
// nothing here writes one.
//
// Resources are found by name; the capacity provider carries the tags
// resource.TagStack and resource.TagComponent ("autoscale"), and one of
// that name without them is resource.ErrNotOurs, never modified. A
// scalable target has no name of its own: it is the service's, which the
// host package tags.
//
// # Errors
//
// ErrInvalidSpec (one *SpecError per problem, before any call),
// resource.ErrNotOurs, ErrOffline. AWS errors are wrapped with what was
// being done.
//
// # Permissions
//
// application-autoscaling: RegisterScalableTarget, DescribeScalableTargets,
// DeregisterScalableTarget, PutScalingPolicy, DescribeScalingPolicies,
// DeleteScalingPolicy and TagResource (the tags of a registration), on
// arn:PARTITION:application-autoscaling:REGION:ACCOUNT:scalable-target/*
// (Application Auto Scaling names targets by random IDs; the Describe
// calls take no resource); with them, as AWS checks them on the caller of
// a registration, ecs:DescribeServices and ecs:UpdateService on the
// service (the host package's), and for the policy cloudwatch:
// PutMetricAlarm, DescribeAlarms and DeleteAlarms on the alarms
// TargetTracking-service/CLUSTER/SERVICE-*. iam:CreateServiceLinkedRole for
// ecs.application-autoscaling.amazonaws.com, once per account: AWS makes
// AWSServiceRoleForApplicationAutoScaling_ECSService at the first
// registration. ecs: CreateCapacityProvider, DescribeCapacityProviders,
// UpdateCapacityProvider, DeleteCapacityProvider and TagResource on
// arn:PARTITION:ecs:REGION:ACCOUNT:capacity-provider/STACK-hosts,
// PutClusterCapacityProviders and DescribeClusters on the cluster. No IAM
// role is created: ECS scales the group through its service-linked role
// AWSServiceRoleForECS.
package autoscale
