package stack

import (
	"context"

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
	if err := spec.Validate(); err != nil {
		return nil, err
	}
	if !s.o.Offline {
		if err := s.checkLeaveAwsvpc(ctx, spec); err != nil { // issue 16: Apply would refuse it
			return nil, err
		}
	}
	o, err := s.outputs(ctx)
	if err != nil {
		return nil, err
	}
	out := &change.Plan{Component: "stack", Offline: s.o.Offline}
	for _, step := range []func(context.Context, Spec, *Outputs) (*change.Plan, error){
		s.planNetwork, s.planSecrets, s.planTable, s.planAlerts, s.planLoadBalancer, s.planHost, s.planAutoscale, s.planSchedules,
	} {
		p, err := step(ctx, spec, o)
		if err != nil {
			return nil, err
		}
		out.Merge(p)
	}
	out.Cost = append(out.Cost, s.serviceCost(spec)...)
	out.Cost = append(out.Cost, fargateJobsCost(spec)...) // issue 16: jobs on Fargate
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
