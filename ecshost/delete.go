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

	"github.com/manga-alert-italia/mangaalert/internal/awserr"
	"github.com/manga-alert-italia/mangaalert/internal/poll"
)

// Delete removes everything of the stack, in order: the group scaled to
// zero, the service, the cluster (after its tasks and container
// instances), the group (force-deleted: it terminates its instance without
// waiting), the template, the task definitions, the Elastic IP, the
// instance profile and roles, and the log group. Only resources carrying
// the stack's tags are touched. It returns nil when nothing is there, and
// gives up when ctx ends (or after WithDeleteTimeout when ctx has no
// deadline), so it never hangs.
func (h *Host) Delete(ctx context.Context, stack string) error {
	if !h.c.online() {
		return ErrOffline
	}
	if !stackRE.MatchString(stack) {
		return &SpecError{Problems: []string{fmt.Sprintf("Stack %q: use 1-28 lower-case letters, digits or hyphens, starting with a letter", stack)}}
	}
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, h.timeout)
		defer cancel()
	}
	n, err := h.names(ctx, stack, false)
	if err != nil {
		return err
	}
	steps := []struct {
		what string
		fn   func(context.Context, names) error
	}{
		{"scale the group to zero", h.scaleToZero},
		{"delete the service", h.deleteService},
		{"delete the cluster", h.deleteCluster},
		{"delete the group", h.deleteGroup},
		{"delete the launch template", func(ctx context.Context, n names) error { _, err := h.deleteLaunchTemplate(ctx, n); return err }},
		{"delete the task definitions", h.deleteTaskDefinitions},
		{"release the elastic ip", h.deleteAddresses},
		{"delete the instance profile", h.deleteInstanceProfile},
		{"delete the roles", h.deleteRoles},
		{"delete the log group", func(ctx context.Context, n names) error { _, err := h.deleteLogGroup(ctx, n); return err }},
	}
	for _, s := range steps {
		h.log.Debug("delete", "stack", stack, "step", s.what)
		if err := s.fn(ctx, n); err != nil {
			return fmt.Errorf("delete stack %q: %s: %w", stack, s.what, err)
		}
	}
	return nil
}

func (h *Host) scaleToZero(ctx context.Context, n names) error {
	g, err := h.findGroup(ctx, n.group())
	if err != nil || g == nil || !n.ours(asTagMap(g.Tags)) || g.Status != nil {
		return err
	}
	_, err = h.c.AutoScaling.UpdateAutoScalingGroup(ctx, &autoscaling.UpdateAutoScalingGroupInput{
		AutoScalingGroupName: g.AutoScalingGroupName, MinSize: aws.Int32(0), MaxSize: aws.Int32(0), DesiredCapacity: aws.Int32(0),
	})
	return err
}

// deleteService deletes the stack's services (force: no need to scale to
// zero first) and waits until none is DRAINING.
func (h *Host) deleteService(ctx context.Context, n names) error {
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

// deleteCluster stops what still runs, deregisters the container
// instances (their hosts are going), and deletes the cluster, retrying
// while ECS still counts services, tasks or instances.
func (h *Host) deleteCluster(ctx context.Context, n names) error {
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
		case err == nil, isClusterNotFound(err):
			return true, nil
		case awserr.Is(err, "ClusterContainsServicesException", "ClusterContainsTasksException",
			"ClusterContainsContainerInstancesException", "UpdateInProgressException", "ResourceInUseException"):
			h.log.Debug("delete: cluster not empty yet", "cluster", n.cluster(), "err", err)
			return false, nil
		default:
			return false, err
		}
	})
}

// deleteGroup force-deletes the group, which terminates its instances
// without waiting for them, and waits until it is gone.
func (h *Host) deleteGroup(ctx context.Context, n names) error {
	g, err := h.findGroup(ctx, n.group())
	if err != nil || g == nil || !n.ours(asTagMap(g.Tags)) {
		return err
	}
	var instances []string
	for _, i := range g.Instances {
		instances = append(instances, aws.ToString(i.InstanceId))
	}
	if g.Status == nil {
		_, err := h.c.AutoScaling.DeleteAutoScalingGroup(ctx, &autoscaling.DeleteAutoScalingGroupInput{
			AutoScalingGroupName: g.AutoScalingGroupName, ForceDelete: aws.Bool(true),
		})
		if err != nil && !awserr.Is(err, "ValidationError") {
			return err
		}
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
	h.log.Debug("delete: wait for the group's instances to terminate", "instances", instances)
	w := ec2.NewInstanceTerminatedWaiter(h.c.EC2, func(o *ec2.InstanceTerminatedWaiterOptions) {
		o.MinDelay, o.MaxDelay = h.delays.Min, max(h.delays.Max, h.delays.Min)
	})
	wait := 15 * time.Minute
	if d, ok := ctx.Deadline(); ok {
		wait = time.Until(d)
	}
	if err := w.Wait(ctx, &ec2.DescribeInstancesInput{InstanceIds: instances}, wait); err != nil {
		return fmt.Errorf("wait for instances %v to terminate: %w", instances, err)
	}
	return nil
}

// deleteTaskDefinitions deregisters and deletes every revision of the
// stack's families. Families are found by name prefix and confirmed by
// their tags (another stack's name may start with this one's).
func (h *Host) deleteTaskDefinitions(ctx context.Context, n names) error {
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
		var active, inactive []string
		for _, status := range []ecstypes.TaskDefinitionStatus{ecstypes.TaskDefinitionStatusActive, ecstypes.TaskDefinitionStatusInactive} {
			// familyPrefix of ListTaskDefinitions is the whole family name.
			p := ecs.NewListTaskDefinitionsPaginator(h.c.ECS, &ecs.ListTaskDefinitionsInput{FamilyPrefix: aws.String(fam), Status: status})
			for p.HasMorePages() {
				out, err := p.NextPage(ctx)
				if err != nil {
					return err
				}
				if status == ecstypes.TaskDefinitionStatusActive {
					active = append(active, out.TaskDefinitionArns...)
				} else {
					inactive = append(inactive, out.TaskDefinitionArns...)
				}
			}
		}
		all := append(active, inactive...)
		if len(all) == 0 {
			continue
		}
		out, err := h.c.ECS.DescribeTaskDefinition(ctx, &ecs.DescribeTaskDefinitionInput{
			TaskDefinition: aws.String(all[0]), Include: []ecstypes.TaskDefinitionField{ecstypes.TaskDefinitionFieldTags},
		})
		if err != nil {
			return err
		}
		if !n.ours(ecsTagMap(out.Tags)) {
			h.log.Debug("delete: task definition family is not ours, left alone", "family", fam)
			continue
		}
		for _, arn := range active {
			if _, err := h.c.ECS.DeregisterTaskDefinition(ctx, &ecs.DeregisterTaskDefinitionInput{TaskDefinition: aws.String(arn)}); err != nil {
				return err
			}
		}
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
	}
	return nil
}

func (h *Host) deleteAddresses(ctx context.Context, n names) error {
	addrs, err := h.ourAddresses(ctx, n)
	if err != nil {
		return err
	}
	for _, a := range addrs {
		if err := h.releaseAddress(ctx, a); err != nil {
			return err
		}
	}
	return nil
}

func (h *Host) deleteInstanceProfile(ctx context.Context, n names) error {
	got, err := h.c.IAM.GetInstanceProfile(ctx, &iam.GetInstanceProfileInput{InstanceProfileName: aws.String(n.instanceProfile())})
	if awserr.Is(err, "NoSuchEntity") {
		return nil
	}
	if err != nil {
		return err
	}
	p := got.InstanceProfile
	if aws.ToString(p.Path) != n.rolePath() {
		h.log.Debug("delete: instance profile is not ours, left alone", "name", n.instanceProfile())
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
	return nil
}

func (h *Host) deleteRoles(ctx context.Context, n names) error {
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
			h.log.Debug("delete: role is not ours, left alone", "name", name)
			continue
		}
		if err := h.deleteRole(ctx, name); err != nil {
			return err
		}
	}
	return nil
}
