package autoscale

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/manga-alert-italia/mangaalert/change"
	"github.com/manga-alert-italia/mangaalert/internal/engine"
)

// ErrOffline is returned by Ensure, Delete and Status of an Autoscaler
// built with Options.Offline.
var ErrOffline = errors.New("autoscale: offline: only Plan works; build it without Options.Offline to change AWS")

// Options tune an Autoscaler; the zero value of each field is its
// default.
type Options struct {
	// Logger receives Debug records; default
	// slog.Default().WithGroup("autoscale").
	Logger *slog.Logger
	// Offline: Plan reads nothing (everything shows as created); Ensure,
	// Delete and Status return ErrOffline.
	Offline bool
	// OnChange hears each change once it is made; may be nil.
	OnChange func(change.Change)
}

// Autoscaler manages one stack's service scaling and capacity provider.
type Autoscaler struct {
	c Clients
	o Options
}

// New returns an Autoscaler working through c.
func New(c Clients, optFns ...func(*Options)) *Autoscaler {
	var o Options
	for _, f := range optFns {
		f(&o)
	}
	if o.Logger == nil {
		o.Logger = slog.Default().WithGroup("autoscale")
	}
	return &Autoscaler{c: c, o: o}
}

// State is what Ensure observed and made.
type State struct {
	// ScalableTargetARN is the service's scalable target, "" without
	// Spec.Tasks.
	ScalableTargetARN string
	// PolicyARN is the target-tracking policy's.
	PolicyARN string
	// CapacityProvider is the provider's name, "" without Spec.Hosts.
	CapacityProvider string
	// CapacityProviderARN is its ARN.
	CapacityProviderARN string
	// Changes are what this call changed; empty on a no-op.
	Changes []change.Change
}

func (a *Autoscaler) online() error {
	if a.o.Offline {
		return ErrOffline
	}
	if a.c.AppAutoScaling == nil || a.c.ECS == nil {
		return errors.New("autoscale: no Application Auto Scaling or ECS client: build it with ClientsFromConfig, or set Options.Offline to plan without AWS")
	}
	return nil
}

// Plan says what Ensure would do with spec, without writing: the
// service's scalable target and policy, the capacity provider and the
// cluster's strategy, or their removal when the Spec has none.
func (a *Autoscaler) Plan(ctx context.Context, spec Spec) (*change.Plan, error) {
	spec = spec.WithDefaults()
	if err := spec.Validate(); err != nil {
		return nil, err
	}
	r := a.newRun(spec)
	if !a.o.Offline {
		if err := a.online(); err != nil {
			return nil, err
		}
		if err := r.observe(ctx); err != nil {
			return nil, err
		}
	}
	steps, err := r.steps()
	if err != nil {
		return nil, err
	}
	return &change.Plan{Component: component, Offline: a.o.Offline, Changes: engine.Changes(steps), Notes: r.notes()}, nil
}

// Ensure makes the stack's scaling match spec and returns what it
// observed with the changes it made; a second call with the same Spec
// makes no write. A nil Spec.Tasks deregisters the service's scalable
// target (its policy first); a nil Spec.Hosts detaches the capacity
// provider from the cluster and deletes it, which ECS refuses while a
// service still names it: update the service back to the launch type
// first (the host package does when its ScaleOut.CapacityProvider is "").
func (a *Autoscaler) Ensure(ctx context.Context, spec Spec) (*State, error) {
	if err := a.online(); err != nil {
		return nil, err
	}
	spec = spec.WithDefaults()
	if err := spec.Validate(); err != nil {
		return nil, err
	}
	r := a.newRun(spec)
	if err := r.observe(ctx); err != nil {
		return nil, err
	}
	steps, err := r.steps()
	if err != nil {
		return nil, err
	}
	done, err := engine.Run(ctx, a.o.Logger.With("stack", spec.Stack), steps, a.o.OnChange)
	r.st.Changes = done
	return r.st, err
}

// Delete removes the stack's scaling: the target-tracking policies and
// scalable targets of the services of cluster STACK, the capacity
// provider (detached from the cluster first, when the cluster is still
// there). It returns what it deleted, nil when nothing was there. Run it
// after the service is gone or back on the launch type: ECS refuses to
// detach a provider a service still names.
func (a *Autoscaler) Delete(ctx context.Context, stack string) ([]change.Change, error) {
	if err := a.online(); err != nil {
		return nil, err
	}
	spec := Spec{Stack: stack}.WithDefaults()
	if err := spec.Validate(); err != nil {
		return nil, err
	}
	r := a.newRun(spec)
	if err := r.observe(ctx); err != nil {
		return nil, err
	}
	steps, err := r.steps()
	if err != nil {
		return nil, err
	}
	return engine.Run(ctx, a.o.Logger.With("stack", stack), steps, a.o.OnChange)
}

// PlanDelete says what Delete would remove (nothing offline).
func (a *Autoscaler) PlanDelete(ctx context.Context, stack string) (*change.Plan, error) {
	return a.Plan(ctx, Spec{Stack: stack})
}

func (a *Autoscaler) newRun(spec Spec) *run {
	return &run{a: a, spec: spec, n: names{stack: spec.Stack, cluster: spec.Cluster}, st: &State{}}
}

func wrap(err error, format string, args ...any) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("autoscale: "+format+": %w", append(args, err)...)
}
