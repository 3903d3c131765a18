package awslite_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/manga-alert-italia/mangaalert/internal/awslite"
	"github.com/manga-alert-italia/mangaalert/secrets"
)

// The runtime binary hands each library package an awslite type where it
// takes an SDK client. Here an httptest server stands in for Secrets
// Manager.
func Example() {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Println(r.Header.Get("X-Amz-Target"))
		_, _ = io.WriteString(w, `{"Name":"signing-key","SecretString":"s3cr3t-key","VersionStages":["AWSCURRENT"]}`)
	}))
	defer srv.Close()

	cfg := aws.Config{ // in the binary: awsFromEnv(os.Getenv)
		Region:       "eu-south-1",
		BaseEndpoint: aws.String(srv.URL),
		Credentials:  credentials.NewStaticCredentialsProvider("AKIAEXAMPLE", "secret", ""),
	}
	r := secrets.NewReader(awslite.NewSecretsManager(awslite.FromAWS(cfg)))
	v, err := r.Get(context.Background(), "signing-key")
	fmt.Println(v, len(v.Reveal()), err)
	// Output:
	// secretsmanager.GetSecretValue
	// [redacted] 10 <nil>
}
