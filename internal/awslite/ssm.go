package awslite

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
)

// SSM makes the one Parameter Store call the binary needs: GetParameter
// with decryption (JSON 1.1), for a SecureString the deploy tool keeps
// with secret_store "ssm". It takes no SDK types: the SSM client's
// package is large, and no library package asks for its interface.
type SSM struct{ c client }

// NewSSM returns the Parameter Store call on cfg.
func NewSSM(cfg Config) *SSM { return &SSM{c: newClient(cfg, "ssm", "ssm")} }

// GetParameter returns the decrypted value of the parameter name (a name
// or an ARN). Its errors carry AWS's code and message, never the value;
// a missing parameter has the code ParameterNotFound.
func (s *SSM) GetParameter(ctx context.Context, name string) (string, error) {
	body, err := encode(&struct {
		Name           string
		WithDecryption bool
	}{name, true})
	if err != nil {
		return "", err
	}
	ans, err := s.c.call(ctx, request{op: "GetParameter", method: http.MethodPost, path: "/",
		target: "AmazonSSM.GetParameter", contentType: "application/x-amz-json-1.1", body: body}, nil)
	if err != nil {
		return "", err
	}
	var out struct{ Parameter *struct{ Value *string } }
	if err := decode(ans, &out); err != nil {
		return "", err
	}
	if out.Parameter == nil || out.Parameter.Value == nil {
		return "", fmt.Errorf("ssm GetParameter %s: the answer holds no value", name)
	}
	return *out.Parameter.Value, nil
}

// Secrets reads a secret from Secrets Manager, or from Parameter Store
// when its id is a parameter's ARN (arn:PARTITION:ssm:REGION:ACCOUNT:
// parameter/NAME): the two stores the deploy tool's secret_store chooses
// between, behind the one secrets.Reader.
//
// Parameter Store keeps no staged versions: a parameter's AWSCURRENT is
// its value, and any other stage is not found (secrets.Reader.Keys then
// gives no previous key). A missing parameter answers with Secrets
// Manager's code for a missing secret, ResourceNotFoundException, so the
// reader's ErrNotFound holds for both.
type Secrets struct {
	SecretsManager *SecretsManager
	SSM            *SSM
}

// NewSecrets returns the reader's calls for both stores on cfg.
func NewSecrets(cfg Config) *Secrets {
	return &Secrets{SecretsManager: NewSecretsManager(cfg), SSM: NewSSM(cfg)}
}

// IsParameterARN reports whether id names a Parameter Store parameter.
func IsParameterARN(id string) bool {
	parts := strings.SplitN(id, ":", 6)
	return len(parts) == 6 && parts[0] == "arn" && parts[2] == "ssm" && strings.HasPrefix(parts[5], "parameter/")
}

// GetSecretValue reads the secret or the parameter in.SecretId.
func (s *Secrets) GetSecretValue(ctx context.Context, in *secretsmanager.GetSecretValueInput, optFns ...func(*secretsmanager.Options)) (*secretsmanager.GetSecretValueOutput, error) {
	id := aws.ToString(in.SecretId)
	if !IsParameterARN(id) {
		return s.SecretsManager.GetSecretValue(ctx, in, optFns...)
	}
	if stage := aws.ToString(in.VersionStage); stage != "" && stage != "AWSCURRENT" {
		return nil, &APIError{Service: "ssm", Operation: "GetParameter", Code: "ResourceNotFoundException",
			Message: "Parameter Store keeps no " + stage + " version: " + id}
	}
	v, err := s.SSM.GetParameter(ctx, id)
	var ae *APIError
	if errors.As(err, &ae) && ae.Code == "ParameterNotFound" {
		nf := *ae
		nf.Code, nf.Message = "ResourceNotFoundException", "ParameterNotFound: "+ae.Message
		return nil, &nf
	}
	if err != nil {
		return nil, err
	}
	return &secretsmanager.GetSecretValueOutput{ARN: aws.String(id), Name: aws.String(id), SecretString: aws.String(v),
		VersionStages: []string{"AWSCURRENT"}}, nil
}
