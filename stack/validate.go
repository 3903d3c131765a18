package stack

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"maps"
	"net/mail"
	"regexp"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/manga-alert-italia/mangaalert/ecshost"
)

// ErrInvalidSpec is wrapped by every *SpecError.
var ErrInvalidSpec = errors.New("stack: invalid spec")

// SpecError lists everything wrong with a Spec, found without AWS.
type SpecError struct{ Problems []Problem }

// Problem is one field of a Spec and what is wrong with it. Field is the
// path of the Spec field: "Stack", "Host.InstanceType", "Table.Name",
// "Jobs.NAME.Schedule", "Jobs.NAME.After", "Network.CIDR", "Tags".
type Problem struct{ Field, Problem string }

func (e *SpecError) Error() string {
	var b strings.Builder
	b.WriteString("invalid stack spec:")
	for _, p := range e.Problems {
		fmt.Fprintf(&b, "\n  %s: %s", p.Field, p.Problem)
	}
	return b.String()
}

// Unwrap makes errors.Is(err, ErrInvalidSpec) true.
func (e *SpecError) Unwrap() error { return ErrInvalidSpec }

var (
	stackRE = regexp.MustCompile(`^[a-z][a-z0-9-]{2,27}$`)
	typeRE  = regexp.MustCompile(`^[a-z][a-z0-9-]*\.[a-z0-9]+$`)
	// Lengths are checked apart: a counted repetition such as {1,128}
	// compiles into that many copies of the class, and tagKeyRE's Unicode
	// classes made the package's init take 35 ms and 5 MB, every run.
	tableRE   = regexp.MustCompile(`^[A-Za-z0-9_.-]+$`)
	imageRE   = regexp.MustCompile(`^[a-z0-9]+([._/:@-][A-Za-z0-9_.-]+)*$`)
	tagKeyRE  = regexp.MustCompile(`^[\p{L}\p{N} _.:/=+@-]+$`)
	retention = []int32{1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653}
)

// ValidImage reports whether s is an image reference ECS takes
// ("ghcr.io/owner/app:1.0", an ECR URI).
func ValidImage(s string) bool { return imageRE.MatchString(s) && len(s) <= 255 }

// Validate checks s (after WithDefaults) without AWS and returns a
// *SpecError listing every problem: names, image, instance type, table,
// log retention, tags, the jobs' schedules and zones, the network, and
// that containers name only secrets and a table the Spec holds.
func (s Spec) Validate() error {
	s = s.WithDefaults()
	var ps []Problem
	bad := func(field, format string, args ...any) {
		ps = append(ps, Problem{Field: field, Problem: fmt.Sprintf(format, args...)})
	}
	if !stackRE.MatchString(s.Stack) {
		bad("Stack", "%q: use 3-28 lower-case letters, digits or hyphens, starting with a letter (it names the cluster, roles, schedules and secrets)", s.Stack)
	}
	if s.Image != "" && !ValidImage(s.Image) {
		bad("Image", "%q is not an image reference such as ghcr.io/owner/app:1.0 or 123456789012.dkr.ecr.eu-south-1.amazonaws.com/app:1.0", s.Image)
	}
	if t := s.Host.InstanceType; t != "" && !typeRE.MatchString(t) {
		bad("Host.InstanceType", "%q is not an EC2 instance type such as t3.micro or t4g.micro", t)
	} else if _, err := ecshost.LookupInstance(cmp.Or(t, ecshost.DefaultInstanceType)); err != nil {
		bad("Host.InstanceType", "%v", err)
	} else if p := ecshost.ArchProblem(cmp.Or(t, ecshost.DefaultInstanceType), s.Host.ImageArch); p != "" {
		bad("Host.ImageArch", "%s", p)
	}
	// A table named after a bad stack is reported as the stack.
	if t := s.Table; t != nil && (!tableRE.MatchString(t.Name) || len(t.Name) < 3 || len(t.Name) > 255) && (t.Name != s.Stack || stackRE.MatchString(s.Stack)) {
		bad("Table.Name", "%q: DynamoDB table names are 3-255 of A-Z a-z 0-9 _ . -", t.Name)
	}
	if d := s.Host.LogRetentionDays; d != 0 && !slices.Contains(retention, d) {
		bad("Host.LogRetentionDays", "%d: CloudWatch Logs accepts only %v", d, retention)
	}
	s.checkTags(bad)
	for _, j := range s.Jobs {
		if j.After != "" {
			if err := checkFollow(s.Jobs, j); err != nil {
				if !errors.Is(err, errLeaderInvalid) {
					bad("Jobs."+j.Name+".After", "%v", err)
				}
				continue
			}
		}
		zoneErr, exprErr := checkSchedule(j.Schedule, j.Zone)
		if zoneErr != nil {
			bad("Jobs."+j.Name+".Zone", "%v", zoneErr)
		}
		if exprErr != nil {
			bad("Jobs."+j.Name+".Schedule", "%v", exprErr)
		}
	}
	s.checkContainers(bad)
	if a := s.Alerts; a != nil && a.OperatorEmail != "" {
		if addr, err := mail.ParseAddress(a.OperatorEmail); err != nil || addr.Address != a.OperatorEmail {
			bad("Alerts.OperatorEmail", "%q is not a plain address such as ops@example.org", a.OperatorEmail)
		}
	}
	if a := s.Alerts; a != nil && (a.MonthlyBudgetUSD < 0 || (a.MonthlyBudgetUSD > 0 && a.OperatorEmail == "")) {
		bad("Alerts.MonthlyBudgetUSD", "%.2f: a budget is a positive amount, and alerts the operator address (set it too)", a.MonthlyBudgetUSD)
	}
	switch s.SecretStore {
	case "", StoreSecretsManager:
	case StoreSSM:
		var names, vars []string
		for _, c := range s.containers() {
			if len(c.SecretARNs) > 0 {
				names, vars = append(names, c.Name), append(vars, slices.Collect(maps.Keys(c.SecretARNs))...)
			}
		}
		if slices.Sort(vars); len(names) > 0 {
			bad("SecretStore", "%q: %s read secrets by ARN (%s), which only Secrets Manager serves: inject them (Secrets) instead, or keep %q",
				s.SecretStore, strings.Join(names, ", "), strings.Join(slices.Compact(vars), ", "), StoreSecretsManager)
		}
	default:
		bad("SecretStore", "%q: use %q (default) or %q", s.SecretStore, StoreSecretsManager, StoreSSM)
	}
	ps = append(ps, networkProblems(s)...)
	ps = append(ps, loadBalancerProblems(s)...)
	ps = append(ps, awsvpcProblems(s)...)
	ps = append(ps, scalingProblems(s)...)
	if len(ps) == 0 {
		return nil
	}
	return &SpecError{Problems: ps}
}

func (s Spec) checkTags(bad func(string, string, ...any)) {
	for k, v := range s.Tags {
		switch {
		case !tagKeyRE.MatchString(k) || utf8.RuneCountInString(k) > 128:
			bad("Tags", "key %q: 1-128 letters, digits, spaces and _ . : / = + - @", k)
		case strings.HasPrefix(strings.ToLower(k), "aws:") || strings.HasPrefix(k, "mangaalert:"):
			bad("Tags", "key %q: the aws: and mangaalert: prefixes are reserved", k)
		case len(v) > 256:
			bad("Tags", "value of %q is longer than 256 characters", k)
		}
	}
	if len(s.Tags) > 40 {
		bad("Tags", "%d tags: keep at most 40 (AWS allows 50 per resource, and the stack adds its own)", len(s.Tags))
	}
}

func (s Spec) checkContainers(bad func(string, string, ...any)) {
	names := map[string]bool{}
	for _, c := range s.containers() {
		if names[c.Name] {
			bad("Jobs", "two containers named %q", c.Name)
		}
		names[c.Name] = true
		for env, name := range mergeRefs(c.Secrets, c.SecretARNs) {
			if !slices.ContainsFunc(s.Secrets, func(x Secret) bool { return x.Name == name }) {
				bad(c.Name+".Secrets", "%s names secret %q, which the Spec does not hold", env, name)
			}
		}
		if c.UsesTable && s.Table == nil {
			bad(c.Name+".UsesTable", "the Spec has no table")
		}
	}
}

func mergeRefs(a, b map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range a {
		out[k] = v
	}
	for k, v := range b {
		out[k] = v
	}
	return out
}

// Validate checks spec as Plan and Apply would, without AWS: first
// Spec.Validate, then what only the components know (memory of the
// containers on the instance type, the policies), by an offline plan in
// region. A deploy tool calls it to refuse a configuration early.
func Validate(ctx context.Context, spec Spec, region string) error {
	if err := spec.Validate(); err != nil {
		return err
	}
	_, err := New(aws.Config{Region: region}, func(o *Options) { o.Offline = true; o.Logger = discard }).Plan(ctx, spec)
	// The host's memory check is about the instance type the Spec picks:
	// say it as that field, for a tool that names its own fields.
	var he *ecshost.SpecError
	if errors.As(err, &he) {
		var ps []Problem
		for _, p := range he.Problems {
			field := "Host"
			if m, ok := strings.CutPrefix(p, "memory: "); ok {
				field, p = "Host.InstanceType", m
			}
			ps = append(ps, Problem{Field: field, Problem: p})
		}
		return &SpecError{Problems: ps}
	}
	return err
}
