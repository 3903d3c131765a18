package autoscale

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
)

// Status describes the stack's scaling as it is, a line each: the
// service's bounds and policy, the capacity provider and whether it is
// the cluster's default strategy. Nothing there gives no line.
func (a *Autoscaler) Status(ctx context.Context, stack string) ([]string, error) {
	if err := a.online(); err != nil {
		return nil, err
	}
	r := a.newRun(Spec{Stack: stack}.WithDefaults())
	if err := r.observe(ctx); err != nil {
		return nil, err
	}
	var out []string
	for _, t := range r.targets {
		id := aws.ToString(t.ResourceId)
		line := fmt.Sprintf("service scaling: %s between %d and %d tasks", id, aws.ToInt32(t.MinCapacity), aws.ToInt32(t.MaxCapacity))
		for _, p := range r.policies[id] {
			if c := p.TargetTrackingScalingPolicyConfiguration; c != nil && c.PredefinedMetricSpecification != nil {
				line += fmt.Sprintf(", %s tracks %s at %g", aws.ToString(p.PolicyName), c.PredefinedMetricSpecification.PredefinedMetricType, aws.ToFloat64(c.TargetValue))
			}
		}
		out = append(out, line)
	}
	if p := r.provider; p != nil && r.n.ours(tagMap(p.Tags)) {
		line := fmt.Sprintf("capacity provider %s (%s)", aws.ToString(p.Name), p.Status)
		if g := p.AutoScalingGroupProvider; g != nil {
			if ms := g.ManagedScaling; ms != nil {
				line += fmt.Sprintf(": managed scaling %s at %d%%", ms.Status, aws.ToInt32(ms.TargetCapacity))
			}
			line += fmt.Sprintf(", termination protection %s", g.ManagedTerminationProtection)
		}
		if r.cluster != nil && len(r.cluster.DefaultCapacityProviderStrategy) > 0 &&
			aws.ToString(r.cluster.DefaultCapacityProviderStrategy[0].CapacityProvider) == r.n.provider() {
			line += ", the cluster's default strategy"
		}
		out = append(out, line)
	}
	return out, nil
}
