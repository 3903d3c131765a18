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

	"github.com/manga-alert-italia/mangaalert/internal/engine"
)

// groupSteps ensures the Auto Scaling group: min = max = desired =
// GroupSize (with ManagedHosts, max MaxGroupSize and the desired capacity
// ECS's), EC2 health checks so a failed instance is replaced, tags
// propagated to the instance, scale-in protection only with ManagedHosts
// (Delete force-deletes the group, so protected instances never hold up a
// teardown). When instances run
// an older template version, it starts an instance refresh that launches
// the new instance before terminating the old one.
func (r *run) groupSteps(ctx context.Context) ([]engine.Step, error) {
	name := r.n.group()
	subnets := strings.Join(r.subnets(), ",")
	version := strconv.FormatInt(r.st.LaunchTemplateVersion, 10)
	var g *astypes.AutoScalingGroup
	if !r.offline {
		var err error
		if g, err = r.h.findGroup(ctx, name); err != nil {
			return nil, err
		}
	}
	if g == nil {
		detail := r.instances("") + " in " + subnets
		if r.spec.Spot {
			detail = r.instances("Spot ") + " (capacity rebalancing) in " + subnets
		}
		if !r.offline {
			detail += ", template version " + version
		}
		return []engine.Step{create(kindGroup, name, []string{detail}, r.createGroup)}, nil
	}
	have := asTagMap(g.Tags)
	if !r.n.ours(have) {
		return nil, notOurs(kindGroup, name)
	}
	if g.Status != nil {
		return nil, fmt.Errorf("auto scaling group %q is %q; wait for it to finish, then retry", name, aws.ToString(g.Status))
	}
	for _, i := range g.Instances {
		r.st.InstanceIDs = append(r.st.InstanceIDs, aws.ToString(i.InstanceId))
	}
	var e edits
	newVersion := r.groupDrift(g, version, &e)
	if missing := missingTags(r.tags(), have); len(missing) > 0 {
		e.add("tags", func(ctx context.Context) error {
			if _, err := r.h.c.AutoScaling.CreateOrUpdateTags(ctx, &autoscaling.CreateOrUpdateTagsInput{Tags: asTags(name, missing)}); err != nil {
				return fmt.Errorf("tag auto scaling group %q: %w", name, err)
			}
			return nil
		})
	}
	if err := r.refresh(ctx, g, version, newVersion, &e); err != nil {
		return nil, err
	}
	return []engine.Step{e.step(kindGroup, name, "", fmt.Sprintf("%s in %s, template version %s", r.instances(""), subnets, version))}, nil
}

func (r *run) subnets() []string { return slices.Sorted(slices.Values(r.spec.SubnetIDs)) }

func (r *run) grace() int32 { return int32(r.spec.InstanceHealthGracePeriod.Seconds()) }

// template is the template version the group launches, as the steps
// before left it.
func (r *run) template() *astypes.LaunchTemplateSpecification {
	return &astypes.LaunchTemplateSpecification{
		LaunchTemplateId: aws.String(r.st.LaunchTemplateID),
		Version:          aws.String(strconv.FormatInt(r.st.LaunchTemplateVersion, 10)),
	}
}

// onDemandTemplate is the group's template when it launches on-demand;
// with Spot the template goes in the mixed instances policy instead.
func (r *run) onDemandTemplate() *astypes.LaunchTemplateSpecification {
	if r.spec.Spot {
		return nil
	}
	return r.template()
}

// spotPolicy launches the one instance on Spot (no on-demand base), with
// the price-capacity-optimized strategy: the pool least likely to be
// interrupted at a low price. Nil without Spot.
func (r *run) spotPolicy() *astypes.MixedInstancesPolicy {
	if !r.spec.Spot {
		return nil
	}
	return &astypes.MixedInstancesPolicy{
		LaunchTemplate: &astypes.LaunchTemplate{LaunchTemplateSpecification: r.template()},
		InstancesDistribution: &astypes.InstancesDistribution{
			OnDemandBaseCapacity:                aws.Int32(0),
			OnDemandPercentageAboveBaseCapacity: aws.Int32(0),
			SpotAllocationStrategy:              aws.String("price-capacity-optimized"),
		},
	}
}

// groupTemplate is the template a group launches, plain or in its mixed
// instances policy.
func groupTemplate(g *astypes.AutoScalingGroup) *astypes.LaunchTemplateSpecification {
	if g.LaunchTemplate != nil {
		return g.LaunchTemplate
	}
	if m := g.MixedInstancesPolicy; m != nil && m.LaunchTemplate != nil {
		return m.LaunchTemplate.LaunchTemplateSpecification
	}
	return nil
}

// isSpot tells whether a group launches Spot instances only.
func isSpot(g *astypes.AutoScalingGroup) bool {
	m := g.MixedInstancesPolicy
	return m != nil && m.InstancesDistribution != nil && aws.ToInt32(m.InstancesDistribution.OnDemandPercentageAboveBaseCapacity) == 0 &&
		aws.ToInt32(m.InstancesDistribution.OnDemandBaseCapacity) == 0
}

func (r *run) createGroup(ctx context.Context) error {
	name := r.n.group()
	_, err := r.h.c.AutoScaling.CreateAutoScalingGroup(ctx, &autoscaling.CreateAutoScalingGroupInput{
		AutoScalingGroupName:             aws.String(name),
		MinSize:                          aws.Int32(r.spec.groupSize()),
		MaxSize:                          aws.Int32(r.spec.maxGroupSize()),
		DesiredCapacity:                  aws.Int32(r.spec.groupSize()),
		LaunchTemplate:                   r.onDemandTemplate(),
		MixedInstancesPolicy:             r.spotPolicy(),
		CapacityRebalance:                aws.Bool(r.spec.Spot),
		VPCZoneIdentifier:                aws.String(strings.Join(r.subnets(), ",")),
		HealthCheckType:                  aws.String("EC2"),
		HealthCheckGracePeriod:           aws.Int32(r.grace()),
		NewInstancesProtectedFromScaleIn: aws.Bool(r.spec.ManagedHosts),
		Tags:                             asTags(name, r.tags()),
	})
	if err != nil {
		return fmt.Errorf("create auto scaling group %q: %w", name, err)
	}
	return nil
}

// groupDrift adds what differs from the wanted group, fixed by one
// update, and reports whether the group moves to another template version.
func (r *run) groupDrift(g *astypes.AutoScalingGroup, version string, e *edits) bool {
	var changes []string
	if d := r.sizeDrift(g); d != "" {
		changes = append(changes, d)
	}
	lt := groupTemplate(g)
	newVersion := r.newTemplate || lt == nil ||
		aws.ToString(lt.LaunchTemplateId) != r.st.LaunchTemplateID || aws.ToString(lt.Version) != version
	if newVersion {
		changes = append(changes, "template version "+version)
	}
	if spot := isSpot(g); spot != r.spec.Spot || aws.ToBool(g.CapacityRebalance) != r.spec.Spot {
		changes = append(changes, map[bool]string{true: "Spot with capacity rebalancing", false: "on-demand"}[r.spec.Spot])
	}
	haveSubnets := slices.Sorted(slices.Values(strings.Split(aws.ToString(g.VPCZoneIdentifier), ",")))
	if subnets := r.subnets(); !slices.Equal(haveSubnets, subnets) {
		changes = append(changes, "subnets "+strings.Join(subnets, ","))
	}
	if aws.ToString(g.HealthCheckType) != "EC2" || aws.ToInt32(g.HealthCheckGracePeriod) != r.grace() {
		changes = append(changes, fmt.Sprintf("EC2 health checks, grace %ds", r.grace()))
	}
	if aws.ToBool(g.NewInstancesProtectedFromScaleIn) != r.spec.ManagedHosts {
		changes = append(changes, map[bool]string{true: "new instances protected from scale-in", false: "no scale-in protection"}[r.spec.ManagedHosts])
	}
	for i, c := range changes {
		var call func(context.Context) error
		if i == 0 {
			call = r.updateGroup
		}
		e.add(c, call)
	}
	return newVersion
}

func (r *run) updateGroup(ctx context.Context) error {
	name := r.n.group()
	_, err := r.h.c.AutoScaling.UpdateAutoScalingGroup(ctx, &autoscaling.UpdateAutoScalingGroupInput{
		AutoScalingGroupName:             aws.String(name),
		MinSize:                          aws.Int32(r.spec.groupSize()),
		MaxSize:                          aws.Int32(r.spec.maxGroupSize()),
		DesiredCapacity:                  r.spec.groupDesired(),
		LaunchTemplate:                   r.onDemandTemplate(),
		MixedInstancesPolicy:             r.spotPolicy(),
		CapacityRebalance:                aws.Bool(r.spec.Spot),
		VPCZoneIdentifier:                aws.String(strings.Join(r.subnets(), ",")),
		HealthCheckType:                  aws.String("EC2"),
		HealthCheckGracePeriod:           aws.Int32(r.grace()),
		NewInstancesProtectedFromScaleIn: aws.Bool(r.spec.ManagedHosts),
	})
	if err != nil {
		return fmt.Errorf("update auto scaling group %q: %w", name, err)
	}
	return nil
}

// refresh starts an instance refresh when the group moves to a new template
// version, or an instance still runs another version (a refresh that never
// started or was cancelled), and no refresh is under way. It launches
// before it terminates (MaxHealthyPercentage 200), so the host is never
// missing for the whole boot; the new instance takes the Elastic IP at boot.
func (r *run) refresh(ctx context.Context, g *astypes.AutoScalingGroup, version string, newVersion bool, e *edits) error {
	stale := newVersion && len(g.Instances) > 0
	for _, i := range g.Instances {
		if i.LaunchTemplate == nil || aws.ToString(i.LaunchTemplate.LaunchTemplateId) != r.st.LaunchTemplateID || aws.ToString(i.LaunchTemplate.Version) != version {
			stale = true
		}
	}
	if !stale {
		return nil
	}
	name := aws.ToString(g.AutoScalingGroupName)
	out, err := r.h.c.AutoScaling.DescribeInstanceRefreshes(ctx, &autoscaling.DescribeInstanceRefreshesInput{AutoScalingGroupName: aws.String(name), MaxRecords: aws.Int32(1)})
	if err != nil {
		return fmt.Errorf("describe instance refreshes of %q: %w", name, err)
	}
	for _, ir := range out.InstanceRefreshes {
		switch ir.Status {
		case astypes.InstanceRefreshStatusPending, astypes.InstanceRefreshStatusInProgress, astypes.InstanceRefreshStatusCancelling,
			astypes.InstanceRefreshStatusBaking, astypes.InstanceRefreshStatusRollbackInProgress:
			r.st.InstanceRefreshID = aws.ToString(ir.InstanceRefreshId)
			return nil // the running refresh will get there, or its end will let the next Ensure start one
		}
	}
	e.add("instance refresh to template version "+version, func(ctx context.Context) error {
		started, err := r.h.c.AutoScaling.StartInstanceRefresh(ctx, &autoscaling.StartInstanceRefreshInput{
			AutoScalingGroupName: aws.String(name),
			Strategy:             astypes.RefreshStrategyRolling,
			Preferences: &astypes.RefreshPreferences{
				MinHealthyPercentage: aws.Int32(100),
				MaxHealthyPercentage: aws.Int32(200),
				InstanceWarmup:       aws.Int32(r.grace()),
				SkipMatching:         aws.Bool(true),
			},
		})
		if err != nil {
			return fmt.Errorf("start instance refresh of %q: %w", name, err)
		}
		r.st.InstanceRefreshID = aws.ToString(started.InstanceRefreshId)
		return nil
	})
	return nil
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
