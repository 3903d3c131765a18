package network

import (
	"errors"
	"fmt"
	"strings"

	"github.com/manga-alert-italia/mangaalert/internal/awserr"
	"github.com/manga-alert-italia/mangaalert/resource"
)

// Errors a caller can test with errors.Is.
var (
	// ErrInvalidSpec: the Spec cannot be built; nothing was written. The
	// error is, or joins, *SpecError values (and *ZonesError).
	ErrInvalidSpec = errors.New("invalid network spec")
	// ErrOffline: Ensure or Delete on a Network made with Options.Offline.
	ErrOffline = errors.New("network: offline: Ensure and Delete need AWS (Options.Offline is set)")
	// ErrConflict: the stack's own resources are in a state Ensure cannot
	// reconcile with the Spec without a decision only a person can take (a
	// duplicate of one of them, a block that cannot change in place, a
	// gateway attached elsewhere). The message names the resources. A name
	// taken by a resource that is not ours wraps resource.ErrNotOurs.
	ErrConflict = errors.New("network: conflict with existing resources")
	// ErrForeignDependency: Delete found resources that are not ours inside
	// our VPC (or holding on to ours); nothing was deleted.
	ErrForeignDependency = errors.New("network: resources not managed by this stack depend on it")
	// ErrQuota: AWS refused a create because an account quota is reached.
	ErrQuota = errors.New("network: AWS quota reached")
	// ErrAwsvpcNeedsNAT: Preflight found awsvpc tasks on EC2 with no NAT route.
	ErrAwsvpcNeedsNAT = errors.New("awsvpc tasks on the EC2 launch type get no public IP and need a NAT route")
)

// SpecError is one problem of a Spec: which field, what is wrong, and what
// to do instead.
type SpecError struct {
	Field   string // the Spec field: "CIDR", "AZs", ...
	Value   string // the offending value, as given
	Problem string
	Fix     string
}

func (e *SpecError) Error() string {
	v := ""
	if e.Value != "" {
		v = fmt.Sprintf(" %q", e.Value)
	}
	return fmt.Sprintf("network: Spec.%s%s %s: %s", e.Field, v, e.Problem, e.Fix)
}

// Is makes every SpecError match ErrInvalidSpec.
func (e *SpecError) Is(target error) bool { return target == ErrInvalidSpec }

// ZonesError: the Spec asks for more availability zones than the region
// offers. Found before any write.
type ZonesError struct {
	Want      int
	Available []string // the region's available zones, by name
}

func (e *ZonesError) Error() string {
	return fmt.Sprintf("network: Spec.AZs %d is more than the %d availability zones the region offers (%s): use AZs %d or fewer, or another region",
		e.Want, len(e.Available), strings.Join(e.Available, ", "), len(e.Available))
}

// Is makes a ZonesError match ErrInvalidSpec.
func (e *ZonesError) Is(target error) bool { return target == ErrInvalidSpec }

// wrap annotates an AWS error with what was being done, translating the
// codes a caller may want to act on into this package's sentinels.
func wrap(err error, format string, args ...any) error {
	if err == nil {
		return nil
	}
	what := fmt.Sprintf(format, args...)
	code := awserr.Code(err)
	switch {
	case strings.HasSuffix(code, "LimitExceeded"):
		return fmt.Errorf("network: %s: %w (%s: raise the quota in Service Quotas or delete unused resources): %w", what, ErrQuota, code, err)
	case code == "InvalidGroup.Duplicate":
		return fmt.Errorf("network: %s: a security group of that name exists in the VPC: %w; rename or delete it: %w", what, resource.ErrNotOurs, err)
	}
	return fmt.Errorf("network: %s: %w", what, err)
}

// notFound reports whether err says the resource is already gone.
func notFound(err error) bool {
	c := awserr.Code(err)
	return strings.HasSuffix(c, "NotFound") || c == "Gateway.NotAttached"
}

// errNoClient: Plan, Ensure or Delete on a Network made with a nil client
// and without Options.Offline.
var errNoClient = errors.New("network: no EC2 client: give New one, or set Options.Offline to plan without AWS")

// dependency reports whether err is AWS saying something still uses the
// resource, which usually clears by itself within a minute (network
// interfaces of a deleted NAT or instance going away).
func dependency(err error) bool {
	return awserr.Is(err, "DependencyViolation", "InvalidIPAddress.InUse", "InvalidNetworkInterface.InUse")
}
