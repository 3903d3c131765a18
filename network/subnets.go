package network

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
)

// subnetItems decides the public or private subnet of each wanted zone:
// created in its zone with its block, or its public-IP-on-launch setting
// fixed. A subnet's block cannot change.
func (r *run) subnetItems(private bool) ([]*item, error) {
	var items []*item
	for i := range r.spec.AZs {
		comp := compSubnet(private, i)
		s, err := single(r.subnets, r.spec.Stack, comp, func(s types.Subnet) *string { return s.SubnetId })
		if err != nil {
			return nil, err
		}
		want := subnetCIDR(r.block, private, i).String()
		mapPublic := !private
		if s != nil {
			r.ids[comp] = aws.ToString(s.SubnetId)
		}
		it := newItem(kindSubnet, comp, r.ids[comp])
		switch {
		case s == nil:
			it.Details = []string{want + " in " + r.zones[i]}
			it.then(r.createSubnet(comp, want, r.zones[i]))
			if mapPublic {
				it.Details = append(it.Details, "public IPv4 on launch")
				it.then(r.setMapPublic(comp, mapPublic))
			}
		case aws.ToString(s.CidrBlock) != want:
			return nil, conflict("subnet %s (%s) of stack %q has block %s where the layout wants %s: a subnet's block cannot change; "+
				"set Spec.CIDR back to the one the stack was made with, or Delete the stack first", it.ID, comp, r.spec.Stack, aws.ToString(s.CidrBlock), want)
		case aws.ToBool(s.MapPublicIpOnLaunch) != mapPublic:
			it.note(fmt.Sprintf("public IPv4 on launch %t -> %t", !mapPublic, mapPublic))
			it.then(r.setMapPublic(comp, mapPublic))
		}
		items = append(items, it)
	}
	return items, nil
}

func (r *run) createSubnet(comp, block, zone string) func(context.Context) error {
	return func(ctx context.Context) error {
		out, err := r.api.CreateSubnet(ctx, &ec2.CreateSubnetInput{
			VpcId: aws.String(r.ids[compVPC]), CidrBlock: aws.String(block), AvailabilityZone: aws.String(zone),
			TagSpecifications: tagSpec(r.spec.Stack, comp, types.ResourceTypeSubnet),
		})
		if err != nil {
			return wrap(err, "create subnet %s (%s in %s)", comp, block, zone)
		}
		r.ids[comp] = aws.ToString(out.Subnet.SubnetId)
		return nil
	}
}

func (r *run) setMapPublic(comp string, on bool) func(context.Context) error {
	return func(ctx context.Context) error {
		id := r.ids[comp]
		_, err := r.api.ModifySubnetAttribute(ctx, &ec2.ModifySubnetAttributeInput{
			SubnetId: aws.String(id), MapPublicIpOnLaunch: &types.AttributeBooleanValue{Value: aws.Bool(on)}})
		return wrap(err, "set public IPv4 on launch of %s %s", comp, id)
	}
}

// assignZones gives subnet index i (public and private alike) the zone its
// existing subnets are in, and new indexes the first zones in name order
// that no other index uses, so the subnets stay in distinct zones whatever
// was made before.
func (r *run) assignZones(region []string) []string {
	out := make([]string, r.spec.AZs)
	used := map[string]bool{}
	for i := range out {
		for _, private := range []bool{false, true} {
			if s := r.subnets[compSubnet(private, i)]; len(s) > 0 && out[i] == "" {
				out[i] = aws.ToString(s[0].AvailabilityZone)
				used[out[i]] = true
			}
		}
	}
	for i := range out {
		for _, z := range region {
			if out[i] == "" && !used[z] {
				out[i] = z
				used[z] = true
			}
		}
		if out[i] == "" { // more subnets than free zones: only if some share a zone already
			out[i] = region[i%len(region)]
		}
	}
	return out
}
