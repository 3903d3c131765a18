package iampolicy

import (
	"errors"
	"fmt"
	"slices"
	"strings"
)

// NoResourceActions are the actions that support no resource-level
// permission: the Service Authorization Reference lists no resource type for
// them, so a statement granting them must say "Resource": "*". They are the
// only actions the check lets through with a "*" resource. Each was checked
// against the reference's Actions table of its service; add one only after
// doing the same.
var NoResourceActions = map[string]string{
	// The ECS agent asks where to poll before it knows its container
	// instance ARN; the action has no resource type.
	"ecs:DiscoverPollEndpoint": "ECS agent: find the endpoint to poll",
	// Pulling from a private ECR repository starts with a registry-wide
	// token; only the layer and image actions take a repository ARN.
	"ecr:GetAuthorizationToken": "ECR: registry login token",
	// EC2 Describe* actions take no resource ARN.
	"ec2:DescribeTags":      "EC2: read instance tags (agent tag propagation)",
	"ec2:DescribeInstances": "EC2: read instances",
	"ec2:DescribeAddresses": "EC2: read Elastic IPs",
	// Account-level reads and writes.
	"secretsmanager:ListSecrets":       "Secrets Manager: list secrets",
	"secretsmanager:GetRandomPassword": "Secrets Manager: generate a password",
	"ssm:DescribeParameters":           "SSM: list parameters",
	"cloudwatch:PutMetricData":         "CloudWatch: publish metrics (scope with cloudwatch:namespace)",
	"xray:PutTraceSegments":            "X-Ray: send traces",
	"xray:PutTelemetryRecords":         "X-Ray: send daemon telemetry",
	"ses:GetSendQuota":                 "SES v1: read the sending quota",
	"ses:GetAccount":                   "SES v2: read the account's sending status",
	"dynamodb:ListTables":              "DynamoDB: list tables",
	"sts:GetCallerIdentity":            "STS: who am I",
}

// Finding is one way a policy grants more than it should.
type Finding struct {
	Policy    string // the name the caller gave the policy
	Statement int    // index of the statement, from 0; -1 for the whole document
	Sid       string
	Problem   string
}

func (f Finding) String() string {
	at := fmt.Sprintf("statement %d", f.Statement)
	if f.Statement < 0 {
		at = "document"
	}
	if f.Sid != "" {
		at += fmt.Sprintf(" (%s)", f.Sid)
	}
	return fmt.Sprintf("policy %s, %s: %s", f.Policy, at, f.Problem)
}

// ErrTooBroad is wrapped by the error Err returns.
var ErrTooBroad = errors.New("policy grants more than least privilege allows")

// FindingsError is the error of a policy with findings.
type FindingsError struct{ Findings []Finding }

func (e *FindingsError) Error() string {
	lines := make([]string, len(e.Findings))
	for i, f := range e.Findings {
		lines[i] = f.String()
	}
	return fmt.Sprintf("%v: %s", ErrTooBroad, strings.Join(lines, "; "))
}

// Unwrap makes errors.Is(err, ErrTooBroad) true.
func (e *FindingsError) Unwrap() error { return ErrTooBroad }

// Err returns a *FindingsError listing findings, or nil when there are none.
func Err(findings []Finding) error {
	if len(findings) == 0 {
		return nil
	}
	return &FindingsError{Findings: findings}
}

// Check returns what is too broad in d, named policy in the findings. Deny
// statements are never too broad. Allow statements must name their actions
// (no "*", no "service:*", no NotAction) and their resources (no "*" unless
// every action is one of NoResourceActions, no "arn:…:*" covering a whole
// service, no NotResource). Trust statements (with a Principal) must name
// their principal and carry no resource.
func Check(policy string, d Document) []Finding {
	var out []Finding
	add := func(i int, s Statement, format string, args ...any) {
		out = append(out, Finding{Policy: policy, Statement: i, Sid: s.Sid, Problem: fmt.Sprintf(format, args...)})
	}
	if d.Version != Version {
		add(-1, Statement{}, "version %q, want %q (older versions ignore policy variables)", d.Version, Version)
	}
	if len(d.Statement) == 0 {
		add(-1, Statement{}, "no statement")
	}
	for i, s := range d.Statement {
		switch s.Effect {
		case Deny:
			continue
		case Allow:
		default:
			add(i, s, "effect %q, want Allow or Deny", s.Effect)
			continue
		}
		if len(s.NotAction) > 0 {
			add(i, s, "NotAction allows every other action; list the actions instead")
		}
		if len(s.NotResource) > 0 {
			add(i, s, "NotResource allows every other resource; list the resources instead")
		}
		if len(s.Action) == 0 && len(s.NotAction) == 0 {
			add(i, s, "no action")
		}
		for _, a := range s.Action {
			if p := actionProblem(a); p != "" {
				add(i, s, "action %q: %s", a, p)
			}
		}
		if s.Principal != nil {
			checkTrust(i, s, add)
			continue
		}
		if len(s.Resource) == 0 && len(s.NotResource) == 0 {
			add(i, s, "no resource")
		}
		for _, r := range s.Resource {
			if r == "*" {
				if need := needResource(s.Action); len(need) > 0 {
					add(i, s, "resource \"*\" for %s, which support resource-level permissions; name the resources", strings.Join(need, ", "))
				}
				continue
			}
			if wholeService(r) {
				add(i, s, "resource %q covers every resource of the service; name the resources", r)
			}
		}
	}
	return out
}

func checkTrust(i int, s Statement, add func(int, Statement, string, ...any)) {
	if len(s.Resource) > 0 {
		add(i, s, "a trust statement takes no Resource")
	}
	for kind, ps := range s.Principal {
		for _, p := range ps {
			if p == "*" {
				add(i, s, "principal %s \"*\" lets anyone assume the role", kind)
			}
		}
	}
}

// actionProblem says what is wrong with one action name ("" when nothing).
func actionProblem(a string) string {
	if a == "*" {
		return "every action of every service"
	}
	svc, name, ok := strings.Cut(a, ":")
	if !ok || svc == "" || name == "" {
		return "not of the form service:Action"
	}
	if strings.Trim(name, "*") == "" {
		return "every action of " + svc
	}
	return ""
}

// needResource returns the actions that must not be granted on "*".
func needResource(actions []string) []string {
	var need []string
	for _, a := range actions {
		if !isNoResource(a) {
			need = append(need, a)
		}
	}
	slices.Sort(need)
	return need
}

func isNoResource(action string) bool {
	for k := range NoResourceActions {
		if strings.EqualFold(k, action) {
			return true
		}
	}
	return false
}

// wholeService reports ARNs like "arn:aws:logs:*:*:*" or
// "arn:aws:dynamodb:eu-south-1:123456789012:*" whose resource part is only
// a wildcard.
func wholeService(r string) bool {
	parts := strings.SplitN(r, ":", 6)
	if len(parts) < 6 || parts[0] != "arn" {
		return false
	}
	return strings.Trim(parts[5], "*/") == ""
}
