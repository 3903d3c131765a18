package stack

import (
	"maps"
	"slices"
	"strings"

	"github.com/manga-alert-italia/mangaalert/iampolicy"
)

// taskPolicy is a container's task role policy: the table's items when it
// uses the table, the secrets whose ARNs it is given, and its own
// statements. Empty means no task role.
func taskPolicy(c Container, o Outputs) iampolicy.Document {
	var st []iampolicy.Statement
	if c.UsesTable && o.TableARN != "" {
		st = append(st, iampolicy.Statement{Sid: "Table", Effect: iampolicy.Allow,
			Action: iampolicy.Strings(tableItemActions()), Resource: iampolicy.Strings(tableResources(o.TableARN))})
	}
	var readable iampolicy.Strings
	for _, env := range slices.Sorted(maps.Keys(c.SecretARNs)) {
		if arn := o.SecretARNs[c.SecretARNs[env]]; arn != "" && !slices.Contains(readable, arn) {
			readable = append(readable, arn)
		}
	}
	// A secret kept in Parameter Store (secret_store ssm) is read with
	// ssm:GetParameter, one in Secrets Manager with GetSecretValue: each
	// ARN gets only its own service's action.
	var inSM, inSSM iampolicy.Strings
	for _, arn := range readable {
		if strings.Contains(arn, ":ssm:") {
			inSSM = append(inSSM, arn)
		} else {
			inSM = append(inSM, arn)
		}
	}
	if len(inSM) > 0 {
		st = append(st, iampolicy.Statement{Sid: "ReadSecrets", Effect: iampolicy.Allow,
			Action: iampolicy.Strings{"secretsmanager:GetSecretValue"}, Resource: inSM})
	}
	if len(inSSM) > 0 {
		st = append(st, iampolicy.Statement{Sid: "ReadParameters", Effect: iampolicy.Allow,
			Action: iampolicy.Strings{"ssm:GetParameter"}, Resource: inSSM})
	}
	if c.Policy != nil {
		st = append(st, c.Policy(o)...)
	}
	if len(st) == 0 {
		return iampolicy.Document{}
	}
	return iampolicy.New(st...)
}
