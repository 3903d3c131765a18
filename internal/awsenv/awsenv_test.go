package awsenv_test

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/manga-alert-italia/mangaalert/internal/awsenv"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestCredentialsConfigured(t *testing.T) {
	home := t.TempDir()
	withFile := t.TempDir()
	require.NoError(t, os.MkdirAll(filepath.Join(withFile, ".aws"), 0o700))
	require.NoError(t, os.WriteFile(filepath.Join(withFile, ".aws", "credentials"), []byte("[default]\n"), 0o600))
	empty := filepath.Join(t.TempDir(), "empty")
	require.NoError(t, os.WriteFile(empty, nil, 0o600))
	for _, tc := range []struct {
		name string
		env  map[string]string
		want bool
	}{
		{"nothing", map[string]string{"HOME": home}, false},
		{"access key", map[string]string{"AWS_ACCESS_KEY_ID": "AKIA"}, true},
		{"profile", map[string]string{"AWS_PROFILE": "dev"}, true},
		{"container endpoint", map[string]string{"AWS_CONTAINER_CREDENTIALS_RELATIVE_URI": "/v2/x"}, true},
		{"shared file in home", map[string]string{"HOME": withFile}, true},
		{"an empty named file", map[string]string{"HOME": home, "AWS_SHARED_CREDENTIALS_FILE": empty}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, awsenv.CredentialsConfigured(env(tc.env)))
		})
	}
}

func TestRegion(t *testing.T) {
	assert.Equal(t, "eu-south-1", awsenv.Region(env(nil), "eu-south-1"))
	assert.Equal(t, "us-east-1", awsenv.Region(env(map[string]string{"AWS_DEFAULT_REGION": "us-east-1"}), "eu-south-1"))
	assert.Equal(t, "eu-west-1", awsenv.Region(env(map[string]string{"AWS_REGION": "eu-west-1", "AWS_DEFAULT_REGION": "us-east-1"}), "x"))
}

func ExampleCredentialsConfigured() {
	getenv := func(k string) string { return map[string]string{"AWS_PROFILE": "dev"}[k] }
	fmt.Println(awsenv.CredentialsConfigured(getenv))
	// Output: true
}
