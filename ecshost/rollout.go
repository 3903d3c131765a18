package ecshost

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
)

// EventKind says what an Event reports.
type EventKind string

// The kinds of rollout event.
const (
	EventRegistered EventKind = "registered" // a new task definition revision
	EventDeployment EventKind = "deployment" // the service started a deployment
	EventTasks      EventKind = "tasks"      // running, pending or failed tasks changed
	EventRollout    EventKind = "rollout"    // the deployment's rollout state changed
	EventService    EventKind = "service"    // an event ECS logged for the service
	EventDone       EventKind = "done"       // steady state reached
)

// Event is one step of a rollout, reported as it happens.
type Event struct {
	Time       time.Time
	Kind       EventKind
	Deployment string // the deployment's ID, when known
	Message    string
}

func (e Event) String() string {
	return fmt.Sprintf("%s %-10s %s", e.Time.Format("15:04:05"), e.Kind, e.Message)
}

// ErrRolledBack is wrapped by a *RollbackError.
var ErrRolledBack = errors.New("deployment rolled back by the circuit breaker")

// RollbackError is a rollout the circuit breaker stopped and rolled back.
type RollbackError struct {
	Service              string
	Deployment           string
	FailedTaskDefinition string
	RolledBackTo         string // the task definition running again, when known
	Reason               string // ECS's rollout state reason
	StoppedTasks         []StoppedTask
}

// StoppedTask is one task of the failed revision that stopped, and why.
type StoppedTask struct {
	ARN    string
	Reason string   // the task's stopped reason
	Exits  []string // "container: exit 1: reason", per container
}

func (e *RollbackError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "service %s: %v: revision %s failed", e.Service, ErrRolledBack, e.FailedTaskDefinition)
	if e.RolledBackTo != "" {
		fmt.Fprintf(&b, ", back to %s", e.RolledBackTo)
	}
	if e.Reason != "" {
		fmt.Fprintf(&b, " (%s)", e.Reason)
	}
	if len(e.StoppedTasks) == 0 {
		b.WriteString("; no stopped task found")
	}
	for _, t := range e.StoppedTasks {
		fmt.Fprintf(&b, "; task %s stopped: %s", lastPart(t.ARN), t.Reason)
		for _, x := range t.Exits {
			fmt.Fprintf(&b, " [%s]", x)
		}
	}
	return b.String()
}

// Unwrap makes errors.Is(err, ErrRolledBack) true.
func (e *RollbackError) Unwrap() error { return ErrRolledBack }

// TimeoutError is a rollout that did not reach steady state in time.
type TimeoutError struct {
	Service        string
	Deployment     string
	TaskDefinition string
	After          time.Duration
	Last           string // the deployment's last observed state
	StoppedTasks   []StoppedTask
}

func (e *TimeoutError) Error() string {
	s := fmt.Sprintf("service %s: deployment %s of %s not stable after %s (last: %s)", e.Service, e.Deployment, e.TaskDefinition, e.After, e.Last)
	for _, t := range e.StoppedTasks {
		s += fmt.Sprintf("; task %s stopped: %s", lastPart(t.ARN), t.Reason)
	}
	if len(e.StoppedTasks) == 0 {
		// Nothing failed: nothing started. Say where to look.
		s += "; no task of it stopped, so none started: the host lacks the memory or the port for it, or its ECS agent is not connected" +
			" (status shows the instance and the service's events; an emulator that runs no tasks, such as moto without MOTO_ECS_SERVICE_RUNNING=1, never finishes)"
	}
	return s
}

// Unwrap makes errors.Is(err, context.DeadlineExceeded) true.
func (e *TimeoutError) Unwrap() error { return context.DeadlineExceeded }
