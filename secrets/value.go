package secrets

import (
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
)

// Redacted is what a Value prints, logs and marshals as.
const Redacted = "[redacted]"

// Value is a secret. Every way of printing it — fmt with any verb, slog,
// log, encoding/json, encoding/xml, text/template, html/template — yields
// [Redacted]; code that needs the secret itself calls [Value.Reveal] or
// [Value.Bytes], so each use is visible in a review. The zero Value is an
// empty secret.
//
// The text sits behind a pointer so that even reflection-based printing,
// which fmt falls back to for unexported struct fields (and which never
// calls methods), finds only an address: a struct with an unexported Value
// field prints as {0xc000010250}, never the secret.
//
// Embedding a Value in a struct promotes these methods to the struct, so
// the whole struct prints as [Redacted]: give the field a name instead.
//
// Caveats, for what a type cannot control: reflection-based dumpers that
// deliberately skip methods and follow pointers (go-spew with
// DisableMethods, as testify uses for its failure diffs; debuggers; core
// dumps) can still read it. Compare Values with [Value.Equal], not
// assert.Equal, so a failing test prints no secret.
type Value struct {
	p *string
}

// NewValue wraps s as a secret.
func NewValue(s string) Value {
	return Value{p: &s}
}

// Reveal returns the secret text. Call it where the secret is used (a
// signature, a login), never to log or store it.
func (v Value) Reveal() string {
	if v.p == nil {
		return ""
	}
	return *v.p
}

// Bytes returns a new copy of the secret, which the caller may overwrite
// when done.
func (v Value) Bytes() []byte {
	if v.p == nil {
		return nil
	}
	return []byte(*v.p)
}

// IsZero reports whether the secret is empty.
func (v Value) IsZero() bool { return v.p == nil || *v.p == "" }

// Equal reports whether two secrets hold the same text, in time that does
// not depend on where they differ.
func (v Value) Equal(o Value) bool {
	return subtle.ConstantTimeCompare([]byte(v.Reveal()), []byte(o.Reveal())) == 1
}

// String returns [Redacted].
func (v Value) String() string { return Redacted }

// GoString returns [Redacted], for %#v.
func (v Value) GoString() string { return Redacted }

// Format writes [Redacted] for every verb (%v %+v %#v %s %q %x %X %d ...),
// honouring a width so tables stay aligned.
func (v Value) Format(f fmt.State, verb rune) {
	pad := 0
	if w, ok := f.Width(); ok && w > len(Redacted) {
		pad = w - len(Redacted)
	}
	spaces := func() {
		for range pad {
			_, _ = f.Write([]byte{' '})
		}
	}
	if !f.Flag('-') {
		spaces()
	}
	_, _ = f.Write([]byte(Redacted))
	if f.Flag('-') {
		spaces()
	}
}

// LogValue makes slog log [Redacted], whatever the handler.
func (v Value) LogValue() slog.Value { return slog.StringValue(Redacted) }

// MarshalJSON writes the JSON string "[redacted]".
func (v Value) MarshalJSON() ([]byte, error) { return []byte(`"` + Redacted + `"`), nil }

// MarshalText writes [Redacted]; encoding/xml (elements and attributes),
// JSON map keys and slog's text handler use it.
func (v Value) MarshalText() ([]byte, error) { return []byte(Redacted), nil }

// errRedactedInput refuses to turn a marshalled Value back into a secret:
// the text "[redacted]" means the secret was never written.
var errRedactedInput = errors.New(`secret value is "` + Redacted + `": it was marshalled from a Value, which never writes its secret`)

var errValueNotString = errors.New("a secrets.Value field must hold a JSON string")

// UnmarshalJSON reads a JSON string as a secret, so a struct decoded with
// [Reader.GetJSON] can hold its password as a Value. It refuses the text
// [Redacted], which only a marshalled Value produces.
func (v *Value) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		// The decoder's message may quote the input: say only what was wrong.
		return errValueNotString
	}
	if s == Redacted {
		return errRedactedInput
	}
	*v = NewValue(s)
	return nil
}

var (
	_ fmt.Formatter  = Value{}
	_ fmt.Stringer   = Value{}
	_ fmt.GoStringer = Value{}
	_ slog.LogValuer = Value{}
	_ json.Marshaler = Value{}
)
