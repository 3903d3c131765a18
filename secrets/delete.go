package secrets

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"

	"github.com/manga-alert-italia/mangaalert/change"
	"github.com/manga-alert-italia/mangaalert/internal/engine"
	"github.com/manga-alert-italia/mangaalert/resource"
)

func (o Options) validateDelete() error {
	switch {
	case o.ForceDelete && o.RecoveryWindowDays != 0:
		return invalid("Options: ForceDelete and RecoveryWindowDays exclude each other: keep one")
	case o.RecoveryWindowDays != 0 && (o.RecoveryWindowDays < 7 || o.RecoveryWindowDays > 30):
		return invalid("Options.RecoveryWindowDays = %d: use 7 to 30 (0 means %d)", o.RecoveryWindowDays, DefaultRecoveryWindowDays)
	}
	return nil
}

// Delete removes every secret tagged mangaalert:stack=stack, whatever its
// component: it schedules each for deletion after Options.RecoveryWindowDays
// (an Ensure restores it meanwhile), or deletes it at once with
// Options.ForceDelete. Secrets already scheduled are left to their window
// (unless ForceDelete), so it returns nil, nil when there is nothing to
// do. A secret without the stack's tag is never found, so never touched.
func (s *Secrets) Delete(ctx context.Context, stack string) ([]change.Change, error) {
	if stack == "" {
		return nil, invalid("Delete: the stack is empty: name the stack whose secrets may be deleted")
	}
	if err := s.opts.validateDelete(); err != nil {
		return nil, err
	}
	if err := s.ready(); err != nil {
		return nil, err
	}
	found, err := s.stackSecrets(ctx, stack)
	if err != nil {
		return nil, err
	}
	var steps []engine.Step
	for _, sec := range found {
		if sec.DeletedDate != nil && !s.opts.ForceDelete {
			continue // already scheduled: its window stands
		}
		steps = append(steps, s.deleteStep(sec))
	}
	done, err := engine.Run(ctx, s.log.With("stack", stack), steps, s.opts.OnChange)
	if len(done) == 0 {
		done = nil
	}
	return done, err
}

// stackSecrets lists the secrets tagged with the stack, those scheduled for
// deletion included.
func (s *Secrets) stackSecrets(ctx context.Context, stack string) ([]types.SecretListEntry, error) {
	p := secretsmanager.NewListSecretsPaginator(s.client, &secretsmanager.ListSecretsInput{
		IncludePlannedDeletion: aws.Bool(true),
		Filters: []types.Filter{
			{Key: types.FilterNameStringTypeTagKey, Values: []string{resource.TagStack}},
			{Key: types.FilterNameStringTypeTagValue, Values: []string{stack}},
		},
	})
	var out []types.SecretListEntry
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("list the secrets of stack %q: %w", stack, err)
		}
		for _, sec := range page.SecretList {
			// The filters match prefixes, and key and value on any tags:
			// only the exact tag makes a secret the stack's.
			if tagsOf(sec.Tags)[resource.TagStack] == stack {
				out = append(out, sec)
			}
		}
	}
	return out, nil
}

func (s *Secrets) deleteStep(sec types.SecretListEntry) engine.Step {
	in := &secretsmanager.DeleteSecretInput{SecretId: sec.ARN}
	detail := "forced: no recovery"
	if s.opts.ForceDelete {
		in.ForceDeleteWithoutRecovery = aws.Bool(true)
	} else {
		days := s.opts.RecoveryWindowDays
		if days == 0 {
			days = DefaultRecoveryWindowDays
		}
		in.RecoveryWindowInDays = aws.Int64(int64(days))
		detail = fmt.Sprintf("recoverable for %d days", days)
	}
	return engine.Step{
		Change: change.Change{Action: change.Delete, Kind: kind, Name: aws.ToString(sec.Name), ID: aws.ToString(sec.ARN), Details: []string{detail}},
		Apply: func(ctx context.Context) error {
			_, err := s.client.DeleteSecret(ctx, in)
			if isNotFound(err) {
				return nil // gone meanwhile
			}
			return err
		},
	}
}
