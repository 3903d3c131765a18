package secrets

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/manga-alert-italia/mangaalert/change"
	"github.com/manga-alert-italia/mangaalert/internal/engine"
)

// Ensure makes the stack's secrets match spec and returns each one's full
// ARN with the changes it made. It creates what is missing with its first
// value, restores a secret scheduled for deletion, brings description, KMS
// key and tags up to date, and never replaces an existing value unless
// Overwrite is set (then as a new version, only when the value differs).
// Everything is read, checked and generated before the first write; a
// second call with the same spec writes nothing and reports no change.
// After a failed write, the State returned with the error lists the
// secrets reached, the failing one last, and the changes made before it.
func (s *Secrets) Ensure(ctx context.Context, spec Spec) (*State, error) {
	if err := spec.validate(); err != nil {
		return nil, err
	}
	if err := s.ready(); err != nil {
		return nil, err
	}
	obs, err := s.observe(ctx, spec)
	if err != nil {
		return nil, err
	}
	if err := generate(obs); err != nil {
		return nil, err
	}
	reached := 0
	st := &State{}
	_, err = engine.Run(ctx, s.log.With("stack", spec.Stack), s.steps(obs, &reached), func(c change.Change) {
		c.ID = obs[reached].state.ARN
		st.Changes = append(st.Changes, c)
		if s.opts.OnChange != nil {
			s.opts.OnChange(c)
		}
	})
	n := len(obs)
	if err != nil {
		n = reached + 1 // what was reached; a new Ensure goes on from there
	}
	for _, o := range obs[:n] {
		st.Secrets = append(st.Secrets, o.state)
	}
	return st, err
}

// generate makes the first values now, so a failing generator leaves
// nothing half-done.
func generate(obs []*observed) error {
	for _, o := range obs {
		if !o.has(actCreate) && !o.has(actPutValue) {
			continue
		}
		o.first = o.want.Value
		if !o.first.IsZero() {
			continue
		}
		v, err := o.want.Generate()
		if err != nil {
			return fmt.Errorf("generate first value of %q: %w", o.want.Name, err)
		}
		if v.IsZero() || len(v.Reveal()) > maxLen {
			return fmt.Errorf("generate first value of %q: the generator made an empty or over-long (>%d bytes) value: %w",
				o.want.Name, maxLen, ErrInvalid)
		}
		o.first = v
	}
	return nil
}

// steps are one step per secret, Plan's and Ensure's alike. A step sets
// *reached (when not nil) to its secret's index as it starts.
func (s *Secrets) steps(obs []*observed, reached *int) []engine.Step {
	steps := make([]engine.Step, len(obs))
	for i, o := range obs {
		steps[i] = engine.Step{Change: o.change, Apply: func(ctx context.Context) error {
			if reached != nil {
				*reached = i
			}
			return s.apply(ctx, o)
		}}
	}
	return steps
}

// apply makes one secret's calls, in the order of the action constants,
// and keeps o.state up to date.
func (s *Secrets) apply(ctx context.Context, o *observed) error {
	want := o.want
	if o.desc == nil {
		out, err := s.client.CreateSecret(ctx, &secretsmanager.CreateSecretInput{
			Name:               aws.String(want.Name),
			Description:        optional(want.Description),
			KmsKeyId:           optional(want.KMSKeyID),
			SecretString:       aws.String(o.first.Reveal()),
			Tags:               toTags(o.tags),
			ClientRequestToken: aws.String(newToken()),
		})
		if err != nil {
			return err // the engine names the secret and the action
		}
		o.state = SecretState{Name: want.Name, ARN: aws.ToString(out.ARN), VersionID: aws.ToString(out.VersionId),
			KMSKeyID: want.KMSKeyID, Created: true}
		return nil
	}
	arn := o.state.ARN
	for _, a := range o.actions {
		var err error
		switch a {
		case actRestore:
			_, err = s.client.RestoreSecret(ctx, &secretsmanager.RestoreSecretInput{SecretId: aws.String(arn)})
		case actUpdate:
			err = s.update(ctx, o)
		case actTag:
			_, err = s.client.TagResource(ctx, &secretsmanager.TagResourceInput{SecretId: aws.String(arn), Tags: toTags(o.tags)})
		case actPutValue:
			o.state.VersionID, err = s.put(ctx, arn, o.first)
		case actOverwrite:
			// Compare (again) right before writing: the plan may have had
			// no way to read the value, or it changed since.
			var cur Value
			if cur, err = s.currentValue(ctx, arn); err == nil && !cur.Equal(want.Value) {
				o.state.VersionID, err = s.put(ctx, arn, want.Value)
			}
		}
		if err != nil {
			return fmt.Errorf("%s: %w", a, err)
		}
	}
	return nil
}

// update brings description and KMS key up to date.
func (s *Secrets) update(ctx context.Context, o *observed) error {
	in := &secretsmanager.UpdateSecretInput{SecretId: aws.String(o.state.ARN)}
	if o.want.Description != aws.ToString(o.desc.Description) {
		in.Description = optional(o.want.Description)
	}
	if o.want.KMSKeyID != "" && !kmsMatches(o.want.KMSKeyID, o.state.KMSKeyID) {
		in.KmsKeyId = aws.String(o.want.KMSKeyID)
		o.state.KMSKeyID = o.want.KMSKeyID
	}
	_, err := s.client.UpdateSecret(ctx, in)
	return err
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
