package ecslocal

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/manga-alert-italia/mangaalert/secrets"
)

// SecretsAPI is the Secrets Manager call the agent makes for valueFrom.
type SecretsAPI interface {
	GetSecretValue(ctx context.Context, in *secretsmanager.GetSecretValueInput, optFns ...func(*secretsmanager.Options)) (*secretsmanager.GetSecretValueOutput, error)
}

type secretResolver struct {
	api   SecretsAPI
	known map[string]string
}

// resolve reads a valueFrom as the agent does: a secret ARN, optionally
// followed by :json-key:version-stage:version-id. Its errors name the
// secret, never its value.
func (s *secretResolver) resolve(ctx context.Context, valueFrom string) (string, error) {
	if v, ok := s.known[valueFrom]; ok {
		return v, nil
	}
	ref, err := secrets.ParseValueFrom(valueFrom)
	if err != nil {
		return "", err
	}
	if s.api == nil {
		return "", fmt.Errorf("%s: no Secrets Manager client to read it with", ref.ARN)
	}
	in := &secretsmanager.GetSecretValueInput{SecretId: aws.String(ref.ARN)}
	if ref.VersionStage != "" {
		in.VersionStage = aws.String(ref.VersionStage)
	}
	if ref.VersionID != "" {
		in.VersionId = aws.String(ref.VersionID)
	}
	out, err := s.api.GetSecretValue(ctx, in)
	if err != nil {
		return "", fmt.Errorf("read %s (apply the stack first, or check the credentials): %w", ref.ARN, err)
	}
	v := aws.ToString(out.SecretString)
	if out.SecretString == nil {
		v = string(out.SecretBinary)
	}
	if ref.JSONKey == "" {
		return v, nil
	}
	var m map[string]any
	if err := json.Unmarshal([]byte(v), &m); err != nil {
		return "", fmt.Errorf("%s: json-key %s asked for, but the secret is not a JSON object", ref.ARN, ref.JSONKey)
	}
	x, ok := m[ref.JSONKey]
	if !ok {
		return "", fmt.Errorf("%s has no key %s", ref.ARN, ref.JSONKey)
	}
	if str, ok := x.(string); ok {
		return str, nil
	}
	b, _ := json.Marshal(x)
	return strings.TrimSpace(string(b)), nil
}
