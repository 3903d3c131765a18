package stack

// The secrets step: package secrets, with the stack's options.

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

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

func (s *Stack) secrets() *secrets.Secrets {
	return secrets.New(s.cl.secrets, func(o *secrets.Options) {
		o.Logger, o.Offline, o.OnChange, o.ForceDelete = s.o.Logger, s.o.Offline, s.o.OnChange, s.o.PurgeSecrets
	})
}

// planSecrets plans the secrets and hands on their ARNs: placeholders
// ending in -xxxxxx for those not created yet.
func (s *Stack) planSecrets(ctx context.Context, spec Spec, o *Outputs) (*change.Plan, error) {
	p, err := s.secrets().Plan(ctx, secretsSpec(spec))
	if err != nil {
		return nil, fmt.Errorf("plan the secrets: %w", err)
	}
	for _, c := range p.Changes {
		o.SecretARNs[c.Name] = c.ID
		if c.ID == "" {
			o.SecretARNs[c.Name] = resource.ARNIn(o.Partition, "secretsmanager", o.Region, o.Account, "secret:"+c.Name+"-"+plannedMark)
		}
	}
	return p, nil
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

// ensureSecrets makes the secrets and hands on their ARNs.
func (s *Stack) ensureSecrets(ctx context.Context, spec Spec, o *Outputs) ([]change.Change, error) {
	st, err := s.secrets().Ensure(ctx, secretsSpec(spec))
	if st == nil {
		return nil, err
	}
	for _, x := range st.Secrets {
		o.SecretARNs[x.Name] = x.ARN
	}
	return st.Changes, err
}

// deleteSecrets deletes the secrets tagged as the stack's: recoverable
// for secrets' default window, unless Options.PurgeSecrets.
func (s *Stack) deleteSecrets(ctx context.Context, stack string) ([]change.Change, error) {
	return s.secrets().Delete(ctx, stack)
}
