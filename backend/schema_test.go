package backend

import (
	"fmt"
	"math"
	"net/mail"
	"net/url"
	"slices"
	"sort"
	"strings"
	"time"
)

// A JSON Schema checker for the subset the OpenAPI document uses: $ref to
// the document's components, type (one or a list, "null" included),
// properties, required, additionalProperties false, items, enum, oneOf,
// minimum, maxLength and the formats date, date-time, email and uri. It
// fails on any keyword it does not know, so the document cannot drift into
// something this checker silently ignores.

type schemaChecker struct {
	doc map[string]any
}

var knownKeywords = []string{"$ref", "type", "properties", "required", "additionalProperties", "items", "enum",
	"oneOf", "minimum", "maxLength", "format", "description"}

// resolve follows a local $ref ("#/components/schemas/Volume").
func (c schemaChecker) resolve(ref string) (map[string]any, error) {
	p, ok := strings.CutPrefix(ref, "#/")
	if !ok {
		return nil, fmt.Errorf("only local $ref supported, got %q", ref)
	}
	var cur any = c.doc
	for _, part := range strings.Split(p, "/") {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("$ref %q: %q is not an object", ref, part)
		}
		if cur, ok = m[part]; !ok {
			return nil, fmt.Errorf("$ref %q: no %q", ref, part)
		}
	}
	m, ok := cur.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("$ref %q is not an object", ref)
	}
	return m, nil
}

// deref follows $ref until an object without one.
func (c schemaChecker) deref(s map[string]any) (map[string]any, error) {
	for range 10 {
		ref, ok := s["$ref"].(string)
		if !ok {
			return s, nil
		}
		var err error
		if s, err = c.resolve(ref); err != nil {
			return nil, err
		}
	}
	return nil, fmt.Errorf("$ref chain too long")
}

func jsonType(v any) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case bool:
		return "boolean"
	case string:
		return "string"
	case float64:
		if x == math.Trunc(x) {
			return "integer"
		}
		return "number"
	case []any:
		return "array"
	case map[string]any:
		return "object"
	}
	return fmt.Sprintf("%T", v)
}

// validate checks v (decoded with encoding/json into any) against s.
func (c schemaChecker) validate(s map[string]any, v any, at string) error {
	s, err := c.deref(s)
	if err != nil {
		return fmt.Errorf("%s: %w", at, err)
	}
	for k := range s {
		if !slices.Contains(knownKeywords, k) {
			return fmt.Errorf("%s: schema keyword %q not supported by the checker", at, k)
		}
	}
	if one, ok := s["oneOf"].([]any); ok {
		n := 0
		var errs []string
		for _, sub := range one {
			if err := c.validate(sub.(map[string]any), v, at); err == nil {
				n++
			} else {
				errs = append(errs, err.Error())
			}
		}
		if n != 1 {
			return fmt.Errorf("%s: matches %d of oneOf, want 1 (%s)", at, n, strings.Join(errs, "; "))
		}
	}
	got := jsonType(v)
	if t, ok := s["type"]; ok {
		var want []string
		switch x := t.(type) {
		case string:
			want = []string{x}
		case []any:
			for _, y := range x {
				want = append(want, y.(string))
			}
		}
		if !slices.Contains(want, got) && !(got == "integer" && slices.Contains(want, "number")) {
			return fmt.Errorf("%s: is %s, want %v", at, got, want)
		}
	}
	if e, ok := s["enum"].([]any); ok && !slices.Contains(e, v) {
		return fmt.Errorf("%s: %v not in enum %v", at, v, e)
	}
	switch x := v.(type) {
	case string:
		if ml, ok := s["maxLength"].(float64); ok && len([]rune(x)) > int(ml) {
			return fmt.Errorf("%s: longer than %v", at, ml)
		}
		if f, ok := s["format"].(string); ok {
			if err := checkFormat(f, x); err != nil {
				return fmt.Errorf("%s: %w", at, err)
			}
		}
	case float64:
		if m, ok := s["minimum"].(float64); ok && x < m {
			return fmt.Errorf("%s: %v below minimum %v", at, x, m)
		}
	case []any:
		if items, ok := s["items"].(map[string]any); ok {
			for i, it := range x {
				if err := c.validate(items, it, fmt.Sprintf("%s[%d]", at, i)); err != nil {
					return err
				}
			}
		}
	case map[string]any:
		props, _ := s["properties"].(map[string]any)
		if req, ok := s["required"].([]any); ok {
			for _, r := range req {
				if _, ok := x[r.(string)]; !ok {
					return fmt.Errorf("%s: required property %q missing", at, r)
				}
			}
		}
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			ps, ok := props[k].(map[string]any)
			if !ok {
				if ap, ok := s["additionalProperties"].(bool); ok && !ap {
					return fmt.Errorf("%s: property %q not in the schema", at, k)
				}
				continue
			}
			if err := c.validate(ps, x[k], at+"."+k); err != nil {
				return err
			}
		}
	}
	return nil
}

func checkFormat(f, s string) error {
	var err error
	switch f {
	case "date":
		_, err = time.Parse(time.DateOnly, s)
	case "date-time":
		_, err = time.Parse(time.RFC3339, s)
	case "email":
		var a *mail.Address
		if a, err = mail.ParseAddress(s); err == nil && a.Address != s {
			err = fmt.Errorf("not a bare address")
		}
	case "uri":
		var u *url.URL
		if u, err = url.Parse(s); err == nil && (u.Scheme == "" || u.Host == "") {
			err = fmt.Errorf("not an absolute URI")
		}
	default:
		return fmt.Errorf("format %q not supported by the checker", f)
	}
	if err != nil {
		return fmt.Errorf("%q is not a %s: %w", s, f, err)
	}
	return nil
}
