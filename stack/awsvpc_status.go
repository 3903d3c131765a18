package stack

// Status of what issue 16 adds: the NAT gateway and its address, the
// private subnets and the jobs' security group (the Network section),
// and where each schedule starts its task.

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	schedtypes "github.com/aws/aws-sdk-go-v2/service/scheduler/types"

	"github.com/manga-alert-italia/mangaalert/resource"
)

// networkStatus reads the stack's subnets, NAT gateway and security
// groups by their tags.
func (s *Stack) networkStatus(ctx context.Context, stack string) ([]string, error) {
	ours := []ec2types.Filter{{Name: aws.String("tag:" + resource.TagStack), Values: []string{stack}}}
	subs, err := s.cl.ec2.DescribeSubnets(ctx, &ec2.DescribeSubnetsInput{Filters: ours})
	if err != nil {
		return nil, err
	}
	var public, private []string
	for _, sn := range subs.Subnets {
		c := tagValue(sn.Tags, resource.TagComponent)
		what := fmt.Sprintf("%s %s (%s)", aws.ToString(sn.SubnetId), aws.ToString(sn.CidrBlock), aws.ToString(sn.AvailabilityZone))
		switch {
		case strings.HasPrefix(c, "subnet/private/"):
			private = append(private, what)
		case strings.HasPrefix(c, "subnet/public/"):
			public = append(public, what)
		}
	}
	if len(public) == 0 && len(private) == 0 {
		return []string{"not deployed (run apply)"}, nil
	}
	slices.Sort(public)
	slices.Sort(private)
	lines := []string{"public subnets: " + strings.Join(public, ", ")}
	if len(private) > 0 {
		lines = append(lines, "private subnets: "+strings.Join(private, ", "))
	}
	nats, err := s.cl.ec2.DescribeNatGateways(ctx, &ec2.DescribeNatGatewaysInput{Filter: append(ours,
		ec2types.Filter{Name: aws.String("state"), Values: []string{"pending", "available", "deleting", "failed"}})})
	if err != nil {
		return lines, err
	}
	for _, g := range nats.NatGateways {
		var ips []string
		for _, a := range g.NatGatewayAddresses {
			ips = append(ips, aws.ToString(a.PublicIp))
		}
		lines = append(lines, fmt.Sprintf("NAT gateway %s: %s in %s, public %s", aws.ToString(g.NatGatewayId), g.State, aws.ToString(g.SubnetId), strings.Join(ips, ", ")))
	}
	groups, err := s.cl.ec2.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{Filters: ours})
	if err != nil {
		return lines, err
	}
	for _, g := range groups.SecurityGroups {
		if tagValue(g.Tags, resource.TagComponent) == "sg/jobs" {
			lines = append(lines, fmt.Sprintf("jobs' security group %s: %d inbound rules, egress open", aws.ToString(g.GroupId), len(g.IpPermissions)))
		}
	}
	return lines, nil
}

func tagValue(tags []ec2types.Tag, key string) string {
	for _, t := range tags {
		if aws.ToString(t.Key) == key {
			return aws.ToString(t.Value)
		}
	}
	return ""
}

// placementStatus says where a schedule starts its task beyond the
// default (EC2 in bridge mode, which says nothing): " on EC2 (awsvpc) in 2
// subnets", " on FARGATE_SPOT (awsvpc) in 2 subnets, public IP".
func placementStatus(e *schedtypes.EcsParameters) string {
	if e.NetworkConfiguration == nil && len(e.CapacityProviderStrategy) == 0 && (e.LaunchType == "" || e.LaunchType == schedtypes.LaunchTypeEc2) {
		return ""
	}
	on := string(e.LaunchType)
	for _, c := range e.CapacityProviderStrategy {
		on = aws.ToString(c.CapacityProvider)
	}
	out := " on " + on
	if n := e.NetworkConfiguration; n != nil && n.AwsvpcConfiguration != nil {
		out += fmt.Sprintf(" (awsvpc) in %d subnets", len(n.AwsvpcConfiguration.Subnets))
		if n.AwsvpcConfiguration.AssignPublicIp == schedtypes.AssignPublicIpEnabled {
			out += ", public IP"
		}
	}
	return out
}
