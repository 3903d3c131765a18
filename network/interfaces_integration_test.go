package network_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
	astypes "github.com/aws/aws-sdk-go-v2/service/autoscaling/types"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/manga-alert-italia/mangaalert/integration"
	"github.com/manga-alert-italia/mangaalert/network"
	"github.com/manga-alert-italia/mangaalert/resource"
)

// Interfaces that outlive a terminated instance of the stack are deleted
// with the network. moto 5.2.1 keeps every interface of a terminated
// instance (it reads DeleteOnTermination as a string), which is the case
// under test; on AWS it is an interface made without DeleteOnTermination.
func TestDeleteRemovesInterfacesOfTerminatedInstances(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		services []integration.Service // beyond EC2
		// setup leaves interfaces ours to delete in the network and
		// returns them.
		setup  func(t *testing.T, w *world, st *network.State) []string
		detach bool // a secondary interface still attached: tagged, detached, then deleted
	}{{
		name:     "host of an auto scaling group launched from a template",
		services: []integration.Service{integration.AutoScaling},
		setup: func(t *testing.T, w *world, st *network.State) []string {
			id := w.launchThroughGroup(t, st)
			enis := w.interfacesOf(t, id)
			w.deleteGroup(t)
			require.Equal(t, types.InstanceStateNameTerminated, w.instanceState(t, id), "force-deleting the group terminates its instance")
			return enis
		},
	}, {
		name: "tagged instance with a second interface attached",
		setup: func(t *testing.T, w *world, st *network.State) []string {
			id := w.runInstance(t, st.PublicSubnetIDs[0], stackTags(w.stack)...)
			w.attach(t, w.newInterface(t, st.PublicSubnetIDs[0]), id, 1)
			enis := w.interfacesOf(t, id)
			require.Len(t, enis, 2)
			w.terminate(t, id)
			return enis
		},
		detach: true,
	}, {
		name: "untagged instance whose interface carries the stack tag",
		setup: func(t *testing.T, w *world, st *network.State) []string {
			id := w.runInstance(t, st.PublicSubnetIDs[0])
			enis := w.interfacesOf(t, id)
			_, err := w.ec2.CreateTags(w.ctx, &ec2.CreateTagsInput{Resources: enis, Tags: []types.Tag{tag(resource.TagStack, w.stack)}})
			require.NoError(t, err)
			w.terminate(t, id)
			return enis
		},
	}, {
		name: "unattached interface carrying the stack tag",
		setup: func(t *testing.T, w *world, st *network.State) []string {
			return []string{w.newInterface(t, st.PublicSubnetIDs[0], tag(resource.TagStack, w.stack))}
		},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			integration.Env(t).Require(t, tt.services...)
			w := newWorld(t)
			st, err := w.net.Ensure(w.ctx, network.Spec{Stack: w.stack})
			require.NoError(t, err)
			enis := tt.setup(t, w, st)
			require.NotEmpty(t, enis)
			require.ElementsMatch(t, enis, w.liveInterfaces(t, enis), "the interfaces outlive the instance")

			w.calls.Reset()
			require.NoError(t, deleted(w.net.Delete(w.ctx, w.stack)))
			assert.Empty(t, w.liveInterfaces(t, enis))
			assert.Empty(t, w.inventory(t), "nothing of ours is left")

			var order []string
			for _, c := range w.calls.Mutating() {
				order = append(order, c.Operation)
			}
			t.Logf("delete: %v", order)
			eniOps := []string{"CreateTags", "DetachNetworkInterface", "DeleteNetworkInterface"}
			assert.Equal(t, len(enis), count(order, "DeleteNetworkInterface"))
			rest := slices.IndexFunc(order, func(op string) bool { return !slices.Contains(eniOps, op) })
			require.Positive(t, rest)
			assert.Zero(t, count(order[rest:], eniOps...), "the interfaces go first")
			if tt.detach {
				d := indexOf(order, "DetachNetworkInterface")
				require.Positive(t, d)
				assert.Equal(t, "CreateTags", order[d-1], "tagged, then detached")
				assert.Less(t, d, lastIndexOf(order, "DeleteNetworkInterface"), "detached, then deleted")
			} else {
				assert.NotContains(t, order, "DetachNetworkInterface", "nothing to detach: a primary interface cannot be")
			}

			w.calls.Reset()
			require.NoError(t, deleted(w.net.Delete(w.ctx, w.stack)))
			assert.Empty(t, w.calls.Mutating(), "again: nothing to do")
		})
	}
}

// What holds an interface in our VPC and is not a terminated instance of
// the stack still stops Delete before it deletes anything, named.
func TestDeleteRefusesInterfacesNotOurs(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		// setup puts something in the network and returns what the error
		// must name.
		setup func(t *testing.T, w *world, st *network.State) []string
	}{{
		name: "running untagged instance",
		setup: func(t *testing.T, w *world, st *network.State) []string {
			id := w.runInstance(t, st.PublicSubnetIDs[0])
			return append(w.interfacesOf(t, id), id, "(running)")
		},
	}, {
		name: "running instance of the stack",
		setup: func(t *testing.T, w *world, st *network.State) []string {
			id := w.runInstance(t, st.PublicSubnetIDs[0], stackTags(w.stack)...)
			return append(w.interfacesOf(t, id), id, "(running)")
		},
	}, {
		name: "terminated instance without our tag",
		setup: func(t *testing.T, w *world, st *network.State) []string {
			id := w.runInstance(t, st.PublicSubnetIDs[0])
			enis := w.interfacesOf(t, id)
			w.terminate(t, id)
			return append(enis, id, "terminated")
		},
	}, {
		name: "terminated instance of another stack",
		setup: func(t *testing.T, w *world, st *network.State) []string {
			id := w.runInstance(t, st.PublicSubnetIDs[0], stackTags("other")...)
			enis := w.interfacesOf(t, id)
			w.terminate(t, id)
			return append(enis, id, "terminated")
		},
	}, {
		name: "unattached interface without our tag",
		setup: func(t *testing.T, w *world, st *network.State) []string {
			return []string{w.newInterface(t, st.PublicSubnetIDs[0]), "unattached"}
		},
	}, {
		name: "unattached interface of another stack",
		setup: func(t *testing.T, w *world, st *network.State) []string {
			return []string{w.newInterface(t, st.PublicSubnetIDs[0], tag(resource.TagStack, "other")), "unattached"}
		},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			w := newWorld(t)
			st, err := w.net.Ensure(w.ctx, network.Spec{Stack: w.stack})
			require.NoError(t, err)
			names := tt.setup(t, w, st)
			enis := w.liveInterfaces(t, nil)
			require.NotEmpty(t, enis)
			before := w.inventory(t)

			w.calls.Reset()
			_, err = w.net.Delete(w.ctx, w.stack)
			require.ErrorIs(t, err, network.ErrForeignDependency)
			for _, s := range names {
				assert.Contains(t, err.Error(), s)
			}
			assert.Contains(t, err.Error(), "nothing was deleted")
			assert.Empty(t, w.calls.Mutating())
			assert.Equal(t, before, w.inventory(t))
			assert.ElementsMatch(t, enis, w.liveInterfaces(t, enis))
		})
	}
}

// slowShutdown shows what moto cannot: moto terminates an instance at
// once, AWS takes a while and answers "shutting-down" meanwhile. This
// wrapped real client reports one instance as shutting down in its first
// answers DescribeInstances answers (in all of them when answers < 0),
// then terminates it for real and tells the truth from then on.
type slowShutdown struct {
	network.API
	w        *world
	instance string
	answers  int

	mu           sync.Mutex
	lies         int
	terminated   bool
	writesBefore int // Delete's writes before the instance was terminated
}

func (s *slowShutdown) DescribeInstances(ctx context.Context, in *ec2.DescribeInstancesInput, opts ...func(*ec2.Options)) (*ec2.DescribeInstancesOutput, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.terminated && s.answers >= 0 && s.lies >= s.answers {
		if _, err := s.w.ec2.TerminateInstances(ctx, &ec2.TerminateInstancesInput{InstanceIds: []string{s.instance}}); err != nil {
			return nil, err
		}
		s.terminated, s.writesBefore = true, len(s.w.calls.Mutating())
	}
	out, err := s.API.DescribeInstances(ctx, in, opts...)
	if err != nil || s.terminated {
		return out, err
	}
	for i := range out.Reservations {
		for j := range out.Reservations[i].Instances {
			if inst := &out.Reservations[i].Instances[j]; aws.ToString(inst.InstanceId) == s.instance {
				inst.State = &types.InstanceState{Name: types.InstanceStateNameShuttingDown, Code: aws.Int32(32)}
				s.lies++
			}
		}
	}
	return out, nil
}

// Delete waits for an instance shutting down, then judges what it left.
func TestDeleteWaitsForInstancesShuttingDown(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		tags    []types.Tag
		answers int  // shutting-down answers; < 0: it never ends
		foreign bool // a subnet not ours in the VPC too
		timeout time.Duration
		// what Delete returns, and the shutting-down answers it heard
		wantErr  error
		wantLies int      // < 0: more than one
		wantName []string // in the error; <instance> and <interface> stand for the instance's ids
	}{
		{name: "instance of the stack", tags: stackTags("test"), answers: 3, wantLies: 3},
		{name: "instance without our tag", answers: 2, wantLies: 2, wantErr: network.ErrForeignDependency,
			wantName: []string{"<instance>", "<interface>", "terminated", "nothing was deleted"}},
		{name: "an instance that never terminates", tags: stackTags("test"), answers: -1, timeout: 20 * time.Second,
			wantErr: context.DeadlineExceeded, wantLies: -1, wantName: []string{"<instance>", "still shutting down", "nothing was deleted"}},
		{name: "with a foreign subnet too, no wait", tags: stackTags("test"), answers: -1, foreign: true,
			wantErr: network.ErrForeignDependency, wantLies: 1, wantName: []string{"10.0.50.0/24", "nothing was deleted"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			w := newWorld(t)
			require.Equal(t, "test", w.stack)
			st, err := w.net.Ensure(w.ctx, network.Spec{Stack: w.stack})
			require.NoError(t, err)
			id := w.runInstance(t, st.PublicSubnetIDs[0], tt.tags...)
			enis := w.interfacesOf(t, id)
			if tt.foreign {
				_, err := w.ec2.CreateSubnet(w.ctx, &ec2.CreateSubnetInput{VpcId: aws.String(st.VPCID), CidrBlock: aws.String("10.0.50.0/24")})
				require.NoError(t, err)
			}
			before := w.inventory(t)
			slow := &slowShutdown{API: ec2.NewFromConfig(w.cfg), w: w, instance: id, answers: tt.answers}
			net := network.New(slow, func(o *network.Options) {
				o.MinDelay, o.MaxDelay = time.Millisecond, 20*time.Millisecond
				if tt.timeout > 0 {
					o.Timeout = tt.timeout
				}
			})

			w.calls.Reset()
			_, err = net.Delete(w.ctx, w.stack)
			if tt.wantLies < 0 {
				// The wait is real (Timeout bounds it), so how many polls fit
				// depends on the machine; at 1-20 ms apart, 20 s holds more
				// than one even when each call takes seconds (through a
				// container on a loaded machine, 5 s once held only one).
				assert.Greater(t, slow.lies, 1, "polled")
			} else {
				assert.Equal(t, tt.wantLies, slow.lies)
			}
			if tt.wantErr == nil {
				require.NoError(t, err)
				assert.Zero(t, slow.writesBefore, "nothing deleted while the instance was shutting down")
				assert.Empty(t, w.liveInterfaces(t, enis))
				assert.Empty(t, w.inventory(t))
				return
			}
			require.ErrorIs(t, err, tt.wantErr)
			t.Log(err)
			for _, s := range tt.wantName {
				s = strings.NewReplacer("<instance>", id, "<interface>", enis[0]).Replace(s)
				assert.Contains(t, err.Error(), s)
			}
			assert.Empty(t, w.calls.Mutating(), "nothing deleted")
			assert.Equal(t, before, w.inventory(t))
		})
	}
}

// A Delete cut short while it removes the interfaces of a terminated
// instance, then a plain Delete, leaves nothing: in particular a detached
// interface, which nothing but its tag then says is ours.
func TestDeleteInterfacesRecoversFromFaults(t *testing.T) {
	t.Parallel()
	setup := func(t *testing.T) *world {
		w := newWorld(t)
		st, err := w.net.Ensure(w.ctx, network.Spec{Stack: w.stack})
		require.NoError(t, err)
		id := w.runInstance(t, st.PublicSubnetIDs[0], stackTags(w.stack)...)
		w.attach(t, w.newInterface(t, st.PublicSubnetIDs[0]), id, 1)
		w.terminate(t, id)
		return w
	}
	ref := setup(t)
	ref.calls.Reset()
	require.NoError(t, deleted(ref.net.Delete(ref.ctx, ref.stack)))
	writes := ref.calls.Mutating()
	eniOps := []string{"CreateTags", "DetachNetworkInterface", "DeleteNetworkInterface"}
	require.Contains(t, eniOps, writes[0].Operation)

	for i, call := range writes {
		if i > 0 && !slices.Contains(eniOps, writes[i-1].Operation) {
			break // past the interfaces and the first write after: TestDeleteRecoversFromFaults
		}
		for _, f := range faults {
			t.Run(fmt.Sprintf("%02d-%s-%s", i+1, call.Operation, f.name), func(t *testing.T) {
				t.Parallel()
				w := setup(t)
				enis := w.liveInterfaces(t, nil)
				require.Len(t, enis, 2)
				w.calls.FailAt(i+1, f.fault)
				_, err := w.net.Delete(w.ctx, w.stack)
				require.ErrorIs(t, err, integration.ErrInjected)
				require.NoError(t, deleted(w.net.Delete(w.ctx, w.stack)))
				assert.Empty(t, w.inventory(t))
				assert.Empty(t, w.liveInterfaces(t, enis))
			})
		}
	}
}

func tag(k, v string) types.Tag { return types.Tag{Key: aws.String(k), Value: aws.String(v)} }

// stackTags are the tags the ecshost Auto Scaling group propagates to its
// instances.
func stackTags(stack string) []types.Tag {
	return []types.Tag{tag(resource.TagStack, stack), tag(resource.TagComponent, "ecshost")}
}

func count(s []string, vs ...string) int {
	n := 0
	for _, x := range s {
		if slices.Contains(vs, x) {
			n++
		}
	}
	return n
}

func lastIndexOf(s []string, v string) int {
	for i := len(s) - 1; i >= 0; i-- {
		if s[i] == v {
			return i
		}
	}
	return -1
}

// image is an image to launch: one of moto's when it has them, else any id
// (moto without its default images accepts any).
func (w *world) image(t *testing.T) *string {
	t.Helper()
	images, err := w.ec2.DescribeImages(w.ctx, &ec2.DescribeImagesInput{Owners: []string{"amazon"},
		Filters: []types.Filter{{Name: aws.String("architecture"), Values: []string{"x86_64"}}}, MaxResults: aws.Int32(5)})
	require.NoError(t, err)
	if len(images.Images) > 0 {
		return images.Images[0].ImageId
	}
	return aws.String("ami-0123456789abcdef0")
}

const groupName = "test-ecs-host"

// launchThroughGroup starts the host as ecshost does: a launch template
// whose interface says DeleteOnTermination, and an Auto Scaling group that
// propagates the stack's tags to its instance. It returns the instance.
func (w *world) launchThroughGroup(t *testing.T, st *network.State) string {
	t.Helper()
	lt, err := w.ec2.CreateLaunchTemplate(w.ctx, &ec2.CreateLaunchTemplateInput{
		LaunchTemplateName: aws.String(groupName),
		LaunchTemplateData: &types.RequestLaunchTemplateData{
			ImageId: w.image(t), InstanceType: types.InstanceTypeT3Micro,
			NetworkInterfaces: []types.LaunchTemplateInstanceNetworkInterfaceSpecificationRequest{{
				DeviceIndex: aws.Int32(0), AssociatePublicIpAddress: aws.Bool(true),
				Groups: []string{st.HostSecurityGroupID}, DeleteOnTermination: aws.Bool(true),
			}},
		},
	})
	require.NoError(t, err)
	var tags []astypes.Tag
	for _, tg := range stackTags(w.stack) {
		tags = append(tags, astypes.Tag{Key: tg.Key, Value: tg.Value, PropagateAtLaunch: aws.Bool(true),
			ResourceId: aws.String(groupName), ResourceType: aws.String("auto-scaling-group")})
	}
	as := autoscaling.NewFromConfig(w.cfg)
	_, err = as.CreateAutoScalingGroup(w.ctx, &autoscaling.CreateAutoScalingGroupInput{
		AutoScalingGroupName: aws.String(groupName), MinSize: aws.Int32(1), MaxSize: aws.Int32(1), DesiredCapacity: aws.Int32(1),
		LaunchTemplate:    &astypes.LaunchTemplateSpecification{LaunchTemplateId: lt.LaunchTemplate.LaunchTemplateId, Version: aws.String("$Latest")},
		VPCZoneIdentifier: aws.String(st.PublicSubnetIDs[0]), Tags: tags,
	})
	require.NoError(t, err)
	g, err := as.DescribeAutoScalingGroups(w.ctx, &autoscaling.DescribeAutoScalingGroupsInput{AutoScalingGroupNames: []string{groupName}})
	require.NoError(t, err)
	require.Len(t, g.AutoScalingGroups, 1)
	require.Len(t, g.AutoScalingGroups[0].Instances, 1)
	id := aws.ToString(g.AutoScalingGroups[0].Instances[0].InstanceId)
	out, err := w.ec2.DescribeInstances(w.ctx, &ec2.DescribeInstancesInput{InstanceIds: []string{id}})
	require.NoError(t, err)
	assert.Contains(t, out.Reservations[0].Instances[0].Tags, tag(resource.TagStack, w.stack), "propagated by the group")
	return id
}

// deleteGroup force-deletes the group, as ecshost.Delete does.
func (w *world) deleteGroup(t *testing.T) {
	t.Helper()
	_, err := autoscaling.NewFromConfig(w.cfg).DeleteAutoScalingGroup(w.ctx, &autoscaling.DeleteAutoScalingGroupInput{
		AutoScalingGroupName: aws.String(groupName), ForceDelete: aws.Bool(true)})
	require.NoError(t, err)
}

func (w *world) instanceState(t *testing.T, id string) types.InstanceStateName {
	t.Helper()
	out, err := w.ec2.DescribeInstances(w.ctx, &ec2.DescribeInstancesInput{InstanceIds: []string{id}})
	require.NoError(t, err)
	return out.Reservations[0].Instances[0].State.Name
}

func (w *world) terminate(t *testing.T, id string) {
	t.Helper()
	_, err := w.ec2.TerminateInstances(w.ctx, &ec2.TerminateInstancesInput{InstanceIds: []string{id}})
	require.NoError(t, err)
	require.Equal(t, types.InstanceStateNameTerminated, w.instanceState(t, id))
}

// newInterface creates an interface in a subnet, with tags when given.
func (w *world) newInterface(t *testing.T, subnetID string, tags ...types.Tag) string {
	t.Helper()
	in := &ec2.CreateNetworkInterfaceInput{SubnetId: aws.String(subnetID)}
	if len(tags) > 0 {
		in.TagSpecifications = []types.TagSpecification{{ResourceType: types.ResourceTypeNetworkInterface, Tags: tags}}
	}
	out, err := w.ec2.CreateNetworkInterface(w.ctx, in)
	require.NoError(t, err)
	return aws.ToString(out.NetworkInterface.NetworkInterfaceId)
}

func (w *world) attach(t *testing.T, eni, instance string, index int32) {
	t.Helper()
	_, err := w.ec2.AttachNetworkInterface(w.ctx, &ec2.AttachNetworkInterfaceInput{
		NetworkInterfaceId: aws.String(eni), InstanceId: aws.String(instance), DeviceIndex: aws.Int32(index)})
	require.NoError(t, err)
}

// interfacesOf returns the interfaces attached to an instance.
func (w *world) interfacesOf(t *testing.T, instance string) []string {
	t.Helper()
	out, err := w.ec2.DescribeNetworkInterfaces(w.ctx, &ec2.DescribeNetworkInterfacesInput{Filters: []types.Filter{
		{Name: aws.String("attachment.instance-id"), Values: []string{instance}}}})
	require.NoError(t, err)
	var ids []string
	for _, e := range out.NetworkInterfaces {
		ids = append(ids, aws.ToString(e.NetworkInterfaceId))
	}
	require.NotEmpty(t, ids, "interfaces of %s", instance)
	return ids
}

// liveInterfaces returns those of ids that still exist (all the account's
// when ids is nil).
func (w *world) liveInterfaces(t *testing.T, ids []string) []string {
	t.Helper()
	in := &ec2.DescribeNetworkInterfacesInput{}
	if ids != nil {
		in.Filters = []types.Filter{{Name: aws.String("network-interface-id"), Values: ids}}
	}
	out, err := w.ec2.DescribeNetworkInterfaces(w.ctx, in)
	require.NoError(t, err)
	var live []string
	for _, e := range out.NetworkInterfaces {
		live = append(live, aws.ToString(e.NetworkInterfaceId))
	}
	return live
}
