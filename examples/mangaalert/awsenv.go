package main

import (
	"cmp"
	"os"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/credentials/ec2rolecreds"
	"github.com/aws/aws-sdk-go-v2/credentials/endpointcreds"
)

// ecsCredentialsHost serves a task role's credentials to its containers
// (AWS_CONTAINER_CREDENTIALS_RELATIVE_URI is a path on it).
const ecsCredentialsHost = "http://169.254.170.2"

// awsFromEnv is the AWS configuration the binary needs, from the
// environment alone: the region (AWS_REGION or AWS_DEFAULT_REGION), an
// endpoint (AWS_ENDPOINT_URL, for an emulator) and credentials, in this
// order: AWS_ACCESS_KEY_ID and friends, the ECS task role
// (AWS_CONTAINER_CREDENTIALS_RELATIVE_URI or _FULL_URI), the EC2
// instance role.
//
// Not config.LoadDefaultConfig: it links the SSO, SSO-OIDC, sign-in and
// STS clients for profiles, SSO and assumed roles, which a container never
// has (about 1.5 MB of the image). Outside a container, export a profile's
// credentials first: eval "$(aws configure export-credentials --format env)".
func awsFromEnv(getenv func(string) string) aws.Config {
	cfg := aws.Config{Region: cmp.Or(getenv("AWS_REGION"), getenv("AWS_DEFAULT_REGION"))}
	if ep := getenv("AWS_ENDPOINT_URL"); ep != "" {
		cfg.BaseEndpoint = aws.String(ep)
	}
	var p aws.CredentialsProvider
	switch {
	case getenv("AWS_ACCESS_KEY_ID") != "":
		p = credentials.NewStaticCredentialsProvider(getenv("AWS_ACCESS_KEY_ID"), getenv("AWS_SECRET_ACCESS_KEY"), getenv("AWS_SESSION_TOKEN"))
	case getenv("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI") != "":
		p = endpointcreds.New(ecsCredentialsHost + getenv("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"))
	case getenv("AWS_CONTAINER_CREDENTIALS_FULL_URI") != "":
		p = endpointcreds.New(getenv("AWS_CONTAINER_CREDENTIALS_FULL_URI"), func(o *endpointcreds.Options) {
			o.AuthorizationToken = getenv("AWS_CONTAINER_AUTHORIZATION_TOKEN")
			if f := getenv("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"); f != "" {
				o.AuthorizationTokenProvider = endpointcreds.TokenProviderFunc(func() (string, error) {
					b, err := os.ReadFile(f)
					return string(b), err
				})
			}
		})
	default:
		p = ec2rolecreds.New()
	}
	cfg.Credentials = aws.NewCredentialsCache(p)
	return cfg
}
