// Package ecshost runs containers on ECS with one EC2 instance in an Auto
// Scaling group: the cheap shape, instead of Fargate or Kubernetes, for a
// service and a few scheduled jobs built from one image.
//
// It manages, for one stack (everything named after Spec.Stack and tagged
// with package resource's TagStack and TagComponent=ecshost; what carries
// no such tags is never touched):
//
//   - the cluster (Container Insights off unless asked);
//   - three kinds of IAM role, least privilege, every resource named:
//     the instance role and its instance profile (the ECS agent, scoped to
//     this cluster, plus AmazonSSMManagedInstanceCore on request), the task
//     execution role (image pulls from the images' ECR repositories, logs,
//     and secretsmanager:GetSecretValue on exactly the secret ARNs the
//     containers reference, kms:Decrypt only with a customer key), and one
//     task role per container given a TaskPolicy. Every policy passes
//     iampolicy.Check before anything is written;
//   - the launch template: the standard Amazon Linux 2023 AMI (8 GiB root;
//     Spec.ECSOptimizedAMI for the ECS-optimized one, 30 GiB) read from SSM
//     once and pinned (Spec.RefreshAMI reads it again), IMDSv2 required
//     with hop limit 1, burstable CPU in standard credit mode (throttled,
//     never billed for surplus credits), an encrypted gp3 root volume, no
//     key pair unless asked, and user data (see UserData) that writes
//     /etc/ecs/ecs.config, installs ecs-init on the standard AMI, and
//     installs the DOCKER-USER iptables rule that keeps bridge-mode
//     containers away from the instance's credentials;
//   - the Auto Scaling group of one, with EC2 health checks and an instance
//     refresh when the template changes; with Spec.Spot on Spot, with
//     capacity rebalancing;
//   - an optional Elastic IP, associated by each new instance at boot;
//   - the log group (retention 14 days by default);
//   - one task definition per container, in bridge mode, a new revision only
//     when the definition changed;
//   - the service of the long-running container, with the circuit breaker
//     and rollback on, and deployment percentages chosen from its ports:
//     0%/100% with a static host port (stop, then start), 100%/200% with
//     dynamic ones.
//
// The shape is the one of every infrastructure package of this module:
// New(Clients, optFns ...func(*Options)), then Plan, Ensure and Delete on
// a Spec, speaking package change's vocabulary. Plan and Ensure read
// the account once, diffs it against the Spec into steps, and Plan lists the
// steps while Ensure runs them. Ensure returns what it changed in
// State.Changes; a second Ensure makes no mutating call. Deploy rolls a new
// image out on the Spec it is given and watches it. Delete removes the
// stack and returns what it deleted.
//
// # Planning offline
//
// Plan returns a change.Plan: every resource (what stays too), every IAM
// policy Ensure would write, a monthly cost estimate, and notes (the
// deployment percentages chosen and why, the free tier). With
// Options.Offline it reads nothing, needing no AWS account or credentials:
//
//	host := ecshost.New(ecshost.Clients{}, func(o *ecshost.Options) { o.Offline, o.Region = true, "eu-south-1" })
//	p, err := host.Plan(ctx, spec)
//
// Every resource then shows as created; Options.Account puts the real
// account into the policies' ARNs.
//
// # Errors
//
// A Spec that cannot be applied is a *SpecError (errors.Is ErrInvalidSpec),
// listing every problem at once. Plan, Ensure and Deploy refuse a Spec
// whose policies fail iampolicy.Check with an *iampolicy.FindingsError
// (errors.Is iampolicy.ErrTooBroad), before any resource is read or written.
// A name taken by a resource without the stack's tags wraps
// resource.ErrNotOurs. Deploy returns a *RollbackError (errors.Is
// ErrRolledBack) when the circuit breaker rolled the release back, and a
// *TimeoutError (errors.Is context.DeadlineExceeded) when it did not
// settle in time. An offline Host's Ensure, Delete and Deploy return
// ErrOffline.
//
// # Permissions
//
// Ensure and Delete call, on the stack's own resources: ECS (clusters,
// services, task definitions, tasks and container instances of the
// cluster), EC2 (launch templates, Elastic IPs, DescribeInstances),
// Auto Scaling (the group, its instance refreshes, and with ManagedHosts
// SetInstanceProtection before Delete), IAM (roles under
// the path /mangaalert/<stack>/, their policies, the instance profile,
// iam:PassRole on the execution, task and instance roles), CloudWatch Logs
// (the log group), SSM GetParameter on the public AMI parameter, and STS
// GetCallerIdentity when Options.Account is empty. Plan needs only the
// reads; Deploy only ECS.
//
// # Cost
//
// The default host is a t4g.nano (Graviton, 512 MiB) on the standard AL2023
// AMI with an 8 GiB gp3 root: about 3.07 + 0.64 USD a month, plus the
// public IPv4 address (3.65) every public subnet host pays. The levers,
// weighed:
//
//   - Graviton: t4g is about 20% under t3 for the same memory; the image
//     must then be built for arm64 (Spec.ImageArch; an instance the image
//     is not built for is refused).
//   - The root volume: the ECS-optimized AMI needs 30 GiB (2.40 USD); the
//     standard one boots from 8 (0.64) and the user data installs ecs-init
//     from the distribution's repository, a minute more at first boot.
//   - Spot (Spec.Spot): about 60% off the instance, with capacity
//     rebalancing; an interruption stops the service for the time a new
//     instance takes to boot.
//   - Every instance type is priced from Instances, each figure with its
//     region and date; a type not in the table is refused, never priced at 0.
//
// # Memory on a t4g.nano
//
// The kernel keeps about an eighth of the memory (64 MiB of 512) and the
// user data tells the agent to leave ReservedMemoryMiB (208 MiB) to the
// agent, Docker and the OS, so tasks get about 240 MiB. The containers'
// defaults (hard limit 96 MiB, soft 48) fit the service and one job at a
// time: 192 MiB. Two jobs at once (288 MiB) do not, so the jobs must not
// overlap: Spec.TasksAtOnce says how many may (the stack derives it from
// the schedules), Spec.MemoryBudget does the arithmetic, and Plan prints
// it with the instance sizes the containers fit on, and a warning when
// the jobs may overlap. Ensure refuses containers that ECS could not place
// (soft limits) or whose service and largest task do not fit by their hard
// limits, and says by how much.
//
// # awsvpc and Fargate
//
// Spec.AwsVPC (zero: bridge mode, everything on the hosts) puts the
// service's task definition in the awsvpc network mode, its tasks'
// interfaces in TaskSubnetIDs (private subnets behind a NAT) with the
// host's group, and picks the rollout from the instance type's network
// interfaces (a nano has one for tasks: 50%/100%). TasksOn fargate or
// fargate-spot makes the scheduled tasks' definitions awsvpc, compatible
// with EC2 and FARGATE, 256 CPU units and 512 MiB, Graviton unless on
// Spot, takes them out of the hosts' memory budget, and for Spot adds
// FARGATE and FARGATE_SPOT to the cluster's capacity providers (keeping
// any others and the default strategy).
package ecshost
