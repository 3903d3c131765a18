package ecshost

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
	astypes "github.com/aws/aws-sdk-go-v2/service/autoscaling/types"
)

// group ensures the Auto Scaling group of one: min = max = desired = 1,
// EC2 health checks so a failed instance is replaced, tags propagated to
// the instance, no scale-in protection and no capacity provider (managed
// termination protection makes teardown hang). When instances run an older
// template version, it starts an instance refresh that launches the new
// instance before terminating the old one.
func (r *run) group(ctx context.Context) error {
	name := r.n.group()
	grace := int32(r.spec.InstanceHealthGracePeriod.Seconds())
	subnets := slices.Sorted(slices.Values(r.spec.SubnetIDs))
	version := strconv.FormatInt(r.st.LaunchTemplateVersion, 10)
	detail := fmt.Sprintf("1 instance in %s, template version %s", strings.Join(subnets, ","), version)
	if r.offline {
		r.add("auto scaling group", name, Create, "1 instance in "+strings.Join(subnets, ","))
		return nil
	}
	g, err := r.h.findGroup(ctx, name)
	if err != nil {
		return err
	}
	tags := r.tags()
	lt := &astypes.LaunchTemplateSpecification{LaunchTemplateId: aws.String(r.st.LaunchTemplateID), Version: aws.String(version)}
	if g == nil {
		r.add("auto scaling group", name, Create, detail)
		if !r.apply {
			return nil
		}
		_, err := r.h.c.AutoScaling.CreateAutoScalingGroup(ctx, &autoscaling.CreateAutoScalingGroupInput{
			AutoScalingGroupName:             aws.String(name),
			MinSize:                          aws.Int32(1),
			MaxSize:                          aws.Int32(1),
			DesiredCapacity:                  aws.Int32(1),
			LaunchTemplate:                   lt,
			VPCZoneIdentifier:                aws.String(strings.Join(subnets, ",")),
			HealthCheckType:                  aws.String("EC2"),
			HealthCheckGracePeriod:           aws.Int32(grace),
			NewInstancesProtectedFromScaleIn: aws.Bool(false),
			Tags:                             asTags(name, tags),
		})
		if err != nil {
			return fmt.Errorf("create auto scaling group %q: %w", name, err)
		}
		return nil
	}
	have := asTagMap(g.Tags)
	if !r.n.ours(have) {
		return fmt.Errorf("auto scaling group %q %w; delete it or choose another Stack", name, ErrNotOurs)
	}
	if g.Status != nil {
		return fmt.Errorf("auto scaling group %q is %q; wait for it to finish, then retry", name, aws.ToString(g.Status))
	}
	for _, i := range g.Instances {
		r.st.InstanceIDs = append(r.st.InstanceIDs, aws.ToString(i.InstanceId))
	}
	var changes []string
	haveSubnets := slices.Sorted(slices.Values(strings.Split(aws.ToString(g.VPCZoneIdentifier), ",")))
	if aws.ToInt32(g.MinSize) != 1 || aws.ToInt32(g.MaxSize) != 1 || aws.ToInt32(g.DesiredCapacity) != 1 {
		changes = append(changes, fmt.Sprintf("size %d/%d/%d → 1/1/1", aws.ToInt32(g.MinSize), aws.ToInt32(g.DesiredCapacity), aws.ToInt32(g.MaxSize)))
	}
	newVersion := g.LaunchTemplate == nil || aws.ToString(g.LaunchTemplate.LaunchTemplateId) != r.st.LaunchTemplateID || aws.ToString(g.LaunchTemplate.Version) != version
	if newVersion {
		changes = append(changes, "template version "+version)
	}
	if !slices.Equal(haveSubnets, subnets) {
		changes = append(changes, "subnets "+strings.Join(subnets, ","))
	}
	if aws.ToString(g.HealthCheckType) != "EC2" || aws.ToInt32(g.HealthCheckGracePeriod) != grace {
		changes = append(changes, fmt.Sprintf("EC2 health checks, grace %ds", grace))
	}
	if aws.ToBool(g.NewInstancesProtectedFromScaleIn) {
		changes = append(changes, "no scale-in protection")
	}
	if len(changes) > 0 && r.apply {
		_, err := r.h.c.AutoScaling.UpdateAutoScalingGroup(ctx, &autoscaling.UpdateAutoScalingGroupInput{
			AutoScalingGroupName:             aws.String(name),
			MinSize:                          aws.Int32(1),
			MaxSize:                          aws.Int32(1),
			DesiredCapacity:                  aws.Int32(1),
			LaunchTemplate:                   lt,
			VPCZoneIdentifier:                aws.String(strings.Join(subnets, ",")),
			HealthCheckType:                  aws.String("EC2"),
			HealthCheckGracePeriod:           aws.Int32(grace),
			NewInstancesProtectedFromScaleIn: aws.Bool(false),
		})
		if err != nil {
			return fmt.Errorf("update auto scaling group %q: %w", name, err)
		}
	}
	if missing := missingTags(tags, have); len(missing) > 0 {
		changes = append(changes, "tags")
		if r.apply {
			if _, err := r.h.c.AutoScaling.CreateOrUpdateTags(ctx, &autoscaling.CreateOrUpdateTagsInput{Tags: asTags(name, missing)}); err != nil {
				return fmt.Errorf("tag auto scaling group %q: %w", name, err)
			}
		}
	}
	refresh, err := r.refresh(ctx, g, version, newVersion)
	if err != nil {
		return err
	}
	if refresh != "" {
		changes = append(changes, refresh)
	}
	if len(changes) == 0 {
		r.add("auto scaling group", name, Keep, detail)
	} else {
		r.add("auto scaling group", name, Update, strings.Join(changes, ", "))
	}
	return nil
}

// refresh starts an instance refresh when the group moves to a new template
// version, or an instance still runs another version (a refresh that never
// started or was cancelled), and no refresh is under way. It launches
// before it terminates (MaxHealthyPercentage 200), so the host is never
// missing for the whole boot; the new instance takes the Elastic IP at boot.
func (r *run) refresh(ctx context.Context, g *astypes.AutoScalingGroup, version string, newVersion bool) (string, error) {
	stale := newVersion && len(g.Instances) > 0
	for _, i := range g.Instances {
		if i.LaunchTemplate == nil || aws.ToString(i.LaunchTemplate.LaunchTemplateId) != r.st.LaunchTemplateID || aws.ToString(i.LaunchTemplate.Version) != version {
			stale = true
		}
	}
	if !stale {
		return "", nil
	}
	name := aws.ToString(g.AutoScalingGroupName)
	out, err := r.h.c.AutoScaling.DescribeInstanceRefreshes(ctx, &autoscaling.DescribeInstanceRefreshesInput{AutoScalingGroupName: aws.String(name), MaxRecords: aws.Int32(1)})
	if err != nil {
		return "", fmt.Errorf("describe instance refreshes of %q: %w", name, err)
	}
	for _, ir := range out.InstanceRefreshes {
		switch ir.Status {
		case astypes.InstanceRefreshStatusPending, astypes.InstanceRefreshStatusInProgress, astypes.InstanceRefreshStatusCancelling,
			astypes.InstanceRefreshStatusBaking, astypes.InstanceRefreshStatusRollbackInProgress:
			r.st.InstanceRefreshID = aws.ToString(ir.InstanceRefreshId)
			return "", nil // the running refresh will get there, or its end will let the next Ensure start one
		}
	}
	if !r.apply {
		return "instance refresh to template version " + version, nil
	}
	started, err := r.h.c.AutoScaling.StartInstanceRefresh(ctx, &autoscaling.StartInstanceRefreshInput{
		AutoScalingGroupName: aws.String(name),
		Strategy:             astypes.RefreshStrategyRolling,
		Preferences: &astypes.RefreshPreferences{
			MinHealthyPercentage: aws.Int32(100),
			MaxHealthyPercentage: aws.Int32(200),
			InstanceWarmup:       aws.Int32(int32(r.spec.InstanceHealthGracePeriod.Seconds())),
			SkipMatching:         aws.Bool(true),
		},
	})
	if err != nil {
		return "", fmt.Errorf("start instance refresh of %q: %w", name, err)
	}
	r.st.InstanceRefreshID = aws.ToString(started.InstanceRefreshId)
	return "instance refresh " + r.st.InstanceRefreshID, nil
}

func (h *Host) findGroup(ctx context.Context, name string) (*astypes.AutoScalingGroup, error) {
	out, err := h.c.AutoScaling.DescribeAutoScalingGroups(ctx, &autoscaling.DescribeAutoScalingGroupsInput{AutoScalingGroupNames: []string{name}})
	if err != nil {
		return nil, fmt.Errorf("describe auto scaling group %q: %w", name, err)
	}
	for _, g := range out.AutoScalingGroups {
		if aws.ToString(g.AutoScalingGroupName) == name {
			return &g, nil
		}
	}
	return nil, nil
}

func asTags(group string, m map[string]string) []astypes.Tag {
	var out []astypes.Tag
	for _, k := range sortedKeys(m) {
		out = append(out, astypes.Tag{
			Key: aws.String(k), Value: aws.String(m[k]),
			ResourceId: aws.String(group), ResourceType: aws.String("auto-scaling-group"), PropagateAtLaunch: aws.Bool(true),
		})
	}
	return out
}

func asTagMap(tags []astypes.TagDescription) map[string]string {
	m := map[string]string{}
	for _, t := range tags {
		m[aws.ToString(t.Key)] = aws.ToString(t.Value)
	}
	return m
}
