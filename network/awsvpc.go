package network

// What the network adds for tasks with their own network interface (the
// awsvpc network mode, and Fargate): the jobs' security group, with no
// inbound rule at all, and with a load balancer the tasks' own ports
// opened to it on the host's group, whose ID the service's tasks carry.

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
)

// compJobsSG is the security group of the scheduled jobs' task
// interfaces (Spec.JobsGroup).
const compJobsSG = "sg/jobs"

// taskPortRules are the host group's extra inbound rules for awsvpc tasks
// behind the load balancer: the target group reaches each task's address
// on the container port, not a dynamic host port.
func (r *run) taskPortRules(peer string) []rule {
	var rs []rule
	for _, p := range r.spec.TaskPorts {
		rs = append(rs, rule{proto: "tcp", from: p, to: p, kind: "group", peer: peer, desc: fmt.Sprintf("load balancer to the tasks' port %d", p)})
	}
	return rs
}

// jobsGroup decides the jobs' security group: created when the Spec wants
// it, with no inbound rule (nothing connects to a job; it only calls out)
// and AWS's default outbound rule; deleted when no longer wanted. An
// inbound rule found on it (added by hand) is revoked: the group promises
// none.
func (r *run) jobsGroup() ([]*item, error) {
	g, err := single(r.groups, r.spec.Stack, compJobsSG, func(g types.SecurityGroup) *string { return g.GroupId })
	if err != nil {
		return nil, err
	}
	if !r.spec.JobsGroup {
		if g == nil {
			return nil, nil
		}
		id := aws.ToString(g.GroupId)
		return []*item{removal(kindSG, compJobsSG, id, func(ctx context.Context) error { return r.n.deleteGroup(ctx, id) })}, nil
	}
	var haveIn, haveOut []rule
	if g != nil {
		r.ids[compJobsSG] = aws.ToString(g.GroupId)
		haveIn, haveOut = rulesOf(g.IpPermissions), rulesOf(g.IpPermissionsEgress)
	} else {
		haveOut = openEgress
	}
	it := newItem(kindSG, compJobsSG, r.ids[compJobsSG])
	if g == nil {
		it.Details = []string{"no inbound rule; outbound everything (the jobs only call out)"}
		it.then(r.createJobsGroup)
	}
	_, delIn := diffRules(nil, haveIn)
	addOut, _ := diffRules(openEgress, haveOut)
	if len(delIn) > 0 {
		for _, x := range delIn {
			it.note("revoke " + x.describe(true))
		}
		it.then(func(ctx context.Context) error {
			_, err := r.api.RevokeSecurityGroupIngress(ctx, &ec2.RevokeSecurityGroupIngressInput{GroupId: aws.String(r.ids[compJobsSG]), IpPermissions: permsOf(delIn)})
			return wrap(err, "revoke %d inbound rules of %s", len(delIn), r.ids[compJobsSG])
		})
	}
	if len(addOut) > 0 {
		for _, x := range addOut {
			it.note("allow " + x.describe(false))
		}
		it.then(func(ctx context.Context) error {
			_, err := r.api.AuthorizeSecurityGroupEgress(ctx, &ec2.AuthorizeSecurityGroupEgressInput{GroupId: aws.String(r.ids[compJobsSG]), IpPermissions: permsOf(addOut)})
			return wrap(err, "allow outbound traffic in %s", r.ids[compJobsSG])
		})
	}
	return []*item{it}, nil
}

func (r *run) createJobsGroup(ctx context.Context) error {
	name := r.spec.Stack + "-jobs"
	out, err := r.api.CreateSecurityGroup(ctx, &ec2.CreateSecurityGroupInput{
		GroupName: aws.String(name), VpcId: aws.String(r.ids[compVPC]),
		Description:       aws.String("Scheduled jobs of stack " + r.spec.Stack + ": nothing in, everything out"),
		TagSpecifications: tagSpec(r.spec.Stack, compJobsSG, types.ResourceTypeSecurityGroup),
	})
	if err != nil {
		return wrap(err, "create security group %s", name)
	}
	r.ids[compJobsSG] = aws.ToString(out.GroupId)
	return nil
}

// PreflightSpec is Preflight on the network that Ensure would make of
// spec, without calling AWS: what a tool runs before its first write, so
// that a mode the network cannot carry is refused while nothing has been
// sent. Ensure's State has a NAT and private subnets exactly when spec
// asks for PrivateWithNAT.
func PreflightSpec(spec Spec, networkMode, launchType string) error {
	spec = spec.WithDefaults()
	st := &State{Stack: spec.Stack, CIDR: spec.CIDR, NAT: spec.Topology == PrivateWithNAT}
	public, private := spec.Layout()
	for i := range public {
		st.PublicSubnetIDs = append(st.PublicSubnetIDs, fmt.Sprintf("(%s)", compSubnet(false, i)))
	}
	for i := range private {
		st.PrivateSubnetIDs = append(st.PrivateSubnetIDs, fmt.Sprintf("(%s)", compSubnet(true, i)))
	}
	return Preflight(st, networkMode, launchType)
}
