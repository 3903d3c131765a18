package network

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
)

// natAddress decides the NAT gateway's Elastic IP: allocated when missing.
func (r *run) natAddress() ([]*item, error) {
	a, err := single(r.eips, r.spec.Stack, compNATAddress, func(a types.Address) *string { return a.AllocationId })
	if err != nil {
		return nil, err
	}
	if a != nil {
		r.ids[compNATAddress], r.natIP = aws.ToString(a.AllocationId), aws.ToString(a.PublicIp)
		return []*item{newItem(kindEIP, compNATAddress, r.ids[compNATAddress])}, nil
	}
	it := newItem(kindEIP, compNATAddress, "")
	it.Details = []string{"Elastic IP for the NAT gateway"}
	it.then(func(ctx context.Context) error {
		out, err := r.api.AllocateAddress(ctx, &ec2.AllocateAddressInput{
			Domain: types.DomainTypeVpc, TagSpecifications: tagSpec(r.spec.Stack, compNATAddress, types.ResourceTypeElasticIp)})
		if err != nil {
			return wrap(err, "allocate the NAT gateway's Elastic IP")
		}
		r.ids[compNATAddress], r.natIP = aws.ToString(out.AllocationId), aws.ToString(out.PublicIp)
		return nil
	})
	return []*item{it}, nil
}

// natGateway decides the one NAT gateway, in the first public subnet with
// the Elastic IP: created (and waited for) when missing. One found pending
// is waited for by Ensure once the steps ran.
func (r *run) natGateway() ([]*item, error) {
	g, err := single(r.nats, r.spec.Stack, compNAT, func(g types.NatGateway) *string { return g.NatGatewayId })
	if err != nil {
		return nil, err
	}
	if g != nil {
		r.ids[compNAT] = aws.ToString(g.NatGatewayId)
		r.natPending = g.State == types.NatGatewayStatePending
		return []*item{newItem(kindNAT, compNAT, r.ids[compNAT])}, nil
	}
	it := newItem(kindNAT, compNAT, "")
	it.Details = []string{"in " + compSubnet(false, 0) + " with " + compNATAddress}
	it.then(func(ctx context.Context) error {
		subnet := r.ids[compSubnet(false, 0)]
		out, err := r.api.CreateNatGateway(ctx, &ec2.CreateNatGatewayInput{
			SubnetId: aws.String(subnet), AllocationId: aws.String(r.ids[compNATAddress]),
			ConnectivityType:  types.ConnectivityTypePublic,
			TagSpecifications: tagSpec(r.spec.Stack, compNAT, types.ResourceTypeNatgateway),
		})
		if err != nil {
			return wrap(err, "create NAT gateway in %s", subnet)
		}
		r.ids[compNAT] = aws.ToString(out.NatGateway.NatGatewayId)
		return r.waitNAT(ctx)
	})
	return []*item{it}, nil
}

func (r *run) waitNAT(ctx context.Context) error {
	id := r.ids[compNAT]
	w := ec2.NewNatGatewayAvailableWaiter(r.api, func(o *ec2.NatGatewayAvailableWaiterOptions) {
		o.MinDelay, o.MaxDelay = r.n.opts.MinDelay, r.n.opts.MaxDelay
	})
	err := w.Wait(ctx, &ec2.DescribeNatGatewaysInput{NatGatewayIds: []string{id}}, r.n.opts.Timeout)
	return wrap(err, "wait for NAT gateway %s to be available", id)
}
