// Package awsenv answers, without any network call, what a command needs
// to know about the AWS setup of the machine it runs on: whether
// credentials are configured, and which region to use.
package awsenv

import (
	"cmp"
	"os"
	"path/filepath"
)

// CredentialsConfigured reports whether a credential source other than the
// instance metadata service is configured: environment variables, a
// profile, the shared files, web identity or a container endpoint.
// Commands use it to decide whether they can read the account.
func CredentialsConfigured(getenv func(string) string) bool {
	for _, k := range []string{"AWS_ACCESS_KEY_ID", "AWS_PROFILE", "AWS_WEB_IDENTITY_TOKEN_FILE",
		"AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "AWS_CONTAINER_CREDENTIALS_FULL_URI"} {
		if getenv(k) != "" {
			return true
		}
	}
	files := []string{getenv("AWS_SHARED_CREDENTIALS_FILE"), getenv("AWS_CONFIG_FILE")}
	if home := getenv("HOME"); home != "" {
		files = append(files, filepath.Join(home, ".aws", "credentials"), filepath.Join(home, ".aws", "config"))
	}
	for _, f := range files {
		if st, err := os.Stat(f); f != "" && err == nil && st.Size() > 0 {
			return true
		}
	}
	return false
}

// Region is the region asked for: AWS_REGION, else AWS_DEFAULT_REGION,
// else def.
func Region(getenv func(string) string, def string) string {
	return cmp.Or(getenv("AWS_REGION"), getenv("AWS_DEFAULT_REGION"), def)
}
