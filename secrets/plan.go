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

	"github.com/manga-alert-italia/mangaalert/change"
	"github.com/manga-alert-italia/mangaalert/internal/engine"
)

// kind is the Kind of every change this package reports.
const kind = "secret"

// action is one call Ensure makes on one secret.
type action int

// The calls, in the order Ensure makes them on one secret.
const (
	actCreate    action = iota // CreateSecret with the first value and all tags
	actRestore                 // RestoreSecret: it was scheduled for deletion
	actUpdate                  // UpdateSecret: description or KMS key
	actTag                     // TagResource: missing or different tags
	actPutValue                // PutSecretValue: the secret exists with no value
	actOverwrite               // PutSecretValue: Overwrite and the value differs
)

// observed is one Spec secret, what AWS holds for it, and what Ensure
// does about it.
type observed struct {
	want    Secret
	tags    map[string]string                    // every tag it must carry
	desc    *secretsmanager.DescribeSecretOutput // nil: absent
	actions []action
	change  change.Change
	first   Value       // the first value, once generated (create and put-value only)
	state   SecretState // as found, then as Ensure leaves it
}

func (a action) String() string {
	return [...]string{"create", "restore", "update", "tag", "put value", "overwrite"}[a]
}

func (o *observed) has(a action) bool { return slices.Contains(o.actions, a) }

// add records one call to make and what it changes, never the value.
func (o *observed) add(a action, format string, args ...any) {
	o.actions = append(o.actions, a)
	o.change.Details = append(o.change.Details, fmt.Sprintf(format, args...))
	if o.change.Action == change.Keep {
		o.change.Action = change.Update
	}
}

// Plan says what Ensure would do with spec, without writing anything: one
// change per secret (Kind "secret", Name the secret's name, ID its ARN),
// kept ones included, whose Details never hold a value. It reads each
// secret's metadata, and the current value of those with Overwrite set (to
// compare it). Offline it reads nothing: every secret shows as created.
func (s *Secrets) Plan(ctx context.Context, spec Spec) (*change.Plan, error) {
	obs, err := s.observe(ctx, spec)
	if err != nil {
		return nil, err
	}
	return &change.Plan{Component: "secrets", Offline: s.opts.Offline, Changes: engine.Changes(s.steps(obs, nil))}, nil
}

// observe validates spec, reads every secret and works out its changes.
// It fails, before any write, when one of them is not the stack's.
// Offline it reads nothing and sees no secret.
func (s *Secrets) observe(ctx context.Context, spec Spec) ([]*observed, error) {
	if err := spec.validate(); err != nil {
		return nil, err
	}
	if !s.opts.Offline && s.client == nil {
		return nil, errNoClient
	}
	obs := make([]*observed, 0, len(spec.Secrets))
	for _, want := range spec.Secrets {
		o := &observed{want: want, tags: spec.wantTags(want), state: SecretState{Name: want.Name}}
		if !s.opts.Offline {
			desc, err := s.describe(ctx, want.Name)
			if err != nil {
				return nil, err
			}
			if desc != nil {
				if err := checkOwner(desc, spec.Stack); err != nil {
					return nil, err
				}
			}
			o.desc = desc
		}
		if err := s.diff(ctx, o); err != nil {
			return nil, err
		}
		obs = append(obs, o)
	}
	return obs, nil
}

// diff works out o's change and the calls that make it.
func (s *Secrets) diff(ctx context.Context, o *observed) error {
	want, desc := o.want, o.desc
	o.change = change.Change{Action: change.Keep, Kind: kind, Name: want.Name}
	source := "value from the caller"
	if want.Value.IsZero() {
		source = "generated value"
	}
	if desc == nil {
		o.change.Action = change.Create
		o.add(actCreate, "%s, %d tags", source, len(o.tags))
		return nil
	}
	o.change.ID = aws.ToString(desc.ARN)
	o.state = SecretState{Name: want.Name, ARN: o.change.ID, VersionID: currentVersion(desc), KMSKeyID: aws.ToString(desc.KmsKeyId)}
	deleted := desc.DeletedDate != nil
	if deleted {
		o.add(actRestore, "restore: scheduled for deletion on %s", desc.DeletedDate.UTC().Format(time.DateOnly))
	}
	var upd []string
	if want.Description != "" && want.Description != aws.ToString(desc.Description) {
		upd = append(upd, "description")
	}
	if want.KMSKeyID != "" && !kmsMatches(want.KMSKeyID, aws.ToString(desc.KmsKeyId)) {
		upd = append(upd, fmt.Sprintf("KMS key %q -> %q", aws.ToString(desc.KmsKeyId), want.KMSKeyID))
	}
	if len(upd) > 0 {
		o.add(actUpdate, "%s", strings.Join(upd, ", "))
	}
	have := tagsOf(desc.Tags)
	var tags []string
	for _, k := range slices.Sorted(maps.Keys(o.tags)) {
		if v, ok := have[k]; !ok || v != o.tags[k] {
			tags = append(tags, k+"="+o.tags[k])
		}
	}
	if len(tags) > 0 {
		o.add(actTag, "tags %s", strings.Join(tags, ", "))
	}
	return s.diffValue(ctx, o, source, deleted)
}

// diffValue adds the value's change: a first value where there is none,
// or, with Overwrite, a new version when the value differs.
func (s *Secrets) diffValue(ctx context.Context, o *observed, source string, deleted bool) error {
	switch {
	case currentVersion(o.desc) == "":
		o.add(actPutValue, "no value yet: %s", source)
	case o.want.Overwrite && deleted:
		// A secret scheduled for deletion cannot be read: Ensure compares
		// after restoring it.
		o.add(actOverwrite, "overwrite if the value differs (unreadable until restored)")
	case o.want.Overwrite:
		cur, err := s.currentValue(ctx, aws.ToString(o.desc.ARN))
		if err != nil {
			return err
		}
		if !cur.Equal(o.want.Value) {
			o.add(actOverwrite, "new version with the caller's value; the old one becomes %s", StagePrevious)
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
