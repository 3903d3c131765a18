package network

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
)

// gateway decides the internet gateway: created and attached to the VPC,
// or attached again when found detached.
func (r *run) gateway() ([]*item, error) {
	igw, err := single(r.igws, r.spec.Stack, compIGW, func(g types.InternetGateway) *string { return g.InternetGatewayId })
	if err != nil {
		return nil, err
	}
	attached := false
	if igw != nil {
		id := aws.ToString(igw.InternetGatewayId)
		r.ids[compIGW] = id
		for _, a := range igw.Attachments {
			if a.State == types.AttachmentStatusDetached || a.State == types.AttachmentStatusDetaching {
				continue
			}
			if r.ids[compVPC] == "" || aws.ToString(a.VpcId) != r.ids[compVPC] {
				return nil, conflict("internet gateway %s of stack %q is attached to %s, not to the stack's VPC: detach it",
					id, r.spec.Stack, aws.ToString(a.VpcId))
			}
			attached = true
		}
	}
	it := newItem(kindIGW, compIGW, r.ids[compIGW])
	switch {
	case igw == nil:
		it.Details = []string{"attach to the VPC"}
		it.then(r.createGateway)
	case !attached:
		it.note("detached -> attach to the VPC")
	}
	if !attached {
		it.then(r.attachGateway)
	}
	return []*item{it}, nil
}

func (r *run) createGateway(ctx context.Context) error {
	out, err := r.api.CreateInternetGateway(ctx, &ec2.CreateInternetGatewayInput{
		TagSpecifications: tagSpec(r.spec.Stack, compIGW, types.ResourceTypeInternetGateway),
	})
	if err != nil {
		return wrap(err, "create internet gateway")
	}
	r.ids[compIGW] = aws.ToString(out.InternetGateway.InternetGatewayId)
	return nil
}

func (r *run) attachGateway(ctx context.Context) error {
	igw, vpc := r.ids[compIGW], r.ids[compVPC]
	_, err := r.api.AttachInternetGateway(ctx, &ec2.AttachInternetGatewayInput{InternetGatewayId: aws.String(igw), VpcId: aws.String(vpc)})
	return wrap(err, "attach internet gateway %s to %s", igw, vpc)
}
