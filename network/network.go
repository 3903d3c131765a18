package network

import (
	"log/slog"
	"time"

	"github.com/manga-alert-italia/mangaalert/internal/poll"
)

// Network plans, ensures and deletes the network of a stack. Its exported
// fields are the options; zero values mean the documented defaults. It is
// safe for concurrent use once built, as long as two calls do not work on
// the same stack at once.
type Network struct {
	// Logger receives Debug records of every write. Default
	// slog.Default().WithGroup("network").
	Logger *slog.Logger
	// Delays bound the pause between two checks while waiting for AWS (NAT
	// gateway available or deleted, dependencies clearing). Default 1 s to
	// 15 s; tests pass milliseconds.
	Delays poll.Delays
	// Timeout bounds one wait. Default 10 minutes: a NAT gateway usually
	// takes one or two to become available or to go away.
	Timeout time.Duration
	// Offline makes Plan work without calling AWS and Ensure and Delete
	// fail with ErrOffline. New(nil) sets it.
	Offline bool
	// NATGBPerMonth is the traffic through the NAT gateway the cost
	// estimate assumes. Default DefaultNATGBPerMonth.
	NATGBPerMonth float64

	client API
}

// Option sets a Network's option.
type Option func(*Network)

// WithLogger sets the logger.
func WithLogger(l *slog.Logger) Option { return func(n *Network) { n.Logger = l } }

// WithDelays sets the pause between two checks while waiting.
func WithDelays(minDelay, maxDelay time.Duration) Option {
	return func(n *Network) { n.Delays = poll.Delays{Min: minDelay, Max: maxDelay} }
}

// WithTimeout bounds each wait.
func WithTimeout(d time.Duration) Option { return func(n *Network) { n.Timeout = d } }

// WithNATTraffic sets the monthly GB through the NAT the estimate assumes.
func WithNATTraffic(gbPerMonth float64) Option {
	return func(n *Network) { n.NATGBPerMonth = gbPerMonth }
}

// Offline makes a Network that never calls AWS: Plan works from the Spec
// alone, Ensure and Delete return ErrOffline.
func Offline() Option { return func(n *Network) { n.Offline = true } }

// New returns a Network working through client. A nil client means Offline.
func New(client API, opts ...Option) *Network {
	n := &Network{client: client}
	for _, o := range opts {
		o(n)
	}
	if client == nil {
		n.Offline = true
	}
	if n.Logger == nil {
		n.Logger = slog.Default().WithGroup("network")
	}
	if n.Delays.Min <= 0 {
		n.Delays.Min = time.Second
	}
	if n.Delays.Max < n.Delays.Min {
		n.Delays.Max = max(15*time.Second, n.Delays.Min)
	}
	if n.Timeout <= 0 {
		n.Timeout = 10 * time.Minute
	}
	if n.NATGBPerMonth <= 0 {
		n.NATGBPerMonth = DefaultNATGBPerMonth
	}
	return n
}

// State is what Ensure observed once the network matched the Spec: plain
// values for the next steps (ecshost takes subnet and security group IDs).
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
	// NAT is true when the private subnets route 0.0.0.0/0 through the NAT
	// gateway below: awsvpc tasks on EC2 must be placed in them.
	NAT             bool
	NATGatewayID    string
	NATPublicIP     string // the NAT's Elastic IP: allow it where the tasks' traffic arrives
	NATAllocationID string
}
