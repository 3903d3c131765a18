// Package ecshost runs containers on ECS with one EC2 instance in an Auto
// Scaling group: the cheap shape, instead of Fargate or Kubernetes, for a
// service and a few scheduled jobs built from one image.
//
// It manages, for one stack (everything named after Spec.Stack and tagged
// mangaalert:stack and mangaalert:component=ecshost; what carries no such
// tags is never touched):
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
// Ensure applies a Spec; a second Ensure makes no mutating call. Deploy
// rolls a new image out and watches it. Delete removes the stack.
//
// # Planning offline
//
// Plan says what Ensure would do, the chosen deployment percentages and
// why, the least-privilege findings and a monthly cost estimate. A Host
// without clients plans offline, with no AWS account or credentials:
//
//	p, err := ecshost.New(ecshost.Clients{}, ecshost.WithRegion("eu-south-1")).Plan(ctx, spec)
//
// Every resource then shows as created; WithAccount puts the real account
// into the policies' ARNs.
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
