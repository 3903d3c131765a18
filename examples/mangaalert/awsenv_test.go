package main

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestAWSFromEnv(t *testing.T) {
	env := map[string]string{"AWS_DEFAULT_REGION": "eu-south-1", "AWS_ENDPOINT_URL": "http://127.0.0.1:5000",
		"AWS_ACCESS_KEY_ID": "AKIDEXAMPLE", "AWS_SECRET_ACCESS_KEY": "secret", "AWS_SESSION_TOKEN": "token"}
	cfg := awsFromEnv(func(k string) string { return env[k] })
	assert.Equal(t, "eu-south-1", cfg.Region)
	assert.Equal(t, "http://127.0.0.1:5000", aws.ToString(cfg.BaseEndpoint))
	creds, err := cfg.Credentials.Retrieve(context.Background())
	require.NoError(t, err)
	assert.Equal(t, "AKIDEXAMPLE", creds.AccessKeyID)
	assert.Equal(t, "token", creds.SessionToken)

	// AWS_REGION wins; no endpoint means AWS's own.
	env = map[string]string{"AWS_REGION": "eu-west-1", "AWS_DEFAULT_REGION": "eu-south-1"}
	cfg = awsFromEnv(func(k string) string { return env[k] })
	assert.Equal(t, "eu-west-1", cfg.Region)
	assert.Nil(t, cfg.BaseEndpoint)
}
