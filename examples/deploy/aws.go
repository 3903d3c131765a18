package main

import (
	"cmp"
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/manga-alert-italia/mangaalert/internal/awscalls"
)

// endpointOf is the emulator endpoint asked for: the flag, or else
// AWS_ENDPOINT_URL (which the SDK would read anyway).
func (o *options) endpointOf(getenv func(string) string) string {
	return cmp.Or(o.endpoint, getenv("AWS_ENDPOINT_URL"))
}

// credentialsConfigured reports whether a credential source other than the
// instance metadata service is configured: environment variables, a
// profile, the shared files, web identity or a container endpoint. plan
// uses it to decide, without any network call, whether it can read the
// account.
func credentialsConfigured(getenv func(string) string) bool {
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

// loadAWS builds the SDK config: the default credential chain in region,
// or an emulator at endpoint, where static dummy credentials stand in when
// none are configured. Every client built from it reports its calls to
// the recorder it returns.
func (a *app) loadAWS(ctx context.Context, region, endpoint string) (aws.Config, *awscalls.Recorder, error) {
	opts := []func(*config.LoadOptions) error{config.WithRegion(region)}
	if endpoint != "" {
		opts = append(opts, config.WithBaseEndpoint(endpoint))
		if !credentialsConfigured(a.getenv) {
			// Emulators accept any key; without one the chain would end at
			// the instance metadata service and wait for it.
			opts = append(opts, config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider("test", "test", "")))
		}
	}
	cfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return aws.Config{}, nil, fmt.Errorf("load the AWS configuration: %w", err)
	}
	cfg.APIOptions = append(cfg.APIOptions, a.apiOptions...)
	return cfg, awscalls.Record(&cfg), nil
}
