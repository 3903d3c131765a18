// Package iampolicy holds the IAM policy document type and the
// least-privilege check every policy of this module passes before it is
// written: no "*" or "service:*" actions, and no "*" resources except for
// the actions AWS offers no resource-level permission for (NoResourceActions).
//
// It is shared by the infrastructure packages (ecshost for the host's and
// the tasks' roles, schedule for the scheduler's role) and by programs that
// compose them and write task policies of their own, so every role of a
// stack is built, compared with what IAM holds, and checked the same way.
package iampolicy

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
)

// Version is the policy language version every document uses.
const Version = "2012-10-17"

// Document is an IAM policy: an identity policy (actions on resources) or a
// trust policy (principals allowed to assume a role).
type Document struct {
	Version   string      `json:"Version"`
	Statement []Statement `json:"Statement"`
}

// Statement is one statement of a Document. Condition maps an operator
// ("StringEquals") to keys and their values.
type Statement struct {
	Sid         string                        `json:"Sid,omitempty"`
	Effect      string                        `json:"Effect"`
	Principal   map[string]Strings            `json:"Principal,omitempty"`
	Action      Strings                       `json:"Action,omitempty"`
	NotAction   Strings                       `json:"NotAction,omitempty"`
	Resource    Strings                       `json:"Resource,omitempty"`
	NotResource Strings                       `json:"NotResource,omitempty"`
	Condition   map[string]map[string]Strings `json:"Condition,omitempty"`
}

// Allow and Deny are the two effects.
const (
	Allow = "Allow"
	Deny  = "Deny"
)

// Strings is a list of strings that IAM writes as a bare string when it has
// one element, and reads in either form.
type Strings []string

// MarshalJSON writes one element as a string and more as an array.
func (s Strings) MarshalJSON() ([]byte, error) {
	var v any = []string(s)
	if len(s) == 1 {
		v = s[0]
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false) // keep "<" and "&" readable in ARNs and conditions
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}

// UnmarshalJSON reads a string or an array of strings.
func (s *Strings) UnmarshalJSON(b []byte) error {
	var one string
	if err := json.Unmarshal(b, &one); err == nil {
		*s = Strings{one}
		return nil
	}
	var many []string
	if err := json.Unmarshal(b, &many); err != nil {
		return fmt.Errorf("want a string or a list of strings: %w", err)
	}
	*s = many
	return nil
}

// New returns a document with the current Version and the given statements.
func New(statements ...Statement) Document {
	return Document{Version: Version, Statement: statements}
}

// IsZero reports whether d has no statement.
func (d Document) IsZero() bool { return len(d.Statement) == 0 }

// JSON returns the compact JSON form IAM stores.
func (d Document) JSON() string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(d); err != nil {
		// Only maps of strings and slices: encoding cannot fail.
		panic(fmt.Sprintf("iampolicy: encode: %v", err))
	}
	return strings.TrimSuffix(b.String(), "\n")
}

// Parse reads a policy as IAM returns it: JSON, URL-encoded by GetRole,
// GetRolePolicy and GetPolicyVersion.
func Parse(s string) (Document, error) {
	if strings.HasPrefix(s, "%7B") || strings.HasPrefix(s, "%7b") {
		u, err := url.QueryUnescape(s)
		if err != nil {
			return Document{}, fmt.Errorf("policy: url-decode: %w", err)
		}
		s = u
	}
	var d Document
	if err := json.Unmarshal([]byte(s), &d); err != nil {
		return Document{}, fmt.Errorf("policy: %w", err)
	}
	return d, nil
}

// Equal reports whether a and b say the same in the same order (one-element
// lists and bare strings are the same).
func Equal(a, b Document) bool { return a.JSON() == b.JSON() }
