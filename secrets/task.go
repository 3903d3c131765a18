package secrets

import (
	"cmp"
	"fmt"
	"regexp"
	"slices"
	"strings"
)

// TaskSecret is one entry of an ECS container definition's "secrets": the
// container gets environment variable Name with the text of ValueFrom. It
// holds plain strings so task-definition code can copy it as it is.
type TaskSecret struct {
	Name      string
	ValueFrom string
}

// Ref says which secret (or which JSON key of it, or which version) one
// environment variable of a container receives.
type Ref struct {
	// Env is the environment variable's name.
	Env string
	// ARN is the secret's full ARN, random suffix included
	// (State.ARN(name)): the execution role's policy can name only that.
	ARN string
	// JSONKey, when set, injects only that top-level key of a JSON secret.
	JSONKey string
	// VersionStage or VersionID (at most one) pins a version; both empty
	// means AWSCURRENT at the time the task starts.
	VersionStage string
	VersionID    string
}

var (
	envRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
	// The last part of a full secret ARN: the name, "-" and six random
	// characters that Secrets Manager appends.
	arnNameRE = regexp.MustCompile(`^[A-Za-z0-9/_+=.@-]+-[A-Za-z0-9]{6}$`)
	accountRE = regexp.MustCompile(`^[0-9]{12}$`)
)

// ValueFrom returns the valueFrom text ECS expects: the ARN alone, or
// arn:aws:secretsmanager:region:account:secret:name-AbCdEf:json-key:version-stage:version-id
// with empty parts left empty (e.g. "...:secret:smtp-AbCdEf:password::").
func (r Ref) ValueFrom() (string, error) {
	if err := checkSecretARN(r.ARN); err != nil {
		return "", err
	}
	for _, f := range [...][2]string{{"JSONKey", r.JSONKey}, {"VersionStage", r.VersionStage}, {"VersionID", r.VersionID}} {
		if strings.Contains(f[1], ":") {
			return "", invalid("%s %q contains ':', which would end it early in valueFrom", f[0], f[1])
		}
	}
	if r.VersionStage != "" && r.VersionID != "" {
		return "", invalid("secret %s: set VersionStage or VersionID, not both (ECS takes one)", r.ARN)
	}
	if r.JSONKey == "" && r.VersionStage == "" && r.VersionID == "" {
		return r.ARN, nil
	}
	return r.ARN + ":" + r.JSONKey + ":" + r.VersionStage + ":" + r.VersionID, nil
}

// TaskSecrets turns refs into a container definition's "secrets" entries,
// sorted by name so that equal sets compare equal. It refuses an invalid
// or duplicate variable name and anything but a full secret ARN.
func TaskSecrets(refs ...Ref) ([]TaskSecret, error) {
	out := make([]TaskSecret, 0, len(refs))
	seen := map[string]bool{}
	for i, r := range refs {
		if !envRE.MatchString(r.Env) {
			return nil, invalid("refs[%d]: environment variable name %q: use letters, digits and _, not starting with a digit", i, r.Env)
		}
		if seen[r.Env] {
			return nil, invalid("refs[%d]: environment variable %q appears twice", i, r.Env)
		}
		seen[r.Env] = true
		vf, err := r.ValueFrom()
		if err != nil {
			return nil, fmt.Errorf("refs[%d] (%s): %w", i, r.Env, err)
		}
		out = append(out, TaskSecret{Name: r.Env, ValueFrom: vf})
	}
	slices.SortFunc(out, func(a, b TaskSecret) int { return cmp.Compare(a.Name, b.Name) })
	return out, nil
}

// ParseValueFrom splits a Secrets Manager valueFrom back into its parts
// (Env is left empty). It accepts the forms ValueFrom writes.
func ParseValueFrom(valueFrom string) (Ref, error) {
	parts := strings.Split(valueFrom, ":")
	switch len(parts) {
	case 7:
		return Ref{ARN: valueFrom}, checkSecretARN(valueFrom)
	case 10:
		r := Ref{ARN: strings.Join(parts[:7], ":"), JSONKey: parts[7], VersionStage: parts[8], VersionID: parts[9]}
		if err := checkSecretARN(r.ARN); err != nil {
			return Ref{}, err
		}
		return r, nil
	}
	return Ref{}, invalid("valueFrom %q: want a full secret ARN, optionally followed by :json-key:version-stage:version-id", valueFrom)
}

// ExecutionRoleARNs returns the secret ARNs that a task execution role
// must be allowed to read (secretsmanager:GetSecretValue) for entries to
// work: each full ARN once, without the JSON key and version parts, sorted.
// Entries that are not Secrets Manager ARNs (SSM parameters, bare names)
// are not secrets of this package and are left out.
func ExecutionRoleARNs(entries []TaskSecret) []string {
	var arns []string
	for _, e := range entries {
		if r, err := ParseValueFrom(e.ValueFrom); err == nil {
			arns = append(arns, r.ARN)
		}
	}
	slices.Sort(arns)
	return slices.Compact(arns)
}

// checkSecretARN accepts arn:PARTITION:secretsmanager:REGION:ACCOUNT:secret:NAME-AbCdEf.
func checkSecretARN(arn string) error {
	p := strings.Split(arn, ":")
	if len(p) != 7 || p[0] != "arn" || p[1] == "" || p[2] != "secretsmanager" || p[3] == "" ||
		!accountRE.MatchString(p[4]) || p[5] != "secret" {
		return invalid("%q is not a secret ARN (arn:aws:secretsmanager:REGION:ACCOUNT:secret:NAME-AbCdEf): use State.ARN(name)", arn)
	}
	if !arnNameRE.MatchString(p[6]) {
		return invalid("%q is a partial secret ARN (no -AbCdEf suffix): use the full ARN from State.ARN(name), which IAM policies can name exactly", arn)
	}
	return nil
}
