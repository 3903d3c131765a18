package network

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/manga-alert-italia/mangaalert/internal/poll"
)

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
		o.MinDelay, o.MaxDelay = n.opts.MinDelay, n.opts.MaxDelay
	})
	err := w.Wait(ctx, &ec2.DescribeNatGatewaysInput{NatGatewayIds: ids}, n.opts.Timeout)
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
	ctx, cancel := context.WithTimeout(ctx, n.opts.Timeout)
	defer cancel()
	var last error
	err := poll.Until(ctx, what, n.delays, func(ctx context.Context) (bool, error) {
		err := f(ctx)
		switch {
		case err == nil || notFound(err):
			return true, nil
		case dependency(err):
			last = err
			n.log.DebugContext(ctx, "still in use, retrying", "what", what, "err", err)
			return false, nil
		}
		return false, err
	})
	if err != nil && last != nil && errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("network: %s: still in use after %s: %w (last answer: %w)", what, n.opts.Timeout, err, last)
	}
	return wrap(err, "%s", what)
}

// deleteGateway detaches an internet gateway from its VPCs and deletes it.
func (n *Network) deleteGateway(ctx context.Context, g types.InternetGateway) error {
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
	return n.retryDependency(ctx, "delete internet gateway "+id, func(ctx context.Context) error {
		_, err := n.client.DeleteInternetGateway(ctx, &ec2.DeleteInternetGatewayInput{InternetGatewayId: aws.String(id)})
		return err
	})
}

func (n *Network) deleteGroup(ctx context.Context, id string) error {
	return n.retryDependency(ctx, "delete security group "+id, func(ctx context.Context) error {
		_, err := n.client.DeleteSecurityGroup(ctx, &ec2.DeleteSecurityGroupInput{GroupId: aws.String(id)})
		return err
	})
}

func (n *Network) deleteVPC(ctx context.Context, id string) error {
	return n.retryDependency(ctx, "delete VPC "+id, func(ctx context.Context) error {
		_, err := n.client.DeleteVpc(ctx, &ec2.DeleteVpcInput{VpcId: aws.String(id)})
		return err
	})
}
