package network

import (
	"log/slog"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"

	"github.com/manga-alert-italia/mangaalert/change"
	"github.com/manga-alert-italia/mangaalert/internal/poll"
)

// Options tune a Network; the zero value of each field is its documented
// default.
type Options struct {
	// Logger receives Debug records of every write. Default
	// slog.Default().WithGroup("network").
	Logger *slog.Logger
	// MinDelay and MaxDelay bound the pause between two checks while
	// waiting for AWS (NAT gateway available or deleted, dependencies
	// clearing). Default 1 s and 15 s; tests pass milliseconds.
	MinDelay, MaxDelay time.Duration
	// Timeout bounds one wait. Default 10 minutes: a NAT gateway usually
	// takes one or two to become available or to go away.
	Timeout time.Duration
	// Offline makes Plan read nothing from AWS (every resource shows as
	// created, IDs empty, zone names placeholders, the plan's Offline set)
	// and Ensure and Delete return ErrOffline. It is the one way to plan
	// without an account; the client may then be nil.
	Offline bool
	// OnChange, when not nil, hears each change once Ensure or Delete made
	// it, with the resource's ID: progress for a caller that shows it.
	OnChange func(change.Change)
	// NATGBPerMonth is the traffic through the NAT gateway the cost
	// estimate assumes. Default DefaultNATGBPerMonth.
	NATGBPerMonth float64
}

// Network plans, ensures and deletes the network of a stack. It is safe
// for concurrent use, as long as two calls do not work on the same stack
// at once.
type Network struct {
	client API
	opts   Options
	log    *slog.Logger
	delays poll.Delays
}

// New returns a Network working through client, usually an *ec2.Client;
// optFns set its Options. With Options.Offline the client may be nil.
func New(client API, optFns ...func(*Options)) *Network {
	var o Options
	for _, fn := range optFns {
		fn(&o)
	}
	if o.Logger == nil {
		o.Logger = slog.Default().WithGroup("network")
	}
	if o.MinDelay <= 0 {
		o.MinDelay = time.Second
	}
	if o.MaxDelay < o.MinDelay {
		o.MaxDelay = max(15*time.Second, o.MinDelay)
	}
	if o.Timeout <= 0 {
		o.Timeout = 10 * time.Minute
	}
	if o.NATGBPerMonth <= 0 {
		o.NATGBPerMonth = DefaultNATGBPerMonth
	}
	return &Network{client: client, opts: o, log: o.Logger, delays: poll.Delays{Min: o.MinDelay, Max: o.MaxDelay}}
}

// NewFromConfig is New with an EC2 client made from cfg.
func NewFromConfig(cfg aws.Config, optFns ...func(*Options)) *Network {
	return New(ec2.NewFromConfig(cfg), optFns...)
}

// State is what Ensure observed once the network matched the Spec: plain
// values for the next steps (ecshost takes subnet and security group IDs),
// and what this Ensure changed.
type State struct {
	Stack string
	VPCID string
	CIDR  string
	// AZs are the zones of the public subnets, in order (and of the private
	// subnets, which follow the same zones).
	AZs                 []string
	PublicSubnetIDs     []string
	PrivateSubnetIDs    []string // empty for PublicOnly
	InternetGatewayID   string
	HostSecurityGroupID string
	// LoadBalancerSecurityGroupID is the load balancer's group
	// (Spec.LoadBalancer), the one source the hosts admit.
	LoadBalancerSecurityGroupID string
	// JobsSecurityGroupID is the jobs' group (Spec.JobsGroup): no inbound
	// rule. "" without it.
	JobsSecurityGroupID string
	// NAT is true when the private subnets route 0.0.0.0/0 through the NAT
	// gateway below: awsvpc tasks on EC2 must be placed in them.
	NAT             bool
	NATGatewayID    string
	NATPublicIP     string // the NAT's Elastic IP: allow it where the tasks' traffic arrives
	NATAllocationID string
	// Changes are what this Ensure created, fixed or deleted, in order;
	// empty when the network already matched the Spec.
	Changes []change.Change
}
