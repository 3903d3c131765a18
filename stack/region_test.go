package stack_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/manga-alert-italia/mangaalert/stack"
)

func TestRegionProblem(t *testing.T) {
	for _, tc := range []struct{ name, want string }{
		{"eu-south-1", ""},
		{"us-gov-west-1", ""},
		{"eu-sout-1", `did you mean "eu-south-1"?`},
		{"eu-milan-1", `"eu-milan-1" is not an AWS region: did you mean`},
		{"us-east-3", `did you mean "us-east-1"?`},
		{"EU-SOUTH-1", `did you mean "eu-south-1"?`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := stack.RegionProblem(tc.name)
			if tc.want == "" {
				assert.Empty(t, got)
				return
			}
			assert.Contains(t, got, tc.want)
		})
	}
}

func TestRegionFromEnvironment(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "config")
	require.NoError(t, os.WriteFile(cfg, []byte("[default]\nregion = eu-west-1\n[profile ops]\nregion = eu-central-1\n"), 0o600))
	for _, tc := range []struct {
		name string
		env  map[string]string
		want string
	}{
		{"nothing", map[string]string{}, ""},
		{"AWS_REGION wins", map[string]string{"AWS_REGION": "us-east-1", "AWS_DEFAULT_REGION": "us-west-2", "AWS_CONFIG_FILE": cfg}, "us-east-1"},
		{"AWS_DEFAULT_REGION", map[string]string{"AWS_DEFAULT_REGION": "us-west-2"}, "us-west-2"},
		{"the default profile", map[string]string{"AWS_CONFIG_FILE": cfg}, "eu-west-1"},
		{"a named profile", map[string]string{"AWS_CONFIG_FILE": cfg, "AWS_PROFILE": "ops"}, "eu-central-1"},
		{"~/.aws/config", map[string]string{"HOME": t.TempDir()}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, stack.RegionFromEnvironment(func(k string) string { return tc.env[k] }))
		})
	}
}
