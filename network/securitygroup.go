package network

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
)

// hostGroup decides the host's security group: created, then its rules
// brought to the Spec's inbound rules and the one open outbound rule.
// Rules are added before others are revoked, so a changed rule never
// leaves a gap.
func (r *run) hostGroup() ([]*item, error) {
	g, err := single(r.groups, r.spec.Stack, compHostSG, func(g types.SecurityGroup) *string { return g.GroupId })
	if err != nil {
		return nil, err
	}
	var haveIn, haveOut []rule
	if g != nil {
		r.ids[compHostSG] = aws.ToString(g.GroupId)
		haveIn, haveOut = rulesOf(g.IpPermissions), rulesOf(g.IpPermissionsEgress)
	} else {
		haveOut = openEgress // AWS gives every new group this rule
	}
	it := newItem(kindSG, compHostSG, r.ids[compHostSG])
	if g == nil {
		it.then(r.createHostGroup)
	}
	addIn, delIn := diffRules(r.hostIngress(), haveIn)
	addOut, delOut := diffRules(openEgress, haveOut)
	for _, c := range []struct {
		verb    string
		rules   []rule
		inbound bool
		call    func(context.Context, []rule) error
	}{
		{"allow", addIn, true, r.authorizeIngress},
		{"allow", addOut, false, r.authorizeEgress},
		{"revoke", delIn, true, r.revokeIngress},
		{"revoke", delOut, false, r.revokeEgress},
	} {
		if len(c.rules) == 0 {
			continue
		}
		for _, x := range c.rules {
			it.note(c.verb + " " + x.describe(c.inbound))
		}
		it.then(func(ctx context.Context) error { return c.call(ctx, c.rules) })
	}
	return []*item{it}, nil
}

func (r *run) createHostGroup(ctx context.Context) error {
	name := r.spec.Stack + "-host"
	out, err := r.api.CreateSecurityGroup(ctx, &ec2.CreateSecurityGroupInput{
		GroupName: aws.String(name), VpcId: aws.String(r.ids[compVPC]),
		Description:       aws.String("ECS host of stack " + r.spec.Stack + ": backend ports in, everything out"),
		TagSpecifications: tagSpec(r.spec.Stack, compHostSG, types.ResourceTypeSecurityGroup),
	})
	if err != nil {
		return wrap(err, "create security group %s", name)
	}
	r.ids[compHostSG] = aws.ToString(out.GroupId)
	return nil
}

func (r *run) authorizeIngress(ctx context.Context, rs []rule) error {
	id := r.ids[compHostSG]
	rs = r.resolve(rs)
	_, err := r.api.AuthorizeSecurityGroupIngress(ctx, &ec2.AuthorizeSecurityGroupIngressInput{GroupId: aws.String(id), IpPermissions: permsOf(rs)})
	return wrap(err, "allow %d inbound rules in %s", len(rs), id)
}

func (r *run) authorizeEgress(ctx context.Context, rs []rule) error {
	id := r.ids[compHostSG]
	_, err := r.api.AuthorizeSecurityGroupEgress(ctx, &ec2.AuthorizeSecurityGroupEgressInput{GroupId: aws.String(id), IpPermissions: permsOf(rs)})
	return wrap(err, "allow outbound traffic in %s", id)
}

func (r *run) revokeIngress(ctx context.Context, rs []rule) error {
	id := r.ids[compHostSG]
	_, err := r.api.RevokeSecurityGroupIngress(ctx, &ec2.RevokeSecurityGroupIngressInput{GroupId: aws.String(id), IpPermissions: permsOf(rs)})
	return wrap(err, "revoke %d inbound rules of %s", len(rs), id)
}

func (r *run) revokeEgress(ctx context.Context, rs []rule) error {
	id := r.ids[compHostSG]
	_, err := r.api.RevokeSecurityGroupEgress(ctx, &ec2.RevokeSecurityGroupEgressInput{GroupId: aws.String(id), IpPermissions: permsOf(rs)})
	return wrap(err, "revoke %d outbound rules of %s", len(rs), id)
}
