package autoscale

import (
	"context"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	aas "github.com/aws/aws-sdk-go-v2/service/applicationautoscaling"
	aastypes "github.com/aws/aws-sdk-go-v2/service/applicationautoscaling/types"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/manga-alert-italia/mangaalert/change"
	"github.com/manga-alert-italia/mangaalert/internal/awserr"
	"github.com/manga-alert-italia/mangaalert/internal/engine"
)

// run is one Plan, Ensure or Delete: what was read, and what the steps
// learn as they go.
type run struct {
	a    *Autoscaler
	spec Spec
	n    names

	// targets are the scalable targets of the cluster's services; policies
	// their policies, by resource ID.
	targets  []aastypes.ScalableTarget
	policies map[string][]aastypes.ScalingPolicy
	provider *ecstypes.CapacityProvider // ours or not; nil when missing or INACTIVE
	cluster  *ecstypes.Cluster          // nil when the cluster is missing
	st       *State
}

const (
	namespace = aastypes.ServiceNamespaceEcs
	dimension = aastypes.ScalableDimensionECSServiceDesiredCount
)

// observe reads the cluster's scalable targets and their policies, the
// capacity provider and the cluster's providers.
func (r *run) observe(ctx context.Context) error {
	r.policies = map[string][]aastypes.ScalingPolicy{}
	pages := aas.NewDescribeScalableTargetsPaginator(r.a.c.AppAutoScaling, &aas.DescribeScalableTargetsInput{
		ServiceNamespace: namespace, ScalableDimension: dimension})
	for pages.HasMorePages() {
		out, err := pages.NextPage(ctx)
		if err != nil {
			return wrap(err, "describe the scalable targets of ECS services")
		}
		for _, t := range out.ScalableTargets {
			if strings.HasPrefix(aws.ToString(t.ResourceId), r.n.servicePrefix()) && t.ScalableDimension == dimension {
				r.targets = append(r.targets, t)
			}
		}
	}
	for _, t := range r.targets {
		id := aws.ToString(t.ResourceId)
		pp := aas.NewDescribeScalingPoliciesPaginator(r.a.c.AppAutoScaling, &aas.DescribeScalingPoliciesInput{
			ServiceNamespace: namespace, ResourceId: aws.String(id), ScalableDimension: dimension})
		for pp.HasMorePages() {
			out, err := pp.NextPage(ctx)
			if err != nil {
				return wrap(err, "describe the scaling policies of %s", id)
			}
			for _, p := range out.ScalingPolicies {
				if aws.ToString(p.ResourceId) == id {
					r.policies[id] = append(r.policies[id], p)
				}
			}
		}
	}
	if err := r.observeProvider(ctx); err != nil {
		return err
	}
	out, err := r.a.c.ECS.DescribeClusters(ctx, &ecs.DescribeClustersInput{Clusters: []string{r.n.cluster}})
	if err != nil {
		return wrap(err, "describe cluster %s", r.n.cluster)
	}
	for _, c := range out.Clusters {
		if aws.ToString(c.ClusterName) == r.n.cluster && aws.ToString(c.Status) != "INACTIVE" {
			r.cluster = &c
		}
	}
	return nil
}

func (r *run) observeProvider(ctx context.Context) error {
	name := r.n.provider()
	out, err := r.a.c.ECS.DescribeCapacityProviders(ctx, &ecs.DescribeCapacityProvidersInput{
		CapacityProviders: []string{name}, Include: []ecstypes.CapacityProviderField{ecstypes.CapacityProviderFieldTags}})
	if err != nil {
		return wrap(err, "describe capacity provider %s", name)
	}
	for _, p := range out.CapacityProviders {
		if aws.ToString(p.Name) == name && p.Status != ecstypes.CapacityProviderStatusInactive {
			r.provider = &p
			r.st.CapacityProvider, r.st.CapacityProviderARN = name, aws.ToString(p.CapacityProviderArn)
		}
	}
	return nil
}

// steps are, in order: the service's scalable target and policy (or the
// removal of stale ones), the capacity provider and the cluster's
// strategy (or, without Hosts, the cluster's strategy and then the
// provider).
func (r *run) steps() ([]engine.Step, error) {
	steps := r.taskSteps()
	hosts, err := r.hostSteps()
	if err != nil {
		return nil, err
	}
	return append(steps, hosts...), nil
}

// step turns a change and its calls into one step: a Keep when there is
// no call.
func step(c change.Change, calls []func(context.Context) error) engine.Step {
	if len(calls) == 0 {
		c.Action = change.Keep
		return engine.Step{Change: c}
	}
	return engine.Step{Change: c, Apply: func(ctx context.Context) error {
		for _, call := range calls {
			if err := call(ctx); err != nil {
				return err
			}
		}
		return nil
	}}
}

// notes say how the scaling behaves, for the plan.
func (r *run) notes() []string {
	var out []string
	if t := r.spec.Tasks; t != nil {
		out = append(out, fmt.Sprintf("the service scales between %d and %d tasks on %s (target %g): apply and deploy-image keep the count Application Auto Scaling set",
			t.Min, t.Max, t.Metric(), t.Target()))
	}
	if h := r.spec.Hosts; h != nil {
		out = append(out, fmt.Sprintf("capacity provider %s: ECS scales the hosts' group to keep %d%% of its capacity in use, "+
			"and never stops an instance that runs a task of the service (managed termination protection)", r.n.provider(), h.TargetCapacity))
	}
	return out
}

// isMissing tells Application Auto Scaling's "nothing there" answers.
func isMissing(err error) bool {
	return awserr.Is(err, "ObjectNotFoundException") ||
		(awserr.Is(err, "ValidationException") && strings.Contains(err.Error(), "No scal"))
}
