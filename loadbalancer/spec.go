package loadbalancer

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/manga-alert-italia/mangaalert/resource"
)

// Defaults of a Spec's zero fields.
const (
	// DefaultHealthCheckPath is the backend's readiness check: it answers
	// 200 while the store answers and fails once the server drains, so the
	// target group stops sending a stopping task new requests.
	DefaultHealthCheckPath = "/readyz"
	// DefaultDeregistrationDelay is how long a deregistered target keeps
	// its requests in flight: the backend finishes them within ECS's 30 s
	// stop timeout, so AWS's default 300 s would only slow each rollout.
	DefaultDeregistrationDelay = 30 * time.Second
	// SSLPolicy is the HTTPS listener's TLS policy: TLS 1.3 and 1.2 only.
	SSLPolicy = "ELBSecurityPolicy-TLS13-1-2-2021-06"
	// HTTPPort and HTTPSPort are the listeners' ports.
	HTTPPort  = 80
	HTTPSPort = 443
	// TrafficPort is the target group's nominal port: ECS registers each
	// task with its own dynamic host port, which overrides it.
	TrafficPort = 80
)

// component is the value of resource.TagComponent on everything this
// package owns.
const component = "loadbalancer"

// The kinds of change.Change this package reports.
const (
	kindLB       = "load balancer"
	kindTG       = "target group"
	kindListener = "listener"
	kindCert     = "certificate"
)

// Spec is the load balancer a stack wants in front of its service. Zero
// fields mean the documented defaults; Stack, VPCID, SubnetIDs,
// SecurityGroupID and Domain are required.
type Spec struct {
	// Stack names and tags everything: the load balancer is STACK, the
	// target group STACK-tg (so at most 28 characters: letters, digits and
	// hyphens, starting with a letter).
	Stack string
	// VPCID is the VPC of the target group (the network step's).
	VPCID string
	// SubnetIDs are the public subnets the internet-facing load balancer
	// has a node in: at least two, in two zones (AWS requires it).
	SubnetIDs []string
	// SecurityGroupID is the load balancer's own security group (the
	// network step makes it, open on 80 and 443); the hosts' group admits
	// only it.
	SecurityGroupID string
	// Domain is the host name of the ACM certificate, DNS-validated: the
	// operator publishes the CNAME record State.ValidationRecords gives.
	Domain string
	// HealthCheckPath is what the target group GETs on each task
	// (default DefaultHealthCheckPath); 200 is healthy.
	HealthCheckPath string
	// DeregistrationDelay is set when the target group is created
	// (default DefaultDeregistrationDelay).
	DeregistrationDelay time.Duration
	// Tags go on every resource, next to the stack's own.
	Tags map[string]string
	// IPTargets makes the target group's targets IP addresses, for tasks
	// in the awsvpc network mode (issue 16); default instances, for
	// bridge mode. A target group cannot change its type: switching
	// replaces the load balancer (instances: 1, apply, then back).
	IPTargets bool
}

// WithDefaults returns s with its zero fields set.
func (s Spec) WithDefaults() Spec {
	if s.HealthCheckPath == "" {
		s.HealthCheckPath = DefaultHealthCheckPath
	}
	if s.DeregistrationDelay == 0 {
		s.DeregistrationDelay = DefaultDeregistrationDelay
	}
	s.SubnetIDs = slices.Sorted(slices.Values(s.SubnetIDs))
	return s
}

// ErrInvalidSpec is matched by every *SpecError.
var ErrInvalidSpec = errors.New("loadbalancer: invalid spec")

// SpecError is one problem of a Spec, found before any call to AWS.
type SpecError struct {
	Field, Problem string
}

func (e *SpecError) Error() string { return "loadbalancer: " + e.Field + ": " + e.Problem }

// Unwrap makes every SpecError match ErrInvalidSpec.
func (e *SpecError) Unwrap() error { return ErrInvalidSpec }

var (
	stackRE  = regexp.MustCompile(`^[a-z][a-z0-9-]{2,27}$`)
	domainRE = regexp.MustCompile(`^(\*\.)?([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$`)
)

// Validate reports every problem of s (after defaults), joined; each is a
// *SpecError.
func (s Spec) Validate() error {
	s = s.WithDefaults()
	var errs []error
	bad := func(field, format string, args ...any) {
		errs = append(errs, &SpecError{Field: field, Problem: fmt.Sprintf(format, args...)})
	}
	if !stackRE.MatchString(s.Stack) {
		bad("Stack", "%q is not 3-28 lower-case letters, digits or hyphens starting with a letter (the target group is STACK-tg, at most 32)", s.Stack)
	}
	if s.VPCID == "" {
		bad("VPCID", "is empty: give the network's VPC")
	}
	if len(s.SubnetIDs) < 2 {
		bad("SubnetIDs", "has %d subnet(s): an Application Load Balancer needs public subnets in at least two zones (network AZs 2 or more)", len(s.SubnetIDs))
	}
	if s.SecurityGroupID == "" {
		bad("SecurityGroupID", "is empty: give the load balancer's security group (the network's, made with its LoadBalancer option)")
	}
	if !domainRE.MatchString(s.Domain) {
		bad("Domain", "%q is not a host name such as manga.example.it: the certificate is issued for it", s.Domain)
	}
	if !strings.HasPrefix(s.HealthCheckPath, "/") || len(s.HealthCheckPath) > 1024 {
		bad("HealthCheckPath", "%q must be a path starting with / (such as %s)", s.HealthCheckPath, DefaultHealthCheckPath)
	}
	if d := s.DeregistrationDelay; d < 0 || d > time.Hour || d%time.Second != 0 {
		bad("DeregistrationDelay", "%s must be whole seconds from 0 to 3600", d)
	}
	return errors.Join(errs...)
}

// names are the stack's resource names.
type names struct{ stack string }

func (n names) loadBalancer() string { return n.stack }
func (n names) targetGroup() string  { return n.stack + "-tg" }

// idempotency is a certificate request's token: the SDK's retries of one
// request carry it, so a retry after a lost answer returns the same
// certificate. It is new for each request: ACM keeps a token an hour and
// would answer a later request (after a Delete) with the deleted
// certificate. A second certificate made by an apply rerun after a lost
// answer is ours for the same domain: the next Ensure deletes it.
func idempotency() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b) // never fails (crypto/rand)
	return hex.EncodeToString(b)
}

func (n names) tags(extra map[string]string) map[string]string {
	return resource.WithTags(n.stack, component, extra)
}

func (n names) ours(tags map[string]string) bool { return resource.Owned(tags, n.stack, component) }

func notOurs(kind, name string) error {
	return fmt.Errorf("loadbalancer: %s %q %w; delete it or choose another Stack", kind, name, resource.ErrNotOurs)
}
