package main

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/scheduler"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/middleware"
)

// clients are the service clients of one run, all from one config.
type clients struct {
	cfg       aws.Config
	ec2       *ec2.Client
	ecs       *ecs.Client
	asg       *autoscaling.Client
	iam       *iam.Client
	ssm       *ssm.Client
	logs      *cloudwatchlogs.Client
	sts       *sts.Client
	secrets   *secretsmanager.Client
	dynamo    *dynamodb.Client
	scheduler *scheduler.Client
}

func newClients(cfg aws.Config) *clients {
	return &clients{
		cfg:       cfg,
		ec2:       ec2.NewFromConfig(cfg),
		ecs:       ecs.NewFromConfig(cfg),
		asg:       autoscaling.NewFromConfig(cfg),
		iam:       iam.NewFromConfig(cfg),
		ssm:       ssm.NewFromConfig(cfg),
		logs:      cloudwatchlogs.NewFromConfig(cfg),
		sts:       sts.NewFromConfig(cfg),
		secrets:   secretsmanager.NewFromConfig(cfg),
		dynamo:    dynamodb.NewFromConfig(cfg),
		scheduler: scheduler.NewFromConfig(cfg),
	}
}

// account asks STS which account the credentials work in.
func (c *clients) account(ctx context.Context) (string, error) {
	out, err := c.sts.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		return "", fmt.Errorf("find the AWS account (sts:GetCallerIdentity): %w", err)
	}
	return aws.ToString(out.Account), nil
}

// endpointOf is the emulator endpoint asked for: the flag, or else
// AWS_ENDPOINT_URL (which the SDK would read anyway).
func endpointOf(flagValue string, getenv func(string) string) string {
	if flagValue != "" {
		return flagValue
	}
	return getenv("AWS_ENDPOINT_URL")
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
		if f == "" {
			continue
		}
		if st, err := os.Stat(f); err == nil && st.Size() > 0 {
			return true
		}
	}
	return false
}

// loadAWS builds the SDK config: the default credential chain in region,
// or an emulator at endpoint, where static dummy credentials stand in when
// none are configured. Every client built from it reports its calls to
// counter.
func (a *app) loadAWS(ctx context.Context, region, endpoint string, counter *callCounter) (aws.Config, error) {
	getenv := a.getenv
	opts := []func(*config.LoadOptions) error{config.WithRegion(region)}
	if endpoint != "" {
		opts = append(opts, config.WithBaseEndpoint(endpoint))
		if !credentialsConfigured(getenv) {
			// Emulators accept any key; without one the chain would end at
			// the instance metadata service and wait for it.
			opts = append(opts, config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider("test", "test", "")))
		}
	}
	cfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return aws.Config{}, fmt.Errorf("load the AWS configuration: %w", err)
	}
	if counter != nil {
		cfg.APIOptions = append(cfg.APIOptions, counter.middleware)
	}
	cfg.APIOptions = append(cfg.APIOptions, a.apiOptions...)
	return cfg, nil
}

// callCounter counts the API calls of a run, and which of them write:
// "0 mutating calls" is how a second apply proves it changed nothing.
type callCounter struct {
	mu       sync.Mutex
	calls    int
	mutating map[string]int // "EC2.CreateVpc" → count
}

func newCallCounter() *callCounter { return &callCounter{mutating: map[string]int{}} }

// readPrefixes are the operation names that only read; anything else
// counts as a write, so a new kind of write never hides among the reads.
var readPrefixes = []string{"Describe", "Get", "List", "Query", "Scan", "BatchGet", "TransactGet",
	"Lookup", "Search", "Simulate", "Estimate", "Preview", "Check"}

func isMutating(op string) bool {
	return !slices.ContainsFunc(readPrefixes, func(p string) bool { return strings.HasPrefix(op, p) })
}

func (c *callCounter) middleware(s *middleware.Stack) error {
	return s.Initialize.Add(middleware.InitializeMiddlewareFunc("deployCallCounter",
		func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
			op := middleware.GetOperationName(ctx)
			svc := middleware.GetServiceID(ctx)
			if svc == "" {
				svc = awsmiddleware.GetServiceID(ctx)
			}
			c.mu.Lock()
			c.calls++
			if isMutating(op) {
				c.mutating[svc+"."+op]++
			}
			c.mu.Unlock()
			return next.HandleInitialize(ctx, in)
		}), middleware.Before)
}

// Mutating returns the number of calls that wrote.
func (c *callCounter) Mutating() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for _, k := range c.mutating {
		n += k
	}
	return n
}

// Calls returns the number of calls.
func (c *callCounter) Calls() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.calls
}

// Breakdown lists the writes by operation, sorted.
func (c *callCounter) Breakdown() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []string
	for _, op := range slices.Sorted(maps.Keys(c.mutating)) {
		out = append(out, fmt.Sprintf("%s ×%d", op, c.mutating[op]))
	}
	return out
}

// errOffline is what the empty account answers to anything but a read.
var errOffline = errors.New("offline plan: nothing is sent to AWS")

// emptyAccount is an SDK config whose clients never leave the process:
// every read answers as an account that holds nothing ("not found"), every
// write fails. Plan runs the packages' own Plan on it when there are no
// credentials, so an offline plan says what the packages would do in a
// fresh account, not what this tool guesses they would.
func emptyAccount(region string) aws.Config {
	return aws.Config{
		Region:      region,
		Credentials: aws.AnonymousCredentials{},
		APIOptions: []func(*middleware.Stack) error{func(s *middleware.Stack) error {
			return s.Initialize.Add(middleware.InitializeMiddlewareFunc("deployEmptyAccount",
				func(ctx context.Context, _ middleware.InitializeInput, _ middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
					return middleware.InitializeOutput{}, middleware.Metadata{}, emptyAnswer(middleware.GetOperationName(ctx))
				}), middleware.Before)
		}},
	}
}

// notFoundCodes are the "does not exist" answers of the reads the
// packages' Plans make.
var notFoundCodes = map[string]string{
	"GetScheduleGroup": "ResourceNotFoundException",
	"GetSchedule":      "ResourceNotFoundException",
	"GetRole":          "NoSuchEntity",
	"GetRolePolicy":    "NoSuchEntity",
	"DescribeSecret":   "ResourceNotFoundException",
	"GetSecretValue":   "ResourceNotFoundException",
	"DescribeTable":    "ResourceNotFoundException",
	"GetQueueUrl":      "AWS.SimpleQueueService.NonExistentQueue",
	// ECS's answer for a family with no revision.
	"DescribeTaskDefinition": "ClientException",
}

func emptyAnswer(op string) error {
	if code, ok := notFoundCodes[op]; ok {
		return &smithy.GenericAPIError{Code: code, Message: "offline plan: an empty account has no such resource", Fault: smithy.FaultClient}
	}
	return fmt.Errorf("%s: %w", op, errOffline)
}
