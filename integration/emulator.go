package integration

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// Service names an AWS service as the harness knows it.
type Service string

// The services this project uses.
const (
	EC2            Service = "ec2"
	ECS            Service = "ecs"
	AutoScaling    Service = "autoscaling"
	IAM            Service = "iam"
	STS            Service = "sts"
	SSM            Service = "ssm"
	Scheduler      Service = "scheduler"
	SecretsManager Service = "secretsmanager"
	DynamoDB       Service = "dynamodb"
	SES            Service = "ses"   // SES v1
	SESv2          Service = "sesv2" // SES v2
	Logs           Service = "logs"
	SQS            Service = "sqs"
	SNS            Service = "sns"
	Events         Service = "events"
	CloudWatch     Service = "cloudwatch"
	Budgets        Service = "budgets"
	ELBv2          Service = "elbv2" // Application Load Balancers
	ACM            Service = "acm"
	// AppAutoScaling is Application Auto Scaling (scalable targets and
	// target-tracking policies of ECS services).
	AppAutoScaling Service = "application-autoscaling"
)

var allServices = []Service{EC2, ECS, AutoScaling, IAM, STS, SSM, Scheduler, SecretsManager, DynamoDB, SES, SESv2, Logs, SQS,
	SNS, Events, CloudWatch, Budgets, ELBv2, ACM, AppAutoScaling}

// localStackCommunity is what LocalStack's free image offers of our
// services (shared/EMULATOR.md): no ECS, no Auto Scaling, no SES v2.
var localStackCommunity = []Service{EC2, IAM, STS, SSM, Scheduler, SecretsManager, DynamoDB, SES, Logs, SQS}

// Kind is the emulator family, which decides isolation and the side doors.
type Kind string

// The emulators the harness knows.
const (
	Moto       Kind = "moto"
	LocalStack Kind = "localstack"
	Unknown    Kind = "endpoint" // AWS_ENDPOINT_URL pointing at something else
)

// Region is the region every test config uses: Milan, where the service runs.
const Region = "eu-south-1"

// ErrNoEmulator means no emulator could be found or started; its message
// says how to get one.
var ErrNoEmulator = errors.New("no AWS emulator available")

// Emulator is a running emulator.
type Emulator struct {
	Kind     Kind
	Endpoint string // http://127.0.0.1:PORT
	How      string // how it was found or started, for humans
	// BridgeEndpoint is where a container on Docker's default bridge
	// reaches the emulator, when it runs as a container itself ("" else).
	BridgeEndpoint string
	services       []Service
	log            *ringLog // the emulator's own output, when the harness started it
	stop           func() error
}

// String says which emulator runs and how it was reached.
func (e *Emulator) String() string {
	return fmt.Sprintf("%s at %s (%s)", e.Kind, e.Endpoint, e.How)
}

// Services lists what the emulator offers of the services this project uses.
func (e *Emulator) Services() []Service { return slices.Clone(e.services) }

// Offers reports whether the emulator offers s.
func (e *Emulator) Offers(s Service) bool { return slices.Contains(e.services, s) }

// Require skips the test when the emulator does not offer one of services,
// with "not offered by <emulator>": the one skip allowed with CI=true.
func (e *Emulator) Require(t testing.TB, services ...Service) {
	t.Helper()
	for _, s := range services {
		if !e.Offers(s) {
			t.Skipf("%s not offered by %s", s, e.Kind)
		}
	}
}

// LogTail returns the last n lines the emulator printed ("" when the harness
// did not start it).
func (e *Emulator) LogTail(n int) string {
	if e.log == nil {
		return ""
	}
	return e.log.tail(n)
}

// Close stops the emulator if the harness started it.
func (e *Emulator) Close() error {
	if e.stop == nil {
		return nil
	}
	return e.stop()
}

var shared struct {
	once sync.Once
	emu  *Emulator
	err  error
}

// Start returns the emulator of this test binary, finding or starting it on
// the first call. Its error wraps ErrNoEmulator when there is none to have.
func Start(ctx context.Context) (*Emulator, error) {
	shared.once.Do(func() {
		ctx, cancel := context.WithTimeout(ctx, 3*time.Minute)
		defer cancel()
		shared.emu, shared.err = choose(ctx)
	})
	return shared.emu, shared.err
}

// Env returns the emulator of this test binary for t. With none available
// it skips t with a message saying how to get one, or fails it when
// CI=true: in CI a missing emulator is a broken pipeline, not a pass.
func Env(t testing.TB) *Emulator {
	t.Helper()
	e, err := Start(context.Background())
	switch {
	case errors.Is(err, ErrNoEmulator) && !InCI():
		t.Skip(err.Error())
	case err != nil:
		t.Fatalf("integration: %v", err)
	}
	return e
}

// InCI reports whether CI=true, where nothing may be skipped for want of an
// emulator or a tool.
func InCI() bool {
	v := strings.ToLower(os.Getenv("CI"))
	return v == "true" || v == "1"
}

// Main runs the tests of a package and then stops the emulator, if any was
// started. Use it from TestMain:
//
//	func TestMain(m *testing.M) { integration.Main(m) }
//
// Without it the emulator still stops when the test binary exits.
func Main(m *testing.M) {
	code := m.Run()
	if shared.emu != nil {
		if code != 0 && shared.emu.log != nil {
			fmt.Fprintf(os.Stderr, "--- %s: last lines of its log:\n%s\n", shared.emu, shared.emu.LogTail(60))
		}
		_ = shared.emu.Close()
	}
	os.Exit(code)
}

func choose(ctx context.Context) (*Emulator, error) {
	if ep := os.Getenv("AWS_ENDPOINT_URL"); ep != "" {
		return atEndpoint(ctx, ep)
	}
	want := os.Getenv("MANGAALERT_EMULATOR")
	var tried []string
	if want == "" || want == "moto" {
		e, err := startMoto(ctx)
		if err == nil {
			return e, nil
		}
		if want == "moto" || !errors.Is(err, errNotInstalled) {
			return nil, fmt.Errorf("start moto: %w", err)
		}
		tried = append(tried, err.Error())
	}
	if want == "" || want == "docker-moto" || want == "localstack" {
		e, err := startContainer(ctx, want == "localstack")
		if err == nil {
			return e, nil
		}
		if !errors.Is(err, errNotInstalled) {
			return nil, err
		}
		tried = append(tried, err.Error())
	}
	if len(tried) == 0 {
		return nil, fmt.Errorf("MANGAALERT_EMULATOR=%q: want moto, docker-moto or localstack", want)
	}
	return nil, fmt.Errorf("%w (%s); install moto (pip install 'moto[server]==5.2.1'), "+
		"start a Docker engine, or set AWS_ENDPOINT_URL to a running emulator", ErrNoEmulator, strings.Join(tried, "; "))
}

var errNotInstalled = errors.New("not installed")
