package ecshost

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/manga-alert-italia/mangaalert/change"
	"github.com/manga-alert-italia/mangaalert/internal/poll"
)

// Defaults of the zero Options.
const (
	DefaultMinDelay = 2 * time.Second
	DefaultMaxDelay = 15 * time.Second
	// DefaultTimeout bounds Delete when its context has no deadline.
	DefaultTimeout = 20 * time.Minute
)

// Options tune a Host; the zero value of each field is its documented
// default.
type Options struct {
	// Logger defaults to slog.Default().WithGroup("ecshost"); the host
	// logs at Debug only.
	Logger *slog.Logger
	// MinDelay and MaxDelay bound the pause between two checks while
	// waiting for AWS (rollouts, deletions, a new role to become visible):
	// from MinDelay, doubling up to MaxDelay (defaults 2 s and 15 s).
	// Tests pass milliseconds.
	MinDelay, MaxDelay time.Duration
	// Timeout bounds Delete when its context has no deadline (default
	// 20 minutes): it never waits forever for AWS.
	Timeout time.Duration
	// Offline: Plan reads nothing from AWS (every resource shows as
	// created, IDs empty, plan.Offline true); Ensure, Delete and Deploy
	// return ErrOffline. It is the one way to plan without an account.
	Offline bool
	// Account and Region go into the ARNs of the policies. Online they
	// default to STS's answer and to Clients.Region; offline, placeholders
	// stand in for what is not given.
	Account, Region string
	// OnChange hears each change once Ensure or Delete made it (progress);
	// may be nil.
	OnChange func(change.Change)
	// LogGBPerMonth is the log volume the cost estimate assumes (default
	// DefaultLogGBPerMonth).
	LogGBPerMonth float64
	// IAMPropagation is how long ECS calls naming a new role are retried
	// while the role is not visible yet (default DefaultIAMPropagation).
	IAMPropagation time.Duration
}

func (o Options) withDefaults() Options {
	if o.Logger == nil {
		o.Logger = slog.Default().WithGroup("ecshost")
	}
	if o.MinDelay <= 0 {
		o.MinDelay = DefaultMinDelay
	}
	if o.MaxDelay < o.MinDelay {
		o.MaxDelay = max(DefaultMaxDelay, o.MinDelay)
	}
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}
	if o.LogGBPerMonth <= 0 {
		o.LogGBPerMonth = DefaultLogGBPerMonth
	}
	if o.IAMPropagation <= 0 {
		o.IAMPropagation = DefaultIAMPropagation
	}
	return o
}

// Host manages one stack's ECS-on-EC2 host. It keeps nothing of a Spec
// between calls, and is safe for concurrent use; two Ensure calls on one
// stack at once race like two people would.
type Host struct {
	c      Clients
	o      Options
	delays poll.Delays

	mu      sync.Mutex
	account string // learned from STS once, when Options.Account is empty
}

// New returns a Host using the given clients; optFns tune its Options.
func New(c Clients, optFns ...func(*Options)) *Host {
	var o Options
	for _, fn := range optFns {
		fn(&o)
	}
	o = o.withDefaults()
	return &Host{c: c, o: o, delays: poll.Delays{Min: o.MinDelay, Max: o.MaxDelay}, account: o.Account}
}

// NewFromConfig returns a Host with every client built from cfg.
func NewFromConfig(cfg aws.Config, optFns ...func(*Options)) *Host {
	return New(ClientsFromConfig(cfg), optFns...)
}

// ErrOffline is returned by Ensure, Delete and Deploy of a Host built with
// Options.Offline.
var ErrOffline = errors.New("ecshost: offline: only Plan works; build the Host without Options.Offline to change AWS")

// online checks that the Host may call AWS and has the clients it needs.
func (h *Host) online(need ...string) error {
	if h.o.Offline {
		return ErrOffline
	}
	if missing := h.c.missing(need...); len(missing) > 0 {
		return fmt.Errorf("ecshost: no %s client: build the Host with NewFromConfig, or set Options.Offline to plan without AWS",
			strings.Join(missing, ", "))
	}
	return nil
}

// names returns the stack's names, asking STS for the account once when it
// was not given.
func (h *Host) names(ctx context.Context, stack string) (names, error) {
	region := h.o.Region
	if region == "" {
		region = h.c.Region
	}
	if region == "" {
		if !h.o.Offline {
			return names{}, fmt.Errorf("ecshost: no region: set Clients.Region or Options.Region")
		}
		region = "<region>"
	}
	account, err := h.accountID(ctx)
	if err != nil {
		return names{}, err
	}
	return newNames(stack, region, account), nil
}

func (h *Host) accountID(ctx context.Context) (string, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.account != "" {
		return h.account, nil
	}
	if h.o.Offline {
		return "<account>", nil
	}
	if h.c.STS == nil {
		return "", fmt.Errorf("ecshost: no account: set Options.Account or give an STS client")
	}
	out, err := h.c.STS.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		return "", fmt.Errorf("find the account: %w", err)
	}
	h.account = aws.ToString(out.Account)
	return h.account, nil
}
