package stack

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/manga-alert-italia/mangaalert/change"
	"github.com/manga-alert-italia/mangaalert/loadbalancer"
)

// Errors a caller can test with errors.Is.
var (
	// ErrOffline is returned by Apply, Destroy, Status and DeployImage of
	// a Stack built with Options.Offline.
	ErrOffline = errors.New("stack: offline: only Plan works without AWS")
	// ErrNoImage: the first Apply needs Spec.Image, since nothing runs
	// whose image could be kept. Nothing was written.
	ErrNoImage = errors.New("stack: no image: nothing runs yet whose image could be kept, so the first apply needs one (apply --image IMAGE)")
	// ErrMissingSecret: a secret with neither Value nor Generate does not
	// exist. Nothing was written.
	ErrMissingSecret = errors.New("stack: a secret with no value does not exist")
	// ErrNotDeployed: DeployImage found no stack to roll (apply first).
	ErrNotDeployed = errors.New("stack: not deployed: nothing runs to roll to a new image; run apply --image IMAGE first")
)

// PlaceholderAccount is the account of an offline plan without
// Options.Account: obviously not a real one.
const PlaceholderAccount = "000000000000"

// Options tune a Stack; the zero value of each field is its default.
type Options struct {
	// Logger receives the packages' Debug records. Default
	// slog.Default().WithGroup("stack").
	Logger *slog.Logger
	// Offline: Plan reads nothing from AWS (every resource shows as
	// created, IDs empty, plan.Offline true); the other methods return
	// ErrOffline.
	Offline bool
	// Account and Region put into ARNs. Online they default to STS's
	// answer and the config's region; offline to PlaceholderAccount.
	Account, Region string
	// MinDelay and MaxDelay pace every wait for AWS (default 1 s and
	// 15 s); tests pass milliseconds.
	MinDelay, MaxDelay time.Duration
	// OnChange hears each change once it is made (progress); may be nil.
	OnChange func(change.Change)
	// OnEvent hears DeployImage's rollout as it happens; may be nil.
	OnEvent func(string)
	// DeployTimeout bounds DeployImage's wait for a stable service
	// (default 15 minutes).
	DeployTimeout time.Duration
	// Now is the clock of the schedules' next runs; default time.Now.
	Now func() time.Time
	// Runs reads a job's last runs as lines, for Status (package
	// jobreport over the application's store); nil leaves them out.
	Runs func(ctx context.Context, job string) ([]string, error)
	// KeepTable makes Destroy leave the table and its data.
	KeepTable bool
	// PurgeSecrets makes Destroy delete the secrets at once, without the
	// 7-day recovery window.
	PurgeSecrets bool
}

// Stack plans, applies, inspects and destroys stacks in one account and
// region. It is safe for concurrent use on different stacks.
type Stack struct {
	o   Options
	cfg aws.Config
	cl  clients

	mu      sync.Mutex
	account string
}

// New returns a Stack working through clients built from cfg.
func New(cfg aws.Config, optFns ...func(*Options)) *Stack {
	var o Options
	for _, f := range optFns {
		f(&o)
	}
	if o.Logger == nil {
		o.Logger = slog.Default().WithGroup("stack")
	}
	if o.Region == "" {
		o.Region = cfg.Region
	}
	if o.MinDelay <= 0 {
		o.MinDelay = time.Second
	}
	if o.MaxDelay < o.MinDelay {
		o.MaxDelay = max(15*time.Second, o.MinDelay)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.DeployTimeout <= 0 {
		o.DeployTimeout = 15 * time.Minute
	}
	if o.Offline && o.Account == "" {
		o.Account = PlaceholderAccount
	}
	cfg.Region = o.Region
	return &Stack{o: o, cfg: cfg, cl: newClients(cfg), account: o.Account}
}

// Outputs are what one step hands the next, as plain values: every name
// and ARN a container's policy or environment may need.
type Outputs struct {
	Account, Region, Partition string
	SubnetIDs                  []string
	SecurityGroupID            string
	// VPCID, LoadBalancerSecurityGroupID and TargetGroupARN are the
	// load balancer's (Spec.LoadBalancer), else "".
	VPCID, LoadBalancerSecurityGroupID, TargetGroupARN string
	// PrivateSubnetIDs (with Network.NAT) and JobsSecurityGroupID (jobs
	// with their own interface: awsvpc or Fargate), else empty.
	PrivateSubnetIDs    []string
	JobsSecurityGroupID string
	// LoadBalancerARN is the load balancer's (a placeholder before it
	// exists): the scaling policy tracks requests through it.
	LoadBalancerARN string
	// SecretARNs by secret name; placeholders ending in -xxxxxx for
	// secrets not yet created.
	SecretARNs       map[string]string
	TableARN         string // "" without a table
	ClusterARN       string
	ExecutionRoleARN string
	// TaskRoleARNs and TaskDefinitionARNs by container name.
	TaskRoleARNs       map[string]string
	TaskDefinitionARNs map[string]string
	// Of the alerts, "" when the Spec has none: the operator topic, the
	// schedules' dead-letter queue, the SES configuration set and the
	// topic its bounces and complaints go to.
	AlertsTopicARN, DeadLetterQueue, ConfigurationSet, MailEventsTopicARN string
}

// State is what Apply or DeployImage left, and what it changed.
type State struct {
	Outputs
	// Changes are what this call changed, in order; empty on a no-op.
	Changes []change.Change
	// ElasticIP is the host's fixed address (Host.ElasticIP), else "".
	ElasticIP string
	// InstanceRefreshID is set when the host is being replaced.
	InstanceRefreshID string
	// LoadBalancer is what the load balancer step left (Spec.LoadBalancer),
	// else nil.
	LoadBalancer *loadbalancer.State
}

// accountID is the account ARNs are built in: the option, else STS's
// answer, asked once.
func (s *Stack) accountID(ctx context.Context) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.account != "" {
		return s.account, nil
	}
	out, err := s.cl.sts.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		return "", fmt.Errorf("find the AWS account (sts:GetCallerIdentity): %w", err)
	}
	s.account = aws.ToString(out.Account)
	return s.account, nil
}

// Account returns the account the Stack works in (offline: Options.Account
// or PlaceholderAccount).
func (s *Stack) Account(ctx context.Context) (string, error) { return s.accountID(ctx) }

// outputs starts the outputs of a run: account, region, partition.
func (s *Stack) outputs(ctx context.Context) (*Outputs, error) {
	account, err := s.accountID(ctx)
	if err != nil {
		return nil, err
	}
	return &Outputs{Account: account, Region: s.o.Region, Partition: partition(s.o.Region),
		SecretARNs: map[string]string{}, TaskRoleARNs: map[string]string{}, TaskDefinitionARNs: map[string]string{}}, nil
}

// changed tells OnChange about a change the stack made itself (the
// packages tell it theirs).
func (s *Stack) changed(c change.Change) {
	if s.o.OnChange != nil {
		s.o.OnChange(c)
	}
}

var discard = slog.New(slog.DiscardHandler)
