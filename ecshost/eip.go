package ecshost

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/manga-alert-italia/mangaalert/internal/awserr"
)

// elasticIP allocates the stack's address once; the instance associates it
// at boot (user data), so a replaced instance takes it over with no call
// from here. With the option off, an address of ours is released.
func (r *run) elasticIP(ctx context.Context) error {
	name := r.n.stack + " host address"
	if r.offline {
		if r.spec.ElasticIP {
			r.add("elastic ip", name, Create, "associated by the instance at boot")
			r.st.ElasticIPAllocationID = "<new allocation>"
		}
		return nil
	}
	addrs, err := r.h.ourAddresses(ctx, r.n)
	if err != nil {
		return err
	}
	if !r.spec.ElasticIP {
		for _, a := range addrs {
			r.add("elastic ip", aws.ToString(a.PublicIp), Delete, "ElasticIP is off: release "+aws.ToString(a.AllocationId))
			if r.apply {
				if err := r.h.releaseAddress(ctx, a); err != nil {
					return err
				}
			}
		}
		return nil
	}
	switch len(addrs) {
	case 0:
		r.add("elastic ip", name, Create, "associated by the instance at boot")
		if !r.apply {
			r.st.ElasticIPAllocationID = "<new allocation>"
			return nil
		}
		out, err := r.h.c.EC2.AllocateAddress(ctx, &ec2.AllocateAddressInput{
			Domain: ec2types.DomainTypeVpc,
			TagSpecifications: []ec2types.TagSpecification{{
				ResourceType: ec2types.ResourceTypeElasticIp,
				Tags:         ec2Tags(r.tags(), map[string]string{"Name": r.n.stack + "-ecs-host"}),
			}},
		})
		if err != nil {
			return fmt.Errorf("allocate elastic ip: %w", err)
		}
		r.st.ElasticIP, r.st.ElasticIPAllocationID = aws.ToString(out.PublicIp), aws.ToString(out.AllocationId)
	case 1:
		a := addrs[0]
		r.add("elastic ip", aws.ToString(a.PublicIp), Keep, aws.ToString(a.AllocationId))
		r.st.ElasticIP, r.st.ElasticIPAllocationID = aws.ToString(a.PublicIp), aws.ToString(a.AllocationId)
	default:
		var ids []string
		for _, a := range addrs {
			ids = append(ids, aws.ToString(a.AllocationId))
		}
		return fmt.Errorf("stack %q has %d elastic IPs (%s); release all but the one to keep, then retry",
			r.n.stack, len(addrs), strings.Join(ids, ", "))
	}
	return nil
}

func (h *Host) ourAddresses(ctx context.Context, n names) ([]ec2types.Address, error) {
	out, err := h.c.EC2.DescribeAddresses(ctx, &ec2.DescribeAddressesInput{Filters: []ec2types.Filter{
		{Name: aws.String("tag:" + TagStack), Values: []string{n.stack}},
		{Name: aws.String("tag:" + TagComponent), Values: []string{Component}},
	}})
	if err != nil {
		return nil, fmt.Errorf("describe elastic ips: %w", err)
	}
	addrs := out.Addresses
	slices.SortFunc(addrs, func(a, b ec2types.Address) int {
		return strings.Compare(aws.ToString(a.AllocationId), aws.ToString(b.AllocationId))
	})
	return addrs, nil
}

func (h *Host) releaseAddress(ctx context.Context, a ec2types.Address) error {
	if a.AssociationId != nil {
		_, err := h.c.EC2.DisassociateAddress(ctx, &ec2.DisassociateAddressInput{AssociationId: a.AssociationId})
		if err != nil && !awserr.Is(err, "InvalidAssociationID.NotFound") {
			return fmt.Errorf("disassociate elastic ip %s: %w", aws.ToString(a.PublicIp), err)
		}
	}
	_, err := h.c.EC2.ReleaseAddress(ctx, &ec2.ReleaseAddressInput{AllocationId: a.AllocationId})
	if err != nil && !awserr.Is(err, "InvalidAllocationID.NotFound") {
		return fmt.Errorf("release elastic ip %s: %w", aws.ToString(a.PublicIp), err)
	}
	return nil
}

// ec2Tags converts tag maps (later maps win) into EC2 tags in key order.
func ec2Tags(maps ...map[string]string) []ec2types.Tag {
	all := map[string]string{}
	for _, m := range maps {
		for k, v := range m {
			all[k] = v
		}
	}
	var out []ec2types.Tag
	for _, k := range sortedKeys(all) {
		out = append(out, ec2types.Tag{Key: aws.String(k), Value: aws.String(all[k])})
	}
	return out
}
