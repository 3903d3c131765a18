package stack

// The secrets step: package secrets, with the stack's options.

import (
	"context"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/ssm"

	"github.com/manga-alert-italia/mangaalert/change"
	"github.com/manga-alert-italia/mangaalert/internal/awserr"
	"github.com/manga-alert-italia/mangaalert/resource"
	"github.com/manga-alert-italia/mangaalert/secrets"
	"github.com/manga-alert-italia/mangaalert/secrets/ssmparam"
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

// Where the secrets live (Spec.SecretStore).
const (
	StoreSecretsManager = "secretsmanager"
	StoreSSM            = "ssm"
)

func paramsSpec(spec Spec) ssmparam.Spec {
	out := ssmparam.Spec{Stack: spec.Stack}
	for _, x := range secretsSpec(spec).Secrets {
		out.Parameters = append(out.Parameters, ssmparam.Parameter{Name: paramName(spec.Stack, x.Name), Description: x.Description,
			Value: x.Value, Overwrite: x.Overwrite, Generate: x.Generate})
	}
	return out
}

func paramName(stack, secret string) string { return strings.TrimPrefix(secret, stack+"/") }

func (s *Stack) params(o *Outputs) *ssmparam.Params {
	return ssmparam.New(s.cl.ssm, func(po *ssmparam.Options) {
		po.Offline, po.Partition, po.Region, po.Account = s.o.Offline, o.Partition, o.Region, o.Account
	})
}

func (s *Stack) secrets() *secrets.Secrets {
	return secrets.New(s.cl.secrets, func(o *secrets.Options) {
		o.Logger, o.Offline, o.OnChange, o.ForceDelete = s.o.Logger, s.o.Offline, s.o.OnChange, s.o.PurgeSecrets
	})
}

// planSecrets plans the secrets and hands on their ARNs: placeholders
// ending in -xxxxxx for those not created yet.
func (s *Stack) planSecrets(ctx context.Context, spec Spec, o *Outputs) (*change.Plan, error) {
	if spec.SecretStore == StoreSSM {
		p, err := s.params(o).Plan(ctx, paramsSpec(spec))
		if err != nil {
			return nil, fmt.Errorf("plan the secrets: %w", err)
		}
		for _, x := range spec.Secrets {
			o.SecretARNs[x.Name] = ssmparam.ARN(o.Partition, o.Region, o.Account, spec.Stack, paramName(spec.Stack, x.Name))
		}
		return p, nil
	}
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
		if spec.SecretStore == StoreSSM {
			_, err := s.cl.ssm.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String(ssmparam.FullName(spec.Stack, paramName(spec.Stack, x.Name)))})
			if awserr.Is(err, "ParameterNotFound") {
				return fmt.Errorf("%w: %s", ErrMissingSecret, x.Name)
			} else if err != nil {
				return fmt.Errorf("read parameter of %q: %w", x.Name, err)
			}
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
	if spec.SecretStore == StoreSSM {
		st, err := s.params(o).Ensure(ctx, paramsSpec(spec))
		if st == nil {
			return nil, err
		}
		for _, x := range spec.Secrets {
			o.SecretARNs[x.Name] = st.ARNs[paramName(spec.Stack, x.Name)]
		}
		return st.Changes, err
	}
	st, err := s.secrets().Ensure(ctx, secretsSpec(spec))
	if st == nil {
		return nil, err
	}
	for _, x := range st.Secrets {
		o.SecretARNs[x.Name] = x.ARN
	}
	return st.Changes, err
}

// deleteSecrets deletes the secrets tagged as the stack's, in both
// stores: recoverable for secrets' default window, unless
// Options.PurgeSecrets; parameters at once (Parameter Store keeps none).
func (s *Stack) deleteSecrets(ctx context.Context, stack string) ([]change.Change, error) {
	done, err := s.secrets().Delete(ctx, stack)
	if err != nil {
		return done, err
	}
	params, err := s.params(&Outputs{}).Delete(ctx, stack)
	return append(done, params...), err
}
