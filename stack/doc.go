// Package stack puts an application on AWS in the cheap shape: one EC2
// host running ECS, an always-on service container in bridge mode,
// scheduled jobs, secrets and an optional DynamoDB table; no NAT and no
// load balancer by default. It composes the infrastructure packages in
// order, network → secrets → table → host (ecshost) → autoscale (Spec.Scaling,
// off by default) → schedules (schedule), passing each step's outputs to
// the next as plain values
// (subnet and security group IDs, secret, table, role and task definition
// ARNs), so that a Go program that wants the shape for its own containers
// writes one Spec, not a main:
//
//	st := stack.New(cfg)
//	plan, err := st.Plan(ctx, spec)      // every resource, policy and the monthly cost
//	state, err := st.Apply(ctx, spec)    // make it so; state.Changes says what changed
//	status, err := st.Status(ctx, "app") // what runs
//	state, err = st.DeployImage(ctx, spec, "ghcr.io/me/app:1.1")
//	gone, err := st.Destroy(ctx, "app")  // the reverse order; only what carries the stack's tags
//
// Plan and Apply speak the change package's vocabulary: Plan returns one
// *change.Plan for the whole stack (the components' changes in Apply's
// order, kept resources included; every IAM policy, each passed through
// iampolicy.Check; the cost of the result, summed from the components'
// estimates; notes such as the deployment setting and the jobs' next
// runs). Apply reads each component once as it ensures it, never planning
// first, and returns the changes it made; a second Apply with the same
// Spec makes no mutating call. Options.OnChange hears each change as it is
// made (progress), Options.Logger the packages' Debug records.
//
// # Offline
//
// With Options.Offline, Plan reads nothing from AWS and needs no
// credentials: every resource shows as created, IDs are empty or
// placeholders, and the account is Options.Account or PlaceholderAccount.
// The other methods return ErrOffline.
//
// # Containers, secrets and policies
//
// Every container gets a task definition of its own (family STACK-NAME)
// in bridge mode. A container's task role is built from what it says it
// uses: the table's items (UsesTable), the secrets whose ARNs it is given
// (SecretARNs), and its own statements (Policy, called with the Outputs
// once ARNs are known). Secrets reach a container through valueFrom
// (Secrets), never as plain text in its environment, and the execution
// role may read exactly those. The jobs share one schedule group and one
// scheduler role, both named after the stack; each schedule may pass its
// own job's task role only. Apply and Destroy remove the per-job groups
// and roles (STACK-JOB) of stacks applied before that shape, once they
// find their schedules run in the stack's cluster.
//
// A job may follow another (Job.After): it runs on that job's cron()
// schedule an Offset later (default 30 minutes), so a notifier reads what
// the scrape of its cycle found; the plan says so, and a rate() schedule,
// which counts from when it was written, cannot be followed.
//
// # Operations
//
// Spec.Alerts is what the operator is told (package alerts): with an
// operator address, a topic that mails it, a rule on failed job tasks, the
// schedules' dead-letter queue and an alarm on it, and a budget at the
// plan's monthly cost; with MailEvents, the SES configuration set the
// containers send through (Container.EnvironmentFrom, MailEnvironment).
// Status shows where alerts go, the dead letters, the SES rates and, with
// Options.Runs, each job's last runs. Diff compares the account with a
// Spec through Plan and lists what is tagged as the stack's and planned by
// nothing; its Write returns ErrDrift when anything differs.
//
// # Errors
//
// ErrNoImage and ErrMissingSecret come before any write; a policy too
// broad is an *iampolicy.FindingsError (errors.Is iampolicy.ErrTooBroad);
// a resource under one of the stack's names that is not the stack's
// wraps resource.ErrNotOurs; ErrNotDeployed from DeployImage before
// Apply. The components' errors are wrapped with the step's name.
//
// # Permissions
//
// The union of the components' (see network, secrets, ecshost, schedule
// and alerts); for the table dynamodb:CreateTable, DescribeTable,
// UpdateTable, DeleteTable, DescribeTimeToLive, UpdateTimeToLive,
// TagResource and ListTagsOfResource on it; plus sts:GetCallerIdentity and
// tag:GetResources (Destroy and Status find the table by its tags).
//
// # Network mode and where the jobs run
//
// Network.Mode awsvpc gives each task its own interface in the private
// subnets: it needs Network.NAT (one NAT gateway) and a LoadBalancer
// (target type ip), and Validate refuses it otherwise, network.PreflightSpec
// saying why, before any call. JobsOn fargate or fargate-spot runs the jobs
// there, in the private subnets with the NAT, else in the public ones with
// a public address for the run (cheaper than any NAT); the plan prices
// each run. The jobs' security group admits nothing.
package stack
