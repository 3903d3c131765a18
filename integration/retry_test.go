package integration_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/manga-alert-italia/mangaalert/integration"
)

// The harness retries a call whose connection broke before an answer, as
// the SDK does against AWS, and never a call the emulator answered: a 500
// fails at once.
func TestRetryerRetriesBrokenConnectionsOnly(t *testing.T) {
	tests := []struct {
		name      string
		broken    int32 // how many first requests get their connection cut
		status    int
		wantErr   bool
		wantTries int32
	}{
		{"connection cut once, then an answer", 1, http.StatusOK, false, 2},
		{"a 500 is final", 0, http.StatusInternalServerError, true, 1},
		{"cut every time: three tries", 100, http.StatusOK, true, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var tries atomic.Int32
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				n := tries.Add(1)
				if n <= tt.broken {
					conn, _, err := w.(http.Hijacker).Hijack()
					require.NoError(t, err)
					_ = conn.Close() // no answer: the client sees a broken connection
					return
				}
				w.Header().Set("Content-Type", "application/x-amz-json-1.0")
				w.WriteHeader(tt.status)
				_, _ = w.Write([]byte(`{"TableNames":[]}`))
			}))
			defer srv.Close()
			client := dynamodb.NewFromConfig(aws.Config{
				Region:       integration.Region,
				Credentials:  credentials.NewStaticCredentialsProvider("AKIA000000000000", "x", ""),
				BaseEndpoint: aws.String(srv.URL),
				Retryer:      integration.Retryer,
			})
			_, err := client.ListTables(context.Background(), &dynamodb.ListTablesInput{})
			if tt.wantErr {
				assert.Error(t, err)
			} else {
				assert.NoError(t, err)
			}
			assert.Equal(t, tt.wantTries, tries.Load())
		})
	}
}
