package network

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/manga-alert-italia/mangaalert/internal/poll"
	"github.com/manga-alert-italia/mangaalert/resource"
)

// users is what holds the network interfaces in our VPCs, sorted out for
// Delete.
type users struct {
	// foreign describes the interfaces that are not ours to remove: of a
	// live or stopped instance, of an instance without our stack tag, of a
	// service (requester-managed), unattached without our tag.
	foreign []string
	// shuttingDown are the instances that are going away and still hold an
	// interface: Delete waits for them before it judges their interfaces.
	shuttingDown []string
	// leftovers are interfaces that outlived a terminated instance of the
	// stack (or carry the stack tag themselves): ours to delete.
	leftovers []types.NetworkInterface
}

// listInterfaces returns the network interfaces matching f that are not a
// NAT gateway's (those go with their gateway).
func (n *Network) listInterfaces(ctx context.Context, f types.Filter, natENIs map[string]bool) ([]types.NetworkInterface, error) {
	var out []types.NetworkInterface
	p := ec2.NewDescribeNetworkInterfacesPaginator(n.client, &ec2.DescribeNetworkInterfacesInput{Filters: []types.Filter{f}})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, wrap(err, "list network interfaces")
		}
		for _, e := range page.NetworkInterfaces {
			if natENIs[aws.ToString(e.NetworkInterfaceId)] || e.InterfaceType == types.NetworkInterfaceTypeNatGateway {
				continue
			}
			out = append(out, e)
		}
	}
	return out, nil
}

// interfaces describes every network interface matching f that is not a
// NAT gateway's: instances, tasks, endpoints, whatever holds a subnet. A
// shrinking Ensure refuses to remove a subnet any of them is in.
func (n *Network) interfaces(ctx context.Context, f types.Filter, natENIs map[string]bool) ([]string, error) {
	enis, err := n.listInterfaces(ctx, f, natENIs)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, e := range enis {
		out = append(out, describeInterface(e, ""))
	}
	return out, nil
}

func describeInterface(e types.NetworkInterface, how string) string {
	what := "network interface " + aws.ToString(e.NetworkInterfaceId)
	if id := attachedInstance(e); id != "" {
		what += " of instance " + id
	}
	if how != "" {
		what += " (" + how + ")"
	}
	return fmt.Sprintf("%s in %s", what, aws.ToString(e.SubnetId))
}

func attachedInstance(e types.NetworkInterface) string {
	if e.Attachment == nil {
		return ""
	}
	return aws.ToString(e.Attachment.InstanceId)
}

// users lists the network interfaces in the VPCs and sorts them into
// foreign, waiting and leftover. AWS deletes an instance's interfaces
// with it when the launch said DeleteOnTermination, but not at once: an
// instance shutting down still holds them for a while, and an interface
// made without DeleteOnTermination (on moto 5.2.1, every interface) stays
// after the instance is terminated.
func (n *Network) users(ctx context.Context, stack string, vpcIDs []string, natENIs map[string]bool) (*users, error) {
	u := &users{}
	if len(vpcIDs) == 0 {
		return u, nil
	}
	enis, err := n.listInterfaces(ctx, filter("vpc-id", vpcIDs...), natENIs)
	if err != nil {
		return nil, err
	}
	var ids []string
	for _, e := range enis {
		if id := attachedInstance(e); id != "" {
			ids = append(ids, id)
		}
	}
	instances, err := n.instances(ctx, ids)
	if err != nil {
		return nil, err
	}
	for _, e := range enis {
		id := attachedInstance(e)
		inst, found := instances[id]
		var state types.InstanceStateName
		if found && inst.State != nil {
			state = inst.State.Name
		}
		switch {
		case aws.ToBool(e.RequesterManaged):
			// A service's (a task, an endpoint, a load balancer): only
			// that service may delete it.
			u.foreign = append(u.foreign, describeInterface(e, "managed by "+orUnknown(aws.ToString(e.RequesterId))))
		case state == types.InstanceStateNameShuttingDown:
			if !slices.Contains(u.shuttingDown, id) {
				u.shuttingDown = append(u.shuttingDown, id)
			}
		case id == "" && e.Status == types.NetworkInterfaceStatusAvailable:
			if hasStack(e.TagSet, stack) {
				u.leftovers = append(u.leftovers, e)
			} else {
				u.foreign = append(u.foreign, describeInterface(e, "unattached, not tagged "+resource.TagStack+"="+stack))
			}
		case state == types.InstanceStateNameTerminated:
			if hasStack(inst.Tags, stack) || hasStack(e.TagSet, stack) {
				u.leftovers = append(u.leftovers, e)
			} else {
				u.foreign = append(u.foreign, describeInterface(e, "terminated, neither it nor the interface tagged "+resource.TagStack+"="+stack))
			}
		case found:
			u.foreign = append(u.foreign, describeInterface(e, string(state)))
		default:
			u.foreign = append(u.foreign, describeInterface(e, ""))
		}
	}
	slices.Sort(u.shuttingDown)
	return u, nil
}

func orUnknown(s string) string {
	if s == "" {
		return "another service"
	}
	return s
}

// hasStack reports whether tags carry the stack tag of stack, whatever the
// component (the host's instances say ecshost).
func hasStack(tags []types.Tag, stack string) bool {
	for _, t := range tags {
		if aws.ToString(t.Key) == resource.TagStack {
			return aws.ToString(t.Value) == stack
		}
	}
	return false
}

// instanceIDsPerCall keeps a filter under the 200 values EC2 accepts.
const instanceIDsPerCall = 100

// instances describes the instances of ids, terminated ones included; an
// id EC2 no longer knows is absent from the map. By filter rather than by
// InstanceIds, which fails whole on one unknown id.
func (n *Network) instances(ctx context.Context, ids []string) (map[string]types.Instance, error) {
	slices.Sort(ids)
	ids = slices.Compact(ids)
	out := map[string]types.Instance{}
	for chunk := range slices.Chunk(ids, instanceIDsPerCall) {
		p := ec2.NewDescribeInstancesPaginator(n.client, &ec2.DescribeInstancesInput{Filters: []types.Filter{filter("instance-id", chunk...)}})
		for p.HasMorePages() {
			page, err := p.NextPage(ctx)
			if err != nil {
				return nil, wrap(err, "describe instances %s", joinIDs(chunk))
			}
			for _, r := range page.Reservations {
				for _, i := range r.Instances {
					out[aws.ToString(i.InstanceId)] = i
				}
			}
		}
	}
	return out, nil
}

// awaitShutdown waits, up to Timeout, until no instance in the VPCs is
// shutting down, and returns the interfaces as they are then.
func (n *Network) awaitShutdown(ctx context.Context, stack string, vpcIDs []string, natENIs map[string]bool, u *users) (*users, error) {
	if len(u.shuttingDown) == 0 {
		return u, nil
	}
	waiting := u.shuttingDown
	n.log.DebugContext(ctx, "waiting for instances to terminate", "stack", stack, "instances", waiting)
	wctx, cancel := context.WithTimeout(ctx, n.opts.Timeout)
	defer cancel()
	err := poll.Until(wctx, "instances "+joinIDs(waiting)+" to terminate", n.delays, func(ctx context.Context) (bool, error) {
		next, err := n.users(ctx, stack, vpcIDs, natENIs)
		if err != nil {
			return false, err
		}
		u, waiting = next, next.shuttingDown
		return len(waiting) == 0, nil
	})
	if errors.Is(err, context.DeadlineExceeded) && ctx.Err() == nil {
		return nil, fmt.Errorf("network: delete stack %q: instance %s still shutting down after %s, holding network interfaces in its VPC: %w; nothing was deleted: run Delete again once it is terminated",
			stack, joinIDs(waiting), n.opts.Timeout, err)
	}
	if err != nil {
		return nil, fmt.Errorf("network: delete stack %q: %w", stack, err)
	}
	return u, nil
}

// deleteLeftover deletes an interface a terminated instance of stack left
// behind. A secondary interface still attached is detached first, after it
// is tagged as the stack's: detached, nothing else would tell the next
// Delete that it is ours. The primary one (device index 0) cannot be
// detached and EC2 lets it go with its terminated instance, so it is
// deleted as it is, retrying while EC2 still sees it in use.
func (n *Network) deleteLeftover(ctx context.Context, stack string, e types.NetworkInterface) error {
	id := aws.ToString(e.NetworkInterfaceId)
	if a := e.Attachment; a != nil && a.AttachmentId != nil && aws.ToInt32(a.DeviceIndex) != 0 {
		if !hasStack(e.TagSet, stack) {
			_, err := n.client.CreateTags(ctx, &ec2.CreateTagsInput{Resources: []string{id},
				Tags: []types.Tag{{Key: aws.String(resource.TagStack), Value: aws.String(stack)}}})
			if err != nil {
				if notFound(err) {
					return nil
				}
				return wrap(err, "tag network interface %s of terminated instance %s", id, aws.ToString(a.InstanceId))
			}
		}
		_, err := n.client.DetachNetworkInterface(ctx, &ec2.DetachNetworkInterfaceInput{AttachmentId: a.AttachmentId, Force: aws.Bool(true)})
		if err != nil && !notFound(err) {
			return wrap(err, "detach network interface %s from terminated instance %s", id, aws.ToString(a.InstanceId))
		}
	}
	err := n.retryDependency(ctx, "delete network interface "+id, func(ctx context.Context) error {
		_, err := n.client.DeleteNetworkInterface(ctx, &ec2.DeleteNetworkInterfaceInput{NetworkInterfaceId: aws.String(id)})
		return err
	})
	if err != nil {
		return err
	}
	n.log.DebugContext(ctx, "deleted the interface of a terminated instance", "interface", id, "instance", attachedInstance(e))
	return nil
}
