package network

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/manga-alert-italia/mangaalert/internal/poll"
)

// Delete removes every resource tagged with the stack, in dependency order:
// NAT gateways (waiting until they are gone) and their Elastic IPs, route
// tables with their associations, the internet gateway (detached first),
// subnets, security groups, and last the VPC. It returns nil when nothing
// of the stack exists, so it can be run again after a failure.
//
// Before deleting anything it looks inside the stack's VPC for what is not
// ours (subnets, security groups, route tables, gateways, network
// interfaces of instances not terminated): if there is any, it deletes
// nothing and returns an error wrapping ErrForeignDependency that lists
// them. What carries no tag of ours is never touched.
//
// Instances do not go at once. When nothing but instances shutting down
// stands in the way, Delete waits (up to Timeout) until they are
// terminated. A network interface that outlives its terminated instance
// (made without DeleteOnTermination; on moto 5.2.1, every one) is ours,
// and deleted before anything else, when the instance or the interface
// carries the stack tag mangaalert:stack (the ecshost Auto Scaling group
// propagates it to its instances); so is an unattached interface carrying
// it. That of a terminated instance without the tag is foreign.
func (n *Network) Delete(ctx context.Context, stack string) error {
	if err := (Spec{Stack: stack}).Validate(); err != nil {
		return err
	}
	if n.Offline {
		return ErrOffline
	}
	vpcs, err := n.vpcs(ctx, stack)
	if err != nil {
		return err
	}
	igws, err := n.gateways(ctx, stackFilter(stack))
	if err != nil {
		return err
	}
	eips, err := n.addresses(ctx, stack)
	if err != nil {
		return err
	}

	contents := make([]*inVPC, len(vpcs))
	var foreign, vpcIDs []string
	natENIs := map[string]bool{}
	for i, v := range vpcs {
		vpcID := aws.ToString(v.VpcId)
		vpcIDs = append(vpcIDs, vpcID)
		if contents[i], err = n.inVPC(ctx, vpcID); err != nil {
			return err
		}
		f, err := n.foreign(ctx, stack, vpcID, contents[i])
		if err != nil {
			return err
		}
		foreign = append(foreign, f...)
		maps.Copy(natENIs, contents[i].natENIs)
	}
	for _, a := range eips {
		if eni := aws.ToString(a.NetworkInterfaceId); eni != "" && !natENIs[eni] {
			foreign = append(foreign, fmt.Sprintf("Elastic IP %s of the stack, associated with %s", aws.ToString(a.PublicIp), eni))
		}
	}
	held, err := n.users(ctx, stack, vpcIDs, natENIs)
	if err != nil {
		return err
	}
	if len(foreign)+len(held.foreign) == 0 {
		// Only what is going away anyway stands in the way: wait for it,
		// then judge what it left.
		if held, err = n.awaitShutdown(ctx, stack, vpcIDs, natENIs, held); err != nil {
			return err
		}
	}
	if foreign = append(foreign, held.foreign...); len(foreign) > 0 {
		return fmt.Errorf("network: delete stack %q: %w: %s; nothing was deleted: delete those first (the stacks that use this network), then run Delete again",
			stack, ErrForeignDependency, strings.Join(foreign, ", "))
	}

	// Interfaces our terminated instances left: they hold the subnets and
	// the security groups.
	for _, e := range held.leftovers {
		if err := n.deleteLeftover(ctx, stack, e); err != nil {
			return err
		}
	}

	// NAT gateways first: their interfaces hold the subnets and the
	// addresses until they are gone.
	var natIDs []string
	for _, in := range contents {
		for _, g := range in.nats {
			if componentOf(g.Tags, stack) != "" {
				natIDs = append(natIDs, aws.ToString(g.NatGatewayId))
			}
		}
	}
	if err := n.deleteNATs(ctx, natIDs); err != nil {
		return err
	}
	for _, a := range eips {
		if err := n.releaseAddress(ctx, aws.ToString(a.AllocationId)); err != nil {
			return err
		}
	}
	for _, in := range contents {
		for _, t := range in.routeTables {
			if componentOf(t.Tags, stack) != "" {
				if err := n.deleteRouteTable(ctx, t); err != nil {
					return err
				}
			}
		}
	}
	for _, g := range igws {
		if componentOf(g.Tags, stack) == "" {
			continue
		}
		id := aws.ToString(g.InternetGatewayId)
		for _, a := range g.Attachments {
			vpcID := aws.ToString(a.VpcId)
			err := n.retryDependency(ctx, "detach internet gateway "+id, func(ctx context.Context) error {
				_, err := n.client.DetachInternetGateway(ctx, &ec2.DetachInternetGatewayInput{InternetGatewayId: aws.String(id), VpcId: aws.String(vpcID)})
				return err
			})
			if err != nil {
				return err
			}
		}
		err := n.retryDependency(ctx, "delete internet gateway "+id, func(ctx context.Context) error {
			_, err := n.client.DeleteInternetGateway(ctx, &ec2.DeleteInternetGatewayInput{InternetGatewayId: aws.String(id)})
			return err
		})
		if err != nil {
			return err
		}
	}
	for i, v := range vpcs {
		for _, s := range contents[i].subnets {
			if componentOf(s.Tags, stack) != "" {
				if err := n.deleteSubnet(ctx, aws.ToString(s.SubnetId)); err != nil {
					return err
				}
			}
		}
		for _, g := range contents[i].groups {
			if componentOf(g.Tags, stack) == "" {
				continue
			}
			id := aws.ToString(g.GroupId)
			err := n.retryDependency(ctx, "delete security group "+id, func(ctx context.Context) error {
				_, err := n.client.DeleteSecurityGroup(ctx, &ec2.DeleteSecurityGroupInput{GroupId: aws.String(id)})
				return err
			})
			if err != nil {
				return err
			}
		}
		id := aws.ToString(v.VpcId)
		err := n.retryDependency(ctx, "delete VPC "+id, func(ctx context.Context) error {
			_, err := n.client.DeleteVpc(ctx, &ec2.DeleteVpcInput{VpcId: aws.String(id)})
			return err
		})
		if err != nil {
			return err
		}
		n.Logger.DebugContext(ctx, "deleted", "stack", stack, "vpc", id)
	}
	return nil
}

// foreign lists what in one of our VPCs is not ours and would keep Delete
// from finishing; network interfaces are judged apart (users).
func (n *Network) foreign(ctx context.Context, stack, vpcID string, in *inVPC) ([]string, error) {
	var out []string
	for _, s := range in.subnets {
		if componentOf(s.Tags, stack) == "" {
			out = append(out, fmt.Sprintf("subnet %s (%s) in %s", aws.ToString(s.SubnetId), aws.ToString(s.CidrBlock), vpcID))
		}
	}
	for _, g := range in.groups {
		if componentOf(g.Tags, stack) == "" && aws.ToString(g.GroupName) != "default" {
			out = append(out, fmt.Sprintf("security group %s (%s) in %s", aws.ToString(g.GroupId), aws.ToString(g.GroupName), vpcID))
		}
	}
	for _, t := range in.routeTables {
		if componentOf(t.Tags, stack) == "" && !isMain(t) {
			out = append(out, fmt.Sprintf("route table %s in %s", aws.ToString(t.RouteTableId), vpcID))
		}
	}
	for _, g := range in.nats {
		if componentOf(g.Tags, stack) == "" {
			out = append(out, fmt.Sprintf("NAT gateway %s in %s", aws.ToString(g.NatGatewayId), vpcID))
		}
	}
	igws, err := n.gateways(ctx, filter("attachment.vpc-id", vpcID))
	if err != nil {
		return nil, err
	}
	for _, g := range igws {
		if componentOf(g.Tags, stack) == "" {
			out = append(out, fmt.Sprintf("internet gateway %s attached to %s", aws.ToString(g.InternetGatewayId), vpcID))
		}
	}
	return out, nil
}

func isMain(t types.RouteTable) bool {
	for _, a := range t.Associations {
		if aws.ToBool(a.Main) {
			return true
		}
	}
	return false
}

// deleteNATs deletes NAT gateways and waits until they are gone.
func (n *Network) deleteNATs(ctx context.Context, ids []string) error {
	if len(ids) == 0 {
		return nil
	}
	for _, id := range ids {
		_, err := n.client.DeleteNatGateway(ctx, &ec2.DeleteNatGatewayInput{NatGatewayId: aws.String(id)})
		if err != nil && !notFound(err) {
			return wrap(err, "delete NAT gateway %s", id)
		}
	}
	w := ec2.NewNatGatewayDeletedWaiter(n.client, func(o *ec2.NatGatewayDeletedWaiterOptions) {
		o.MinDelay, o.MaxDelay = n.Delays.Min, n.Delays.Max
	})
	err := w.Wait(ctx, &ec2.DescribeNatGatewaysInput{NatGatewayIds: ids}, n.Timeout)
	return wrap(err, "wait for NAT gateways %s to be deleted", joinIDs(ids))
}

// releaseAddress releases an Elastic IP, waiting while AWS still sees it in
// use (a NAT gateway lets go of it a little after it is deleted).
func (n *Network) releaseAddress(ctx context.Context, allocationID string) error {
	return n.retryDependency(ctx, "release Elastic IP "+allocationID, func(ctx context.Context) error {
		_, err := n.client.ReleaseAddress(ctx, &ec2.ReleaseAddressInput{AllocationId: aws.String(allocationID)})
		return err
	})
}

func (n *Network) deleteSubnet(ctx context.Context, id string) error {
	return n.retryDependency(ctx, "delete subnet "+id, func(ctx context.Context) error {
		_, err := n.client.DeleteSubnet(ctx, &ec2.DeleteSubnetInput{SubnetId: aws.String(id)})
		return err
	})
}

// deleteRouteTable removes a route table's subnet associations and then the
// table (its routes go with it).
func (n *Network) deleteRouteTable(ctx context.Context, t types.RouteTable) error {
	id := aws.ToString(t.RouteTableId)
	if isMain(t) {
		return conflict("route table %s is the main table of its VPC and cannot be deleted: make another table main first", id)
	}
	for _, a := range t.Associations {
		if disassociated(a) || a.RouteTableAssociationId == nil {
			continue
		}
		_, err := n.client.DisassociateRouteTable(ctx, &ec2.DisassociateRouteTableInput{AssociationId: a.RouteTableAssociationId})
		if err != nil && !notFound(err) {
			return wrap(err, "disassociate %s from route table %s", aws.ToString(a.SubnetId), id)
		}
	}
	return n.retryDependency(ctx, "delete route table "+id, func(ctx context.Context) error {
		_, err := n.client.DeleteRouteTable(ctx, &ec2.DeleteRouteTableInput{RouteTableId: aws.String(id)})
		return err
	})
}

// retryDependency runs a delete until it succeeds, retrying while AWS
// answers that something still uses the resource (up to Timeout); "already
// gone" is success.
func (n *Network) retryDependency(ctx context.Context, what string, f func(context.Context) error) error {
	ctx, cancel := context.WithTimeout(ctx, n.Timeout)
	defer cancel()
	var last error
	err := poll.Until(ctx, what, n.Delays, func(ctx context.Context) (bool, error) {
		err := f(ctx)
		switch {
		case err == nil || notFound(err):
			return true, nil
		case dependency(err):
			last = err
			n.Logger.DebugContext(ctx, "still in use, retrying", "what", what, "err", err)
			return false, nil
		}
		return false, err
	})
	if err != nil && last != nil && errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("network: %s: still in use after %s: %w (last answer: %w)", what, n.Timeout, err, last)
	}
	return wrap(err, "%s", what)
}
