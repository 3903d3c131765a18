package backend

import (
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
)

// TestCheckEmail: what an address may hold, and the form it is sent to.
func TestCheckEmail(t *testing.T) {
	for _, tt := range []struct {
		name, raw, want, err string
	}{
		{"plain", "Lettore@Example.it", "lettore@example.it", ""},
		{"plus tag", "a.b+manga@example.it", "a.b+manga@example.it", ""},
		{"IDN domain to punycode", "lettore@città.it", "lettore@xn--citt-3na.it", ""},
		{"IDN upper case", "lettore@CITTÀ.IT", "lettore@xn--citt-3na.it", ""},
		{"punycode already", "lettore@xn--citt-3na.it", "lettore@xn--citt-3na.it", ""},
		{"invalid UTF-8", "\xff\xfe@example.it", "", "caratteri non validi"},
		{"invalid UTF-8 in domain", "a@exa\xffmple.it", "", "caratteri non validi"},
		{"replacement character", "\ufffd@example.it", "", "invisibili"},
		{"bidi override", "abc\u202egpj.exe@example.it", "", "invisibili"},
		{"bidi isolate", "a\u2066b@example.it", "", "invisibili"},
		{"zero-width space", "let\u200btore@example.it", "", "invisibili"},
		{"zero-width joiner in domain", "lettore@exa\u200dmple.it", "", "invisibili"},
		{"byte-order mark", "\ufefflettore@example.it", "", "invisibili"},
		{"NUL", "a\x00b@example.it", "", "invisibili"},
		{"escape", "a\x1bb@example.it", "", "invisibili"},
		{"CRLF header injection", "a@example.it\r\nBcc: x@evil.example", "", "spazi"},
		{"private use", "a\ue000@example.it", "", "invisibili"},
		{"accented local part", "città@example.it", "", "solo lettere senza accenti"},
		{"cyrillic local part", "пример@example.it", "", "solo lettere senza accenti"},
		{"bad IDN", "a@xn--zz.it", "", "Il dominio"},
		{"symbol domain", "a@exa_mple.it", "", "Il dominio"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, ferr := checkEmail(tt.raw)
			if tt.err == "" {
				assert.Nil(t, ferr)
				assert.Equal(t, tt.want, got)
				return
			}
			if assert.NotNil(t, ferr) {
				assert.Contains(t, ferr.Message, tt.err)
				assert.Equal(t, "invalid_email", ferr.Code)
			}
			assert.Empty(t, got)
		})
	}
}

// FuzzCheckEmail: whatever is typed, an address accepted is short, ASCII,
// printable, has one @ and is its own normal form.
func FuzzCheckEmail(f *testing.F) {
	for _, s := range []string{
		"lettore@example.it", "Lettore@CITTÀ.it", "a+b@xn--citt-3na.it", "\xff\xfe@example.it",
		"a\u202eb@example.it", "a\u200b@example.it", "città@example.it", "a@b@c.it", "\"a b\"@example.it",
		"a@[127.0.0.1]", "a@example.it\r\nBcc: x@y.it", "<a@example.it>", "a@ex--ample.it", "a@\u0430pple.com",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		got, ferr := checkEmail(raw)
		if ferr != nil {
			if got != "" || ferr.Message == "" {
				t.Fatalf("refused %q with %q and a message %q", raw, got, ferr.Message)
			}
			return
		}
		if len(got) > maxEmailLen || strings.Count(got, "@") != 1 {
			t.Fatalf("%q accepted as %q", raw, got)
		}
		for _, r := range got {
			if r >= utf8.RuneSelf || !unicode.IsPrint(r) || unicode.IsSpace(r) {
				t.Fatalf("%q accepted as %q, which holds %U", raw, got, r)
			}
		}
		if again, ferr := checkEmail(got); ferr != nil || again != got {
			t.Fatalf("%q accepted as %q, which checks as %q, %v", raw, got, again, ferr)
		}
	})
}
