package secrets

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/manga-alert-italia/mangaalert/internal/awserr"
	"github.com/manga-alert-italia/mangaalert/resource"
)

// Rotation is what Rotate did.
type Rotation struct {
	ARN string
	// VersionID is the new AWSCURRENT version.
	VersionID string
	// PreviousVersionID is the version that became AWSPREVIOUS ("" when the
	// secret had no value).
	PreviousVersionID string
}

// Rotate stores a new value from gen as the secret's AWSCURRENT version;
// Secrets Manager moves AWSPREVIOUS to the version that was current, so a
// reader can still accept what was signed with it (see [Reader.Keys]).
//
// The value is generated once and sent with one client request token: a
// retry after a lost answer (Options.RetryAttempts) finds the version
// already made and creates no second one. The secret must carry a
// mangaalert:stack tag, and must not rotate through a Lambda (that one
// would fight this). Readers see the new value when their cache expires;
// running ECS tasks keep the value they started with until replaced.
func (s *Secrets) Rotate(ctx context.Context, id string, gen Generator) (*Rotation, error) {
	if id == "" || gen == nil {
		return nil, invalid("Rotate needs a secret id and a generator")
	}
	if err := s.ready(); err != nil {
		return nil, err
	}
	desc, err := s.describe(ctx, id)
	if err != nil {
		return nil, err
	}
	switch {
	case desc == nil:
		return nil, fmt.Errorf("rotate secret %q: %w", id, ErrNotFound)
	case desc.DeletedDate != nil:
		return nil, fmt.Errorf("rotate secret %q: scheduled for deletion, restore it first (Ensure does): %w", id, ErrNotFound)
	case tagsOf(desc.Tags)[resource.TagStack] == "":
		return nil, fmt.Errorf("rotate secret %q: it has no %s tag: %w", id, resource.TagStack, resource.ErrNotOurs)
	case aws.ToBool(desc.RotationEnabled):
		return nil, fmt.Errorf("rotate secret %q: it rotates with Lambda %s; use RotateSecret, or turn that off: %w",
			id, aws.ToString(desc.RotationLambdaARN), ErrInvalid)
	}
	v, err := gen()
	if err != nil {
		return nil, fmt.Errorf("rotate secret %q: generate: %w", id, err)
	}
	if v.IsZero() || len(v.Reveal()) > maxLen {
		return nil, fmt.Errorf("rotate secret %q: the generator made an empty or over-long (>%d bytes) value: %w", id, maxLen, ErrInvalid)
	}
	r := &Rotation{ARN: aws.ToString(desc.ARN), PreviousVersionID: currentVersion(desc)}
	in := &secretsmanager.PutSecretValueInput{
		SecretId:           desc.ARN,
		SecretString:       aws.String(v.Reveal()),
		ClientRequestToken: aws.String(newToken()),
	}
	delay := s.opts.RetryDelay
	for attempt := 1; ; attempt++ {
		out, err := s.client.PutSecretValue(ctx, in)
		if err == nil {
			r.VersionID = aws.ToString(out.VersionId)
			s.log.DebugContext(ctx, "rotated secret", "arn", r.ARN, "version", r.VersionID, "previous", r.PreviousVersionID)
			return r, nil
		}
		if attempt >= s.opts.RetryAttempts || !retryable(err) {
			return nil, fmt.Errorf("rotate secret %q: put new value (attempt %d): %w", id, attempt, err)
		}
		s.log.DebugContext(ctx, "retrying rotation with the same token", "arn", r.ARN, "attempt", attempt, "err", err)
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("rotate secret %q: %w (the new version may exist: rotate again if unsure)", id, ctx.Err())
		case <-time.After(delay):
		}
		delay *= 2
	}
}

// retryable reports whether sending the same request again may succeed:
// not when AWS refused it for what it is.
func retryable(err error) bool {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	return !awserr.Is(err, codeNotFound, codeInvalidRequest, codeInvalidParam, codeExists, codeAccessDenied,
		"LimitExceededException", "EncryptionFailure", "MalformedPolicyDocumentException")
}
