// Package schedule runs ECS tasks on a timetable with EventBridge
// Scheduler: a schedule group per stack, one schedule per job (rate, cron
// or at, in a time zone), and the least-privilege role the Scheduler
// assumes to start the tasks.
//
// Ensure makes the stack as a Spec says and a second Ensure writes
// nothing; Plan says what Ensure would do and when each job runs next;
// Delete removes it all; Pause and Resume switch one job off and on.
//
// Expressions are checked before any call, as the Scheduler accepts them
// (Parse), and Next tells when an expression fires, across daylight saving
// time as the Scheduler documents it. Nothing here makes a schedule fire:
// the emulators never fire one, so the firing times are tested with a
// fixed clock.
//
// The role's trust and inline policies are iampolicy documents, built
// from the Spec alone and run through iampolicy.Check with every other
// check of the Spec, so a policy too broad is refused before any call.
//
// Each ECS target launches one task on EC2 in bridge mode (no network
// configuration), propagates the task definition's tags and adds the
// stack's. The Spec takes plain values: the cluster, role and task
// definition ARNs come from whoever made them.
package schedule
