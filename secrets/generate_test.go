package secrets_test

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"regexp"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/manga-alert-italia/mangaalert/secrets"
)

func TestGenerators(t *testing.T) {
	key, err := secrets.RandomBytes(32)()
	require.NoError(t, err)
	raw, err := base64.StdEncoding.DecodeString(key.Reveal())
	require.NoError(t, err)
	assert.Len(t, raw, 32)
	other, err := secrets.RandomBytes(32)()
	require.NoError(t, err)
	assert.False(t, key.Equal(other), "two keys differ")

	pw, err := secrets.RandomPassword(40)()
	require.NoError(t, err)
	assert.Regexp(t, regexp.MustCompile(`^[A-Za-z0-9]{40}$`), pw.Reveal())

	js, err := secrets.RandomJSON(map[string]secrets.Generator{
		"username": secrets.Fixed("app"), "password": secrets.RandomPassword(24)})()
	require.NoError(t, err)
	var obj map[string]string
	require.NoError(t, json.Unmarshal([]byte(js.Reveal()), &obj))
	assert.Equal(t, "app", obj["username"])
	assert.Len(t, obj["password"], 24)

	smtp, err := secrets.JSON(struct {
		Host string `json:"host"`
		Port int    `json:"port"`
	}{"smtp.example.test", 587})()
	require.NoError(t, err)
	assert.JSONEq(t, `{"host":"smtp.example.test","port":587}`, smtp.Reveal())
}

func TestGeneratorsRefuse(t *testing.T) {
	boom := errors.New("boom")
	for name, gen := range map[string]secrets.Generator{
		"zero bytes":             secrets.RandomBytes(0),
		"huge bytes":             secrets.RandomBytes(1 << 20),
		"negative password":      secrets.RandomPassword(-1),
		"empty json":             secrets.RandomJSON(nil),
		"nil field":              secrets.RandomJSON(map[string]secrets.Generator{"a": nil}),
		"failing field":          secrets.RandomJSON(map[string]secrets.Generator{"a": func() (secrets.Value, error) { return secrets.Value{}, boom }}),
		"unencodable":            secrets.JSON(func() {}),
		"holds a redacted Value": secrets.JSON(struct{ P secrets.Value }{secrets.NewValue(plain)}),
	} {
		v, err := gen()
		assert.Error(t, err, name)
		assert.True(t, v.IsZero(), name)
		assert.NotContains(t, err.Error(), "hunter2", name)
	}
}
