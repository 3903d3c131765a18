package ecshost

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/manga-alert-italia/mangaalert/internal/awserr"
	"github.com/manga-alert-italia/mangaalert/internal/engine"
)

// serviceSettings is what the service is made with besides its task
// definition; its hash is kept in a tag, since not every endpoint reports
// every setting back.
type serviceSettings struct {
	DesiredCount         int32
	LaunchType           ecstypes.LaunchType
	Deployment           *ecstypes.DeploymentConfiguration
	PropagateTags        ecstypes.PropagateTags
	EnableECSManagedTags bool
	// LoadBalancers and HealthGrace are set behind a load balancer only,
	// so that the hash of a one-host service stays what it was.
	LoadBalancers []ecstypes.LoadBalancer `json:",omitempty"`
	HealthGrace   *int32                  `json:",omitempty"`
	// Network is set in awsvpc mode only (issue 16), for the same reason.
	Network *ecstypes.NetworkConfiguration `json:",omitempty"`
	// CapacityProvider is set with a capacity provider only (managed.go),
	// for the same reason.
	CapacityProvider string `json:",omitempty"`
	// managed: the desired count is Application Auto Scaling's, kept as
	// found (not hashed: the hash is of what Ensure writes).
	managed bool
	// strategy is what an update sends as the capacity provider strategy:
	// nil leaves it, empty returns to the launch type; force starts a new
	// deployment to move the tasks.
	strategy []ecstypes.CapacityProviderStrategyItem
	force    bool
}

func (r *run) serviceSettings() serviceSettings {
	d := r.spec.deployment()
	return serviceSettings{
		DesiredCount: r.spec.desiredCount(),
		LaunchType:   ecstypes.LaunchTypeEc2,
		Deployment: &ecstypes.DeploymentConfiguration{
			MinimumHealthyPercent: aws.Int32(d.MinimumHealthyPercent),
			MaximumPercent:        aws.Int32(d.MaximumPercent),
			// Always on: a release that cannot start rolls back by itself.
			DeploymentCircuitBreaker: &ecstypes.DeploymentCircuitBreaker{Enable: true, Rollback: true},
		},
		PropagateTags:        ecstypes.PropagateTagsService,
		EnableECSManagedTags: true,
		LoadBalancers:        r.spec.serviceLoadBalancers(),
		HealthGrace:          r.spec.healthGrace(),
		Network:              r.spec.serviceNetwork(),
		CapacityProvider:     r.spec.CapacityProvider,
		managed:              r.spec.ManagedTasks,
	}
}

// serviceSteps ensures the backend service: EC2 launch type, one task,
// the circuit breaker with rollback, managed tags propagated from the
// service. A changed task definition starts a rollout that Ensure does not
// wait for (Deploy does).
func (r *run) serviceSteps(ctx context.Context) ([]engine.Step, error) {
	name := r.n.service(r.spec.Service.Name)
	td := r.serviceTaskDef()
	set := r.serviceSettings()
	hash := hashOf(set)
	detail := fmt.Sprintf("%s, deployment %d%%/%d%%", td, r.st.Deployment.MinimumHealthyPercent, r.st.Deployment.MaximumPercent) + r.spec.scaleDetail()
	var svc *ecstypes.Service
	if !r.offline {
		var err error
		if svc, err = r.h.findService(ctx, r.n, name); err != nil {
			return nil, err
		}
	}
	if svc == nil {
		return []engine.Step{create(kindService, name, []string{detail}, func(ctx context.Context) error {
			return r.createService(ctx, set, hash)
		})}, nil
	}
	r.st.ServiceARN = aws.ToString(svc.ServiceArn)
	have := ecsTagMap(svc.Tags)
	if !r.n.ours(have) {
		return nil, notOurs("service", name)
	}
	set.strategy, set.force = strategyUpdate(svc, set.CapacityProvider)
	var e edits
	for i, c := range serviceDrift(svc, td, set, hash, have) {
		var call func(context.Context) error
		if i == 0 {
			call = func(ctx context.Context) error { return r.h.updateService(ctx, r.n, name, r.serviceTaskDef(), set) }
		}
		e.add(c, call)
	}
	want := mergeTags(r.tags(), map[string]string{tagSpecHash: hash})
	if missing := missingTags(want, have); len(missing) > 0 {
		tag := func(ctx context.Context) error {
			if _, err := r.h.c.ECS.TagResource(ctx, &ecs.TagResourceInput{ResourceArn: svc.ServiceArn, Tags: ecsTags(missing)}); err != nil {
				return fmt.Errorf("tag service %q: %w", name, err)
			}
			return nil
		}
		if len(e.details) == 0 {
			e.add("tags", tag)
		} else {
			e.calls = append(e.calls, tag)
		}
	}
	return []engine.Step{e.step(kindService, name, r.st.ServiceARN, detail)}, nil
}

// serviceTaskDef is the service container's task definition ARN as the
// steps so far left it.
func (r *run) serviceTaskDef() string { return r.st.TaskDefinitions[r.spec.Service.Name].ARN }

func (r *run) createService(ctx context.Context, set serviceSettings, hash string) error {
	name := r.n.service(r.spec.Service.Name)
	in := &ecs.CreateServiceInput{
		Cluster:                  aws.String(r.n.cluster()),
		ServiceName:              aws.String(name),
		TaskDefinition:           aws.String(r.serviceTaskDef()),
		DesiredCount:             aws.Int32(set.DesiredCount),
		LaunchType:               set.LaunchType,
		CapacityProviderStrategy: set.createStrategy(),
		DeploymentConfiguration:  set.Deployment,
		DeploymentController:     &ecstypes.DeploymentController{Type: ecstypes.DeploymentControllerTypeEcs},
		SchedulingStrategy:       ecstypes.SchedulingStrategyReplica,
		PropagateTags:            set.PropagateTags,
		EnableECSManagedTags:     set.EnableECSManagedTags,
		Tags:                     ecsTags(mergeTags(r.tags(), map[string]string{tagSpecHash: hash})),
	}
	in.LoadBalancers, in.HealthCheckGracePeriodSeconds = set.LoadBalancers, set.HealthGrace
	in.NetworkConfiguration = set.Network
	if in.CapacityProviderStrategy != nil {
		in.LaunchType = "" // one or the other
	}
	var out *ecs.CreateServiceOutput
	err := r.h.retryRole(ctx, "create service "+name, func(ctx context.Context) (err error) {
		out, err = r.h.c.ECS.CreateService(ctx, in)
		return err
	})
	if err != nil {
		return fmt.Errorf("create service %q: %w", name, err)
	}
	r.st.ServiceARN = aws.ToString(out.Service.ServiceArn)
	return nil
}

// serviceDrift lists what differs from the wanted service. Settings the
// endpoint reports are compared; the hash tag covers the rest.
func serviceDrift(svc *ecstypes.Service, td string, set serviceSettings, hash string, tags map[string]string) []string {
	var changes []string
	if aws.ToString(svc.TaskDefinition) != td {
		changes = append(changes, "task definition "+aws.ToString(svc.TaskDefinition)+" → "+td)
	}
	if !set.managed && svc.DesiredCount != set.DesiredCount {
		changes = append(changes, fmt.Sprintf("desired count %d → %d", svc.DesiredCount, set.DesiredCount))
	}
	if !sameLoadBalancers(svc.LoadBalancers, set.LoadBalancers) {
		changes = append(changes, "load balancers")
	}
	if !sameNetwork(svc.NetworkConfiguration, set.Network) {
		changes = append(changes, "network configuration")
	}
	if d := svc.DeploymentConfiguration; d != nil {
		cb := d.DeploymentCircuitBreaker
		if aws.ToInt32(d.MinimumHealthyPercent) != aws.ToInt32(set.Deployment.MinimumHealthyPercent) ||
			aws.ToInt32(d.MaximumPercent) != aws.ToInt32(set.Deployment.MaximumPercent) ||
			cb == nil || !cb.Enable || !cb.Rollback {
			changes = append(changes, "deployment configuration")
		}
	}
	if tags[tagSpecHash] != hash && len(changes) == 0 {
		changes = append(changes, "settings")
	}
	return changes
}

func (h *Host) updateService(ctx context.Context, n names, name, td string, set serviceSettings) error {
	in := &ecs.UpdateServiceInput{
		Cluster:                 aws.String(n.cluster()),
		Service:                 aws.String(name),
		TaskDefinition:          aws.String(td),
		DesiredCount:            set.updateCount(),
		DeploymentConfiguration: set.Deployment,
		PropagateTags:           set.PropagateTags,
		EnableECSManagedTags:    aws.Bool(set.EnableECSManagedTags),
	}
	in.LoadBalancers, in.HealthCheckGracePeriodSeconds = set.LoadBalancers, set.HealthGrace
	in.NetworkConfiguration = set.Network
	in.CapacityProviderStrategy, in.ForceNewDeployment = set.strategy, set.force
	_, err := h.c.ECS.UpdateService(ctx, in)
	if err != nil {
		return fmt.Errorf("update service %q: %w", name, err)
	}
	return nil
}

// findService returns the service unless it is missing or INACTIVE; a
// DRAINING service (being deleted) is an error to retry later.
func (h *Host) findService(ctx context.Context, n names, name string) (*ecstypes.Service, error) {
	out, err := h.c.ECS.DescribeServices(ctx, &ecs.DescribeServicesInput{
		Cluster: aws.String(n.cluster()), Services: []string{name}, Include: []ecstypes.ServiceField{ecstypes.ServiceFieldTags},
	})
	if isClusterNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("describe service %q: %w", name, err)
	}
	for _, s := range out.Services {
		if aws.ToString(s.ServiceName) != name {
			continue
		}
		switch aws.ToString(s.Status) {
		case "INACTIVE":
			return nil, nil
		case "DRAINING":
			return nil, fmt.Errorf("service %q is being deleted (DRAINING); retry when it is gone", name)
		}
		return &s, nil
	}
	return nil, nil
}

func isClusterNotFound(err error) bool { return awserr.Is(err, "ClusterNotFoundException") }
