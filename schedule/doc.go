// Package schedule runs a stack's ECS tasks on a timetable with
// EventBridge Scheduler: one schedule group and one scheduler role for the
// stack, one schedule per job (rate, cron or at, in a time zone).
//
// New (or NewFromConfig) takes the clients and Options; Plan says what
// Ensure would do, as a change.Plan with the role's policies, the cost and
// a note per job saying when it runs next; Ensure makes the stack as a
// Spec says and returns the changes it made (a second Ensure writes
// nothing); Delete removes it all; Pause and Resume switch one job off and
// on. With Options.Offline, Plan reads nothing and shows every resource as
// created.
//
// Each job names its own task role, and the stack one execution role: the
// one scheduler role may run exactly the jobs' task definition families in
// the cluster, and pass exactly those roles, to ECS tasks only.
//
// Expressions are checked before any call by package expr, as the
// Scheduler accepts them, and their fire times follow daylight saving time
// as the Scheduler documents it. Nothing here makes a schedule fire: the
// emulators never fire one, so the firing times are tested with a fixed
// clock.
//
// Each ECS target launches one task on EC2 in bridge mode (no network
// configuration), propagates the task definition's tags and adds the
// stack's. The Spec takes plain values: the cluster, role and task
// definition ARNs come from whoever made them.
//
// # Errors
//
// A Spec is checked in full before any call: a *SpecError lists every
// problem (errors.Is ErrInvalidSpec; an expression's problem is also an
// *expr.Error). A group, role or queue with one of the stack's names but
// without its tags (resource.TagStack, resource.TagComponent) is never
// changed: the error wraps resource.ErrNotOurs. Pause and Resume of a job
// that does not exist wrap ErrNotFound; everything but Plan returns
// ErrOffline when Options.Offline is set.
//
// # Permissions
//
// The scheduler role's trust and inline policies are iampolicy documents,
// built from the Spec alone and run through iampolicy.Check with every
// other check of the Spec, so a policy too broad is refused before any
// call. The caller needs scheduler:*Schedule* and *ScheduleGroup on the
// stack's group, iam:GetRole, CreateRole, DeleteRole,
// UpdateAssumeRolePolicy, TagRole, the role-policy calls and iam:PassRole
// on the scheduler role, and, for a created dead-letter queue, the SQS
// queue calls on it.
//
// # Placement
//
// Job.Placement says where a schedule starts its task: the EC2 launch type
// in bridge mode (the zero value), or with Subnets an awsvpc task on EC2,
// Fargate (LaunchFargate) or a capacity provider such as FARGATE_SPOT, with
// its subnets, security groups and, on Fargate only, a public address.
package schedule
