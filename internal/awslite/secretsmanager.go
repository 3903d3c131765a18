package awslite

import (
	"context"
	"net/http"

	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
)

// SecretsManager makes the one Secrets Manager call of secrets.Reader:
// GetSecretValue (JSON 1.1).
type SecretsManager struct{ c client }

// NewSecretsManager returns the Secrets Manager call on cfg.
func NewSecretsManager(cfg Config) *SecretsManager {
	return &SecretsManager{c: newClient(cfg, "secretsmanager", "secretsmanager")}
}

// GetSecretValue reads one version of a secret. Its errors carry AWS's
// code and message, never the secret.
func (s *SecretsManager) GetSecretValue(ctx context.Context, in *secretsmanager.GetSecretValueInput, optFns ...func(*secretsmanager.Options)) (*secretsmanager.GetSecretValueOutput, error) {
	body, err := encode(in)
	if err != nil {
		return nil, err
	}
	attempts := attemptsOf(&secretsmanager.Options{}, optFns, func(o *secretsmanager.Options) int { return o.RetryMaxAttempts })
	ans, err := s.c.call(ctx, request{op: "GetSecretValue", method: http.MethodPost, path: "/",
		target: "secretsmanager.GetSecretValue", contentType: "application/x-amz-json-1.1", body: body, attempts: attempts}, nil)
	if err != nil {
		return nil, err
	}
	out := &secretsmanager.GetSecretValueOutput{}
	return out, decode(ans, out)
}
