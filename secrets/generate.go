package secrets

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
)

// A Generator makes a secret's text: its first value in [Secrets.Ensure],
// or a new one in [Secrets.Rotate]. Its errors must not quote the text.
type Generator func() (Value, error)

// maxLen is the longest SecretString Secrets Manager stores.
const maxLen = 65536

// RandomBytes generates n bytes from crypto/rand, base64-encoded (standard
// alphabet, padded) because ECS injects only text secrets into containers.
// RandomBytes(32) makes an HMAC signing key: decode it with
// base64.StdEncoding, or use the text itself as the key (same entropy).
func RandomBytes(n int) Generator {
	return func() (Value, error) {
		if n <= 0 || base64.StdEncoding.EncodedLen(n) > maxLen {
			return Value{}, invalid("RandomBytes(%d): n must be 1..%d", n, base64.StdEncoding.DecodedLen(maxLen))
		}
		b := make([]byte, n)
		_, _ = rand.Read(b) // never fails (crypto/rand panics on a broken source)
		s := base64.StdEncoding.EncodeToString(b)
		clear(b)
		return NewValue(s), nil
	}
}

// passwordAlphabet has no character that needs quoting in a URL, a shell,
// JSON or an SMTP AUTH line.
const passwordAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

// RandomPassword generates n characters of letters and digits, uniformly
// chosen with crypto/rand (about 5.95 bits each: 22 characters give 128 bits).
func RandomPassword(n int) Generator {
	return func() (Value, error) {
		if n <= 0 || n > maxLen {
			return Value{}, invalid("RandomPassword(%d): n must be 1..%d", n, maxLen)
		}
		return NewValue(randomString(n)), nil
	}
}

func randomString(n int) string {
	out := make([]byte, n)
	var buf [64]byte
	for i := 0; i < n; {
		_, _ = rand.Read(buf[:])
		for _, c := range buf {
			// 248 = 4*62: rejecting the top values keeps the choice uniform.
			if c >= 248 || i == n {
				continue
			}
			out[i] = passwordAlphabet[int(c)%len(passwordAlphabet)]
			i++
		}
	}
	return string(out)
}

// Fixed always yields s: a value the caller already has, where a Generator
// is wanted (inside [RandomJSON], for example).
func Fixed(s string) Generator {
	return func() (Value, error) { return NewValue(s), nil }
}

// RandomJSON generates a JSON object whose fields each come from their own
// generator, e.g. {"username": Fixed("app"), "password": RandomPassword(32)}.
// Every field is a JSON string; keys are written in sorted order.
func RandomJSON(fields map[string]Generator) Generator {
	return func() (Value, error) {
		if len(fields) == 0 {
			return Value{}, invalid("RandomJSON: no fields")
		}
		obj := make(map[string]string, len(fields))
		for k, gen := range fields {
			if gen == nil {
				return Value{}, invalid("RandomJSON: field %q has no generator", k)
			}
			v, err := gen()
			if err != nil {
				return Value{}, fmt.Errorf("RandomJSON: field %q: %w", k, err)
			}
			obj[k] = v.Reveal()
		}
		b, err := json.Marshal(obj) // a map of strings always marshals
		if err != nil {
			return Value{}, fmt.Errorf("RandomJSON: %w", ErrDecode)
		}
		return NewValue(string(b)), nil
	}
}

// JSON yields the JSON encoding of v, for a structured secret the caller
// already knows (an SMTP account: host, port, username, password). Fields
// of type Value marshal as "[redacted]", so v must hold the secret text in
// plain strings.
func JSON(v any) Generator {
	return func() (Value, error) {
		b, err := json.Marshal(v)
		if err != nil {
			// The encoder's message can quote a value: name the type only.
			return Value{}, invalid("JSON: a %T does not encode as JSON", v)
		}
		if bytes.Contains(b, []byte(`"`+Redacted+`"`)) {
			return Value{}, invalid("JSON: the %T holds a Value, which marshals as %q: put the secret text in a string field", v, Redacted)
		}
		return NewValue(string(b)), nil
	}
}
