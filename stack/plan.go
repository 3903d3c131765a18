package stack

import (
	"context"
	"errors"
	"fmt"

	"github.com/manga-alert-italia/mangaalert/change"
	"github.com/manga-alert-italia/mangaalert/iampolicy"
)

// Plan says what Apply would do with spec, component by component in
// Apply's order, without writing anything: every resource (kept ones
// too), every IAM policy (each passed iampolicy.Check), the monthly cost
// of the result and the notes an operator should read. Offline it reads
// nothing; online it reads each component once.
func (s *Stack) Plan(ctx context.Context, spec Spec) (*change.Plan, error) {
	spec = spec.WithDefaults()
	if err := spec.check(); err != nil {
		return nil, err
	}
	o, err := s.outputs(ctx)
	if err != nil {
		return nil, err
	}
	out := &change.Plan{Component: "stack", Offline: s.o.Offline}
	for _, step := range []func(context.Context, Spec, *Outputs) (*change.Plan, error){
		s.planNetwork, s.planSecrets, s.planTable, s.planHost, s.planSchedules,
	} {
		p, err := step(ctx, spec, o)
		if err != nil {
			return nil, err
		}
		out.Merge(p)
	}
	out.Cost = append(out.Cost, s.serviceCost(spec)...)
	if err := checkPolicies(out); err != nil {
		return nil, err
	}
	return out, nil
}

// checkPolicies runs the least-privilege check over every policy of the
// plan: Plan and Apply refuse one that fails.
func checkPolicies(p *change.Plan) error {
	var findings []iampolicy.Finding
	for name, doc := range p.Policies {
		findings = append(findings, iampolicy.Check(name, doc)...)
	}
	return iampolicy.Err(findings)
}

// check finds what is wrong with a Spec before anything is read.
func (spec Spec) check() error {
	var errs []error
	if spec.Stack == "" {
		errs = append(errs, errors.New("stack: Spec.Stack is empty"))
	}
	names := map[string]bool{}
	for _, c := range spec.containers() {
		if names[c.Name] {
			errs = append(errs, fmt.Errorf("stack: two containers named %q", c.Name))
		}
		names[c.Name] = true
		for env, name := range mergeRefs(c.Secrets, c.SecretARNs) {
			if !spec.hasSecret(name) {
				errs = append(errs, fmt.Errorf("stack: container %s: %s names secret %q, which the Spec does not hold", c.Name, env, name))
			}
		}
		if c.UsesTable && spec.Table == nil {
			errs = append(errs, fmt.Errorf("stack: container %s uses the table, and the Spec has none", c.Name))
		}
	}
	return errors.Join(errs...)
}

func (spec Spec) hasSecret(name string) bool {
	for _, x := range spec.Secrets {
		if x.Name == name {
			return true
		}
	}
	return false
}

func mergeRefs(a, b map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range a {
		out[k] = v
	}
	for k, v := range b {
		out[k] = v
	}
	return out
}

// Validate checks spec as Plan and Apply would, without AWS: the
// composition, the network, the host (memory, policies) and the
// schedules. A deploy tool calls it to refuse a configuration early.
func Validate(ctx context.Context, spec Spec, region string) error {
	spec = spec.WithDefaults()
	if err := spec.check(); err != nil {
		return err
	}
	if err := validateNetwork(spec); err != nil {
		return err
	}
	_, err := New(emptyAccount(region), func(o *Options) { o.Offline = true; o.Logger = discard }).Plan(ctx, spec)
	return err
}
