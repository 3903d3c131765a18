// Package expr reads EventBridge Scheduler's schedule expressions, rate(...),
// cron(...) and at(...), exactly as the Scheduler accepts them, and tells
// when one fires.
//
// Parse refuses what CreateSchedule would refuse, with an *Error that says
// which part is wrong, where, and what to write instead, so a bad schedule
// is caught before any call. Next and Expression.Times give the firing
// times in an IANA zone across daylight saving time as the Scheduler
// documents it: a time the clocks skip does not fire, a time they repeat
// fires once. A rate interval is a fixed duration, counted from the
// schedule's start.
//
// The package makes no AWS call; the schedule package uses it to check
// jobs and to report their next runs.
package expr
