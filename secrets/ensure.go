package secrets

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
)

// Ensure makes the stack's secrets match spec and returns each one's full
// ARN. It creates what is missing with its first value, restores a secret
// scheduled for deletion, brings description, KMS key and tags up to date,
// and never replaces an existing value unless Overwrite is set (then as a
// new version, only when the value differs). Everything is read, checked
// and generated before the first write; a second call with the same spec
// writes nothing. After a failed write, the State returned with the error
// lists the secrets reached, the failing one last.
func (s *Secrets) Ensure(ctx context.Context, spec Spec) (*State, error) {
	obs, err := s.observe(ctx, spec)
	if err != nil {
		return nil, err
	}
	// Generate first values now, so a failing generator leaves nothing half-done.
	first := make([]Value, len(obs))
	for i, o := range obs {
		if !o.has(ActionCreate) && !o.has(ActionPutValue) {
			continue
		}
		first[i] = o.want.Value
		if first[i].IsZero() {
			v, err := o.want.Generate()
			if err != nil {
				return nil, fmt.Errorf("generate first value of %q: %w", o.want.Name, err)
			}
			if v.IsZero() || len(v.Reveal()) > maxLen {
				return nil, fmt.Errorf("generate first value of %q: the generator made an empty or over-long (>%d bytes) value: %w",
					o.want.Name, maxLen, ErrInvalid)
			}
			first[i] = v
		}
	}
	st := &State{Secrets: make([]SecretState, len(obs))}
	for i, o := range obs {
		if st.Secrets[i], err = s.apply(ctx, o, first[i]); err != nil {
			st.Secrets = st.Secrets[:i+1] // what was reached; a new Ensure goes on from there
			return st, err
		}
	}
	return st, nil
}

// apply makes one secret's changes, in the order of the Action constants.
func (s *Secrets) apply(ctx context.Context, o *observed, first Value) (SecretState, error) {
	want := o.want
	if o.desc == nil {
		out, err := s.client.CreateSecret(ctx, &secretsmanager.CreateSecretInput{
			Name:               aws.String(want.Name),
			Description:        optional(want.Description),
			KmsKeyId:           optional(want.KMSKeyID),
			SecretString:       aws.String(first.Reveal()),
			Tags:               toTags(o.tags),
			ClientRequestToken: aws.String(newToken()),
		})
		if err != nil {
			return SecretState{Name: want.Name}, fmt.Errorf("create secret %q: %w", want.Name, err)
		}
		s.log.DebugContext(ctx, "created secret", "name", want.Name, "arn", aws.ToString(out.ARN))
		return SecretState{Name: want.Name, ARN: aws.ToString(out.ARN), VersionID: aws.ToString(out.VersionId),
			KMSKeyID: want.KMSKeyID, Created: true}, nil
	}

	arn := aws.ToString(o.desc.ARN)
	st := SecretState{Name: want.Name, ARN: arn, VersionID: currentVersion(o.desc), KMSKeyID: aws.ToString(o.desc.KmsKeyId)}
	for _, c := range o.changes {
		var err error
		switch c.Action {
		case ActionRestore:
			_, err = s.client.RestoreSecret(ctx, &secretsmanager.RestoreSecretInput{SecretId: aws.String(arn)})
		case ActionUpdate:
			in := &secretsmanager.UpdateSecretInput{SecretId: aws.String(arn)}
			if want.Description != aws.ToString(o.desc.Description) {
				in.Description = optional(want.Description)
			}
			if want.KMSKeyID != "" && !kmsMatches(want.KMSKeyID, st.KMSKeyID) {
				in.KmsKeyId = aws.String(want.KMSKeyID)
				st.KMSKeyID = want.KMSKeyID
			}
			_, err = s.client.UpdateSecret(ctx, in)
		case ActionTag:
			_, err = s.client.TagResource(ctx, &secretsmanager.TagResourceInput{SecretId: aws.String(arn), Tags: toTags(o.tags)})
		case ActionPutValue:
			st.VersionID, err = s.put(ctx, arn, first)
		case ActionOverwrite:
			// Compare (again) right before writing: the plan may have had
			// no way to read the value, or it changed since.
			var cur Value
			if cur, err = s.currentValue(ctx, arn); err == nil && !cur.Equal(want.Value) {
				st.VersionID, err = s.put(ctx, arn, want.Value)
			}
		}
		if err != nil {
			return st, fmt.Errorf("%s secret %q: %w", c.Action, want.Name, err)
		}
		s.log.DebugContext(ctx, "changed secret", "name", want.Name, "action", string(c.Action), "detail", c.Detail)
	}
	return st, nil
}

// put stores v as the new AWSCURRENT version and returns its id.
func (s *Secrets) put(ctx context.Context, arn string, v Value) (string, error) {
	out, err := s.client.PutSecretValue(ctx, &secretsmanager.PutSecretValueInput{
		SecretId:           aws.String(arn),
		SecretString:       aws.String(v.Reveal()),
		ClientRequestToken: aws.String(newToken()),
	})
	if err != nil {
		return "", err
	}
	return aws.ToString(out.VersionId), nil
}

// optional turns "" into nil, for fields AWS treats as absent.
func optional(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}
