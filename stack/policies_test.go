package stack

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"
)

// A secret kept in Parameter Store must be readable with ssm:GetParameter:
// granting GetSecretValue on a parameter's ARN fails at run time.
func TestTaskPolicyReadsEachSecretWithItsOwnService(t *testing.T) {
	c := Container{SecretARNs: map[string]string{"A": "smtp", "B": "keys"}}
	o := Outputs{SecretARNs: map[string]string{
		"smtp": "arn:aws:ssm:eu-south-1:123456789012:parameter/mangaalert/smtp",
		"keys": "arn:aws:secretsmanager:eu-south-1:123456789012:secret:mangaalert/keys-abcdef",
	}}
	b, err := json.Marshal(taskPolicy(c, o))
	require.NoError(t, err)
	var doc struct {
		Statement []struct {
			Action   any
			Resource any
		}
	}
	require.NoError(t, json.Unmarshal(b, &doc))
	got := map[string]string{}
	for _, s := range doc.Statement {
		a, _ := json.Marshal(s.Action)
		r, _ := json.Marshal(s.Resource)
		got[string(a)] = string(r)
	}
	require.Contains(t, got[`"ssm:GetParameter"`], ":ssm:")
	require.NotContains(t, got[`"ssm:GetParameter"`], ":secretsmanager:")
	require.Contains(t, got[`"secretsmanager:GetSecretValue"`], ":secretsmanager:")
	require.NotContains(t, got[`"secretsmanager:GetSecretValue"`], ":ssm:")
}
