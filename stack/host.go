package stack

// The host step: package ecshost, with the stack's options. The names
// follow ecshost's documented naming: cluster STACK, family
// STACK-CONTAINER, roles under /mangaalert/STACK/.

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"

	"github.com/manga-alert-italia/mangaalert/change"
	"github.com/manga-alert-italia/mangaalert/ecshost"
	"github.com/manga-alert-italia/mangaalert/internal/awserr"
	"github.com/manga-alert-italia/mangaalert/resource"
	"github.com/manga-alert-italia/mangaalert/schedule/expr"
)

func family(stack, container string) string { return stack + "-" + container }

func roleARN(o *Outputs, stack, role string) string {
	return resource.ARNIn(o.Partition, "iam", "", o.Account, "role/mangaalert/"+stack+"/"+role)
}

// hostNames fills the names the schedules need from the host.
func hostNames(spec Spec, o *Outputs) {
	alertNames(spec, o) // the containers' environment may name them
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
	if c.EnvironmentFrom != nil {
		maps.Copy(env, c.EnvironmentFrom(o))
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
		LogRetentionDays: spec.Host.LogRetentionDays, RefreshAMI: spec.Host.RefreshAMI, Image: spec.Image, Environment: env, Tags: spec.Tags,
		Service: hostContainer(spec, spec.Service, o), ImageArch: spec.Host.ImageArch, Spot: spec.Host.Spot,
		ECSOptimizedAMI: spec.Host.ECSOptimizedAMI, TasksAtOnce: jobsAtOnce(spec)}
	hs.ScaleOut = ecshost.ScaleOut{DesiredCount: spec.instances(), GroupSize: spec.instances(), TargetGroupARN: o.TargetGroupARN}
	hs.AwsVPC = hostAwsVPC(spec, o) // issue 16
	hostScaling(spec, &hs)          // autoscale.go
	hs.Tasks = []ecshost.Container{}
	for _, j := range spec.Jobs {
		hs.Tasks = append(hs.Tasks, hostContainer(spec, j.Container, o))
	}
	return hs
}

// jobsAtOnce is how many jobs may run at the same time over the next
// week: a rate() schedule counts from its creation, so it may meet any
// other job; cron and at schedules are compared run by run.
func jobsAtOnce(spec Spec) int {
	starts := make([][]time.Time, len(spec.Jobs))
	from := time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC) // a fixed Monday: the answer must not depend on today
	for i, j := range spec.Jobs {
		e, err := expr.Parse(j.Schedule)
		loc, zerr := expr.LoadZone(j.Zone)
		if err != nil || zerr != nil || e.Kind() == expr.Rate {
			continue // nil: may start any time
		}
		starts[i] = e.Times(loc, from, 7*24*60, expr.Bounds{End: from.AddDate(0, 0, 7)})
	}
	return ecshost.TasksAtOnce(starts, ecshost.MaxTaskRun)
}

func (s *Stack) host(o *Outputs) *ecshost.Host {
	return ecshost.New(s.cl.host, func(h *ecshost.Options) {
		h.Logger, h.MinDelay, h.MaxDelay = s.o.Logger, s.o.MinDelay, s.o.MaxDelay
		h.Offline, h.Account, h.Region, h.OnChange = s.o.Offline, o.Account, o.Region, s.o.OnChange
	})
}

// planHost plans the host and hands on the task definitions the jobs'
// schedules would target.
func (s *Stack) planHost(ctx context.Context, spec Spec, o *Outputs) (*change.Plan, error) {
	hostNames(spec, o)
	p, err := s.host(o).Plan(ctx, hostSpec(spec, *o))
	if err != nil {
		return nil, fmt.Errorf("plan the host: %w", err)
	}
	for _, c := range spec.containers() {
		o.TaskDefinitionARNs[c.Name] = plannedTaskDef(spec.Stack, c.Name, p, o)
	}
	return p, nil
}

// plannedTaskDef is the task definition a job's schedule would target: the
// family's current revision, or the next when the plan registers one.
func plannedTaskDef(stack, container string, p *change.Plan, o *Outputs) string {
	fam := family(stack, container)
	rev := 1
	if c, ok := p.Find("task definition", fam); ok && c.ID != "" {
		if _, n, found := strings.Cut(c.ID[strings.LastIndex(c.ID, "/")+1:], ":"); found {
			rev, _ = strconv.Atoi(n)
			if c.Action != change.Keep {
				rev++
			}
		}
	}
	return resource.ARNIn(o.Partition, "ecs", o.Region, o.Account, fmt.Sprintf("task-definition/%s:%d", fam, rev))
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

// ensureHost makes the host and hands on its cluster, roles and task
// definitions.
func (s *Stack) ensureHost(ctx context.Context, spec Spec, o *Outputs, st *State) ([]change.Change, error) {
	hostNames(spec, o)
	want, err := s.applyHostSpec(ctx, spec, *o) // autoscale.go
	if err != nil {
		return nil, err
	}
	hs, err := s.host(o).Ensure(ctx, want)
	if hs == nil {
		return nil, err
	}
	hostOutputs(hs.TaskDefinitions, o)
	o.ClusterARN, o.ExecutionRoleARN = hs.ClusterARN, hs.ExecutionRoleARN
	maps.Copy(o.TaskRoleARNs, hs.TaskRoleARNs)
	st.ElasticIP, st.InstanceRefreshID = hs.ElasticIP, hs.InstanceRefreshID
	return hs.Changes, err
}

func hostOutputs(defs map[string]ecshost.TaskDefinition, o *Outputs) {
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
	res, err := s.host(o).Deploy(ctx, hs, image, func(d *ecshost.DeployOptions) {
		d.Timeout = s.o.DeployTimeout
		if s.o.OnEvent != nil {
			d.OnEvent = func(e ecshost.Event) { s.o.OnEvent(string(e.Kind) + ": " + e.Message) }
		}
	})
	if res == nil {
		return nil, err
	}
	hostOutputs(res.TaskDefinitions, o)
	if !res.Changed {
		return nil, err
	}
	var cs []change.Change
	for _, name := range slices.Sorted(maps.Keys(res.TaskDefinitions)) {
		td := res.TaskDefinitions[name]
		c := change.Change{Action: change.Update, Kind: "task definition", Name: td.Family, ID: td.ARN,
			Details: []string{fmt.Sprintf("revision %d, %s", td.Revision, td.Image)}}
		cs = append(cs, c)
		if s.o.OnChange != nil {
			s.o.OnChange(c)
		}
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

// deleteHost deletes the host; nothing when there is none.
func (s *Stack) deleteHost(ctx context.Context, stack string) ([]change.Change, error) {
	o, err := s.outputs(ctx)
	if err != nil {
		return nil, err
	}
	return s.host(o).Delete(ctx, stack)
}

// hostGroup is the Auto Scaling group of the stack's host.
func hostGroup(stack string) string { return stack + "-ecs-host" }
