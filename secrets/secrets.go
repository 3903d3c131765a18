package secrets

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"maps"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"

	"github.com/manga-alert-italia/mangaalert/change"
	"github.com/manga-alert-italia/mangaalert/resource"
)

// DefaultComponent is the mangaalert:component tag when Spec.Component is empty.
const DefaultComponent = "secrets"

// The version stages Secrets Manager moves on every new value.
const (
	StageCurrent  = "AWSCURRENT"
	StagePrevious = "AWSPREVIOUS"
)

// defaultKMSAlias is the AWS managed key a secret uses without a KMS key id.
const defaultKMSAlias = "alias/aws/secretsmanager"

// Options tune a [Secrets]; the zero value of each field is its
// documented default.
type Options struct {
	// Logger gets Debug lines for every change. Default
	// slog.Default().WithGroup("secrets").
	Logger *slog.Logger
	// Offline makes Plan read nothing from AWS (every secret shows as
	// created, IDs empty, the plan's Offline set) and Ensure, Delete and
	// Rotate return ErrOffline. It is the one way to plan without an
	// account; the client may then be nil.
	Offline bool
	// OnChange, when not nil, hears each change once Ensure or Delete made
	// it, with the secret's ARN: progress for a caller that shows it.
	OnChange func(change.Change)
	// RecoveryWindowDays (7 to 30) is how long a secret Delete removes can
	// still be restored (an Ensure restores it). Default
	// [DefaultRecoveryWindowDays].
	RecoveryWindowDays int
	// ForceDelete makes Delete remove secrets at once, with no way back,
	// those already scheduled for deletion included. It excludes
	// RecoveryWindowDays.
	ForceDelete bool
	// RetryAttempts is how many times Rotate sends its PutSecretValue with
	// the same client request token when the answer is lost or AWS fails.
	// Default 3.
	RetryAttempts int
	// RetryDelay is the wait before Rotate's second attempt, doubled for
	// each one after. Default 500ms.
	RetryDelay time.Duration
}

// DefaultRecoveryWindowDays is how long a deleted secret can be restored
// when Options.RecoveryWindowDays is zero.
const DefaultRecoveryWindowDays = 7

// Secrets creates, updates, rotates and deletes the stack's secrets.
type Secrets struct {
	client API
	opts   Options
	log    *slog.Logger
}

// New returns a Secrets that works through client, usually a
// *secretsmanager.Client; optFns set its Options. With Options.Offline the
// client may be nil.
func New(client API, optFns ...func(*Options)) *Secrets {
	o := Options{}
	for _, fn := range optFns {
		fn(&o)
	}
	if o.Logger == nil {
		o.Logger = slog.Default().WithGroup("secrets")
	}
	if o.RetryAttempts <= 0 {
		o.RetryAttempts = 3
	}
	if o.RetryDelay <= 0 {
		o.RetryDelay = 500 * time.Millisecond
	}
	return &Secrets{client: client, opts: o, log: o.Logger}
}

// NewFromConfig is New with a Secrets Manager client made from cfg.
func NewFromConfig(cfg aws.Config, optFns ...func(*Options)) *Secrets {
	return New(secretsmanager.NewFromConfig(cfg), optFns...)
}

// ready says why s cannot call AWS, or nil when it can.
func (s *Secrets) ready() error {
	switch {
	case s.opts.Offline:
		return ErrOffline
	case s.client == nil:
		return errNoClient
	}
	return nil
}

// Spec is the desired set of secrets of one stack.
type Spec struct {
	// Stack names the deployment (tag mangaalert:stack). Required: a secret
	// that exists without this tag value is never changed.
	Stack string
	// Component is the mangaalert:component tag. Default [DefaultComponent].
	Component string
	// Secrets are ensured in this order; names must be unique.
	Secrets []Secret
}

// Secret is one desired secret.
type Secret struct {
	// Name, e.g. "mangaalert/prod/signing-key": 1 to 512 of the characters
	// A-Z a-z 0-9 / _ + = . @ -. Avoid ending it with "-" and six
	// characters, which AWS confuses with the random suffix of an ARN.
	Name string
	// Description, when set, is kept up to date; empty leaves an existing
	// description alone.
	Description string
	// KMSKeyID is the KMS key (id, ARN, alias or alias ARN) that encrypts
	// the secret; empty uses the AWS managed key aws/secretsmanager on
	// create and leaves an existing secret's key alone. To avoid an update
	// on every Ensure, give the key as DescribeSecret reports it.
	KMSKeyID string
	// Value is the first value. When it is zero, Generate makes one.
	Value Value
	// Generate makes the first value when Value is zero. It runs only when
	// the secret is created (or exists with no value), before any write.
	Generate Generator
	// Overwrite replaces an existing value that differs from Value, as a
	// new version (the old one becomes AWSPREVIOUS). It needs Value: a
	// freshly generated value on every run is a rotation, see Rotate.
	Overwrite bool
	// Tags are added to the stack's own two tags. Keys may not start with
	// "aws:" or "mangaalert:". Tags that are not in Spec are left alone.
	Tags map[string]string
}

// State is what Ensure found and left, one entry per Spec secret in order,
// and what it changed.
type State struct {
	Secrets []SecretState
	// Changes are what this Ensure created or updated, one per secret, in
	// order; empty when every secret already matched the Spec.
	Changes []change.Change
}

// SecretState is one secret as Ensure left it.
type SecretState struct {
	Name string
	// ARN is the full ARN, random suffix included: what task definitions
	// and IAM policies must name.
	ARN string
	// VersionID is the AWSCURRENT version.
	VersionID string
	// KMSKeyID is the key as Secrets Manager reports it ("" for the AWS
	// managed key). A task execution role needs kms:Decrypt on it when set.
	KMSKeyID string
	// Created is true when this Ensure created the secret.
	Created bool
}

// ARN returns the full ARN of the named secret, "" when State has none.
func (s *State) ARN(name string) string {
	if s == nil {
		return ""
	}
	for _, sec := range s.Secrets {
		if sec.Name == name {
			return sec.ARN
		}
	}
	return ""
}

// The length is checked apart: {1,512} would compile into 512 copies of
// the class at every program start.
var nameRE = regexp.MustCompile(`^[A-Za-z0-9/_+=.@-]+$`)

func checkName(name string) error {
	if !nameRE.MatchString(name) || len(name) > 512 {
		return invalid("secret name %q: use 1 to 512 of A-Z a-z 0-9 / _ + = . @ -", name)
	}
	return nil
}

// checkTagValue applies the Secrets Manager tag rules that matter here.
func checkTagValue(what, v string) error {
	if len(v) > 256 || strings.ContainsFunc(v, func(r rune) bool { return r < ' ' || r == 0x7f }) {
		return invalid("%s %q: at most 256 printable characters", what, v)
	}
	return nil
}

// validate checks the whole Spec before any call, so a mistake leaves no
// half-written state.
func (spec Spec) validate() error {
	if spec.Stack == "" {
		return invalid("Spec.Stack is empty: name the stack, it tags and guards every secret")
	}
	if err := checkTagValue("Spec.Stack", spec.Stack); err != nil {
		return err
	}
	if err := checkTagValue("Spec.Component", spec.Component); err != nil {
		return err
	}
	seen := map[string]bool{}
	for i, sec := range spec.Secrets {
		if err := checkName(sec.Name); err != nil {
			return fmt.Errorf("Spec.Secrets[%d]: %w", i, err)
		}
		if seen[sec.Name] {
			return invalid("Spec.Secrets[%d]: secret %q appears twice", i, sec.Name)
		}
		seen[sec.Name] = true
		if err := sec.validate(); err != nil {
			return fmt.Errorf("Spec.Secrets[%d] (%s): %w", i, sec.Name, err)
		}
	}
	return nil
}

func (sec Secret) validate() error {
	switch {
	case sec.Value.IsZero() && sec.Generate == nil:
		return invalid("no first value: set Value, or Generate (e.g. secrets.RandomBytes(32))")
	case !sec.Value.IsZero() && sec.Generate != nil:
		return invalid("both Value and Generate are set: keep one")
	case sec.Overwrite && sec.Value.IsZero():
		return invalid("Overwrite needs Value: to replace a value with a generated one, use Rotate")
	case len(sec.Value.Reveal()) > maxLen:
		return invalid("Value is longer than the %d bytes Secrets Manager stores", maxLen)
	case len(sec.Description) > 2048:
		return invalid("Description is longer than 2048 characters")
	case len(sec.KMSKeyID) > 2048:
		return invalid("KMSKeyID is longer than 2048 characters")
	case len(sec.Tags) > 48:
		return invalid("%d tags: Secrets Manager allows 50, two of them the stack's", len(sec.Tags))
	}
	for _, k := range slices.Sorted(maps.Keys(sec.Tags)) {
		if k == "" || len(k) > 128 {
			return invalid("tag key %q: 1 to 128 characters", k)
		}
		if strings.HasPrefix(strings.ToLower(k), "aws:") || strings.HasPrefix(k, "mangaalert:") {
			return invalid("tag key %q: the aws: and mangaalert: prefixes are reserved", k)
		}
		if err := checkTagValue("tag "+k, sec.Tags[k]); err != nil {
			return err
		}
	}
	return nil
}

// wantTags is every tag a secret of spec must carry.
func (spec Spec) wantTags(sec Secret) map[string]string {
	out := maps.Clone(sec.Tags)
	if out == nil {
		out = map[string]string{}
	}
	out[resource.TagStack] = spec.Stack
	out[resource.TagComponent] = spec.Component
	if out[resource.TagComponent] == "" {
		out[resource.TagComponent] = DefaultComponent
	}
	return out
}

func tagsOf(ts []types.Tag) map[string]string {
	out := make(map[string]string, len(ts))
	for _, t := range ts {
		out[aws.ToString(t.Key)] = aws.ToString(t.Value)
	}
	return out
}

func toTags(m map[string]string) []types.Tag {
	out := make([]types.Tag, 0, len(m))
	for _, k := range slices.Sorted(maps.Keys(m)) {
		out = append(out, types.Tag{Key: aws.String(k), Value: aws.String(m[k])})
	}
	return out
}

// describe returns the secret, or nil when it does not exist.
func (s *Secrets) describe(ctx context.Context, id string) (*secretsmanager.DescribeSecretOutput, error) {
	out, err := s.client.DescribeSecret(ctx, &secretsmanager.DescribeSecretInput{SecretId: aws.String(id)})
	if isNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("describe secret %q: %w", id, err)
	}
	return out, nil
}

// checkOwner refuses a secret that is not tagged as stack's.
func checkOwner(desc *secretsmanager.DescribeSecretOutput, stack string) error {
	name := aws.ToString(desc.Name)
	got, ok := tagsOf(desc.Tags)[resource.TagStack]
	switch {
	case !ok:
		return fmt.Errorf("secret %q: %w; it is left alone: choose another name, or tag it %s=%s to adopt it",
			name, resource.ErrNotOurs, resource.TagStack, stack)
	case got != stack:
		return fmt.Errorf("secret %q belongs to stack %q, not %q: %w; it is left alone", name, got, stack, resource.ErrNotOurs)
	}
	return nil
}

// currentVersion returns the id of the AWSCURRENT version ("" when none).
func currentVersion(desc *secretsmanager.DescribeSecretOutput) string {
	for id, stages := range desc.VersionIdsToStages {
		if slices.Contains(stages, StageCurrent) {
			return id
		}
	}
	return ""
}

// kmsMatches reports whether the key DescribeSecret reports is the wanted
// one, as far as it can tell without asking KMS.
func kmsMatches(want, have string) bool {
	switch {
	case want == have:
		return true
	case have == "":
		return want == defaultKMSAlias
	case strings.HasPrefix(want, "alias/"):
		return strings.HasSuffix(have, ":"+want)
	case !strings.Contains(want, ":"):
		return strings.HasSuffix(have, ":key/"+want)
	}
	return false
}

// newToken returns a client request token (Secrets Manager wants 32 to 64
// characters); it also becomes the new version's id.
func newToken() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
