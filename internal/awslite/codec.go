package awslite

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// The SDK's input and output types name their fields as the JSON
// protocols name their members, so one reflection-based codec serves
// every operation here: a field is sent under its Go name when it is not
// empty (nil, "", 0, false), and an answer's members fill the fields of
// the same name. DynamoDB's AttributeValue, a union, has its own shape.
// Errors name the Go type and field, never a value: values may be secrets.

var (
	avType   = reflect.TypeFor[types.AttributeValue]()
	timeType = reflect.TypeFor[time.Time]()
)

// encode returns the JSON of an SDK input struct (a pointer to one).
func encode(in any) ([]byte, error) {
	var b bytes.Buffer
	v := reflect.ValueOf(in)
	if v.Kind() == reflect.Pointer && v.IsNil() {
		return []byte("{}"), nil
	}
	if err := encodeValue(&b, v); err != nil {
		return nil, fmt.Errorf("encode %T: %w", in, err)
	}
	return b.Bytes(), nil
}

func empty(v reflect.Value) bool {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface, reflect.Map, reflect.Slice:
		return v.IsNil()
	case reflect.Struct:
		return false
	}
	return v.IsZero()
}

func encodeValue(b *bytes.Buffer, v reflect.Value) error {
	switch v.Kind() {
	case reflect.Pointer:
		if v.IsNil() {
			b.WriteString("null")
			return nil
		}
		return encodeValue(b, v.Elem())
	case reflect.Interface:
		if v.Type() != avType {
			return fmt.Errorf("field of interface type %v is not supported", v.Type())
		}
		if v.IsNil() {
			return fmt.Errorf("nil AttributeValue")
		}
		return encodeAV(b, v.Interface().(types.AttributeValue))
	case reflect.Struct:
		if v.Type() == timeType {
			t := v.Interface().(time.Time)
			b.WriteString(strconv.FormatFloat(float64(t.UnixMilli())/1000, 'f', -1, 64))
			return nil
		}
		b.WriteByte('{')
		first := true
		for i := range v.NumField() {
			f := v.Type().Field(i)
			if !f.IsExported() || empty(v.Field(i)) {
				continue
			}
			if !first {
				b.WriteByte(',')
			}
			first = false
			writeString(b, f.Name)
			b.WriteByte(':')
			if err := encodeValue(b, v.Field(i)); err != nil {
				return fmt.Errorf("%s: %w", f.Name, err)
			}
		}
		b.WriteByte('}')
	case reflect.Map:
		if v.Type().Key().Kind() != reflect.String {
			return fmt.Errorf("map key type %v is not supported", v.Type().Key())
		}
		b.WriteByte('{')
		for i, k := range sortedKeys(v) {
			if i > 0 {
				b.WriteByte(',')
			}
			writeString(b, k.String())
			b.WriteByte(':')
			if err := encodeValue(b, v.MapIndex(k)); err != nil {
				return fmt.Errorf("[%q]: %w", k.String(), err)
			}
		}
		b.WriteByte('}')
	case reflect.Slice:
		if v.Type().Elem().Kind() == reflect.Uint8 {
			writeString(b, base64.StdEncoding.EncodeToString(v.Bytes()))
			return nil
		}
		b.WriteByte('[')
		for i := range v.Len() {
			if i > 0 {
				b.WriteByte(',')
			}
			if err := encodeValue(b, v.Index(i)); err != nil {
				return fmt.Errorf("[%d]: %w", i, err)
			}
		}
		b.WriteByte(']')
	case reflect.String:
		writeString(b, v.String())
	case reflect.Bool:
		b.WriteString(strconv.FormatBool(v.Bool()))
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		b.WriteString(strconv.FormatInt(v.Int(), 10))
	case reflect.Float32, reflect.Float64:
		f := v.Float()
		if math.IsInf(f, 0) || math.IsNaN(f) {
			return fmt.Errorf("a %v that JSON cannot carry", v.Type())
		}
		b.WriteString(strconv.FormatFloat(f, 'g', -1, 64))
	default:
		return fmt.Errorf("kind %v is not supported", v.Kind())
	}
	return nil
}

func sortedKeys(m reflect.Value) []reflect.Value {
	keys := m.MapKeys()
	for i := 1; i < len(keys); i++ { // insertion sort: maps here are small
		for j := i; j > 0 && keys[j].String() < keys[j-1].String(); j-- {
			keys[j], keys[j-1] = keys[j-1], keys[j]
		}
	}
	return keys
}

func writeString(b *bytes.Buffer, s string) {
	q, _ := json.Marshal(s) // a string always marshals
	b.Write(q)
}

func encodeAV(b *bytes.Buffer, av types.AttributeValue) error {
	var (
		tag string
		val any
	)
	switch a := av.(type) {
	case *types.AttributeValueMemberS:
		tag, val = "S", a.Value
	case *types.AttributeValueMemberN:
		tag, val = "N", a.Value
	case *types.AttributeValueMemberB:
		tag, val = "B", a.Value
	case *types.AttributeValueMemberBOOL:
		tag, val = "BOOL", a.Value
	case *types.AttributeValueMemberNULL:
		tag, val = "NULL", a.Value
	case *types.AttributeValueMemberSS:
		tag, val = "SS", a.Value
	case *types.AttributeValueMemberNS:
		tag, val = "NS", a.Value
	case *types.AttributeValueMemberBS:
		tag, val = "BS", a.Value
	case *types.AttributeValueMemberL:
		tag, val = "L", a.Value
	case *types.AttributeValueMemberM:
		tag, val = "M", a.Value
	default:
		return fmt.Errorf("AttributeValue %T is not supported", av)
	}
	b.WriteString(`{"` + tag + `":`)
	if err := encodeValue(b, reflect.ValueOf(val)); err != nil {
		return fmt.Errorf("%s: %w", tag, err)
	}
	b.WriteByte('}')
	return nil
}

// decode fills out (a pointer to an SDK output struct) from the JSON of
// an answer. Members without a field are ignored, as the SDK does.
func decode(data []byte, out any) error {
	if len(bytes.TrimSpace(data)) == 0 {
		return nil
	}
	d := json.NewDecoder(bytes.NewReader(data))
	d.UseNumber()
	var doc any
	if err := d.Decode(&doc); err != nil {
		return fmt.Errorf("decode the answer into %T: not JSON (byte %d)", out, d.InputOffset())
	}
	if err := assign(reflect.ValueOf(out).Elem(), doc); err != nil {
		return fmt.Errorf("decode the answer into %T: %w", out, err)
	}
	return nil
}

func mismatch(t reflect.Type, src any) error {
	return fmt.Errorf("JSON %s does not fit Go type %v", jsonKind(src), t)
}

func jsonKind(v any) string {
	switch v.(type) {
	case map[string]any:
		return "object"
	case []any:
		return "array"
	case string:
		return "string"
	case json.Number:
		return "number"
	case bool:
		return "boolean"
	}
	return "null"
}

func assign(dst reflect.Value, src any) error {
	if src == nil {
		return nil
	}
	t := dst.Type()
	switch t.Kind() {
	case reflect.Pointer:
		p := reflect.New(t.Elem())
		if err := assign(p.Elem(), src); err != nil {
			return err
		}
		dst.Set(p)
	case reflect.Interface:
		if t != avType {
			return nil // a union this package does not send or read
		}
		av, err := decodeAV(src)
		if err != nil {
			return err
		}
		dst.Set(reflect.ValueOf(av))
	case reflect.Struct:
		if t == timeType {
			return assignTime(dst, src)
		}
		m, ok := src.(map[string]any)
		if !ok {
			return mismatch(t, src)
		}
		for name, val := range m {
			f, ok := t.FieldByName(name)
			if !ok || !f.IsExported() {
				f, ok = t.FieldByNameFunc(func(n string) bool { return equalFold(n, name) })
			}
			if !ok || !f.IsExported() || len(f.Index) != 1 {
				continue
			}
			if err := assign(dst.FieldByIndex(f.Index), val); err != nil {
				return fmt.Errorf("%s: %w", f.Name, err)
			}
		}
	case reflect.Map:
		m, ok := src.(map[string]any)
		if !ok || t.Key().Kind() != reflect.String {
			return mismatch(t, src)
		}
		out := reflect.MakeMapWithSize(t, len(m))
		for k, val := range m {
			e := reflect.New(t.Elem()).Elem()
			if err := assign(e, val); err != nil {
				return fmt.Errorf("[%q]: %w", k, err)
			}
			out.SetMapIndex(reflect.ValueOf(k).Convert(t.Key()), e)
		}
		dst.Set(out)
	case reflect.Slice:
		if t.Elem().Kind() == reflect.Uint8 {
			s, ok := src.(string)
			if !ok {
				return mismatch(t, src)
			}
			raw, err := base64.StdEncoding.DecodeString(s)
			if err != nil {
				return fmt.Errorf("binary member is not base64")
			}
			dst.SetBytes(raw)
			return nil
		}
		a, ok := src.([]any)
		if !ok {
			return mismatch(t, src)
		}
		out := reflect.MakeSlice(t, len(a), len(a))
		for i, val := range a {
			if err := assign(out.Index(i), val); err != nil {
				return fmt.Errorf("[%d]: %w", i, err)
			}
		}
		dst.Set(out)
	case reflect.String:
		s, ok := src.(string)
		if !ok {
			return mismatch(t, src)
		}
		dst.SetString(s)
	case reflect.Bool:
		v, ok := src.(bool)
		if !ok {
			return mismatch(t, src)
		}
		dst.SetBool(v)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		n, ok := src.(json.Number)
		if !ok {
			return mismatch(t, src)
		}
		i, err := n.Int64()
		if err != nil || dst.OverflowInt(i) {
			return fmt.Errorf("number does not fit Go type %v", t)
		}
		dst.SetInt(i)
	case reflect.Float32, reflect.Float64:
		n, ok := src.(json.Number)
		if !ok {
			return mismatch(t, src)
		}
		f, err := n.Float64()
		if err != nil {
			return fmt.Errorf("number does not fit Go type %v", t)
		}
		dst.SetFloat(f)
	default:
		return fmt.Errorf("kind %v of Go type %v is not supported", t.Kind(), t)
	}
	return nil
}

// assignTime reads a timestamp: epoch seconds (JSON 1.0/1.1) or RFC 3339
// (REST JSON).
func assignTime(dst reflect.Value, src any) error {
	switch v := src.(type) {
	case json.Number:
		f, err := v.Float64()
		if err != nil {
			return fmt.Errorf("timestamp is not a number of seconds")
		}
		// Milliseconds, as the SDK reads them: float seconds carry no more.
		dst.Set(reflect.ValueOf(time.UnixMilli(int64(math.Round(f * 1000))).UTC()))
	case string:
		t, err := time.Parse(time.RFC3339Nano, v)
		if err != nil {
			return fmt.Errorf("timestamp is not RFC 3339")
		}
		dst.Set(reflect.ValueOf(t))
	default:
		return mismatch(timeType, src)
	}
	return nil
}

func equalFold(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range len(a) {
		x, y := a[i], b[i]
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}

func decodeAV(src any) (types.AttributeValue, error) {
	m, ok := src.(map[string]any)
	if !ok || len(m) != 1 {
		return nil, fmt.Errorf("AttributeValue: want an object with one member, got JSON %s", jsonKind(src))
	}
	for tag, val := range m {
		var (
			av     types.AttributeValue
			target any
		)
		switch tag {
		case "S":
			a := &types.AttributeValueMemberS{}
			av, target = a, &a.Value
		case "N":
			a := &types.AttributeValueMemberN{}
			av, target = a, &a.Value
		case "B":
			a := &types.AttributeValueMemberB{}
			av, target = a, &a.Value
		case "BOOL":
			a := &types.AttributeValueMemberBOOL{}
			av, target = a, &a.Value
		case "NULL":
			a := &types.AttributeValueMemberNULL{}
			av, target = a, &a.Value
		case "SS":
			a := &types.AttributeValueMemberSS{}
			av, target = a, &a.Value
		case "NS":
			a := &types.AttributeValueMemberNS{}
			av, target = a, &a.Value
		case "BS":
			a := &types.AttributeValueMemberBS{}
			av, target = a, &a.Value
		case "L":
			a := &types.AttributeValueMemberL{}
			av, target = a, &a.Value
		case "M":
			a := &types.AttributeValueMemberM{}
			av, target = a, &a.Value
		default:
			return nil, fmt.Errorf("AttributeValue: unknown type %q", tag)
		}
		if err := assign(reflect.ValueOf(target).Elem(), val); err != nil {
			return nil, fmt.Errorf("AttributeValue %s: %w", tag, err)
		}
		return av, nil
	}
	panic("unreachable")
}
