package stack

// Adapter to package ecshost's current API (WithX options, Clients, its
// own Plan and Action types, Deploy remembering or taking WithSpec). When
// ecshost has the shape of issue 11 (New(clients, optFns), Plan returning
// *change.Plan, State.Changes, Deploy taking the Spec), each body below
// becomes one call. The names follow ecshost's documented naming: cluster
// STACK, family STACK-CONTAINER, roles under /mangaalert/STACK/.

import (
	"context"
	"fmt"
	"maps"
	"slices"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/manga-alert-italia/mangaalert/change"
	"github.com/manga-alert-italia/mangaalert/ecshost"
	"github.com/manga-alert-italia/mangaalert/iampolicy"
	"github.com/manga-alert-italia/mangaalert/internal/awserr"
	"github.com/manga-alert-italia/mangaalert/resource"
)

func family(stack, container string) string { return stack + "-" + container }

func roleARN(o *Outputs, stack, role string) string {
	return resource.ARNIn(o.Partition, "iam", "", o.Account, "role/mangaalert/"+stack+"/"+role)
}

// hostNames fills the names the schedules need from the host.
func hostNames(spec Spec, o *Outputs) {
	o.ClusterARN = resource.ARNIn(o.Partition, "ecs", o.Region, o.Account, "cluster/"+spec.Stack)
	o.ExecutionRoleARN = roleARN(o, spec.Stack, spec.Stack+"-ecs-execution")
	for _, c := range spec.containers() {
		if len(taskPolicy(c, *o).Statement) > 0 {
			o.TaskRoleARNs[c.Name] = roleARN(o, spec.Stack, spec.Stack+"-task-"+c.Name)
		}
	}
}

func hostContainer(spec Spec, c Container, o Outputs) ecshost.Container {
	env := maps.Clone(c.Environment)
	if env == nil {
		env = map[string]string{}
	}
	for k, name := range c.SecretARNs {
		env[k] = o.SecretARNs[name]
	}
	var secs []ecshost.Secret
	for _, k := range slices.Sorted(maps.Keys(c.Secrets)) {
		secs = append(secs, ecshost.Secret{Name: k, ValueFrom: o.SecretARNs[c.Secrets[k]]})
	}
	var ports []ecshost.PortMapping
	for _, pm := range c.PortMappings {
		ports = append(ports, ecshost.PortMapping{ContainerPort: pm.ContainerPort, HostPort: pm.HostPort})
	}
	out := ecshost.Container{Name: c.Name, Command: c.Command, Image: c.Image, Environment: env, Secrets: secs,
		PortMappings: ports, MemoryMiB: c.MemoryMiB, TaskPolicy: taskPolicy(c, o)}
	if h := c.HealthCheck; h != nil {
		out.HealthCheck = &ecshost.HealthCheck{Command: h.Command, Interval: h.Interval, Timeout: h.Timeout, Retries: h.Retries, StartPeriod: h.StartPeriod}
	}
	return out
}

func hostSpec(spec Spec, o Outputs) ecshost.Spec {
	env := map[string]string{"AWS_REGION": o.Region}
	maps.Copy(env, spec.Environment)
	hs := ecshost.Spec{Stack: spec.Stack, SubnetIDs: o.SubnetIDs, SecurityGroupID: o.SecurityGroupID,
		InstanceType: spec.Host.InstanceType, ElasticIP: spec.Host.ElasticIP, SessionManager: spec.Host.SessionManager,
		LogRetentionDays: spec.Host.LogRetentionDays, Image: spec.Image, Environment: env, Tags: spec.Tags,
		Service: hostContainer(spec, spec.Service, o)}
	hs.Tasks = []ecshost.Container{}
	for _, j := range spec.Jobs {
		hs.Tasks = append(hs.Tasks, hostContainer(spec, j.Container, o))
	}
	return hs
}

func (s *Stack) host(o *Outputs) *ecshost.Host {
	opts := []ecshost.Option{ecshost.WithRegion(o.Region), ecshost.WithAccount(o.Account), ecshost.WithLogger(s.o.Logger),
		ecshost.WithPollInterval(s.o.MinDelay, s.o.MaxDelay)}
	if s.o.Offline {
		return ecshost.New(ecshost.Clients{}, opts...)
	}
	return ecshost.NewFromConfig(s.cfg, opts...)
}

func hostChanges(actions []ecshost.Action) []change.Change {
	var out []change.Change
	for _, a := range actions {
		c := change.Change{Action: change.Action(a.Op), Kind: a.Resource, Name: a.Name}
		if a.Detail != "" {
			c.Details = []string{a.Detail}
		}
		out = append(out, c)
	}
	return out
}

func (s *Stack) planHost(ctx context.Context, spec Spec, o *Outputs) (*change.Plan, error) {
	hostNames(spec, o)
	hp, err := s.host(o).Plan(ctx, hostSpec(spec, *o))
	if err != nil {
		return nil, fmt.Errorf("plan the host: %w", err)
	}
	if err := iampolicy.Err(hp.Findings); err != nil {
		return nil, err
	}
	cs := hostChanges(hp.Actions)
	for _, c := range spec.containers() {
		arn, err := s.plannedTaskDef(ctx, spec.Stack, c.Name, cs, o)
		if err != nil {
			return nil, err
		}
		o.TaskDefinitionARNs[c.Name] = arn
	}
	notes := append([]string{"rolling deployments of " + spec.Service.Name + ": " + hp.Deployment.String()}, hp.Notes...)
	return &change.Plan{Component: "host", Offline: hp.Offline, Changes: cs, Policies: hp.Policies, Cost: hp.Cost, Notes: notes}, nil
}

// plannedTaskDef is the task definition a job's schedule would target: the
// family's current revision, or the next when the plan registers one.
func (s *Stack) plannedTaskDef(ctx context.Context, stack, container string, cs []change.Change, o *Outputs) (string, error) {
	fam := family(stack, container)
	rev := int32(0)
	if !s.o.Offline {
		out, err := s.cl.ecs.DescribeTaskDefinition(ctx, &ecs.DescribeTaskDefinitionInput{TaskDefinition: aws.String(fam)})
		switch {
		case err == nil && out.TaskDefinition != nil:
			rev = out.TaskDefinition.Revision
		case err != nil && !awserr.Is(err, "ClientException", "ResourceNotFoundException"):
			return "", fmt.Errorf("describe task definition %s: %w", fam, err)
		}
	}
	i := slices.IndexFunc(cs, func(c change.Change) bool { return c.Kind == "task definition" && c.Name == fam })
	if i < 0 || cs[i].Action != change.Keep || rev == 0 {
		rev++
	}
	return resource.ARNIn(o.Partition, "ecs", o.Region, o.Account, fmt.Sprintf("task-definition/%s:%d", fam, rev)), nil
}

// checkImage fails with ErrNoImage when no image is given and none runs.
func (s *Stack) checkImage(ctx context.Context, spec Spec) error {
	if spec.Image != "" || spec.Service.Image != "" {
		return nil
	}
	fam := family(spec.Stack, spec.Service.Name)
	_, err := s.cl.ecs.DescribeTaskDefinition(ctx, &ecs.DescribeTaskDefinitionInput{TaskDefinition: aws.String(fam)})
	switch {
	case awserr.Is(err, "ClientException"):
		return ErrNoImage
	case err != nil:
		return fmt.Errorf("describe task definition %s: %w", fam, err)
	}
	return nil
}

func (s *Stack) ensureHost(ctx context.Context, spec Spec, o *Outputs, st *State) ([]change.Change, error) {
	hostNames(spec, o)
	hs, err := s.host(o).Ensure(ctx, hostSpec(spec, *o))
	if hs == nil {
		return nil, err
	}
	s.hostOutputs(hs.TaskDefinitions, o)
	o.ClusterARN, o.ExecutionRoleARN = hs.ClusterARN, hs.ExecutionRoleARN
	maps.Copy(o.TaskRoleARNs, hs.TaskRoleARNs)
	st.ElasticIP, st.InstanceRefreshID = hs.ElasticIP, hs.InstanceRefreshID
	return made(hostChanges(hs.Actions)), err
}

func (s *Stack) hostOutputs(defs map[string]ecshost.TaskDefinition, o *Outputs) {
	for name, td := range defs {
		o.TaskDefinitionARNs[name] = td.ARN
	}
}

// deployHost rolls the service, then the jobs' definitions, to image.
func (s *Stack) deployHost(ctx context.Context, spec Spec, o *Outputs, image string) ([]change.Change, error) {
	hostNames(spec, o)
	hs := hostSpec(spec, *o)
	if hs.Image == "" {
		// Deploy compares the new image's registry with the current one.
		img, err := s.runningImage(ctx, spec)
		if err != nil {
			return nil, err
		}
		hs.Image = img
	}
	onEvent := func(e ecshost.Event) {
		if s.o.OnEvent != nil {
			s.o.OnEvent(string(e.Kind) + ": " + e.Message)
		}
	}
	res, err := s.host(o).Deploy(ctx, image, ecshost.WithSpec(hs), ecshost.DeployTimeout(s.o.DeployTimeout), ecshost.OnEvent(onEvent))
	if res == nil {
		return nil, err
	}
	s.hostOutputs(res.TaskDefinitions, o)
	if !res.Changed {
		return nil, err
	}
	var cs []change.Change
	for _, name := range slices.Sorted(maps.Keys(res.TaskDefinitions)) {
		td := res.TaskDefinitions[name]
		cs = append(cs, change.Change{Action: change.Update, Kind: "task definition", Name: td.Family, ID: td.ARN,
			Details: []string{fmt.Sprintf("revision %d, %s", td.Revision, td.Image)}})
	}
	return cs, err
}

// runningImage is the image of the service's current revision.
func (s *Stack) runningImage(ctx context.Context, spec Spec) (string, error) {
	fam := family(spec.Stack, spec.Service.Name)
	out, err := s.cl.ecs.DescribeTaskDefinition(ctx, &ecs.DescribeTaskDefinitionInput{TaskDefinition: aws.String(fam)})
	if err != nil {
		return "", fmt.Errorf("%w (task definition %s: %v)", ErrNotDeployed, fam, err)
	}
	if len(out.TaskDefinition.ContainerDefinitions) == 0 {
		return "", fmt.Errorf("task definition %s has no container", fam)
	}
	return aws.ToString(out.TaskDefinition.ContainerDefinitions[0].Image), nil
}

// deleteHost deletes the host; nothing when there is no cluster.
func (s *Stack) deleteHost(ctx context.Context, stack string) ([]change.Change, error) {
	out, err := s.cl.ecs.DescribeClusters(ctx, &ecs.DescribeClustersInput{Clusters: []string{stack}})
	if err != nil {
		return nil, fmt.Errorf("find the cluster: %w", err)
	}
	there := slices.ContainsFunc(out.Clusters, func(c ecstypes.Cluster) bool { return aws.ToString(c.Status) != "INACTIVE" })
	o, err := s.outputs(ctx)
	if err != nil {
		return nil, err
	}
	if err := s.host(o).Delete(ctx, stack); err != nil {
		return nil, err
	}
	if !there {
		return nil, nil
	}
	return []change.Change{{Action: change.Delete, Kind: "ECS host", Name: stack,
		Details: []string{"service, cluster, instance, launch template, task definitions, roles, log group"}}}, nil
}

// hostGroup is the Auto Scaling group of the stack's host.
func hostGroup(stack string) string { return stack + "-ecs-host" }
