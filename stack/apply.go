package stack

import (
	"context"
	"fmt"

	"github.com/manga-alert-italia/mangaalert/change"
)

// Apply makes the stack as spec says, in order network → secrets → table
// → alerts → load balancer (Spec.LoadBalancer) → host → autoscale → schedules, each
// step taking the earlier ones' outputs (a load balancer the Spec no
// longer has is deleted first, before the network closes its group), and
// returns what it changed (State.Changes, empty when everything was in
// place) with the outputs. It reads each component once, as it ensures
// it; a second Apply with the same Spec makes no mutating call. What
// would fail halfway (no image on a first apply, a secret with no value
// that does not exist, a policy too broad) fails before the first write.
// After a failure, the State returned with the error holds the changes
// made; Apply again finishes the job.
func (s *Stack) Apply(ctx context.Context, spec Spec) (*State, error) {
	if s.o.Offline {
		return nil, ErrOffline
	}
	spec = spec.WithDefaults()
	if err := spec.Validate(); err != nil {
		return nil, err
	}
	if err := s.preflight(ctx, spec); err != nil {
		return nil, err
	}
	o, err := s.outputs(ctx)
	if err != nil {
		return nil, err
	}
	st := &State{}
	steps := []struct {
		name   string
		ensure func(context.Context, Spec, *Outputs) ([]change.Change, error)
	}{
		{"load balancer removal", s.removeLoadBalancer},
		{"network", s.ensureNetwork},
		{"secrets", s.ensureSecrets},
		{"table", s.ensureTable},
		{"alerts", s.ensureAlerts},
		{"load balancer", func(ctx context.Context, spec Spec, o *Outputs) ([]change.Change, error) {
			return s.ensureLoadBalancer(ctx, spec, o, st)
		}},
		{"host", func(ctx context.Context, spec Spec, o *Outputs) ([]change.Change, error) {
			return s.ensureHost(ctx, spec, o, st)
		}},
		{"autoscale", func(ctx context.Context, spec Spec, o *Outputs) ([]change.Change, error) {
			return s.ensureAutoscale(ctx, spec, o, st)
		}},
		{"schedules", s.ensureSchedules},
	}
	for _, step := range steps {
		s.o.Logger.DebugContext(ctx, "ensure", "stack", spec.Stack, "step", step.name)
		cs, err := step.ensure(ctx, spec, o)
		st.Changes = append(st.Changes, cs...)
		if err != nil {
			st.Outputs = *o
			return st, fmt.Errorf("%s: %w", step.name, err)
		}
	}
	st.Outputs = *o
	return st, nil
}

// preflight checks, with reads only, what would otherwise fail halfway:
// an image for the first apply, the secrets that must exist already.
func (s *Stack) preflight(ctx context.Context, spec Spec) error {
	if err := s.checkImage(ctx, spec); err != nil {
		return err
	}
	if err := s.checkLeaveAwsvpc(ctx, spec); err != nil { // issue 16
		return err
	}
	return s.missingSecrets(ctx, spec)
}

// Advice is what the operator does next after an Apply: where the site's
// address points, and whether the host is being replaced.
func (st *State) Advice(siteURL string) string {
	if st.LoadBalancer != nil {
		return st.loadBalancerAdvice(siteURL)
	}
	out := fmt.Sprintf("\nThe site %s is served by the host's public address (`deploy status` shows it; it changes when the instance is replaced: elastic_ip keeps one).\n", siteURL)
	if st.ElasticIP != "" {
		out = fmt.Sprintf("\nThe host's address: %s (Elastic IP): point %s at it.\n", st.ElasticIP, siteURL)
	}
	if st.InstanceRefreshID != "" {
		out += fmt.Sprintf("The launch template changed: instance refresh %s replaces the host (a few minutes without the site).\n", st.InstanceRefreshID)
	}
	return out
}
