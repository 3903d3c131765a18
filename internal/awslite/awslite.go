// Package awslite makes the few AWS calls the runtime binary needs as
// SigV4-signed JSON requests, without the SDK's service clients: SES v2
// SendEmail and GetAccount ([SES]), Secrets Manager GetSecretValue
// ([SecretsManager]), Parameter Store GetParameter ([SSM]; [Secrets] reads
// from either store by the id's ARN) and DynamoDB's item calls
// ([DynamoDB]). Each takes and returns the SDK's own input and output
// types, so it satisfies the consumer interface of the library package
// that uses it (sesmail.API, secrets.ReadAPI, dynamo.API) and those
// packages keep their public API.
//
// Why: the SDK's clients for these services are about 5 MB of a 19 MB
// binary (schemas, serializers, endpoint rules for every operation of the
// service); the calls the binary makes are a few JSON POSTs. The image
// must stay under 15 MB for each architecture. The request shapes are
// checked against the SDK's own serializers (wire_test.go) and against
// moto (the store's whole contract suite runs on [DynamoDB]).
//
// What it does not do: endpoint discovery, FIPS or dual-stack endpoints,
// partitions other than aws (the default endpoint is
// SERVICE.REGION.amazonaws.com; set Config.Endpoint for anything else),
// response checksums. Programs that manage resources (the deploy tool)
// keep the SDK clients.
//
// # Errors
//
// An answer that is an error becomes an [*APIError], which implements
// smithy.APIError, so internal/awserr and the library packages read its
// code as they read the SDK's; DynamoDB's ConditionalCheckFailedException
// and TransactionCanceledException come back as the SDK's typed errors,
// with their cancellation reasons. Access denied says which action the
// role's policy lacks. Throttling and 5xx answers, and broken
// connections, are retried as the SDK's standard retryer does
// (Config.MaxAttempts, or the caller's RetryMaxAttempts option: sesmail
// sends each message once); the error after the last attempt says how
// many were made. An error never carries a request or response body, so
// no secret reaches a log through it.
//
// # Permissions
//
// The same as the SDK clients' calls: ses:SendEmail and ses:GetAccount,
// secretsmanager:GetSecretValue, ssm:GetParameter (plus kms:Decrypt for a
// customer-managed key), and dynamodb:GetItem, PutItem, UpdateItem,
// DeleteItem, Query, Scan, BatchGetItem, BatchWriteItem and
// ConditionCheckItem (TransactWriteItems asks for its items' actions) on
// the table and its indexes.
package awslite

import (
	"bytes"
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/smithy-go"
)

// HTTPClient sends one request; *http.Client is one.
type HTTPClient interface {
	Do(*http.Request) (*http.Response, error)
}

// Config is where and as whom the calls are made. Zero fields mean the
// defaults.
type Config struct {
	// Region is required.
	Region string
	// Endpoint replaces https://SERVICE.REGION.amazonaws.com (an emulator:
	// AWS_ENDPOINT_URL).
	Endpoint string
	// Credentials sign every request; required.
	Credentials aws.CredentialsProvider
	// HTTPClient defaults to an http.Client with a 60 s timeout.
	HTTPClient HTTPClient
	// MaxAttempts bounds the tries of one call while AWS throttles or fails
	// inside (default 3); a caller's RetryMaxAttempts option, when set,
	// wins for that call.
	MaxAttempts int
	// Backoff is the first pause between attempts, doubled each time up to
	// 5 s, with jitter (default 100 ms).
	Backoff time.Duration
	// Now is the clock of the signatures (default time.Now).
	Now func() time.Time
}

// FromAWS takes the region, endpoint, credentials and HTTP client of an
// aws.Config.
func FromAWS(cfg aws.Config) Config {
	c := Config{Region: cfg.Region, Credentials: cfg.Credentials, HTTPClient: cfg.HTTPClient}
	if cfg.BaseEndpoint != nil {
		c.Endpoint = *cfg.BaseEndpoint
	}
	if cfg.RetryMaxAttempts > 0 {
		c.MaxAttempts = cfg.RetryMaxAttempts
	}
	return c
}

// maxBody bounds an answer read into memory: a BatchGetItem answers up to
// 16 MB.
const maxBody = 20 << 20

// client is what the three service types share.
type client struct {
	cfg     Config
	service string // the signing name
	host    string // the endpoint's first label
	signer  *v4.Signer
}

func newClient(cfg Config, service, host string) client {
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = &http.Client{Timeout: time.Minute}
	}
	if cfg.MaxAttempts <= 0 {
		cfg.MaxAttempts = 3
	}
	if cfg.Backoff <= 0 {
		cfg.Backoff = 100 * time.Millisecond
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return client{cfg: cfg, service: service, host: host, signer: v4.NewSigner()}
}

// request is one operation's HTTP shape.
type request struct {
	op          string // the API's operation name, for errors
	method      string
	path        string
	target      string // X-Amz-Target (JSON 1.0/1.1 protocols)
	contentType string
	body        []byte
	attempts    int // 0: the client's MaxAttempts
}

func (c *client) endpoint() (string, error) {
	if c.cfg.Endpoint != "" {
		return strings.TrimSuffix(c.cfg.Endpoint, "/"), nil
	}
	if c.cfg.Region == "" {
		return "", errors.New("no AWS region: set AWS_REGION")
	}
	return "https://" + c.host + "." + c.cfg.Region + ".amazonaws.com", nil
}

// call makes r, retrying throttling and 5xx answers, and returns the body
// of the successful answer. Errors answered by AWS are *APIError (or what
// typed turns them into).
func (c *client) call(ctx context.Context, r request, typed func(*APIError, []byte) error) ([]byte, error) {
	if c.cfg.Credentials == nil {
		return nil, fmt.Errorf("%s %s: no AWS credentials configured", c.service, r.op)
	}
	attempts := cmp.Or(r.attempts, c.cfg.MaxAttempts)
	pause := c.cfg.Backoff
	for attempt := 1; ; attempt++ {
		body, err := c.once(ctx, r)
		var (
			ae *APIError
			te *transportError
		)
		switch {
		case err == nil:
			return body, nil
		case errors.As(err, &te):
			// A broken connection (an idle keep-alive closed by the other
			// end, a reset): tried again, as the SDK's standard retryer
			// does, unless the caller gave up.
			if ctx.Err() != nil || attempt >= attempts {
				return nil, err
			}
		case errors.As(err, &ae):
			ae.Attempts = attempt
			if !ae.retryable() || attempt >= attempts {
				if typed != nil {
					if te := typed(ae, body); te != nil {
						return nil, te
					}
				}
				return nil, ae
			}
		default:
			return nil, err
		}
		// Full jitter, as the SDK's standard retryer: many callers
		// throttled at once do not come back at once.
		t := time.NewTimer(time.Duration(rand.Int64N(int64(pause)) + 1))
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, fmt.Errorf("%s %s: stopped while backing off after %w", c.service, r.op, err)
		case <-t.C:
		}
		pause = min(2*pause, 5*time.Second)
	}
}

// once sends r once. An answered error comes back as *APIError, with the
// answer's body for typed errors.
func (c *client) once(ctx context.Context, r request) ([]byte, error) {
	base, err := c.endpoint()
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", c.service, r.op, err)
	}
	req, err := http.NewRequestWithContext(ctx, r.method, base+r.path, bytes.NewReader(r.body))
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", c.service, r.op, err)
	}
	if r.contentType != "" {
		req.Header.Set("Content-Type", r.contentType)
	}
	if r.target != "" {
		req.Header.Set("X-Amz-Target", r.target)
	}
	creds, err := c.cfg.Credentials.Retrieve(ctx)
	if err != nil {
		return nil, fmt.Errorf("%s %s: AWS credentials: %w", c.service, r.op, err)
	}
	sum := sha256.Sum256(r.body)
	if err := c.signer.SignHTTP(ctx, creds, req, hex.EncodeToString(sum[:]), c.service, c.cfg.Region, c.cfg.Now()); err != nil {
		return nil, fmt.Errorf("%s %s: sign: %w", c.service, r.op, err)
	}
	resp, err := c.cfg.HTTPClient.Do(req)
	if err != nil {
		return nil, &transportError{fmt.Errorf("%s %s: %w", c.service, r.op, err)}
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		return nil, &transportError{fmt.Errorf("%s %s: read the answer: %w", c.service, r.op, err)}
	}
	if resp.StatusCode < 300 {
		return body, nil
	}
	return body, parseError(c.service, r.op, resp, body)
}

// transportError is a call that got no answer: the connection failed.
type transportError struct{ err error }

func (e *transportError) Error() string { return e.err.Error() }
func (e *transportError) Unwrap() error { return e.err }

// APIError is an error AWS answered.
type APIError struct {
	Service   string // signing name: ses, secretsmanager, dynamodb
	Operation string
	Code      string // AWS's error code, such as ThrottlingException
	Message   string // AWS's message, at most 300 bytes
	Status    int    // HTTP status
	RequestID string
	Attempts  int // calls made, retries included
}

var _ smithy.APIError = (*APIError)(nil)

func (e *APIError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s: %s (HTTP %d", e.Service, e.Operation, e.Code, e.Status)
	if e.RequestID != "" {
		fmt.Fprintf(&b, ", request id %s", e.RequestID)
	}
	b.WriteString(")")
	if e.Message != "" {
		b.WriteString(": " + e.Message)
	}
	switch {
	case isAccessDenied(e.Code):
		fmt.Fprintf(&b, " (the role's policy does not allow %s:%s on this resource, or the credentials are wrong)", e.Service, e.Operation)
	case e.throttled() && e.Attempts > 1:
		fmt.Fprintf(&b, " (still throttled after %d attempts)", e.Attempts)
	case e.Status >= 500 && e.Attempts > 1:
		fmt.Fprintf(&b, " (still failing after %d attempts)", e.Attempts)
	}
	return b.String()
}

// ErrorCode, ErrorMessage and ErrorFault make it a smithy.APIError.
func (e *APIError) ErrorCode() string    { return e.Code }
func (e *APIError) ErrorMessage() string { return e.Message }
func (e *APIError) ErrorFault() smithy.ErrorFault {
	switch {
	case e.Status >= 500:
		return smithy.FaultServer
	case e.Status >= 400:
		return smithy.FaultClient
	}
	return smithy.FaultUnknown
}

var throttleCodes = []string{
	"ThrottlingException", "Throttling", "ThrottledException", "TooManyRequestsException",
	"RequestThrottledException", "RequestLimitExceeded", "ProvisionedThroughputExceededException",
	"RequestThrottled", "SlowDown",
}

// throttled: LimitExceededException is not one, it is a quota (SES's
// daily sending, Secrets Manager's and DynamoDB's resource counts).
func (e *APIError) throttled() bool { return slices.Contains(throttleCodes, e.Code) }

func (e *APIError) retryable() bool { return e.throttled() || e.Status >= 500 }

func isAccessDenied(code string) bool {
	switch code {
	case "AccessDeniedException", "AccessDenied", "UnrecognizedClientException",
		"InvalidClientTokenId", "SignatureDoesNotMatch", "ExpiredTokenException", "MissingAuthenticationTokenException":
		return true
	}
	return false
}

// parseError reads the code and message of an error answer: the
// X-Amzn-ErrorType header (REST JSON), else the body's __type or code
// (JSON 1.0/1.1); both may carry a namespace (prefix#Code) or a URI
// suffix (Code:http://...).
func parseError(service, op string, resp *http.Response, body []byte) *APIError {
	e := &APIError{Service: service, Operation: op, Status: resp.StatusCode,
		RequestID: cmp.Or(resp.Header.Get("X-Amzn-Requestid"), resp.Header.Get("X-Amz-Request-Id"))}
	var doc struct {
		Type     string `json:"__type"`
		Code     string `json:"code"`
		Message  string `json:"message"`
		MessageU string `json:"Message"`
	}
	_ = json.Unmarshal(body, &doc) // not JSON: the status alone speaks
	code := cmp.Or(resp.Header.Get("X-Amzn-Errortype"), doc.Type, doc.Code)
	if i := strings.LastIndexByte(code, '#'); i >= 0 {
		code = code[i+1:]
	}
	if i := strings.IndexByte(code, ':'); i >= 0 {
		code = code[:i]
	}
	e.Code = cmp.Or(code, fmt.Sprintf("HTTP%d", resp.StatusCode)) // no code: a proxy or load balancer answered
	e.Message = cmp.Or(doc.Message, doc.MessageU)
	if len(e.Message) > 300 {
		e.Message = e.Message[:300] + "..."
	}
	return e
}

// attemptsOf is the RetryMaxAttempts an SDK option function sets on opts
// (0: not set).
func attemptsOf[O any](opts *O, fns []func(*O), get func(*O) int) int {
	for _, fn := range fns {
		fn(opts)
	}
	return get(opts)
}
