package secrets

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
)

// Action is one kind of change Ensure makes.
type Action string

// The changes, in the order Ensure applies them to one secret.
const (
	ActionCreate    Action = "create"    // CreateSecret with the first value and all tags
	ActionRestore   Action = "restore"   // RestoreSecret: it was scheduled for deletion
	ActionUpdate    Action = "update"    // UpdateSecret: description or KMS key
	ActionTag       Action = "tag"       // TagResource: missing or different tags
	ActionPutValue  Action = "put-value" // PutSecretValue: the secret exists with no value
	ActionOverwrite Action = "overwrite" // PutSecretValue: Overwrite and the value differs
)

// Change is one change Ensure would make.
type Change struct {
	Secret string
	Action Action
	// Detail says what changes, never the secret text.
	Detail string
}

func (c Change) String() string { return fmt.Sprintf("%s %s: %s", c.Action, c.Secret, c.Detail) }

// Plan is what Ensure would do.
type Plan struct {
	Changes []Change
}

// Empty reports whether Ensure would make no call that writes.
func (p Plan) Empty() bool { return len(p.Changes) == 0 }

func (p Plan) String() string {
	if p.Empty() {
		return "secrets: no changes"
	}
	lines := make([]string, len(p.Changes))
	for i, c := range p.Changes {
		lines[i] = c.String()
	}
	return strings.Join(lines, "\n")
}

// observed is one Spec secret and what AWS holds for it.
type observed struct {
	want    Secret
	tags    map[string]string                    // every tag it must carry
	desc    *secretsmanager.DescribeSecretOutput // nil: absent
	changes []Change
}

func (o *observed) has(a Action) bool {
	return slices.ContainsFunc(o.changes, func(c Change) bool { return c.Action == a })
}

// Plan says what Ensure would do with spec, without writing anything. It
// reads each secret's metadata, and the current value of those with
// Overwrite set (to compare it).
func (s *Secrets) Plan(ctx context.Context, spec Spec) (Plan, error) {
	obs, err := s.observe(ctx, spec)
	if err != nil {
		return Plan{}, err
	}
	var p Plan
	for _, o := range obs {
		p.Changes = append(p.Changes, o.changes...)
	}
	return p, nil
}

// observe validates spec, reads every secret and works out its changes.
// It fails, before any write, when one of them is not the stack's.
func (s *Secrets) observe(ctx context.Context, spec Spec) ([]*observed, error) {
	if err := spec.validate(); err != nil {
		return nil, err
	}
	obs := make([]*observed, 0, len(spec.Secrets))
	for _, want := range spec.Secrets {
		o := &observed{want: want, tags: spec.wantTags(want)}
		desc, err := s.describe(ctx, want.Name)
		if err != nil {
			return nil, err
		}
		o.desc = desc
		if desc != nil {
			if err := checkOwner(desc, spec.Stack); err != nil {
				return nil, err
			}
		}
		if err := s.diff(ctx, o); err != nil {
			return nil, err
		}
		obs = append(obs, o)
	}
	return obs, nil
}

// diff fills o.changes.
func (s *Secrets) diff(ctx context.Context, o *observed) error {
	name, want, desc := o.want.Name, o.want, o.desc
	add := func(a Action, format string, args ...any) {
		o.changes = append(o.changes, Change{Secret: name, Action: a, Detail: fmt.Sprintf(format, args...)})
	}
	source := "value from the caller"
	if want.Value.IsZero() {
		source = "generated value"
	}
	if desc == nil {
		add(ActionCreate, "%s, %d tags", source, len(o.tags))
		return nil
	}
	deleted := desc.DeletedDate != nil
	if deleted {
		add(ActionRestore, "scheduled for deletion on %s", desc.DeletedDate.UTC().Format(time.DateOnly))
	}
	var upd []string
	if want.Description != "" && want.Description != aws.ToString(desc.Description) {
		upd = append(upd, "description")
	}
	if want.KMSKeyID != "" && !kmsMatches(want.KMSKeyID, aws.ToString(desc.KmsKeyId)) {
		upd = append(upd, fmt.Sprintf("KMS key %q -> %q", aws.ToString(desc.KmsKeyId), want.KMSKeyID))
	}
	if len(upd) > 0 {
		add(ActionUpdate, "%s", strings.Join(upd, ", "))
	}
	have := tagsOf(desc.Tags)
	var tags []string
	for _, k := range slices.Sorted(maps.Keys(o.tags)) {
		if v, ok := have[k]; !ok || v != o.tags[k] {
			tags = append(tags, k+"="+o.tags[k])
		}
	}
	if len(tags) > 0 {
		add(ActionTag, "%s", strings.Join(tags, ", "))
	}
	switch {
	case currentVersion(desc) == "":
		add(ActionPutValue, "no value yet: %s", source)
	case want.Overwrite && deleted:
		// A secret scheduled for deletion cannot be read: Ensure compares
		// after restoring it.
		add(ActionOverwrite, "if the value differs (unreadable until restored)")
	case want.Overwrite:
		cur, err := s.currentValue(ctx, aws.ToString(desc.ARN))
		if err != nil {
			return err
		}
		if !cur.Equal(want.Value) {
			add(ActionOverwrite, "new version with the caller's value; the old one becomes %s", StagePrevious)
		}
	}
	return nil
}

// currentValue reads the AWSCURRENT text of a secret, string or binary.
func (s *Secrets) currentValue(ctx context.Context, arn string) (Value, error) {
	out, err := s.client.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String(arn)})
	if err != nil {
		return Value{}, fmt.Errorf("read current value of %q: %w", arn, err)
	}
	return valueOf(out), nil
}

// valueOf takes the text of a GetSecretValue answer.
func valueOf(out *secretsmanager.GetSecretValueOutput) Value {
	if out.SecretString != nil {
		return NewValue(*out.SecretString)
	}
	return NewValue(string(out.SecretBinary))
}
