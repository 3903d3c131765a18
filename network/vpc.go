package network

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
)

// vpc decides the VPC: created with DNS hostnames on, or its DNS
// attributes turned back on. Its block cannot change.
func (r *run) vpc() ([]*item, error) {
	it := newItem(kindVPC, compVPC, r.ids[compVPC])
	if it.ID == "" {
		it.Details = []string{r.spec.CIDR, "DNS hostnames on"}
		it.then(r.createVPC)
		it.then(func(ctx context.Context) error {
			return r.setVPCAttribute(ctx, types.VpcAttributeNameEnableDnsHostnames)
		})
		return []*item{it}, nil
	}
	if r.vpcCIDR != r.spec.CIDR {
		return nil, conflict("VPC %s of stack %q has block %s and the Spec says %s: a VPC's block cannot change; set Spec.CIDR to %s, or Delete the stack first",
			it.ID, r.spec.Stack, r.vpcCIDR, r.spec.CIDR, r.vpcCIDR)
	}
	for _, a := range []struct {
		on   bool
		name types.VpcAttributeName
	}{{r.dnsSupport, types.VpcAttributeNameEnableDnsSupport}, {r.dnsHostnames, types.VpcAttributeNameEnableDnsHostnames}} {
		if !a.on {
			it.note(string(a.name) + " off -> on")
			it.then(func(ctx context.Context) error { return r.setVPCAttribute(ctx, a.name) })
		}
	}
	return []*item{it}, nil
}

func (r *run) createVPC(ctx context.Context) error {
	out, err := r.api.CreateVpc(ctx, &ec2.CreateVpcInput{
		CidrBlock:         aws.String(r.spec.CIDR),
		TagSpecifications: tagSpec(r.spec.Stack, compVPC, types.ResourceTypeVpc),
	})
	if err != nil {
		return wrap(err, "create VPC %s", r.spec.CIDR)
	}
	id := aws.ToString(out.Vpc.VpcId)
	r.ids[compVPC] = id
	w := ec2.NewVpcAvailableWaiter(r.api, func(o *ec2.VpcAvailableWaiterOptions) {
		o.MinDelay, o.MaxDelay = r.n.opts.MinDelay, r.n.opts.MaxDelay
	})
	return wrap(w.Wait(ctx, &ec2.DescribeVpcsInput{VpcIds: []string{id}}, r.n.opts.Timeout), "wait for VPC %s", id)
}

func (r *run) setVPCAttribute(ctx context.Context, name types.VpcAttributeName) error {
	id := r.ids[compVPC]
	in := &ec2.ModifyVpcAttributeInput{VpcId: aws.String(id)}
	on := &types.AttributeBooleanValue{Value: aws.Bool(true)}
	if name == types.VpcAttributeNameEnableDnsHostnames {
		in.EnableDnsHostnames = on
	} else {
		in.EnableDnsSupport = on
	}
	_, err := r.api.ModifyVpcAttribute(ctx, in)
	return wrap(err, "turn on %s of %s", name, id)
}

func conflict(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrConflict, fmt.Sprintf(format, args...))
}

// single returns the one resource of a component, nil when there is none,
// and a conflict when there are several.
func single[T any](m map[string][]T, stack, component string, id func(T) *string) (*T, error) {
	switch items := m[component]; len(items) {
	case 0:
		return nil, nil
	case 1:
		return &items[0], nil
	default:
		return nil, conflict("stack %q has %d resources tagged %s (%s): delete all but one",
			stack, len(items), component, joinIDs(ids(items, id)))
	}
}
