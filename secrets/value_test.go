package secrets_test

import (
	"bytes"
	"encoding/gob"
	"encoding/hex"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	htmltemplate "html/template"
	"log"
	"log/slog"
	"strings"
	"testing"
	texttemplate "text/template"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/manga-alert-italia/mangaalert/secrets"
)

const plain = "hunter2-S3cr3t-5551234"

// config is how developers hold secrets: exported, unexported, pointer,
// in collections, and embedded.
type config struct {
	Host     string
	Password secrets.Value
	Token    *secrets.Value
	password secrets.Value
	Keys     []secrets.Value
	ByName   map[string]secrets.Value
	Nested   struct{ Inner secrets.Value }
	Any      any
}

type embedded struct {
	secrets.Value
	User string
}

type xmlDoc struct {
	XMLName xml.Name      `xml:"doc"`
	Attr    secrets.Value `xml:"key,attr"`
	Elem    secrets.Value `xml:"elem"`
}

// loginError is an error type that carries the password it failed with.
type loginError struct {
	User     string
	Password secrets.Value
}

func (e *loginError) Error() string {
	return fmt.Sprintf("login %s with %v (%s, %q, %x) failed", e.User, e.Password, e.Password, e.Password, e.Password)
}

// leaks reports whether out shows the secret in any common encoding.
func leaks(out string) bool {
	low := strings.ToLower(out)
	return strings.Contains(out, plain) ||
		strings.Contains(low, hex.EncodeToString([]byte(plain))) ||
		strings.Contains(out, "hunter2") ||
		strings.Contains(out, fmt.Sprintf("%q", plain))
}

func TestValueNeverPrintsItsSecret(t *testing.T) {
	v := secrets.NewValue(plain)
	cfg := config{Host: "smtp.example.test", Password: v, Token: &v, password: v,
		Keys: []secrets.Value{v, v}, ByName: map[string]secrets.Value{"a": v}, Any: v}
	cfg.Nested.Inner = v
	cfgPtr := &cfg
	emb := embedded{Value: v, User: "app"}
	var nilValue *secrets.Value
	wrapped := fmt.Errorf("send: %w", &loginError{User: "app", Password: v})
	joined := errors.Join(errors.New("first"), wrapped)

	outputs := map[string]string{}
	add := func(name string, out string) {
		t.Helper()
		outputs[name] = out
	}

	// fmt, every verb and flag a developer might reach for.
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%d", "%T", "%p", "%t", "%f",
		"%10v", "%-20s|", "%08x", "% x", "%#x", "%U", "%c", "%b", "%o", "%e", "%g"} {
		for name, arg := range map[string]any{"value": v, "ptr": &v, "nilptr": nilValue, "cfg": cfg, "cfgptr": cfgPtr,
			"slice": []secrets.Value{v}, "array": [1]secrets.Value{v}, "map": map[string]secrets.Value{"k": v},
			"mapkey": map[secrets.Value]int{v: 1}, "ptrslice": []*secrets.Value{&v}, "embedded": emb,
			"anon": struct{ s secrets.Value }{v}, "iface": []any{v, &v}, "err": wrapped, "joined": joined} {
			add("fmt "+verb+" "+name, fmt.Sprintf(verb, arg))
		}
	}
	add("Sprint", fmt.Sprint(v, cfg, &cfg, emb))
	add("Sprintln", fmt.Sprintln(v, cfg, &cfg, emb))
	add("String", v.String()+v.GoString())
	add("error %v", wrapped.Error())
	add("error %+v", fmt.Sprintf("%+v", wrapped))
	add("error of value", fmt.Errorf("bad password %v: %w", v, errors.New("x")).Error())

	// log
	var logBuf bytes.Buffer
	lg := log.New(&logBuf, "", 0)
	lg.Printf("password=%s cfg=%+v", v, cfg)
	lg.Println(v, cfg, wrapped)
	lg.Print(&cfg)
	add("log", logBuf.String())

	// slog, both handlers, every way of passing it.
	for name, h := range map[string]func(*bytes.Buffer) slog.Handler{
		"json": func(b *bytes.Buffer) slog.Handler { return slog.NewJSONHandler(b, nil) },
		"text": func(b *bytes.Buffer) slog.Handler { return slog.NewTextHandler(b, nil) },
	} {
		var buf bytes.Buffer
		l := slog.New(h(&buf))
		l.Info("login", "password", v, "ptr", &v, "cfg", cfg, "cfgptr", cfgPtr, "err", wrapped, "emb", emb)
		l.Info("attrs", slog.Any("v", v), slog.Any("m", map[string]secrets.Value{"k": v}),
			slog.Group("g", slog.Any("s", []secrets.Value{v})), slog.String("s", v.String()), slog.Any("joined", joined))
		l.With("bound", v).WithGroup("grp").Info("with", "cfg", cfg)
		l.Info(fmt.Sprint(v))
		add("slog "+name, buf.String())
	}

	// encoding/json, encoding/xml, encoding/gob
	for name, arg := range map[string]any{"value": v, "cfg": cfg, "ptr": cfgPtr, "map": map[secrets.Value]string{v: "x"},
		"slice": []secrets.Value{v}, "emb": emb} {
		b, err := json.Marshal(arg)
		require.NoError(t, err, name)
		add("json "+name, string(b))
		b, err = json.MarshalIndent(arg, "", " ")
		require.NoError(t, err, name)
		add("json indent "+name, string(b))
	}
	b, err := xml.Marshal(xmlDoc{Attr: v, Elem: v})
	require.NoError(t, err)
	add("xml", string(b))
	var gobBuf bytes.Buffer
	_ = gob.NewEncoder(&gobBuf).Encode(struct{ S secrets.Value }{v}) // refuses: no exported fields
	add("gob", gobBuf.String())

	// templates
	data := map[string]any{"Secret": v, "Cfg": cfg, "Ptr": &v, "Err": wrapped}
	const tmpl = `{{.Secret}} {{.Cfg}} {{.Ptr}} {{printf "%x %q %#v" .Secret .Secret .Cfg}} {{.Err}} {{index .Cfg.Keys 0}} {{.Cfg.ByName}}`
	var tb bytes.Buffer
	require.NoError(t, texttemplate.Must(texttemplate.New("t").Parse(tmpl)).Execute(&tb, data))
	add("text/template", tb.String())
	tb.Reset()
	const htmlTmpl = `<p title="{{.Secret}}">` + tmpl + `</p><a href="/x?k={{.Secret}}">x</a><script>var s = {{.Secret}}; var c = {{.Cfg}};</script>`
	require.NoError(t, htmltemplate.Must(htmltemplate.New("h").Parse(htmlTmpl)).Execute(&tb, data))
	add("html/template", tb.String())

	require.Greater(t, len(outputs), 300)
	for name, out := range outputs {
		assert.False(t, leaks(out), "%s leaks the secret: %s", name, out)
	}
	// And the checks are not vacuous: the redaction marker is there, and
	// the detector does see a leak.
	assert.Contains(t, outputs["fmt %v value"], secrets.Redacted)
	assert.Contains(t, outputs["slog json"], `"password":"[redacted]"`)
	assert.Contains(t, outputs["slog text"], "password=[redacted]")
	assert.Contains(t, outputs["xml"], `key="[redacted]"`)
	assert.True(t, leaks(fmt.Sprintf("%x", v.Reveal())))
	assert.True(t, leaks(fmt.Sprintf("%+v", struct{ S string }{v.Reveal()})))
}

func TestValueFormatWidth(t *testing.T) {
	v := secrets.NewValue(plain)
	assert.Equal(t, "[redacted]", fmt.Sprintf("%v", v))
	assert.Equal(t, "  [redacted]|", fmt.Sprintf("%12s|", v))
	assert.Equal(t, "[redacted]  |", fmt.Sprintf("%-12s|", v))
	assert.Equal(t, "<nil>", fmt.Sprintf("%v", (*secrets.Value)(nil)))
}

func TestValueAccessors(t *testing.T) {
	v := secrets.NewValue(plain)
	assert.Equal(t, plain, v.Reveal())
	b := v.Bytes()
	assert.Equal(t, []byte(plain), b)
	b[0] = 'X' // a copy: the Value is untouched
	assert.Equal(t, plain, v.Reveal())

	var zero secrets.Value
	assert.True(t, zero.IsZero())
	assert.True(t, secrets.NewValue("").IsZero())
	assert.False(t, v.IsZero())
	assert.Empty(t, zero.Reveal())
	assert.Nil(t, zero.Bytes())
	assert.Equal(t, secrets.Redacted, zero.String())

	assert.True(t, v.Equal(secrets.NewValue(plain)))
	assert.False(t, v.Equal(secrets.NewValue(plain+"x")))
	assert.True(t, zero.Equal(secrets.NewValue("")))
}

func TestValueUnmarshalJSON(t *testing.T) {
	var got struct {
		User     string
		Password secrets.Value
	}
	require.NoError(t, json.Unmarshal([]byte(`{"User":"app","Password":"`+plain+`"}`), &got))
	assert.Equal(t, plain, got.Password.Reveal())

	// A marshalled Value holds no secret; decoding it back must not pretend it does.
	out, err := json.Marshal(got)
	require.NoError(t, err)
	err = json.Unmarshal(out, &got)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "never writes its secret")

	err = json.Unmarshal([]byte(`{"Password": 5551234}`), &got)
	require.Error(t, err)
	assert.NotContains(t, err.Error(), "5551234")
}
