package autoscale

import (
	"context"
	"fmt"
	"slices"

	"github.com/aws/aws-sdk-go-v2/aws"
	aas "github.com/aws/aws-sdk-go-v2/service/applicationautoscaling"
	aastypes "github.com/aws/aws-sdk-go-v2/service/applicationautoscaling/types"

	"github.com/manga-alert-italia/mangaalert/change"
	"github.com/manga-alert-italia/mangaalert/internal/engine"
)

// taskSteps register the service's scalable target and put its policy,
// and remove every other target of the cluster's services (a renamed
// service's, or all of them without Spec.Tasks), policies first.
func (r *run) taskSteps() []engine.Step {
	var steps []engine.Step
	want := ""
	if t := r.spec.Tasks; t != nil {
		want = r.n.resourceID(r.spec.Service)
		steps = append(steps, r.targetStep(want, *t), r.policyStep(want, *t))
	}
	for _, tg := range r.targets {
		id := aws.ToString(tg.ResourceId)
		for _, p := range r.policies[id] {
			if id != want || aws.ToString(p.PolicyName) != r.n.policy() {
				steps = append(steps, r.deletePolicyStep(id, p))
			}
		}
		if id != want {
			steps = append(steps, r.deregisterStep(tg))
		}
	}
	return steps
}

func (r *run) target(id string) *aastypes.ScalableTarget {
	for i := range r.targets {
		if aws.ToString(r.targets[i].ResourceId) == id {
			return &r.targets[i]
		}
	}
	return nil
}

func (r *run) targetStep(id string, t Tasks) engine.Step {
	c := change.Change{Action: change.Create, Kind: kindTarget, Name: id, Details: []string{fmt.Sprintf("%d to %d tasks", t.Min, t.Max)}}
	register := func(tags map[string]string) func(ctx context.Context) error {
		return func(ctx context.Context) error {
			out, err := r.a.c.AppAutoScaling.RegisterScalableTarget(ctx, &aas.RegisterScalableTargetInput{
				ServiceNamespace: namespace, ResourceId: aws.String(id), ScalableDimension: dimension,
				MinCapacity: aws.Int32(t.Min), MaxCapacity: aws.Int32(t.Max), Tags: tags,
			})
			if err != nil {
				return wrap(err, "register scalable target %s", id)
			}
			if arn := aws.ToString(out.ScalableTargetARN); arn != "" {
				r.st.ScalableTargetARN = arn
			}
			return nil
		}
	}
	have := r.target(id)
	if have == nil {
		// Tags only at registration: a later registration (new bounds)
		// leaves them, so no TagResource call is needed.
		return step(c, []func(context.Context) error{register(r.n.tags(r.spec.Tags))})
	}
	r.st.ScalableTargetARN = aws.ToString(have.ScalableTargetARN)
	c.Action, c.ID = change.Update, r.st.ScalableTargetARN
	var calls []func(context.Context) error
	if aws.ToInt32(have.MinCapacity) != t.Min || aws.ToInt32(have.MaxCapacity) != t.Max {
		c.Details = []string{fmt.Sprintf("%d to %d tasks → %d to %d", aws.ToInt32(have.MinCapacity), aws.ToInt32(have.MaxCapacity), t.Min, t.Max)}
		calls = append(calls, register(nil))
	}
	return step(c, calls)
}

// trackingConfig is the policy's configuration as PutScalingPolicy takes
// it.
func trackingConfig(t Tasks) *aastypes.TargetTrackingScalingPolicyConfiguration {
	m := &aastypes.PredefinedMetricSpecification{PredefinedMetricType: aastypes.MetricType(t.Metric())}
	if t.ResourceLabel != "" {
		m.ResourceLabel = aws.String(t.ResourceLabel)
	}
	return &aastypes.TargetTrackingScalingPolicyConfiguration{
		TargetValue:                   aws.Float64(t.Target()),
		PredefinedMetricSpecification: m,
		ScaleOutCooldown:              aws.Int32(int32(t.ScaleOutCooldown.Seconds())),
		ScaleInCooldown:               aws.Int32(int32(t.ScaleInCooldown.Seconds())),
		DisableScaleIn:                aws.Bool(false),
	}
}

// policyDrift says what differs between a policy and the wanted
// configuration.
func policyDrift(p aastypes.ScalingPolicy, want *aastypes.TargetTrackingScalingPolicyConfiguration) []string {
	have := p.TargetTrackingScalingPolicyConfiguration
	if p.PolicyType != aastypes.PolicyTypeTargetTrackingScaling || have == nil {
		return []string{fmt.Sprintf("%s → target tracking", p.PolicyType)}
	}
	var d []string
	metric, label := "", ""
	if m := have.PredefinedMetricSpecification; m != nil {
		metric, label = string(m.PredefinedMetricType), aws.ToString(m.ResourceLabel)
	}
	wm := want.PredefinedMetricSpecification
	if metric != string(wm.PredefinedMetricType) || label != aws.ToString(wm.ResourceLabel) {
		d = append(d, fmt.Sprintf("metric %s → %s", metric, wm.PredefinedMetricType))
	}
	if aws.ToFloat64(have.TargetValue) != aws.ToFloat64(want.TargetValue) {
		d = append(d, fmt.Sprintf("target %g → %g", aws.ToFloat64(have.TargetValue), aws.ToFloat64(want.TargetValue)))
	}
	if aws.ToInt32(have.ScaleOutCooldown) != aws.ToInt32(want.ScaleOutCooldown) || aws.ToInt32(have.ScaleInCooldown) != aws.ToInt32(want.ScaleInCooldown) {
		d = append(d, fmt.Sprintf("cooldowns out %ds, in %ds", aws.ToInt32(want.ScaleOutCooldown), aws.ToInt32(want.ScaleInCooldown)))
	}
	if aws.ToBool(have.DisableScaleIn) {
		d = append(d, "scale-in enabled")
	}
	return d
}

func (r *run) policyStep(id string, t Tasks) engine.Step {
	name := r.n.policy()
	want := trackingConfig(t)
	detail := fmt.Sprintf("target tracking %s at %g, cooldowns out %ds, in %ds", t.Metric(), t.Target(),
		aws.ToInt32(want.ScaleOutCooldown), aws.ToInt32(want.ScaleInCooldown))
	c := change.Change{Action: change.Create, Kind: kindPolicy, Name: name, Details: []string{detail}}
	put := func(ctx context.Context) error {
		out, err := r.a.c.AppAutoScaling.PutScalingPolicy(ctx, &aas.PutScalingPolicyInput{
			PolicyName: aws.String(name), ServiceNamespace: namespace, ResourceId: aws.String(id), ScalableDimension: dimension,
			PolicyType: aastypes.PolicyTypeTargetTrackingScaling, TargetTrackingScalingPolicyConfiguration: want,
		})
		if err != nil {
			return wrap(err, "put scaling policy %s on %s", name, id)
		}
		r.st.PolicyARN = aws.ToString(out.PolicyARN)
		return nil
	}
	i := slices.IndexFunc(r.policies[id], func(p aastypes.ScalingPolicy) bool { return aws.ToString(p.PolicyName) == name })
	if i < 0 {
		return step(c, []func(context.Context) error{put})
	}
	p := r.policies[id][i]
	r.st.PolicyARN = aws.ToString(p.PolicyARN)
	c.Action, c.ID = change.Update, r.st.PolicyARN
	var calls []func(context.Context) error
	if d := policyDrift(p, want); len(d) > 0 {
		c.Details = d
		calls = append(calls, put) // PutScalingPolicy updates in place
	}
	return step(c, calls)
}

func (r *run) deletePolicyStep(id string, p aastypes.ScalingPolicy) engine.Step {
	name := aws.ToString(p.PolicyName)
	return engine.Step{Change: change.Change{Action: change.Delete, Kind: kindPolicy, Name: name, ID: aws.ToString(p.PolicyARN), Details: []string{"of " + id}},
		Apply: func(ctx context.Context) error {
			_, err := r.a.c.AppAutoScaling.DeleteScalingPolicy(ctx, &aas.DeleteScalingPolicyInput{
				PolicyName: aws.String(name), ServiceNamespace: namespace, ResourceId: aws.String(id), ScalableDimension: dimension})
			if isMissing(err) {
				return nil
			}
			return wrap(err, "delete scaling policy %s of %s", name, id)
		}}
}

func (r *run) deregisterStep(t aastypes.ScalableTarget) engine.Step {
	id := aws.ToString(t.ResourceId)
	return engine.Step{Change: change.Change{Action: change.Delete, Kind: kindTarget, Name: id, ID: aws.ToString(t.ScalableTargetARN),
		Details: []string{fmt.Sprintf("the service keeps its current count; %d to %d tasks no longer enforced", aws.ToInt32(t.MinCapacity), aws.ToInt32(t.MaxCapacity))}},
		Apply: func(ctx context.Context) error {
			_, err := r.a.c.AppAutoScaling.DeregisterScalableTarget(ctx, &aas.DeregisterScalableTargetInput{
				ServiceNamespace: namespace, ResourceId: aws.String(id), ScalableDimension: dimension})
			if isMissing(err) {
				return nil
			}
			return wrap(err, "deregister scalable target %s", id)
		}}
}
