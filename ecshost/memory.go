package ecshost

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// MaxTaskRun is how long the estimate and the overlap check take a
// scheduled run to last at most: a scrape polite to every host (a second
// between requests, a few hundred pages) and a notify run are minutes,
// not half an hour. An assumption, not a measurement on AWS.
const MaxTaskRun = 25 * time.Minute

// TasksAtOnce is how many tasks may run at the same time, given each
// task's start times over the same window and how long a run may last. A
// task with no start times (nil: a rate() schedule, counted from whenever
// it was created) may meet any other.
func TasksAtOnce(starts [][]time.Time, runFor time.Duration) int {
	type edge struct {
		at    time.Time
		delta int
	}
	var edges []edge
	for _, ts := range starts {
		if ts == nil {
			return len(starts)
		}
		for _, t := range ts {
			edges = append(edges, edge{t, 1}, edge{t.Add(runFor), -1})
		}
	}
	// Ends before starts at the same instant: back-to-back runs do not overlap.
	slices.SortFunc(edges, func(a, b edge) int {
		if c := a.at.Compare(b.at); c != 0 {
			return c
		}
		return a.delta - b.delta
	})
	most, now := min(len(starts), 1), 0
	for _, e := range edges {
		now += e.delta
		most = max(most, now)
	}
	return most
}

// The host's memory budget. The kernel keeps about an eighth of an
// instance's memory out of MemTotal (128 MiB of a t3.micro's 1 GiB, 64 of
// a nano's 512). The user data tells the agent to leave ReservedMemoryMiB
// (ECS_RESERVED_MEMORY) to what runs beside the tasks, so a task at its
// hard limit cannot starve them: the agent (about 40 MiB resident),
// dockerd and containerd (about 100), systemd, journald and the SSM agent
// (about 60). These are typical resident sizes on Amazon Linux 2023, not a
// measurement of this stack's host: `free -m` and `ps -eo rss,comm` on the
// host check them.
const ReservedMemoryMiB = 208

func kernelMiB(instanceMiB int32) int32 { return instanceMiB / 8 }

// taskMemoryMiB is how much memory the agent offers tasks on the instance
// type, and false when the type is unknown.
func taskMemoryMiB(instanceType string) (int32, bool) {
	info, ok := Instances[instanceType]
	if !ok {
		return 0, false
	}
	return info.MiB - kernelMiB(info.MiB) - ReservedMemoryMiB, true
}

// Budget is the memory arithmetic of a Spec on its instance type: what the
// tasks are offered, and what the containers that may run at once need.
// ECS places a task by its soft limit (the reservation) and Docker kills
// a container past its hard limit; the budget fits when the hard limits
// of everything that may run at once fit in what the tasks are offered,
// so no container can push the host into the kernel's OOM killer.
type Budget struct {
	InstanceType  string
	InstanceMiB   int32
	KernelMiB     int32 // kept by the kernel
	ReservedMiB   int32 // ECS_RESERVED_MEMORY: agent, Docker, the OS
	TasksMiB      int32 // offered to tasks
	ServiceCopies int   // the service's tasks on one host at once: twice its share during a 100%/200% rollout, else 1
	TasksAtOnce   int   // scheduled tasks that may run at once
	HardMiB       int32 // hard limits of what may run at once
	SoftMiB       int32 // soft limits (reservations) of the same
}

// Fits tells whether the hard limits fit.
func (b Budget) Fits() bool { return b.HardMiB <= b.TasksMiB }

// MemoryBudget returns the spec's budget on its instance type (defaults
// applied), or false when the type is unknown.
func (s Spec) MemoryBudget() (Budget, bool) {
	return s.withDefaults().budgetOn(s.withDefaults().InstanceType)
}

func (s Spec) budgetOn(instanceType string) (Budget, bool) {
	info, ok := Instances[instanceType]
	if !ok {
		return Budget{}, false
	}
	avail, _ := taskMemoryMiB(instanceType)
	b := Budget{InstanceType: instanceType, InstanceMiB: info.MiB, KernelMiB: kernelMiB(info.MiB),
		ReservedMiB: ReservedMemoryMiB, TasksMiB: avail, ServiceCopies: s.serviceCopies(), TasksAtOnce: s.tasksAtOnce()}
	b.HardMiB = s.Service.MemoryMiB * int32(b.ServiceCopies)
	b.SoftMiB = soft(s.Service) * int32(b.ServiceCopies)
	// The biggest tasks, as many as may run at once.
	hard, softs := largest(s.hostTasks(), b.TasksAtOnce) // none on Fargate
	b.HardMiB += hard
	b.SoftMiB += softs
	return b, true
}

func soft(c Container) int32 {
	if c.MemoryReservationMiB > 0 {
		return c.MemoryReservationMiB
	}
	return c.MemoryMiB
}

// largest sums the hard and soft limits of the n tasks with the largest
// hard limits.
func largest(tasks []Container, n int) (hard, softs int32) {
	used := make([]bool, len(tasks))
	for range min(n, len(tasks)) {
		best := -1
		for i, t := range tasks {
			if !used[i] && (best < 0 || t.MemoryMiB > tasks[best].MemoryMiB) {
				best = i
			}
		}
		used[best] = true
		hard += tasks[best].MemoryMiB
		softs += soft(tasks[best])
	}
	return hard, softs
}

func (s Spec) tasksAtOnce() int {
	if s.TasksAtOnce > 0 && s.TasksAtOnce < len(s.hostTasks()) {
		return s.TasksAtOnce
	}
	return len(s.hostTasks())
}

// String is the budget as the plan prints it.
func (b Budget) String() string {
	verdict := "fits"
	if !b.Fits() {
		verdict = fmt.Sprintf("does NOT fit, %d MiB short", b.HardMiB-b.TasksMiB)
	}
	return fmt.Sprintf("memory on %s: %d MiB - %d kernel - %d agent, Docker and OS = %d MiB for tasks; "+
		"at once: service ×%d and %d scheduled task(s), hard limits %d MiB, soft %d MiB: %s",
		b.InstanceType, b.InstanceMiB, b.KernelMiB, b.ReservedMiB, b.TasksMiB, b.ServiceCopies, b.TasksAtOnce, b.HardMiB, b.SoftMiB, verdict)
}

// fitNote says which known instance sizes the containers fit on, and why
// the others do not: the evidence for choosing the smallest.
func (s Spec) fitNote() string {
	var fit, short []string
	for _, t := range KnownInstanceTypes() {
		if Instances[t].Arch != archOf(s.InstanceType) {
			continue
		}
		b, _ := s.budgetOn(t)
		if b.Fits() {
			fit = append(fit, t)
		} else {
			short = append(short, fmt.Sprintf("%s (%d MiB for tasks < %d)", t, b.TasksMiB, b.HardMiB))
		}
	}
	n := fmt.Sprintf("%s sizes the containers fit on: %s", archOf(s.InstanceType), strings.Join(fit, ", "))
	if len(short) > 0 {
		n += "; too small: " + strings.Join(short, ", ")
	}
	return n
}
