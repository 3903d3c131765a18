package network

import (
	"fmt"
	"slices"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
)

// rule is one security group rule with one source (or destination), the
// unit in which rules are compared, added and revoked. Descriptions are not
// compared.
type rule struct {
	proto    string // "tcp", "udp", "-1" (all)
	from, to int32  // 0 for "-1"
	kind     string // "cidr", "cidr6", "prefix", "group"
	peer     string
	desc     string
}

func (r rule) key() string {
	return fmt.Sprintf("%s/%d/%d/%s/%s", r.proto, r.from, r.to, r.kind, r.peer)
}

// describe says "inbound tcp 443 from 0.0.0.0/0" or "outbound all traffic
// to 0.0.0.0/0".
func (r rule) describe(inbound bool) string {
	what := fmt.Sprintf("%s %d", r.proto, r.from)
	switch {
	case r.proto == "-1":
		what = "all traffic"
	case r.from != r.to:
		what = fmt.Sprintf("%s %d-%d", r.proto, r.from, r.to)
	}
	if inbound {
		return "inbound " + what + " from " + r.peer
	}
	return "outbound " + what + " to " + r.peer
}

// desiredIngress is the host group's inbound rules for spec (with defaults).
func desiredIngress(spec Spec) []rule {
	var rs []rule
	for _, p := range spec.Ports {
		for _, c := range spec.IngressCIDRs {
			rs = append(rs, rule{proto: "tcp", from: p, to: p, kind: "cidr", peer: c, desc: portName(p)})
		}
	}
	for _, c := range spec.SSHCIDRs {
		rs = append(rs, rule{proto: "tcp", from: sshPort, to: sshPort, kind: "cidr", peer: c, desc: "ssh"})
	}
	return rs
}

// openEgress is the one outbound rule of the host group: everything, to
// anywhere over IPv4, which AWS also gives every new group.
var openEgress = []rule{{proto: "-1", kind: "cidr", peer: "0.0.0.0/0"}}

func portName(p int32) string {
	switch p {
	case 80:
		return "http"
	case 443:
		return "https"
	}
	return fmt.Sprintf("tcp %d", p)
}

// rulesOf flattens AWS permissions into rules.
func rulesOf(perms []types.IpPermission) []rule {
	var rs []rule
	for _, p := range perms {
		base := rule{proto: aws.ToString(p.IpProtocol), from: aws.ToInt32(p.FromPort), to: aws.ToInt32(p.ToPort)}
		if base.proto == "-1" {
			base.from, base.to = 0, 0
		}
		add := func(kind, peer string) {
			r := base
			r.kind, r.peer = kind, peer
			rs = append(rs, r)
		}
		for _, x := range p.IpRanges {
			add("cidr", aws.ToString(x.CidrIp))
		}
		for _, x := range p.Ipv6Ranges {
			add("cidr6", aws.ToString(x.CidrIpv6))
		}
		for _, x := range p.PrefixListIds {
			add("prefix", aws.ToString(x.PrefixListId))
		}
		for _, x := range p.UserIdGroupPairs {
			add("group", aws.ToString(x.GroupId))
		}
	}
	return rs
}

// permsOf turns rules back into AWS permissions, one per rule.
func permsOf(rs []rule) []types.IpPermission {
	var perms []types.IpPermission
	for _, r := range rs {
		p := types.IpPermission{IpProtocol: aws.String(r.proto)}
		if r.proto != "-1" {
			p.FromPort, p.ToPort = aws.Int32(r.from), aws.Int32(r.to)
		}
		var desc *string
		if r.desc != "" {
			desc = aws.String(r.desc)
		}
		switch r.kind {
		case "cidr":
			p.IpRanges = []types.IpRange{{CidrIp: aws.String(r.peer), Description: desc}}
		case "cidr6":
			p.Ipv6Ranges = []types.Ipv6Range{{CidrIpv6: aws.String(r.peer)}}
		case "prefix":
			p.PrefixListIds = []types.PrefixListId{{PrefixListId: aws.String(r.peer)}}
		case "group":
			p.UserIdGroupPairs = []types.UserIdGroupPair{{GroupId: aws.String(r.peer)}}
		}
		perms = append(perms, p)
	}
	return perms
}

// diffRules returns the rules of want missing from have, and those of have
// not in want, in the order of want and have.
func diffRules(want, have []rule) (add, remove []rule) {
	in := func(rs []rule, r rule) bool {
		return slices.ContainsFunc(rs, func(x rule) bool { return x.key() == r.key() })
	}
	for _, r := range want {
		if !in(have, r) && !in(add, r) {
			add = append(add, r)
		}
	}
	for _, r := range have {
		if !in(want, r) && !in(remove, r) {
			remove = append(remove, r)
		}
	}
	return add, remove
}
