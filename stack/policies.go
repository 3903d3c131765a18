package stack

import (
	"maps"
	"slices"

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
	if len(readable) > 0 {
		st = append(st, iampolicy.Statement{Sid: "ReadSecrets", Effect: iampolicy.Allow,
			Action: iampolicy.Strings{"secretsmanager:GetSecretValue"}, Resource: readable})
	}
	if c.Policy != nil {
		st = append(st, c.Policy(o)...)
	}
	if len(st) == 0 {
		return iampolicy.Document{}
	}
	return iampolicy.New(st...)
}
