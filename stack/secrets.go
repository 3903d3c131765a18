package stack

// Adapter to package secrets' current API (its own Plan and Change types,
// no offline mode, Ensure without the changes it made, Delete by names).
// When secrets has the shape of issue 11, each body below becomes one
// call, and the ARN lookups go: Plan and State carry the ARNs.

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	smtypes "github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"

	"github.com/manga-alert-italia/mangaalert/change"
	"github.com/manga-alert-italia/mangaalert/internal/awserr"
	"github.com/manga-alert-italia/mangaalert/resource"
	"github.com/manga-alert-italia/mangaalert/secrets"
)

// plannedMark stands for the six characters AWS appends to a new secret's
// name in its ARN.
const plannedMark = "xxxxxx"

func secretsSpec(spec Spec) secrets.Spec {
	out := secrets.Spec{Stack: spec.Stack, Component: secrets.DefaultComponent}
	for _, x := range spec.Secrets {
		gen := x.Generate
		if gen == nil && x.Value.IsZero() {
			// It must exist: Apply checked (missingSecrets); a plan says
			// what creating it would need.
			name := x.Name
			gen = func() (secrets.Value, error) { return secrets.Value{}, fmt.Errorf("%w: %s", ErrMissingSecret, name) }
		}
		out.Secrets = append(out.Secrets, secrets.Secret{Name: x.Name, Description: x.Description,
			Value: x.Value, Overwrite: x.Overwrite, Generate: gen, Tags: spec.Tags})
	}
	return out
}

func (s *Stack) secretsAPI() secrets.API {
	if s.o.Offline {
		return secretsmanager.NewFromConfig(emptyAccount(s.o.Region))
	}
	return s.cl.secrets
}

func (s *Stack) secrets() *secrets.Secrets {
	return secrets.New(s.secretsAPI(), func(o *secrets.Options) { o.Logger = s.o.Logger })
}

// secretChanges lists every secret of spec: its changes, or a Keep.
func secretChanges(spec secrets.Spec, p secrets.Plan, arns map[string]string) []change.Change {
	var out []change.Change
	for _, x := range spec.Secrets {
		c := change.Change{Action: change.Keep, Kind: "secret", Name: x.Name}
		if !strings.HasSuffix(arns[x.Name], plannedMark) {
			c.ID = arns[x.Name]
		}
		for _, pc := range p.Changes {
			if pc.Secret != x.Name {
				continue
			}
			switch {
			case pc.Action == secrets.ActionCreate:
				c.Action = change.Create
			case c.Action == change.Keep:
				c.Action = change.Update
			}
			d := pc.Detail
			if pc.Action != secrets.ActionCreate {
				d = string(pc.Action) + ": " + d
			}
			c.Details = append(c.Details, d)
		}
		out = append(out, c)
	}
	return out
}

// secretARNs looks up each secret's ARN, a placeholder for those that do
// not exist yet.
func (s *Stack) secretARNs(ctx context.Context, spec Spec, o *Outputs) error {
	api := s.secretsAPI()
	for _, x := range spec.Secrets {
		out, err := api.DescribeSecret(ctx, &secretsmanager.DescribeSecretInput{SecretId: aws.String(x.Name)})
		switch {
		case awserr.Is(err, "ResourceNotFoundException"):
			o.SecretARNs[x.Name] = resource.ARNIn(o.Partition, "secretsmanager", o.Region, o.Account, "secret:"+x.Name+"-"+plannedMark)
		case err != nil:
			return fmt.Errorf("describe secret %q: %w", x.Name, err)
		default:
			o.SecretARNs[x.Name] = aws.ToString(out.ARN)
		}
	}
	return nil
}

func (s *Stack) planSecrets(ctx context.Context, spec Spec, o *Outputs) (*change.Plan, error) {
	ss := secretsSpec(spec)
	p, err := s.secrets().Plan(ctx, ss)
	if err != nil {
		return nil, fmt.Errorf("plan the secrets: %w", err)
	}
	if err := s.secretARNs(ctx, spec, o); err != nil {
		return nil, err
	}
	return &change.Plan{Component: "secrets", Offline: s.o.Offline, Changes: secretChanges(ss, p, o.SecretARNs)}, nil
}

// missingSecrets fails with ErrMissingSecret when a secret that has no
// value to start from does not exist.
func (s *Stack) missingSecrets(ctx context.Context, spec Spec) error {
	for _, x := range spec.Secrets {
		if !x.Value.IsZero() || x.Generate != nil {
			continue
		}
		_, err := s.cl.secrets.DescribeSecret(ctx, &secretsmanager.DescribeSecretInput{SecretId: aws.String(x.Name)})
		switch {
		case awserr.Is(err, "ResourceNotFoundException"):
			return fmt.Errorf("%w: %s", ErrMissingSecret, x.Name)
		case err != nil:
			return fmt.Errorf("describe secret %q: %w", x.Name, err)
		}
	}
	return nil
}

// ensureSecrets makes the secrets. Until secrets.Ensure returns its
// changes, they come from a plan made just before.
func (s *Stack) ensureSecrets(ctx context.Context, spec Spec, o *Outputs) ([]change.Change, error) {
	ss := secretsSpec(spec)
	sec := s.secrets()
	p, err := sec.Plan(ctx, ss)
	if err != nil {
		return nil, err
	}
	st, err := sec.Ensure(ctx, ss)
	if err != nil {
		return nil, err
	}
	for _, x := range st.Secrets {
		o.SecretARNs[x.Name] = x.ARN
	}
	return made(secretChanges(ss, p, o.SecretARNs)), nil
}

// deleteSecrets deletes the secrets tagged as the stack's.
func (s *Stack) deleteSecrets(ctx context.Context, stack string) ([]change.Change, error) {
	var names []string
	var out []change.Change
	pages := secretsmanager.NewListSecretsPaginator(s.cl.secrets, &secretsmanager.ListSecretsInput{IncludePlannedDeletion: aws.Bool(true)})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("list the secrets: %w", err)
		}
		for _, e := range page.SecretList {
			if !slices.ContainsFunc(e.Tags, func(t smTag) bool {
				return aws.ToString(t.Key) == resource.TagStack && aws.ToString(t.Value) == stack
			}) {
				continue
			}
			names = append(names, aws.ToString(e.Name))
			if e.DeletedDate == nil || s.o.PurgeSecrets {
				out = append(out, change.Change{Action: change.Delete, Kind: "secret", Name: aws.ToString(e.Name), ID: aws.ToString(e.ARN)})
			}
		}
	}
	if len(names) == 0 {
		return nil, nil
	}
	return out, s.secrets().Delete(ctx, names, secrets.DeleteOptions{Stack: stack, Force: s.o.PurgeSecrets})
}

type smTag = smtypes.Tag
