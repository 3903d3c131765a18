package autoscale

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/manga-alert-italia/mangaalert/resource"
)

// Defaults of a Spec's zero fields.
const (
	// DefaultCPUPercent is the service's average CPU the CPU policy keeps:
	// low enough that a burst meets a task already starting.
	DefaultCPUPercent = 60
	// DefaultRequestsPerTarget is what the request policy keeps per task
	// and minute: the backend serves far more, but a small host's CPU
	// credits are the limit.
	DefaultRequestsPerTarget = 1000
	// DefaultScaleOutCooldown and DefaultScaleInCooldown: out quickly, in
	// slowly, as AWS recommends for target tracking.
	DefaultScaleOutCooldown = time.Minute
	DefaultScaleInCooldown  = 5 * time.Minute
	// DefaultTargetCapacity is the capacity provider's target: 100% keeps
	// no spare host (the cheapest); less keeps headroom for a burst.
	DefaultTargetCapacity = 100
)

// The metrics a Tasks policy tracks.
const (
	MetricCPU      = "ECSServiceAverageCPUUtilization"
	MetricRequests = "ALBRequestCountPerTarget"
)

// component is the value of resource.TagComponent on the capacity
// provider.
const component = "autoscale"

// The kinds of change.Change this package reports.
const (
	kindTarget   = "scalable target"
	kindPolicy   = "scaling policy"
	kindProvider = "capacity provider"
	kindCluster  = "cluster capacity providers"
)

// Spec is the scaling a stack wants. Stack is required; a nil Tasks or
// Hosts means none (and removes one that exists).
type Spec struct {
	// Stack names the capacity provider (STACK-hosts) and the policy, and
	// tags the provider.
	Stack string
	// Cluster is the ECS cluster (default Stack, the host package's name).
	Cluster string
	// Service is the ECS service whose tasks scale (the host package's
	// STACK-serve); required with Tasks.
	Service string
	// Tasks scales the service's task count; nil for a fixed count.
	Tasks *Tasks
	// Hosts gives the group a capacity provider; nil for none.
	Hosts *Hosts
	// Tags go on the capacity provider and the scalable target, next to
	// the stack's own.
	Tags map[string]string
}

// Tasks is target tracking of the service's task count.
type Tasks struct {
	// Min and Max bound the count (Min at least 1, Max at least Min).
	Min, Max int32
	// ResourceLabel is the load balancer's target group as
	// ALBRequestCountPerTarget names it,
	// app/LB-NAME/LB-ID/targetgroup/TG-NAME/TG-ID (LabelOf builds it from
	// the ARNs): the policy then tracks requests per task. "" tracks the
	// service's average CPU.
	ResourceLabel string
	// CPUPercent is the CPU target (default DefaultCPUPercent).
	CPUPercent float64
	// RequestsPerTarget is the request target per task and minute
	// (default DefaultRequestsPerTarget).
	RequestsPerTarget float64
	// ScaleOutCooldown and ScaleInCooldown (defaults
	// DefaultScaleOutCooldown and DefaultScaleInCooldown), whole seconds.
	ScaleOutCooldown, ScaleInCooldown time.Duration
}

// Metric is the metric the policy tracks.
func (t Tasks) Metric() string {
	if t.ResourceLabel != "" {
		return MetricRequests
	}
	return MetricCPU
}

// Target is the value the policy keeps the metric at.
func (t Tasks) Target() float64 {
	if t.ResourceLabel != "" {
		return t.RequestsPerTarget
	}
	return t.CPUPercent
}

// Hosts is the group's capacity provider.
type Hosts struct {
	// GroupARN is the Auto Scaling group's ARN (the host package's
	// STACK-ecs-host); required.
	GroupARN string
	// TargetCapacity is the percent of the hosts' capacity the tasks
	// should use, 1-100 (default DefaultTargetCapacity).
	TargetCapacity int32
}

// WithDefaults returns s with its zero fields set.
func (s Spec) WithDefaults() Spec {
	if s.Cluster == "" {
		s.Cluster = s.Stack
	}
	if s.Tasks != nil {
		t := *s.Tasks
		if t.CPUPercent == 0 {
			t.CPUPercent = DefaultCPUPercent
		}
		if t.RequestsPerTarget == 0 {
			t.RequestsPerTarget = DefaultRequestsPerTarget
		}
		if t.ScaleOutCooldown == 0 {
			t.ScaleOutCooldown = DefaultScaleOutCooldown
		}
		if t.ScaleInCooldown == 0 {
			t.ScaleInCooldown = DefaultScaleInCooldown
		}
		s.Tasks = &t
	}
	if s.Hosts != nil {
		h := *s.Hosts
		if h.TargetCapacity == 0 {
			h.TargetCapacity = DefaultTargetCapacity
		}
		s.Hosts = &h
	}
	return s
}

// ErrInvalidSpec is matched by every *SpecError.
var ErrInvalidSpec = errors.New("autoscale: invalid spec")

// SpecError is one problem of a Spec, found before any call to AWS.
type SpecError struct {
	Field, Problem string
}

func (e *SpecError) Error() string { return "autoscale: " + e.Field + ": " + e.Problem }

// Unwrap makes every SpecError match ErrInvalidSpec.
func (e *SpecError) Unwrap() error { return ErrInvalidSpec }

var (
	stackRE = regexp.MustCompile(`^[a-z][a-z0-9-]{0,27}$`)
	labelRE = regexp.MustCompile(`^app/[^/]+/[^/]+/targetgroup/[^/]+/[^/]+$`)
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
		bad("Stack", "%q is not 1-28 lower-case letters, digits or hyphens starting with a letter", s.Stack)
	}
	if t := s.Tasks; t != nil {
		if s.Service == "" {
			bad("Service", "is empty: give the ECS service whose tasks scale")
		}
		if t.Min < 1 || t.Max < t.Min {
			bad("Tasks", "min %d, max %d: use min 1 or more and max at least min", t.Min, t.Max)
		}
		if t.ResourceLabel != "" && !labelRE.MatchString(t.ResourceLabel) {
			bad("Tasks.ResourceLabel", "%q is not app/LB-NAME/LB-ID/targetgroup/TG-NAME/TG-ID (LabelOf builds it from the ARNs)", t.ResourceLabel)
		}
		if t.CPUPercent <= 0 || t.CPUPercent > 100 {
			bad("Tasks.CPUPercent", "%g: use a percent above 0 and at most 100", t.CPUPercent)
		}
		if t.RequestsPerTarget <= 0 {
			bad("Tasks.RequestsPerTarget", "%g: use a positive number of requests per task and minute", t.RequestsPerTarget)
		}
		for _, d := range []time.Duration{t.ScaleOutCooldown, t.ScaleInCooldown} {
			if d < 0 || d%time.Second != 0 {
				bad("Tasks cooldowns", "%s: use whole seconds, 0 or more", d)
			}
		}
	}
	if h := s.Hosts; h != nil {
		if !strings.Contains(h.GroupARN, ":autoScalingGroup:") {
			bad("Hosts.GroupARN", "%q is not an Auto Scaling group ARN (arn:aws:autoscaling:REGION:ACCOUNT:autoScalingGroup:ID:autoScalingGroupName/NAME)", h.GroupARN)
		}
		if h.TargetCapacity < 1 || h.TargetCapacity > 100 {
			bad("Hosts.TargetCapacity", "%d: use a percent from 1 to 100", h.TargetCapacity)
		}
		for _, p := range []string{"aws", "ecs", "fargate"} {
			if strings.HasPrefix(s.Stack, p) {
				bad("Stack", "%q starts with %q, which ECS refuses at the start of a capacity provider's name (STACK-hosts): choose another stack name", s.Stack, p)
			}
		}
	}
	return errors.Join(errs...)
}

// LabelOf is the ResourceLabel of a target group behind a load balancer,
// from their ARNs: app/NAME/ID/targetgroup/NAME/ID. It returns "" when
// either is not an Application Load Balancer's ARN.
func LabelOf(loadBalancerARN, targetGroupARN string) string {
	i := strings.Index(loadBalancerARN, ":loadbalancer/app/")
	j := strings.Index(targetGroupARN, ":targetgroup/")
	if i < 0 || j < 0 {
		return ""
	}
	return loadBalancerARN[i+len(":loadbalancer/"):] + "/" + targetGroupARN[j+1:]
}

// names are the stack's resource names.
type names struct{ stack, cluster string }

func (n names) provider() string { return n.stack + "-hosts" }
func (n names) policy() string   { return n.stack + "-tasks" }
func (n names) resourceID(service string) string {
	return "service/" + n.cluster + "/" + service
}

// servicePrefix is the start of every scalable target of the cluster's
// services.
func (n names) servicePrefix() string { return "service/" + n.cluster + "/" }

func (n names) tags(extra map[string]string) map[string]string {
	return resource.WithTags(n.stack, component, extra)
}

func (n names) ours(tags map[string]string) bool { return resource.Owned(tags, n.stack, component) }

func notOurs(kind, name string) error {
	return fmt.Errorf("autoscale: %s %q %w; delete it or choose another Stack", kind, name, resource.ErrNotOurs)
}
