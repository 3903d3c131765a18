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
	"github.com/manga-alert-italia/mangaalert/internal/engine"
	"github.com/manga-alert-italia/mangaalert/resource"
)

// newAllocation stands in for the ID of an address not allocated yet.
const newAllocation = "<new allocation>"

// elasticIPSteps allocates the stack's address once; the instance
// associates it at boot (user data), so a replaced instance takes it over
// with no call from here. With the option off, an address of ours is
// released.
func (r *run) elasticIPSteps(ctx context.Context) ([]engine.Step, error) {
	var addrs []ec2types.Address
	if !r.offline {
		var err error
		if addrs, err = r.h.ourAddresses(ctx, r.n); err != nil {
			return nil, err
		}
	}
	if !r.spec.ElasticIP {
		var steps []engine.Step
		for _, a := range addrs {
			steps = append(steps, remove(kindElasticIP, aws.ToString(a.PublicIp), aws.ToString(a.AllocationId), "ElasticIP is off: release it",
				func(ctx context.Context) error { return r.h.releaseAddress(ctx, a) }))
		}
		return steps, nil
	}
	switch len(addrs) {
	case 0:
		return []engine.Step{create(kindElasticIP, r.n.stack+" host address", []string{"associated by the instance at boot"}, r.allocate)}, nil
	case 1:
		a := addrs[0]
		r.st.ElasticIP, r.st.ElasticIPAllocationID = aws.ToString(a.PublicIp), aws.ToString(a.AllocationId)
		return []engine.Step{{Change: keepChange(kindElasticIP, r.st.ElasticIP, r.st.ElasticIPAllocationID)}}, nil
	default:
		var ids []string
		for _, a := range addrs {
			ids = append(ids, aws.ToString(a.AllocationId))
		}
		return nil, fmt.Errorf("stack %q has %d elastic IPs (%s); release all but the one to keep, then retry",
			r.n.stack, len(addrs), strings.Join(ids, ", "))
	}
}

func (r *run) allocate(ctx context.Context) error {
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
	return nil
}

// allocationID is the address the instance takes at boot: "" without
// one, a placeholder while it is not allocated yet (before its step ran).
func (r *run) allocationID() string {
	if r.spec.ElasticIP && r.st.ElasticIPAllocationID == "" {
		return newAllocation
	}
	return r.st.ElasticIPAllocationID
}

func (h *Host) ourAddresses(ctx context.Context, n names) ([]ec2types.Address, error) {
	out, err := h.c.EC2.DescribeAddresses(ctx, &ec2.DescribeAddressesInput{Filters: []ec2types.Filter{
		{Name: aws.String("tag:" + resource.TagStack), Values: []string{n.stack}},
		{Name: aws.String("tag:" + resource.TagComponent), Values: []string{component}},
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

// addresses releases the stack's Elastic IPs.
func (d *deleter) addresses(ctx context.Context) error {
	addrs, err := d.h.ourAddresses(ctx, d.n)
	if err != nil {
		return err
	}
	for _, a := range addrs {
		if err := d.h.releaseAddress(ctx, a); err != nil {
			return err
		}
		d.deleted(kindElasticIP, aws.ToString(a.PublicIp), aws.ToString(a.AllocationId))
	}
	return nil
}

// ec2Tags converts tag maps (later maps win) into EC2 tags in key order.
func ec2Tags(maps ...map[string]string) []ec2types.Tag {
	all := mergeTags(maps...)
	var out []ec2types.Tag
	for _, k := range sortedKeys(all) {
		out = append(out, ec2types.Tag{Key: aws.String(k), Value: aws.String(all[k])})
	}
	return out
}

func ec2TagMap(tags []ec2types.Tag) map[string]string {
	m := map[string]string{}
	for _, t := range tags {
		m[aws.ToString(t.Key)] = aws.ToString(t.Value)
	}
	return m
}
