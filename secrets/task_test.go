package secrets_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/manga-alert-italia/mangaalert/secrets"
)

const (
	arnSigning = "arn:aws:secretsmanager:eu-south-1:123456789012:secret:mangaalert/prod/signing-key-AbCdEf"
	arnSMTP    = "arn:aws:secretsmanager:eu-south-1:123456789012:secret:mangaalert/prod/smtp-Gh1jK2"
)

func TestRefValueFrom(t *testing.T) {
	tests := []struct {
		name    string
		ref     secrets.Ref
		want    string
		wantErr string
	}{
		{"whole secret", secrets.Ref{ARN: arnSigning}, arnSigning, ""},
		{"json key", secrets.Ref{ARN: arnSMTP, JSONKey: "password"}, arnSMTP + ":password::", ""},
		{"json key and stage", secrets.Ref{ARN: arnSMTP, JSONKey: "password", VersionStage: "AWSPREVIOUS"}, arnSMTP + ":password:AWSPREVIOUS:", ""},
		{"stage only", secrets.Ref{ARN: arnSigning, VersionStage: "AWSPREVIOUS"}, arnSigning + "::AWSPREVIOUS:", ""},
		{"version id", secrets.Ref{ARN: arnSigning, VersionID: "0123456789abcdef0123456789abcdef"}, arnSigning + ":::0123456789abcdef0123456789abcdef", ""},
		{"china partition", secrets.Ref{ARN: "arn:aws-cn:secretsmanager:cn-north-1:123456789012:secret:x-AbCdEf"}, "arn:aws-cn:secretsmanager:cn-north-1:123456789012:secret:x-AbCdEf", ""},
		{"stage and id", secrets.Ref{ARN: arnSigning, VersionStage: "AWSCURRENT", VersionID: "v1"}, "", "not both"},
		{"partial arn", secrets.Ref{ARN: "arn:aws:secretsmanager:eu-south-1:123456789012:secret:mangaalert/prod/smtp"}, "", "partial secret ARN"},
		{"bare name", secrets.Ref{ARN: "mangaalert/prod/smtp"}, "", "not a secret ARN"},
		{"ssm parameter", secrets.Ref{ARN: "arn:aws:ssm:eu-south-1:123456789012:parameter/x"}, "", "not a secret ARN"},
		{"bad account", secrets.Ref{ARN: "arn:aws:secretsmanager:eu-south-1:1234:secret:x-AbCdEf"}, "", "not a secret ARN"},
		{"colon in key", secrets.Ref{ARN: arnSMTP, JSONKey: "a:b"}, "", "contains ':'"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.ref.ValueFrom()
			if tt.wantErr != "" {
				require.ErrorIs(t, err, secrets.ErrInvalid)
				assert.Contains(t, err.Error(), tt.wantErr)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
			back, err := secrets.ParseValueFrom(got)
			require.NoError(t, err)
			assert.Equal(t, tt.ref, back, "ParseValueFrom undoes ValueFrom")
		})
	}
}

func TestTaskSecretsAndExecutionRoleARNs(t *testing.T) {
	entries, err := secrets.TaskSecrets(
		secrets.Ref{Env: "SMTP_PASSWORD", ARN: arnSMTP, JSONKey: "password"},
		secrets.Ref{Env: "SIGNING_KEY", ARN: arnSigning},
		secrets.Ref{Env: "SIGNING_KEY_PREVIOUS", ARN: arnSigning, VersionStage: secrets.StagePrevious},
		secrets.Ref{Env: "SMTP_USERNAME", ARN: arnSMTP, JSONKey: "username"},
	)
	require.NoError(t, err)
	assert.Equal(t, []secrets.TaskSecret{
		{Name: "SIGNING_KEY", ValueFrom: arnSigning},
		{Name: "SIGNING_KEY_PREVIOUS", ValueFrom: arnSigning + "::AWSPREVIOUS:"},
		{Name: "SMTP_PASSWORD", ValueFrom: arnSMTP + ":password::"},
		{Name: "SMTP_USERNAME", ValueFrom: arnSMTP + ":username::"},
	}, entries, "sorted by name, json-key form with empty stage and id")

	// Other sources a task definition may mix in are not ours to grant.
	entries = append(entries, secrets.TaskSecret{Name: "P", ValueFrom: "arn:aws:ssm:eu-south-1:123456789012:parameter/p"})
	assert.Equal(t, []string{arnSigning, arnSMTP}, secrets.ExecutionRoleARNs(entries),
		"each secret once, without its json-key suffix, sorted")
	assert.Empty(t, secrets.ExecutionRoleARNs(nil))

	for name, refs := range map[string][]secrets.Ref{
		"duplicate env": {{Env: "A", ARN: arnSMTP}, {Env: "A", ARN: arnSigning}},
		"bad env name":  {{Env: "1A", ARN: arnSMTP}},
		"empty env":     {{ARN: arnSMTP}},
		"partial arn":   {{Env: "A", ARN: "arn:aws:secretsmanager:eu-south-1:123456789012:secret:smtp"}},
	} {
		_, err := secrets.TaskSecrets(refs...)
		assert.ErrorIs(t, err, secrets.ErrInvalid, name)
	}
}

func TestParseValueFromRejects(t *testing.T) {
	for _, s := range []string{"", "x", arnSMTP + ":password", arnSMTP + ":a:b:c:d", "arn:aws:ssm:eu-south-1:123456789012:parameter/x"} {
		_, err := secrets.ParseValueFrom(s)
		assert.ErrorIs(t, err, secrets.ErrInvalid, s)
	}
}
