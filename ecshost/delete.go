package ecshost

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/manga-alert-italia/mangaalert/change"
	"github.com/manga-alert-italia/mangaalert/internal/awserr"
	"github.com/manga-alert-italia/mangaalert/internal/poll"
)

// Delete removes everything of the stack, in order: the group scaled to
// zero, the service, the cluster (after its tasks and container
// instances), the group (force-deleted: it terminates its instance without
// waiting), the template, the task definitions, the Elastic IP, the
// instance profile and roles, and the log group. Only resources carrying
// the stack's tags are touched. It returns what it deleted, nil when
// nothing was there, and gives up when ctx ends (or after Options.Timeout
// when ctx has no deadline), so it never hangs.
func (h *Host) Delete(ctx context.Context, stack string) ([]change.Change, error) {
	if err := h.online(allClients...); err != nil {
		return nil, err
	}
	if !stackRE.MatchString(stack) {
		return nil, &SpecError{Problems: []string{fmt.Sprintf("Stack %q: use 1-28 lower-case letters, digits or hyphens, starting with a letter", stack)}}
	}
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, h.o.Timeout)
		defer cancel()
	}
	n, err := h.names(ctx, stack)
	if err != nil {
		return nil, err
	}
	d := &deleter{h: h, n: n}
	steps := []struct {
		what string
		fn   func(context.Context) error
	}{
		{"scale the group to zero", d.scaleToZero},
		{"delete the service", d.services},
		{"delete the cluster", d.cluster},
		{"delete the group", d.group},
		{"delete the launch template", d.launchTemplate},
		{"delete the task definitions", d.taskDefinitions},
		{"release the elastic ip", d.addresses},
		{"delete the instance profile", d.instanceProfile},
		{"delete the roles", d.roles},
		{"delete the log group", d.logGroup},
	}
	for _, s := range steps {
		h.o.Logger.Debug("delete", "stack", stack, "step", s.what)
		if err := s.fn(ctx); err != nil {
			return d.done, fmt.Errorf("delete stack %q: %s: %w", stack, s.what, err)
		}
	}
	return d.done, nil
}

// deleter is one Delete: the stack's names and what it deleted so far.
type deleter struct {
	h    *Host
	n    names
	done []change.Change
}

// deleted records a deletion and tells Options.OnChange.
func (d *deleter) deleted(kind, name, id string, details ...string) {
	c := change.Change{Action: change.Delete, Kind: kind, Name: name, ID: id, Details: details}
	d.done = append(d.done, c)
	d.h.o.Logger.Debug("deleted", "change", c.String())
	if d.h.o.OnChange != nil {
		d.h.o.OnChange(c)
	}
}

func (d *deleter) scaleToZero(ctx context.Context) error {
	n := d.n
	g, err := d.h.findGroup(ctx, n.group())
	if err != nil || g == nil || !n.ours(asTagMap(g.Tags)) || g.Status != nil {
		return err
	}
	_, err = d.h.c.AutoScaling.UpdateAutoScalingGroup(ctx, &autoscaling.UpdateAutoScalingGroupInput{
		AutoScalingGroupName: g.AutoScalingGroupName, MinSize: aws.Int32(0), MaxSize: aws.Int32(0), DesiredCapacity: aws.Int32(0),
	})
	return err
}

// services deletes the stack's services (force: no need to scale to
// zero first) and waits until none is DRAINING.
func (d *deleter) services(ctx context.Context) error {
	h, n := d.h, d.n
	c, err := h.findCluster(ctx, n.cluster())
	if err != nil || c == nil || !n.ours(ecsTagMap(c.Tags)) {
		return err
	}
	var arns []string
	p := ecs.NewListServicesPaginator(h.c.ECS, &ecs.ListServicesInput{Cluster: aws.String(n.cluster())})
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			return err
		}
		arns = append(arns, out.ServiceArns...)
	}
	for _, arn := range arns {
		_, err := h.c.ECS.DeleteService(ctx, &ecs.DeleteServiceInput{Cluster: aws.String(n.cluster()), Service: aws.String(arn), Force: aws.Bool(true)})
		if err != nil && !awserr.Is(err, "ServiceNotFoundException", "ServiceNotActiveException") {
			return err
		}
		d.deleted(kindService, lastPart(arn), arn)
	}
	if len(arns) == 0 {
		return nil
	}
	return poll.Until(ctx, "the services of "+n.cluster()+" to drain", h.delays, func(ctx context.Context) (bool, error) {
		out, err := h.c.ECS.DescribeServices(ctx, &ecs.DescribeServicesInput{Cluster: aws.String(n.cluster()), Services: arns})
		if err != nil {
			return false, err
		}
		for _, s := range out.Services {
			if aws.ToString(s.Status) != "INACTIVE" {
				return false, nil
			}
		}
		return true, nil
	})
}

// cluster stops what still runs, deregisters the container
// instances (their hosts are going), and deletes the cluster, retrying
// while ECS still counts services, tasks or instances.
func (d *deleter) cluster(ctx context.Context) error {
	h, n := d.h, d.n
	c, err := h.findCluster(ctx, n.cluster())
	if err != nil || c == nil || !n.ours(ecsTagMap(c.Tags)) {
		return err
	}
	cluster := aws.String(n.cluster())
	return poll.Until(ctx, "cluster "+n.cluster()+" to be deleted", h.delays, func(ctx context.Context) (bool, error) {
		tasks, err := h.c.ECS.ListTasks(ctx, &ecs.ListTasksInput{Cluster: cluster})
		if err != nil {
			return false, err
		}
		for _, t := range tasks.TaskArns {
			if _, err := h.c.ECS.StopTask(ctx, &ecs.StopTaskInput{Cluster: cluster, Task: aws.String(t), Reason: aws.String("stack deleted")}); err != nil {
				return false, err
			}
		}
		cis, err := h.c.ECS.ListContainerInstances(ctx, &ecs.ListContainerInstancesInput{Cluster: cluster})
		if err != nil {
			return false, err
		}
		for _, ci := range cis.ContainerInstanceArns {
			_, err := h.c.ECS.DeregisterContainerInstance(ctx, &ecs.DeregisterContainerInstanceInput{Cluster: cluster, ContainerInstance: aws.String(ci), Force: aws.Bool(true)})
			if err != nil {
				return false, err
			}
		}
		_, err = h.c.ECS.DeleteCluster(ctx, &ecs.DeleteClusterInput{Cluster: cluster})
		switch {
		case err == nil:
			d.deleted(kindCluster, n.cluster(), aws.ToString(c.ClusterArn))
			return true, nil
		case isClusterNotFound(err):
			return true, nil
		case awserr.Is(err, "ClusterContainsServicesException", "ClusterContainsTasksException",
			"ClusterContainsContainerInstancesException", "UpdateInProgressException", "ResourceInUseException"):
			h.o.Logger.Debug("delete: cluster not empty yet", "cluster", n.cluster(), "err", err)
			return false, nil
		default:
			return false, err
		}
	})
}

// group force-deletes the group, which terminates its instances
// without waiting for them, and waits until it is gone.
func (d *deleter) group(ctx context.Context) error {
	h, n := d.h, d.n
	g, err := h.findGroup(ctx, n.group())
	if err != nil || g == nil || !n.ours(asTagMap(g.Tags)) {
		return err
	}
	var instances []string
	for _, i := range g.Instances {
		instances = append(instances, aws.ToString(i.InstanceId))
	}
	if err := d.unprotect(ctx, g); err != nil { // managed.go
		return err
	}
	if g.Status == nil {
		_, err := h.c.AutoScaling.DeleteAutoScalingGroup(ctx, &autoscaling.DeleteAutoScalingGroupInput{
			AutoScalingGroupName: g.AutoScalingGroupName, ForceDelete: aws.Bool(true),
		})
		if err != nil && !awserr.Is(err, "ValidationError") {
			return err
		}
		d.deleted(kindGroup, n.group(), "", fmt.Sprintf("%d instance(s) terminated", len(instances)))
	}
	err = poll.Until(ctx, "group "+n.group()+" to be deleted", h.delays, func(ctx context.Context) (bool, error) {
		g, err := h.findGroup(ctx, n.group())
		return g == nil, err
	})
	if err != nil || len(instances) == 0 {
		return err
	}
	// A force-deleted group leaves its instances shutting down: wait until
	// they are gone, so that whoever deletes the network next finds no
	// instance of ours holding an interface in it.
	h.o.Logger.Debug("delete: wait for the group's instances to terminate", "instances", instances)
	w := ec2.NewInstanceTerminatedWaiter(h.c.EC2, func(o *ec2.InstanceTerminatedWaiterOptions) {
		o.MinDelay, o.MaxDelay = h.delays.Min, max(h.delays.Max, h.delays.Min)
	})
	wait := 15 * time.Minute
	if dl, ok := ctx.Deadline(); ok {
		wait = time.Until(dl)
	}
	if err := w.Wait(ctx, &ec2.DescribeInstancesInput{InstanceIds: instances}, wait); err != nil {
		return fmt.Errorf("wait for instances %v to terminate: %w", instances, err)
	}
	return nil
}

// taskDefinitions deregisters and deletes every revision of the stack's
// families. Families are found by name prefix and confirmed by their tags
// (another stack's name may start with this one's).
func (d *deleter) taskDefinitions(ctx context.Context) error {
	h, n := d.h, d.n
	var families []string
	fp := ecs.NewListTaskDefinitionFamiliesPaginator(h.c.ECS, &ecs.ListTaskDefinitionFamiliesInput{
		FamilyPrefix: aws.String(n.stack + "-"), Status: ecstypes.TaskDefinitionFamilyStatusAll})
	for fp.HasMorePages() {
		out, err := fp.NextPage(ctx)
		if err != nil {
			return err
		}
		families = append(families, out.Families...)
	}
	for _, fam := range families {
		if err := d.family(ctx, fam); err != nil {
			return err
		}
	}
	return nil
}

// family deletes every revision of one family, when it is ours.
func (d *deleter) family(ctx context.Context, fam string) error {
	h := d.h
	active, err := h.revisions(ctx, fam, ecstypes.TaskDefinitionStatusActive)
	if err != nil {
		return err
	}
	inactive, err := h.revisions(ctx, fam, ecstypes.TaskDefinitionStatusInactive)
	if err != nil {
		return err
	}
	all := append(active, inactive...)
	if len(all) == 0 {
		return nil
	}
	out, err := h.c.ECS.DescribeTaskDefinition(ctx, &ecs.DescribeTaskDefinitionInput{
		TaskDefinition: aws.String(all[0]), Include: []ecstypes.TaskDefinitionField{ecstypes.TaskDefinitionFieldTags},
	})
	if err != nil {
		return err
	}
	if !d.n.ours(ecsTagMap(out.Tags)) {
		h.o.Logger.Debug("delete: task definition family is not ours, left alone", "family", fam)
		return nil
	}
	for _, arn := range active {
		if _, err := h.c.ECS.DeregisterTaskDefinition(ctx, &ecs.DeregisterTaskDefinitionInput{TaskDefinition: aws.String(arn)}); err != nil {
			return err
		}
	}
	revisions := len(all)
	for len(all) > 0 {
		batch := all[:min(10, len(all))]
		all = all[len(batch):]
		out, err := h.c.ECS.DeleteTaskDefinitions(ctx, &ecs.DeleteTaskDefinitionsInput{TaskDefinitions: batch})
		if err != nil {
			return err
		}
		for _, f := range out.Failures {
			return fmt.Errorf("delete task definition %s: %s", aws.ToString(f.Arn), aws.ToString(f.Reason))
		}
	}
	d.deleted(kindTaskDefinition, fam, "", fmt.Sprintf("%d revision(s)", revisions))
	return nil
}

// revisions lists a family's revisions of one status.
func (h *Host) revisions(ctx context.Context, fam string, status ecstypes.TaskDefinitionStatus) ([]string, error) {
	var arns []string
	// familyPrefix of ListTaskDefinitions is the whole family name.
	p := ecs.NewListTaskDefinitionsPaginator(h.c.ECS, &ecs.ListTaskDefinitionsInput{FamilyPrefix: aws.String(fam), Status: status})
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		arns = append(arns, out.TaskDefinitionArns...)
	}
	return arns, nil
}

func (d *deleter) instanceProfile(ctx context.Context) error {
	h, n := d.h, d.n
	got, err := h.c.IAM.GetInstanceProfile(ctx, &iam.GetInstanceProfileInput{InstanceProfileName: aws.String(n.instanceProfile())})
	if awserr.Is(err, "NoSuchEntity") {
		return nil
	}
	if err != nil {
		return err
	}
	p := got.InstanceProfile
	if aws.ToString(p.Path) != n.rolePath() {
		h.o.Logger.Debug("delete: instance profile is not ours, left alone", "name", n.instanceProfile())
		return nil
	}
	for _, r := range p.Roles {
		_, err := h.c.IAM.RemoveRoleFromInstanceProfile(ctx, &iam.RemoveRoleFromInstanceProfileInput{InstanceProfileName: p.InstanceProfileName, RoleName: r.RoleName})
		if err != nil && !awserr.Is(err, "NoSuchEntity") {
			return err
		}
	}
	_, err = h.c.IAM.DeleteInstanceProfile(ctx, &iam.DeleteInstanceProfileInput{InstanceProfileName: p.InstanceProfileName})
	if err != nil && !awserr.Is(err, "NoSuchEntity") {
		return err
	}
	d.deleted(kindInstanceProfile, n.instanceProfile(), aws.ToString(p.Arn))
	return nil
}

func (d *deleter) roles(ctx context.Context) error {
	h, n := d.h, d.n
	roles, err := h.stackRoles(ctx, n)
	if err != nil {
		return err
	}
	for _, r := range roles {
		name := aws.ToString(r.RoleName)
		ours, err := h.roleIsOurs(ctx, n, name)
		if err != nil {
			return err
		}
		if !ours {
			h.o.Logger.Debug("delete: role is not ours, left alone", "name", name)
			continue
		}
		if err := h.deleteRole(ctx, name); err != nil {
			return err
		}
		d.deleted(kindRole, name, aws.ToString(r.Arn))
	}
	return nil
}
