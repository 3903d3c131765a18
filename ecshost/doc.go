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
//   - the launch template: the ECS-optimized Amazon Linux 2023 AMI read
//     from SSM once and pinned (Spec.RefreshAMI reads it again), IMDSv2
//     required with hop limit 1, an encrypted gp3 root volume, no key pair
//     unless asked, and user data (see UserData) that writes
//     /etc/ecs/ecs.config and installs the DOCKER-USER iptables rule that
//     keeps bridge-mode containers away from the instance's credentials;
//   - the Auto Scaling group of one, with EC2 health checks and an instance
//     refresh when the template changes;
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
// Auto Scaling (the group and its instance refreshes), IAM (roles under
// the path /mangaalert/<stack>/, their policies, the instance profile,
// iam:PassRole on the execution, task and instance roles), CloudWatch Logs
// (the log group), SSM GetParameter on the public AMI parameter, and STS
// GetCallerIdentity when Options.Account is empty. Plan needs only the
// reads; Deploy only ECS.
//
// # Memory on a t3.micro
//
// A t3.micro has 1 GiB. The kernel keeps about 128 MiB and the user data
// tells the agent to leave ReservedMemoryMiB (256 MiB) to the OS, Docker
// and itself, so tasks get about 640 MiB. The defaults (service 128 MiB,
// each scheduled task 192 MiB) fit with room for two service tasks during a
// 100%/200% rollout; Ensure refuses containers that cannot all run at once
// on a known instance type, and says by how much.
package ecshost
