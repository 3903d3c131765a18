package autoscale

import (
	"context"
	"fmt"
	"maps"
	"slices"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/manga-alert-italia/mangaalert/change"
	"github.com/manga-alert-italia/mangaalert/internal/engine"
)

// hostSteps ensure the capacity provider and make it the cluster's
// default strategy; without Spec.Hosts they detach it from the cluster,
// then delete it.
func (r *run) hostSteps() ([]engine.Step, error) {
	name := r.n.provider()
	attached := r.cluster != nil && slices.Contains(r.cluster.CapacityProviders, name)
	if r.spec.Hosts == nil {
		var steps []engine.Step
		if attached {
			steps = append(steps, r.clusterStep(nil))
		}
		if r.provider != nil && r.n.ours(tagMap(r.provider.Tags)) {
			steps = append(steps, r.deleteProviderStep())
		}
		return steps, nil
	}
	p, err := r.providerStep(*r.spec.Hosts)
	if err != nil {
		return nil, err
	}
	steps := []engine.Step{p}
	if c := r.clusterStep([]string{name}); c.Action != change.Keep || r.cluster != nil {
		steps = append(steps, c)
	}
	return steps, nil
}

// groupProvider is the provider's group settings: managed scaling at the
// target, managed termination protection (the group's instances are
// protected from scale-in; ECS lifts it from an instance with no task),
// and managed draining (an instance leaving drains its tasks first).
func groupProvider(h Hosts) *ecstypes.AutoScalingGroupProvider {
	return &ecstypes.AutoScalingGroupProvider{
		AutoScalingGroupArn: aws.String(h.GroupARN),
		ManagedScaling: &ecstypes.ManagedScaling{
			Status: ecstypes.ManagedScalingStatusEnabled, TargetCapacity: aws.Int32(h.TargetCapacity),
			MinimumScalingStepSize: aws.Int32(1), MaximumScalingStepSize: aws.Int32(1),
		},
		ManagedTerminationProtection: ecstypes.ManagedTerminationProtectionEnabled,
		ManagedDraining:              ecstypes.ManagedDrainingEnabled,
	}
}

func (r *run) providerStep(h Hosts) (engine.Step, error) {
	name := r.n.provider()
	want := groupProvider(h)
	c := change.Change{Action: change.Create, Kind: kindProvider, Name: name,
		Details: []string{fmt.Sprintf("group %s, managed scaling at %d%%, managed termination protection", h.GroupARN, h.TargetCapacity)}}
	if r.provider == nil {
		return step(c, []func(context.Context) error{func(ctx context.Context) error {
			out, err := r.a.c.ECS.CreateCapacityProvider(ctx, &ecs.CreateCapacityProviderInput{
				Name: aws.String(name), AutoScalingGroupProvider: want, Tags: ecsTags(r.n.tags(r.spec.Tags))})
			if err != nil {
				return wrap(err, "create capacity provider %s", name)
			}
			r.st.CapacityProvider, r.st.CapacityProviderARN = name, aws.ToString(out.CapacityProvider.CapacityProviderArn)
			return nil
		}}), nil
	}
	if !r.n.ours(tagMap(r.provider.Tags)) {
		return engine.Step{}, notOurs(kindProvider, name)
	}
	have := r.provider.AutoScalingGroupProvider
	if have == nil || aws.ToString(have.AutoScalingGroupArn) != h.GroupARN {
		return engine.Step{}, fmt.Errorf("autoscale: capacity provider %s belongs to another group (%s), and ECS cannot move it to %s: "+
			"apply once without the capacity provider (which deletes it), then with it again", name, groupOf(have), h.GroupARN)
	}
	c.Action, c.ID = change.Update, aws.ToString(r.provider.CapacityProviderArn)
	var d []string
	ms := have.ManagedScaling
	if ms == nil || ms.Status != ecstypes.ManagedScalingStatusEnabled || aws.ToInt32(ms.TargetCapacity) != h.TargetCapacity {
		d = append(d, fmt.Sprintf("managed scaling at %d%%", h.TargetCapacity))
	}
	if have.ManagedTerminationProtection != ecstypes.ManagedTerminationProtectionEnabled {
		d = append(d, "managed termination protection")
	}
	if len(d) == 0 {
		return step(c, nil), nil
	}
	c.Details = d
	return step(c, []func(context.Context) error{func(ctx context.Context) error {
		_, err := r.a.c.ECS.UpdateCapacityProvider(ctx, &ecs.UpdateCapacityProviderInput{Name: aws.String(name),
			AutoScalingGroupProvider: &ecstypes.AutoScalingGroupProviderUpdate{ManagedScaling: want.ManagedScaling,
				ManagedTerminationProtection: want.ManagedTerminationProtection, ManagedDraining: want.ManagedDraining}})
		return wrap(err, "update capacity provider %s", name)
	}}), nil
}

func groupOf(p *ecstypes.AutoScalingGroupProvider) string {
	if p == nil {
		return "none"
	}
	return aws.ToString(p.AutoScalingGroupArn)
}

// clusterStep attaches own (nil: none) to the cluster as its capacity
// providers from this package, the first as the default strategy. The
// providers others attached (FARGATE and FARGATE_SPOT, for jobs on
// Fargate) stay, and so does their default strategy when own is empty:
// PutClusterCapacityProviders replaces the whole list, so the write reads
// the cluster again and keeps what another step of the same apply added.
func (r *run) clusterStep(own []string) engine.Step {
	cluster := r.n.cluster
	detail := "none of ours, default strategy unchanged"
	if len(own) > 0 {
		detail = own[0] + ", the default strategy"
	}
	c := change.Change{Action: change.Update, Kind: kindCluster, Name: cluster, Details: []string{detail}}
	if r.cluster != nil {
		c.ID = aws.ToString(r.cluster.ClusterArn)
		providers, strategy := r.clusterProviders(r.cluster, own)
		if sameSet(r.cluster.CapacityProviders, providers) && sameStrategy(r.cluster.DefaultCapacityProviderStrategy, strategy) {
			return step(c, nil)
		}
	}
	return step(c, []func(context.Context) error{func(ctx context.Context) error {
		out, err := r.a.c.ECS.DescribeClusters(ctx, &ecs.DescribeClustersInput{Clusters: []string{cluster}})
		if err != nil {
			return wrap(err, "describe cluster %s", cluster)
		}
		var now *ecstypes.Cluster
		for i := range out.Clusters {
			if aws.ToString(out.Clusters[i].ClusterName) == cluster {
				now = &out.Clusters[i]
			}
		}
		providers, strategy := r.clusterProviders(now, own)
		_, err = r.a.c.ECS.PutClusterCapacityProviders(ctx, &ecs.PutClusterCapacityProvidersInput{
			Cluster: aws.String(cluster), CapacityProviders: providers, DefaultCapacityProviderStrategy: strategy})
		return wrap(err, "set the capacity providers of cluster %s (a service that still names one keeps it attached: update the service first)", cluster)
	}})
}

// clusterProviders is what the cluster should have: the providers of
// others it has, plus own; the default strategy own's first, or (without
// own) the one it has less any entry naming our provider.
func (r *run) clusterProviders(have *ecstypes.Cluster, own []string) ([]string, []ecstypes.CapacityProviderStrategyItem) {
	ours := r.n.provider()
	providers := []string{}
	strategy := []ecstypes.CapacityProviderStrategyItem{}
	if have != nil {
		for _, p := range have.CapacityProviders {
			if p != ours {
				providers = append(providers, p)
			}
		}
		for _, it := range have.DefaultCapacityProviderStrategy {
			if aws.ToString(it.CapacityProvider) != ours {
				strategy = append(strategy, it)
			}
		}
	}
	providers = append(providers, own...)
	if len(own) > 0 {
		strategy = []ecstypes.CapacityProviderStrategyItem{{CapacityProvider: aws.String(own[0]), Weight: 1, Base: 0}}
	}
	return providers, strategy
}

func sameSet(a, b []string) bool {
	return slices.Equal(slices.Sorted(slices.Values(a)), slices.Sorted(slices.Values(b)))
}

func sameStrategy(a, b []ecstypes.CapacityProviderStrategyItem) bool {
	return slices.EqualFunc(a, b, func(x, y ecstypes.CapacityProviderStrategyItem) bool {
		return aws.ToString(x.CapacityProvider) == aws.ToString(y.CapacityProvider) && x.Weight == y.Weight && x.Base == y.Base
	})
}

func (r *run) deleteProviderStep() engine.Step {
	name := r.n.provider()
	return engine.Step{Change: change.Change{Action: change.Delete, Kind: kindProvider, Name: name, ID: aws.ToString(r.provider.CapacityProviderArn)},
		Apply: func(ctx context.Context) error {
			_, err := r.a.c.ECS.DeleteCapacityProvider(ctx, &ecs.DeleteCapacityProviderInput{CapacityProvider: aws.String(name)})
			return wrap(err, "delete capacity provider %s", name)
		}}
}

func ecsTags(m map[string]string) []ecstypes.Tag {
	var out []ecstypes.Tag
	for _, k := range slices.Sorted(maps.Keys(m)) {
		out = append(out, ecstypes.Tag{Key: aws.String(k), Value: aws.String(m[k])})
	}
	return out
}

func tagMap(tags []ecstypes.Tag) map[string]string {
	m := map[string]string{}
	for _, t := range tags {
		m[aws.ToString(t.Key)] = aws.ToString(t.Value)
	}
	return m
}
