package network

import (
	"context"
	"slices"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
)

// compALBSG is the load balancer's security group, made with
// Spec.LoadBalancer.
const compALBSG = "sg/alb"

// Dynamic host ports: the range ECS gives bridge-mode containers with
// host port 0 (the kernel's ephemeral range on Amazon Linux 2023, within
// what the ECS documentation tells to open).
const (
	DynamicPortFrom = 32768
	DynamicPortTo   = 65535
)

// hostIngress is the host group's inbound rules: Spec.Ports from
// IngressCIDRs, or with a load balancer the dynamic host ports from its
// group only (plus SSH either way). The group's peer is the component
// name until the group exists; authorizeIngress puts its ID in.
func (r *run) hostIngress() []rule {
	if !r.spec.LoadBalancer {
		return desiredIngress(r.spec)
	}
	peer := r.ids[compALBSG]
	if peer == "" {
		peer = compALBSG
	}
	rs := []rule{{proto: "tcp", from: DynamicPortFrom, to: DynamicPortTo, kind: "group", peer: peer, desc: "load balancer to the tasks' dynamic ports"}}
	if len(r.spec.TaskPorts) > 0 { // awsvpc tasks: their own ports, no dynamic host port
		rs = r.taskPortRules(peer)
	}
	for _, c := range r.spec.SSHCIDRs {
		rs = append(rs, rule{proto: "tcp", from: sshPort, to: sshPort, kind: "cidr", peer: c, desc: "ssh"})
	}
	return rs
}

// resolve puts the load balancer group's ID, known once it is created,
// in the rules naming it by component.
func (r *run) resolve(rs []rule) []rule {
	out := make([]rule, len(rs))
	for i, x := range rs {
		if x.kind == "group" && x.peer == compALBSG {
			x.peer = r.ids[compALBSG]
		}
		out[i] = x
	}
	return out
}

// albIngress is the load balancer group's inbound rules: what the host's
// would be without it.
func (r *run) albIngress() []rule {
	var rs []rule
	for _, p := range r.spec.Ports {
		for _, c := range r.spec.IngressCIDRs {
			rs = append(rs, rule{proto: "tcp", from: p, to: p, kind: "cidr", peer: c, desc: portName(p)})
		}
	}
	return rs
}

// albGroup decides the load balancer's security group when the Spec wants
// one: created, its inbound rules brought to Ports from IngressCIDRs (its
// outbound rule is AWS's default, everything). It comes before the host's
// group, whose rule names it.
func (r *run) albGroup() ([]*item, error) {
	g, err := single(r.groups, r.spec.Stack, compALBSG, func(g types.SecurityGroup) *string { return g.GroupId })
	if err != nil || !r.spec.LoadBalancer {
		if g != nil {
			r.ids[compALBSG] = aws.ToString(g.GroupId) // the host's rule naming it is revoked first
		}
		return nil, err
	}
	var haveIn []rule
	if g != nil {
		r.ids[compALBSG] = aws.ToString(g.GroupId)
		haveIn = rulesOf(g.IpPermissions)
	}
	it := newItem(kindSG, compALBSG, r.ids[compALBSG])
	if g == nil {
		it.then(r.createALBGroup)
	}
	add, del := diffRules(r.albIngress(), haveIn)
	for _, x := range add {
		it.note("allow " + x.describe(true))
	}
	for _, x := range del {
		it.note("revoke " + x.describe(true))
	}
	if len(add) > 0 {
		it.then(func(ctx context.Context) error {
			_, err := r.api.AuthorizeSecurityGroupIngress(ctx, &ec2.AuthorizeSecurityGroupIngressInput{GroupId: aws.String(r.ids[compALBSG]), IpPermissions: permsOf(add)})
			return wrap(err, "allow %d inbound rules in %s", len(add), r.ids[compALBSG])
		})
	}
	if len(del) > 0 {
		it.then(func(ctx context.Context) error {
			_, err := r.api.RevokeSecurityGroupIngress(ctx, &ec2.RevokeSecurityGroupIngressInput{GroupId: aws.String(r.ids[compALBSG]), IpPermissions: permsOf(del)})
			return wrap(err, "revoke %d inbound rules of %s", len(del), r.ids[compALBSG])
		})
	}
	return []*item{it}, nil
}

func (r *run) createALBGroup(ctx context.Context) error {
	name := r.spec.Stack + "-alb"
	out, err := r.api.CreateSecurityGroup(ctx, &ec2.CreateSecurityGroupInput{
		GroupName: aws.String(name), VpcId: aws.String(r.ids[compVPC]),
		Description:       aws.String("Load balancer of stack " + r.spec.Stack + ": web ports in, to the hosts"),
		TagSpecifications: tagSpec(r.spec.Stack, compALBSG, types.ResourceTypeSecurityGroup),
	})
	if err != nil {
		return wrap(err, "create security group %s", name)
	}
	r.ids[compALBSG] = aws.ToString(out.GroupId)
	return nil
}

// albGroupRemoval deletes the load balancer's group once the Spec no
// longer wants one, after the host's group stopped naming it (the load
// balancer itself must be gone: the stack deletes it first).
func (r *run) albGroupRemoval() ([]*item, error) {
	if r.spec.LoadBalancer {
		return nil, nil
	}
	var items []*item
	for _, g := range r.groups[compALBSG] {
		id := aws.ToString(g.GroupId)
		items = append(items, removal(kindSG, compALBSG, id, func(ctx context.Context) error { return r.n.deleteGroup(ctx, id) }))
	}
	return items, nil
}

// hostGroupFirst orders groups for deletion: the host's names the load
// balancer's in a rule, which keeps that one from being deleted first.
func hostGroupFirst(gs []types.SecurityGroup, stack string) []types.SecurityGroup {
	out := slices.Clone(gs)
	slices.SortStableFunc(out, func(a, b types.SecurityGroup) int {
		return boolInt(componentOf(b.Tags, stack) == compHostSG) - boolInt(componentOf(a.Tags, stack) == compHostSG)
	})
	return out
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
