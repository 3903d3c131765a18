package secrets

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
)

// DefaultRecoveryWindowDays is how long a deleted secret can be restored
// when DeleteOptions.RecoveryWindowDays is zero.
const DefaultRecoveryWindowDays = 7

// DeleteOptions say whose secrets Delete removes, and how.
type DeleteOptions struct {
	// Stack is required: only secrets tagged mangaalert:stack=Stack are
	// deleted.
	Stack string
	// RecoveryWindowDays (7 to 30) is how long the secret can still be
	// restored (an Ensure restores it). Default [DefaultRecoveryWindowDays].
	RecoveryWindowDays int
	// Force deletes at once, with no way back. It excludes RecoveryWindowDays.
	Force bool
}

func (o DeleteOptions) validate() error {
	switch {
	case o.Stack == "":
		return invalid("DeleteOptions.Stack is empty: name the stack whose secrets may be deleted")
	case o.Force && o.RecoveryWindowDays != 0:
		return invalid("DeleteOptions: Force and RecoveryWindowDays exclude each other: keep one")
	case o.RecoveryWindowDays != 0 && (o.RecoveryWindowDays < 7 || o.RecoveryWindowDays > 30):
		return invalid("DeleteOptions.RecoveryWindowDays = %d: use 7 to 30 (0 means %d)", o.RecoveryWindowDays, DefaultRecoveryWindowDays)
	}
	return nil
}

// Delete schedules the named secrets for deletion after the recovery
// window, or deletes them at once with Force. Absent secrets are skipped,
// and so are secrets already scheduled (unless Force), so it returns nil
// when there is nothing to do. It checks every name first, and deletes
// nothing when one of them is not the stack's.
func (s *Secrets) Delete(ctx context.Context, names []string, opts DeleteOptions) error {
	if err := opts.validate(); err != nil {
		return err
	}
	for _, name := range names {
		if err := checkName(name); err != nil {
			return err
		}
	}
	var found []*secretsmanager.DescribeSecretOutput
	for _, name := range names {
		desc, err := s.describe(ctx, name)
		if err != nil {
			return err
		}
		if desc == nil {
			continue
		}
		if err := checkOwner(desc, opts.Stack); err != nil {
			return err
		}
		if desc.DeletedDate != nil && !opts.Force {
			continue // already scheduled: its window stands
		}
		found = append(found, desc)
	}
	for _, desc := range found {
		in := &secretsmanager.DeleteSecretInput{SecretId: desc.ARN}
		if opts.Force {
			in.ForceDeleteWithoutRecovery = aws.Bool(true)
		} else {
			days := opts.RecoveryWindowDays
			if days == 0 {
				days = DefaultRecoveryWindowDays
			}
			in.RecoveryWindowInDays = aws.Int64(int64(days))
		}
		out, err := s.client.DeleteSecret(ctx, in)
		if isNotFound(err) {
			continue
		}
		if err != nil {
			return fmt.Errorf("delete secret %q: %w", aws.ToString(desc.Name), err)
		}
		s.log.DebugContext(ctx, "deleted secret", "name", aws.ToString(desc.Name), "force", opts.Force,
			"deletion_date", aws.ToTime(out.DeletionDate))
	}
	return nil
}
