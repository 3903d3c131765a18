package schedule

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/scheduler"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/manga-alert-italia/mangaalert/change"
	"github.com/manga-alert-italia/mangaalert/internal/engine"
	"github.com/manga-alert-italia/mangaalert/internal/poll"
)

// ErrOffline is returned by every call that needs AWS when Options.Offline
// is set: only Plan works offline.
var ErrOffline = errors.New("schedule: offline: only Plan works without AWS clients")

// errNoClients is returned online by a call whose client is missing.
var errNoClients = errors.New("schedule: online calls need Clients.Scheduler and Clients.IAM (set Options.Offline to plan without AWS)")

// ErrNotFound means a schedule (for Pause and Resume) does not exist.
var ErrNotFound = errors.New("not found")

// Options tune Schedules; the zero value of each field is its documented
// default.
type Options struct {
	// Logger hears what is read and written, at Debug; default
	// slog.Default().WithGroup("schedule").
	Logger *slog.Logger
	// MinDelay and MaxDelay pace every wait: the first pause between two
	// tries (default 1 s) and the longest (default 15 s).
	MinDelay, MaxDelay time.Duration
	// Timeout bounds the wait for a schedule group being deleted to be
	// gone before it is created again, when ctx has no deadline (default
	// 5 minutes).
	Timeout time.Duration
	// RoleTimeout is how long CreateSchedule and UpdateSchedule are
	// retried while the Scheduler refuses a role that the same Ensure
	// created or changed (IAM propagates it within seconds, not at once).
	// It is measured on Now; default 2 minutes.
	RoleTimeout time.Duration
	// Offline: Plan reads nothing from AWS (every resource shows as
	// created, IDs empty, plan.Offline true); Ensure, Delete, Pause and
	// Resume return ErrOffline.
	Offline bool
	// Account and Region are where the schedules live. The Spec's cluster
	// ARN names both, so they are checks: when set, a Spec whose cluster
	// is elsewhere is refused before any call. NewFromConfig sets Region
	// to the configuration's.
	Account, Region string
	// OnChange hears each change once Ensure or Delete made it; may be
	// nil.
	OnChange func(change.Change)
	// Now is the clock: the next fire times are counted from it, and
	// RoleTimeout is measured on it. Default time.Now.
	Now func() time.Time
	// NextTimes is how many fire times Plan's notes and State.Jobs give
	// per job (default 3).
	NextTimes int
}

// Schedules ensures, plans and deletes a stack's schedules.
type Schedules struct {
	c    Clients
	opts Options
}

// New returns Schedules that call c, tuned by optFns.
func New(c Clients, optFns ...func(*Options)) *Schedules {
	var o Options
	for _, fn := range optFns {
		fn(&o)
	}
	if o.Logger == nil {
		o.Logger = slog.Default().WithGroup("schedule")
	}
	if o.MinDelay <= 0 {
		o.MinDelay = time.Second
	}
	if o.MaxDelay < o.MinDelay {
		o.MaxDelay = max(15*time.Second, o.MinDelay)
	}
	if o.Timeout <= 0 {
		o.Timeout = 5 * time.Minute
	}
	if o.RoleTimeout <= 0 {
		o.RoleTimeout = 2 * time.Minute
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.NextTimes <= 0 {
		o.NextTimes = 3
	}
	return &Schedules{c: c, opts: o}
}

// NewFromConfig returns Schedules with clients made from cfg, in its
// region; optFns come after, so they win.
func NewFromConfig(cfg aws.Config, optFns ...func(*Options)) *Schedules {
	c := Clients{Scheduler: scheduler.NewFromConfig(cfg), IAM: iam.NewFromConfig(cfg), SQS: sqs.NewFromConfig(cfg)}
	return New(c, append([]func(*Options){func(o *Options) { o.Region = cfg.Region }}, optFns...)...)
}

// online refuses, before any call, what needs AWS when offline or
// without the clients; iam says whether the call needs the IAM client too.
func (s *Schedules) online(iam bool) error {
	switch {
	case s.opts.Offline:
		return ErrOffline
	case s.c.Scheduler == nil || iam && s.c.IAM == nil:
		return errNoClients
	}
	return nil
}

func (s *Schedules) delays() poll.Delays {
	return poll.Delays{Min: s.opts.MinDelay, Max: s.opts.MaxDelay}
}

// State is what Ensure left in place, and what it changed to get there.
type State struct {
	GroupARN      string
	RoleARN       string
	DeadLetterARN string // "" when there is none
	Jobs          []JobStatus
	// Changes are the changes this Ensure made, in order; empty when the
	// stack already was as the Spec says.
	Changes []change.Change
}

// JobStatus is one schedule as Ensure left it (or would leave it).
type JobStatus struct {
	Name       string
	ARN        string
	Expression string
	Zone       string
	State      JobState // Enabled or Disabled
	Window     time.Duration
	Next       []time.Time // the next fire times, in Zone; none when disabled
}

// Plan says what Ensure would do with spec, without changing anything:
// every resource of the stack with what would happen to it (kept ones
// too), the scheduler role's policies, the monthly cost, and a note per
// job saying when it runs next (NextTimes times, in its zone). Like Ensure
// it refuses, before any call, a Spec that Validate refuses. A rate job
// about to be created or rewritten counts from now: the Scheduler runs it
// at once.
func (s *Schedules) Plan(ctx context.Context, spec Spec) (*change.Plan, error) {
	rn, steps, err := s.diff(ctx, spec)
	if err != nil {
		return nil, err
	}
	jobs := rn.jobStatuses(rn.now, s.opts.NextTimes)
	p := &change.Plan{
		Component: Component,
		Offline:   s.opts.Offline,
		Changes:   engine.Changes(steps),
		Policies:  rn.r.policies(),
		Cost:      rn.cost(),
	}
	for _, j := range jobs {
		p.Notes = append(p.Notes, j.note())
	}
	return p, nil
}

// Ensure creates what is missing and updates what drifted, so the stack's
// schedules are as spec says, and returns them with the changes it made.
// A second call with the same spec makes no mutating call. The spec is
// checked in full before any call (Validate), and so are the role's
// policies (iampolicy.Check); an expression or target change updates the
// schedule in place (same ARN). Schedules in the stack's group that no
// job names are deleted.
func (s *Schedules) Ensure(ctx context.Context, spec Spec) (*State, error) {
	if err := s.online(true); err != nil {
		return nil, err
	}
	rn, steps, err := s.diff(ctx, spec)
	if err != nil {
		return nil, err
	}
	done, err := engine.Run(ctx, s.opts.Logger.With("stack", rn.r.Stack), steps, s.opts.OnChange)
	if err != nil {
		return nil, err
	}
	return &State{
		GroupARN:      rn.r.groupARN,
		RoleARN:       rn.r.roleARN,
		DeadLetterARN: rn.r.queueARN,
		Jobs:          rn.jobStatuses(s.opts.Now(), s.opts.NextTimes),
		Changes:       done,
	}, nil
}
