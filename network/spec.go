package network

import (
	"errors"
	"fmt"
	"net/netip"
	"regexp"
	"slices"
)

// Topology is the shape of the VPC.
type Topology int

const (
	// PublicOnly (the default): public subnets, an internet gateway, a route
	// table sending 0.0.0.0/0 to it, public IPv4 addresses on launch. No NAT.
	PublicOnly Topology = iota
	// PrivateWithNAT adds private subnets and exactly one NAT gateway (in the
	// first public subnet, with its own Elastic IP) that they route through.
	// About 33 USD a month more: see Plan's estimate.
	PrivateWithNAT
)

func (t Topology) String() string {
	switch t {
	case PublicOnly:
		return "PublicOnly"
	case PrivateWithNAT:
		return "PrivateWithNAT"
	}
	return fmt.Sprintf("Topology(%d)", int(t))
}

// Defaults of a Spec's zero fields, and the limits Validate enforces.
const (
	DefaultCIDR = "10.0.0.0/16"
	DefaultAZs  = 2
	// MaxAZs is the most zones a Spec may ask for; each half of the VPC has
	// room for this many subnets. No region has more.
	MaxAZs = 8
	// MaxIngressRules is the default quota of inbound rules per security
	// group; Validate refuses a Spec needing more.
	MaxIngressRules = 60
	sshPort         = 22
)

var (
	defaultPorts        = []int32{80, 443}
	defaultIngressCIDRs = []string{"0.0.0.0/0"}
	stackName           = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9-]{0,31}$`)
)

// Spec is the network a stack wants. Zero fields mean the documented
// defaults.
type Spec struct {
	// Stack names the stack; it is the value of the mangaalert:stack tag and
	// the prefix of every Name tag. Required: letters, digits and hyphens, up
	// to 32 characters.
	Stack string
	// CIDR is the VPC's IPv4 block, a /16 to a /24 (the package doc says how
	// subnets are carved from it). Default 10.0.0.0/16.
	CIDR string
	// AZs is how many availability zones get a subnet of each kind, 1 to
	// MaxAZs and no more than the region has. Default 2.
	AZs int
	// Topology: PublicOnly (default) or PrivateWithNAT.
	Topology Topology

	// Ports are the TCP ports the host security group admits from
	// IngressCIDRs. Default 80 and 443. Port 22 is refused here: SSH is
	// opened only through SSHCIDRs.
	Ports []int32
	// IngressCIDRs are the IPv4 blocks Ports are open to. Default 0.0.0.0/0.
	// IPv6 blocks are refused: the VPC has no IPv6 block.
	IngressCIDRs []string
	// SSHCIDRs, when not empty, open TCP 22 to these IPv4 blocks. Empty (the
	// default) means no SSH at all.
	SSHCIDRs []string
	// LoadBalancer adds the load balancer's security group (sg/alb),
	// open on Ports to IngressCIDRs, and closes the host's group to
	// everything but it, on the dynamic host ports (SSHCIDRs still apply).
	LoadBalancer bool

	// For tasks with their own network interface (issue 16: the awsvpc
	// network mode, Fargate). Both zero: nothing changes.
	//
	// JobsGroup adds the scheduled jobs' security group (sg/jobs): no
	// inbound rule, everything out.
	JobsGroup bool
	// TaskPorts, with LoadBalancer, open these container ports from the
	// load balancer's group on the host's group, which the service's
	// awsvpc tasks carry: the target group then reaches each task's own
	// address on its container port.
	TaskPorts []int32
}

// WithDefaults returns s with its zero fields set to their defaults, and its
// ports and blocks sorted without duplicates.
func (s Spec) WithDefaults() Spec {
	if s.CIDR == "" {
		s.CIDR = DefaultCIDR
	}
	if s.AZs == 0 {
		s.AZs = DefaultAZs
	}
	if len(s.Ports) == 0 {
		s.Ports = defaultPorts
	}
	if len(s.IngressCIDRs) == 0 {
		s.IngressCIDRs = defaultIngressCIDRs
	}
	s.Ports = sortedUnique(s.Ports)
	s.IngressCIDRs = sortedUnique(s.IngressCIDRs)
	s.SSHCIDRs = sortedUnique(s.SSHCIDRs)
	s.TaskPorts = sortedUnique(s.TaskPorts)
	return s
}

func sortedUnique[T int32 | string](in []T) []T {
	if in == nil {
		return nil
	}
	out := slices.Clone(in)
	slices.Sort(out)
	return slices.Compact(out)
}

// Validate checks s (after defaults) without calling AWS. Its error joins
// one *SpecError per problem; each matches ErrInvalidSpec. The region's
// number of zones is checked later, by Plan and Ensure, before any write.
func (s Spec) Validate() error {
	s = s.WithDefaults()
	var errs []error
	bad := func(field, value, problem, fix string) {
		errs = append(errs, &SpecError{Field: field, Value: value, Problem: problem, Fix: fix})
	}

	switch {
	case s.Stack == "":
		bad("Stack", "", "is empty", "name the stack: letters, digits and hyphens, up to 32 characters")
	case !stackName.MatchString(s.Stack):
		bad("Stack", s.Stack, "is not a valid stack name", "use letters, digits and hyphens, up to 32 characters, starting with a letter or digit")
	}

	if vpc, err := parseBlock(s.CIDR); err != nil {
		bad("CIDR", s.CIDR, err.Error(), "give an IPv4 block such as "+DefaultCIDR)
	} else {
		switch b := vpc.Bits(); {
		case b < 16:
			bad("CIDR", s.CIDR, "is larger than /16, the largest VPC block AWS allows", fmt.Sprintf("use a /16, e.g. %s/16", vpc.Addr()))
		case b > 28:
			bad("CIDR", s.CIDR, "is smaller than /28, the smallest VPC block AWS allows", "use a /16 to /24 block")
		case b > 24:
			bad("CIDR", s.CIDR, fmt.Sprintf("is too small for the subnets: the VPC is carved into 16 equal subnets "+
				"(%d public and %d private slots) of at least /28, the smallest subnet AWS allows, so it must be /24 or larger", MaxAZs, MaxAZs),
				fmt.Sprintf("use a /24 or larger block, e.g. %s", netip.PrefixFrom(vpc.Addr(), 24).Masked()))
		}
	}

	switch {
	case s.AZs < 0:
		bad("AZs", fmt.Sprint(s.AZs), "is negative", fmt.Sprintf("use 1 to %d, or 0 for the default %d", MaxAZs, DefaultAZs))
	case s.AZs > MaxAZs:
		bad("AZs", fmt.Sprint(s.AZs), fmt.Sprintf("is more than %d, the most this package lays out", MaxAZs), fmt.Sprintf("use 1 to %d", MaxAZs))
	}

	if s.Topology != PublicOnly && s.Topology != PrivateWithNAT {
		bad("Topology", s.Topology.String(), "is not a known topology", "use network.PublicOnly or network.PrivateWithNAT")
	}

	for _, p := range s.Ports {
		switch {
		case p < 1 || p > 65535:
			bad("Ports", fmt.Sprint(p), "is not a TCP port", "use ports 1 to 65535")
		case p == sshPort:
			bad("Ports", fmt.Sprint(p), "is SSH, which is never opened through Ports", "remove 22 from Ports and give the blocks allowed to SSH in SSHCIDRs")
		}
	}
	for field, blocks := range map[string][]string{"IngressCIDRs": s.IngressCIDRs, "SSHCIDRs": s.SSHCIDRs} {
		for _, c := range blocks {
			if _, err := parseBlock(c); err != nil {
				bad(field, c, err.Error(), "give IPv4 blocks such as 203.0.113.0/24 or 0.0.0.0/0")
			}
		}
	}
	if n := len(s.Ports)*len(s.IngressCIDRs) + len(s.SSHCIDRs); n > MaxIngressRules {
		bad("Ports", fmt.Sprint(s.Ports), fmt.Sprintf("with %d IngressCIDRs and %d SSHCIDRs need %d inbound rules, more than the %d a security group allows by default",
			len(s.IngressCIDRs), len(s.SSHCIDRs), n, MaxIngressRules), "open fewer ports or merge the blocks into wider ones")
	}
	// Keep the report in field order whatever the map iteration did.
	slices.SortStableFunc(errs, func(a, b error) int {
		return fieldOrder[a.(*SpecError).Field] - fieldOrder[b.(*SpecError).Field]
	})
	return errors.Join(errs...)
}

var fieldOrder = map[string]int{"Stack": 0, "CIDR": 1, "AZs": 2, "Topology": 3, "Ports": 4, "IngressCIDRs": 5, "SSHCIDRs": 6}

// parseBlock parses an IPv4 block in canonical form (no host bits set).
func parseBlock(s string) (netip.Prefix, error) {
	p, err := netip.ParsePrefix(s)
	switch {
	case err != nil:
		return p, errors.New("is not a block in CIDR notation (address/length)")
	case !p.Addr().Is4():
		return p, errors.New("is IPv6: the VPC has no IPv6 block, only IPv4 is supported")
	case p != p.Masked():
		return p, fmt.Errorf("has host bits set: the block is %s", p.Masked())
	case p.Bits() > 0 && (p.Addr().IsLoopback() || p.Addr().IsMulticast() || p.Addr().IsLinkLocalUnicast() ||
		p.Addr().IsUnspecified()):
		return p, errors.New("is a reserved range (loopback, link-local, multicast or 0.0.0.0/8)")
	}
	return p, nil
}

// subnetBits is the prefix length of every subnet of a VPC block: a /24, or
// a sixteenth of the VPC when that is smaller.
func subnetBits(vpc netip.Prefix) int { return max(24, vpc.Bits()+4) }

// subnetCIDR is the block of the i-th public or private subnet. Public
// subnets come from the VPC's first half, private from the second, so
// neither the topology nor the zone count ever moves a subnet.
func subnetCIDR(vpc netip.Prefix, private bool, i int) netip.Prefix {
	sb := subnetBits(vpc)
	perHalf := 1 << (sb - vpc.Bits() - 1)
	slot := i
	if private {
		slot += perHalf
	}
	base := vpc.Masked().Addr().As4()
	n := uint32(base[0])<<24 | uint32(base[1])<<16 | uint32(base[2])<<8 | uint32(base[3])
	n += uint32(slot) << (32 - sb)
	return netip.PrefixFrom(netip.AddrFrom4([4]byte{byte(n >> 24), byte(n >> 16), byte(n >> 8), byte(n)}), sb)
}

// Layout returns the subnet blocks s carves: public and private (the latter
// only for PrivateWithNAT), one per zone. It assumes a valid Spec.
func (s Spec) Layout() (public, private []string) {
	s = s.WithDefaults()
	vpc, err := parseBlock(s.CIDR)
	if err != nil {
		return nil, nil
	}
	for i := range s.AZs {
		public = append(public, subnetCIDR(vpc, false, i).String())
		if s.Topology == PrivateWithNAT {
			private = append(private, subnetCIDR(vpc, true, i).String())
		}
	}
	return public, private
}
