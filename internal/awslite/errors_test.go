package awslite_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddb "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/manga-alert-italia/mangaalert/internal/awserr"
	"github.com/manga-alert-italia/mangaalert/internal/awslite"
	"github.com/manga-alert-italia/mangaalert/notifier"
	"github.com/manga-alert-italia/mangaalert/notifier/sesmail"
	"github.com/manga-alert-italia/mangaalert/secrets"
)

// The error tests answer from a scripted server in AWS's wire format:
// moto never throttles, denies access or fails inside, so these answers
// are written here, in the shapes AWS documents (JSON 1.0/1.1: __type in
// the body; REST JSON: the X-Amzn-ErrorType header).

// answer is one scripted HTTP answer.
type answer struct {
	status int
	header map[string]string
	body   string
}

// script answers in order, repeating the last one, and counts requests.
type script struct {
	answers []answer
	n       atomic.Int32
}

func (s *script) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	_, _ = io.Copy(io.Discard, r.Body)
	i := int(s.n.Add(1)) - 1
	a := s.answers[min(i, len(s.answers)-1)]
	for k, v := range a.header {
		w.Header().Set(k, v)
	}
	w.Header().Set("X-Amzn-RequestId", "req-1")
	w.WriteHeader(a.status)
	_, _ = io.WriteString(w, a.body)
}

func scripted(t *testing.T, answers ...answer) (*script, awslite.Config) {
	s := &script{answers: answers}
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	return s, awslite.Config{Region: "eu-south-1", Endpoint: srv.URL, Backoff: time.Millisecond,
		Credentials: credentials.NewStaticCredentialsProvider("AKIAEXAMPLE", "secret", "")}
}

func jsonErr(status int, code, msg string) answer {
	return answer{status: status, body: `{"__type":"com.amazonaws.service#` + code + `","message":"` + msg + `"}`}
}

var ok200 = answer{status: 200, body: `{}`}

func getItem(ctx context.Context, d *awslite.DynamoDB) error {
	_, err := d.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String("t"), Key: map[string]ddb.AttributeValue{"pk": s("a")}})
	return err
}

func TestDynamoDBErrorAnswers(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name     string
		answers  []answer
		requests int32
		code     string // "" : success
		says     string
	}{
		{"throttled, then answered", []answer{jsonErr(400, "ThrottlingException", "Rate exceeded"), jsonErr(400, "ProvisionedThroughputExceededException", "slow down"), ok200}, 3, "", ""},
		{"throttled beyond the attempts", []answer{jsonErr(400, "ThrottlingException", "Rate exceeded")}, 3, "ThrottlingException", "still throttled after 3 attempts"},
		{"failing inside, then answered", []answer{jsonErr(500, "InternalServerError", "oops"), ok200}, 2, "", ""},
		{"access denied is final", []answer{jsonErr(400, "AccessDeniedException", "User is not authorized to perform dynamodb:GetItem")}, 1, "AccessDeniedException", "does not allow dynamodb:GetItem"},
		{"missing table is final", []answer{jsonErr(400, "ResourceNotFoundException", "Requested resource not found")}, 1, "ResourceNotFoundException", "Requested resource not found"},
		{"no JSON from a proxy", []answer{{status: 502, body: "<html>bad gateway</html>"}}, 3, "HTTP502", "still failing after 3 attempts"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv, cfg := scripted(t, tc.answers...)
			err := getItem(ctx, awslite.NewDynamoDB(cfg))
			assert.Equal(t, tc.requests, srv.n.Load(), "requests")
			if tc.code == "" {
				require.NoError(t, err)
				return
			}
			require.Error(t, err)
			assert.Equal(t, tc.code, awserr.Code(err))
			assert.Contains(t, err.Error(), tc.says)
			assert.Contains(t, err.Error(), "dynamodb GetItem")
			assert.Contains(t, err.Error(), "request id req-1")
		})
	}
}

func TestDynamoDBTypedErrors(t *testing.T) {
	ctx := context.Background()
	_, cfg := scripted(t, answer{status: 400, body: `{"__type":"com.amazonaws.dynamodb.v20120810#TransactionCanceledException",
		"Message":"Transaction cancelled, please refer cancellation reasons for specific reasons [None, ConditionalCheckFailed]",
		"CancellationReasons":[{"Code":"None"},{"Code":"ConditionalCheckFailed","Message":"The conditional request failed"}]}`})
	_, err := awslite.NewDynamoDB(cfg).TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{})
	var tce *ddb.TransactionCanceledException
	require.ErrorAs(t, err, &tce)
	require.Len(t, tce.CancellationReasons, 2)
	assert.Equal(t, "ConditionalCheckFailed", aws.ToString(tce.CancellationReasons[1].Code))
	assert.Equal(t, "TransactionCanceledException", awserr.Code(err))

	_, cfg = scripted(t, jsonErr(400, "ConditionalCheckFailedException", "The conditional request failed"))
	_, err = awslite.NewDynamoDB(cfg).PutItem(ctx, &dynamodb.PutItemInput{})
	var ccf *ddb.ConditionalCheckFailedException
	require.ErrorAs(t, err, &ccf)
	assert.Equal(t, "The conditional request failed", aws.ToString(ccf.Message))
}

// TestSecretErrors reads through secrets.Reader: what a container sees.
// No answer's secret reaches an error.
func TestSecretErrors(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name     string
		answers  []answer
		requests int32
		is       error
		says     string
	}{
		{"not found", []answer{jsonErr(400, "ResourceNotFoundException", "Secrets Manager can't find the specified secret.")}, 1, secrets.ErrNotFound, "not found"},
		{"access denied", []answer{jsonErr(400, "AccessDeniedException", "User: arn:aws:sts::1:assumed-role/task is not authorized")}, 1, nil,
			"does not allow secretsmanager:GetSecretValue"},
		{"throttled", []answer{jsonErr(400, "ThrottlingException", "Rate exceeded")}, 3, nil, "still throttled after 3 attempts"},
		{"an answer that is not a secret", []answer{{status: 200, body: `{"Name":"k","SecretString":12345678}`}}, 1, nil,
			"SecretString: JSON number does not fit Go type string"},
		{"an error body that quotes a value", []answer{{status: 400, body: `{"__type":"InternalFailure","message":"bad","SecretString":"12345678"}`}}, 1, nil, "InternalFailure"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv, cfg := scripted(t, tc.answers...)
			r := secrets.NewReader(awslite.NewSecretsManager(cfg))
			_, err := r.Get(ctx, "signing-key")
			require.Error(t, err)
			assert.Equal(t, tc.requests, srv.n.Load(), "requests")
			if tc.is != nil {
				assert.ErrorIs(t, err, tc.is)
			}
			assert.Contains(t, err.Error(), tc.says)
			assert.NotContains(t, err.Error(), "12345678", "the answer's value stays out of the error")
		})
	}

	// The caller's RetryMaxAttempts wins over the client's.
	srv, cfg := scripted(t, jsonErr(400, "ThrottlingException", "Rate exceeded"))
	_, err := awslite.NewSecretsManager(cfg).GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String("k")},
		func(o *secretsmanager.Options) { o.RetryMaxAttempts = 1 })
	require.Error(t, err)
	assert.Equal(t, int32(1), srv.n.Load())
}

// TestSESErrors: REST JSON errors (the code in X-Amzn-ErrorType) reach
// sesmail's own handling: SendEmail is never retried by awslite (sesmail
// asks for one attempt), sesmail backs off on throttling itself.
func TestSESErrors(t *testing.T) {
	ctx := context.Background()
	restErr := func(status int, code, msg string) answer {
		return answer{status: status, header: map[string]string{"X-Amzn-ErrorType": code + ":http://internal.amazon.com/coral/com.amazon.bacon/"},
			body: `{"message":"` + msg + `"}`}
	}
	msg := &notifier.Message{From: "avvisi@mangaalert.example", To: "lettore@lettori.example", Subject: "Ciao", Text: "Esce domani."}
	for _, tc := range []struct {
		name     string
		answers  []answer
		requests int32
		stopped  bool
		says     string
	}{
		{"throttled, then sent", []answer{restErr(429, "TooManyRequestsException", "Maximum sending rate exceeded."), {status: 200, body: `{"MessageId":"m-1"}`}}, 2, false, ""},
		{"throttled beyond sesmail's attempts", []answer{restErr(429, "TooManyRequestsException", "Maximum sending rate exceeded.")}, 2, true, "TooManyRequestsException"},
		{"access denied", []answer{restErr(403, "AccessDeniedException", "not authorized to perform ses:SendEmail")}, 1, true, "does not allow ses:SendEmail"},
		{"not verified", []answer{restErr(400, "MessageRejected", "Email address is not verified.")}, 1, true, "MessageRejected"},
		{"configuration set not found", []answer{restErr(404, "NotFoundException", "Configuration set alerts does not exist.")}, 1, true, "NotFoundException"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv, cfg := scripted(t, tc.answers...)
			clock := notifier.NewFakeClock(time.Date(2024, 10, 1, 9, 0, 0, 0, time.UTC))
			sender := sesmail.New(awslite.NewSES(cfg), func(s *sesmail.Sender) { s.Attempts, s.Clock = 2, clock })
			id, err := sender.Send(ctx, msg)
			assert.Equal(t, tc.requests, srv.n.Load(), "requests")
			if !tc.stopped {
				require.NoError(t, err)
				assert.Equal(t, "m-1", id)
				return
			}
			require.ErrorIs(t, err, notifier.ErrStopped)
			assert.Contains(t, err.Error(), tc.says)
		})
	}

	// GetAccount: the quota for the notifier's pace.
	_, cfg := scripted(t, answer{status: 200, body: `{"SendQuota":{"Max24HourSend":200,"MaxSendRate":1,"SentLast24Hours":0},"SendingEnabled":true}`})
	rate, err := sesmail.New(awslite.NewSES(cfg)).MaxSendRate(ctx)
	require.NoError(t, err)
	assert.Equal(t, 1.0, rate)
}

func TestNoCredentialsNoRegion(t *testing.T) {
	ctx := context.Background()
	err := getItem(ctx, awslite.NewDynamoDB(awslite.Config{Region: "eu-south-1"}))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "no AWS credentials")

	err = getItem(ctx, awslite.NewDynamoDB(awslite.Config{Credentials: credentials.NewStaticCredentialsProvider("a", "b", "")}))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "no AWS region")
	assert.False(t, errors.Is(err, context.Canceled))
}

// TestBrokenConnection: a connection closed before any answer is tried
// again (a read here), as the SDK does; SendEmail, which sesmail asks to
// try once, is not, so a message is never sent twice.
func TestBrokenConnection(t *testing.T) {
	ctx := context.Background()
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1) == 1 {
			conn, _, err := w.(http.Hijacker).Hijack()
			if err == nil {
				conn.Close() // no answer at all
			}
			return
		}
		_, _ = io.WriteString(w, `{"Item":{"pk":{"S":"a"}}}`)
	}))
	t.Cleanup(srv.Close)
	cfg := awslite.Config{Region: "eu-south-1", Endpoint: srv.URL, Backoff: time.Millisecond,
		Credentials: credentials.NewStaticCredentialsProvider("AKIAEXAMPLE", "secret", "")}
	require.NoError(t, getItem(ctx, awslite.NewDynamoDB(cfg)))
	assert.Equal(t, int32(2), n.Load())

	n.Store(0)
	sender := sesmail.New(awslite.NewSES(cfg), func(s *sesmail.Sender) { s.NoQuota = true })
	_, err := sender.Send(ctx, &notifier.Message{From: "avvisi@mangaalert.example", To: "lettore@lettori.example", Subject: "Ciao", Text: "Esce domani."})
	require.Error(t, err)
	assert.False(t, notifier.NotSent(err), "the outcome is unknown, not a refusal: %v", err)
	assert.Equal(t, int32(1), n.Load(), "SendEmail is sent once")
}

// TestParameterErrors: Parameter Store's answers through secrets.Reader,
// as the binary reads a secret_store "ssm" parameter.
func TestParameterErrors(t *testing.T) {
	ctx := context.Background()
	const arn = "arn:aws:ssm:eu-south-1:123456789012:parameter/mangaalert/smtp"
	for _, tc := range []struct {
		name     string
		answers  []answer
		requests int32
		is       error
		says     string
	}{
		{"not found", []answer{jsonErr(400, "ParameterNotFound", "")}, 1, secrets.ErrNotFound, "not found"},
		{"access denied", []answer{jsonErr(400, "AccessDeniedException", "not authorized to perform ssm:GetParameter")}, 1, nil, "does not allow ssm:GetParameter"},
		{"key not usable", []answer{jsonErr(400, "InvalidKeyId", "KMS key is disabled")}, 1, nil, "InvalidKeyId"},
		{"throttled", []answer{jsonErr(400, "ThrottlingException", "Rate exceeded")}, 3, nil, "still throttled after 3 attempts"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv, cfg := scripted(t, tc.answers...)
			_, err := secrets.NewReader(awslite.NewSecrets(cfg)).Get(ctx, arn)
			require.Error(t, err)
			assert.Equal(t, tc.requests, srv.n.Load(), "requests")
			if tc.is != nil {
				assert.ErrorIs(t, err, tc.is)
			}
			assert.Contains(t, err.Error(), tc.says)
		})
	}
}

func TestIsParameterARN(t *testing.T) {
	for id, want := range map[string]bool{
		"arn:aws:ssm:eu-south-1:123456789012:parameter/mangaalert/smtp":                true,
		"arn:aws-cn:ssm:cn-north-1:123456789012:parameter/x":                           true,
		"arn:aws:secretsmanager:eu-south-1:123456789012:secret:mangaalert/smtp-AbCdEf": false,
		"mangaalert/smtp": false,
		"arn:aws:ssm:eu-south-1:123456789012:document/x": false,
	} {
		assert.Equal(t, want, awslite.IsParameterARN(id), id)
	}
}
