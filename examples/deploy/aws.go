package main

import (
	"cmp"
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/manga-alert-italia/mangaalert/internal/awscalls"
	"github.com/manga-alert-italia/mangaalert/internal/awsenv"
)

// endpointOf is the emulator endpoint asked for: the flag, or else
// AWS_ENDPOINT_URL (which the SDK would read anyway).
func (o *options) endpointOf(getenv func(string) string) string {
	return cmp.Or(o.endpoint, getenv("AWS_ENDPOINT_URL"))
}

// loadAWS builds the SDK config: the default credential chain in region,
// or an emulator at endpoint, where static dummy credentials stand in when
// none are configured. Every client built from it reports its calls to
// the recorder it returns.
func (a *app) loadAWS(ctx context.Context, region, endpoint string) (aws.Config, *awscalls.Recorder, error) {
	opts := []func(*config.LoadOptions) error{config.WithRegion(region)}
	if endpoint != "" {
		opts = append(opts, config.WithBaseEndpoint(endpoint))
		if !awsenv.CredentialsConfigured(a.getenv) {
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
