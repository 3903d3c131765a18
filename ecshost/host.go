package ecshost

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/manga-alert-italia/mangaalert/internal/poll"
)

// ErrNotOurs means a resource with one of this stack's names exists
// without the stack's tags: the host never touches it.
var ErrNotOurs = errors.New("exists without this stack's tags (mangaalert:stack, mangaalert:component)")

// Host manages one stack's ECS-on-EC2 host. It is safe for concurrent use,
// but two Ensure calls on one stack at once race like two people would.
type Host struct {
	c       Clients
	log     *slog.Logger
	account string
	region  string
	delays  poll.Delays
	logGBs  float64
	timeout time.Duration // Delete's bound when the context has none
	iamWait time.Duration

	mu   sync.Mutex
	spec *Spec // of the last successful Ensure, for Deploy
}

// Option configures a Host.
type Option func(*Host)

// WithLogger sets the logger (default slog.Default() in group "ecshost");
// the host logs at Debug only.
func WithLogger(l *slog.Logger) Option { return func(h *Host) { h.log = l } }

// WithAccount names the AWS account, so the host needs no STS call (and an
// offline Plan shows real ARNs).
func WithAccount(id string) Option { return func(h *Host) { h.account = id } }

// WithRegion names the region (default: Clients.Region).
func WithRegion(region string) Option { return func(h *Host) { h.region = region } }

// WithPollInterval bounds the waits between two checks while waiting for
// AWS (rollouts, deletions): from min, doubling up to max. Tests pass
// milliseconds.
func WithPollInterval(min, max time.Duration) Option {
	return func(h *Host) { h.delays = poll.Delays{Min: min, Max: max} }
}

// WithLogVolume sets the log volume, in GB a month, the cost estimate
// assumes (default DefaultLogGBPerMonth).
func WithLogVolume(gbPerMonth float64) Option { return func(h *Host) { h.logGBs = gbPerMonth } }

// WithDeleteTimeout bounds Delete when its context has no deadline
// (default 20 minutes): it never waits forever for AWS.
func WithDeleteTimeout(d time.Duration) Option { return func(h *Host) { h.timeout = d } }

// WithIAMPropagation sets how long ECS calls naming a new role are retried
// while the role is not visible yet (default DefaultIAMPropagation).
func WithIAMPropagation(d time.Duration) Option { return func(h *Host) { h.iamWait = d } }

// New returns a Host using the given clients. With the zero Clients only
// Plan works, offline.
func New(c Clients, opts ...Option) *Host {
	h := &Host{c: c, region: c.Region, delays: poll.Delays{Min: 2 * time.Second, Max: 15 * time.Second},
		logGBs: DefaultLogGBPerMonth, timeout: 20 * time.Minute, iamWait: DefaultIAMPropagation}
	for _, o := range opts {
		o(h)
	}
	if h.log == nil {
		h.log = slog.Default().WithGroup("ecshost")
	}
	return h
}

// NewFromConfig returns a Host with every client built from cfg.
func NewFromConfig(cfg aws.Config, opts ...Option) *Host {
	return New(ClientsFromConfig(cfg), opts...)
}

// ErrOffline is returned by the calls that need AWS when the Host has no
// clients.
var ErrOffline = errors.New("ecshost: no AWS clients (offline host); build it with NewFromConfig or Clients")

// names returns the stack's names, asking STS for the account once when it
// was not given.
func (h *Host) names(ctx context.Context, stack string, offline bool) (names, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	region := h.region
	if region == "" {
		region = "<region>"
		if !offline {
			return names{}, fmt.Errorf("ecshost: no region: set Clients.Region or use WithRegion")
		}
	}
	if h.account == "" && !offline {
		if h.c.STS == nil {
			return names{}, fmt.Errorf("ecshost: no account: pass WithAccount or an STS client")
		}
		out, err := h.c.STS.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
		if err != nil {
			return names{}, fmt.Errorf("find the account: %w", err)
		}
		h.account = aws.ToString(out.Account)
	}
	account := h.account
	if account == "" {
		account = "<account>"
	}
	return newNames(stack, region, account), nil
}

func (h *Host) remember(s Spec) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.spec = &s
}

func (h *Host) remembered() *Spec {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.spec
}

func (h *Host) logGB() float64 { return h.logGBs }
