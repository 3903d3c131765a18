package loadbalancer

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/manga-alert-italia/mangaalert/change"
	"github.com/manga-alert-italia/mangaalert/internal/engine"
	"github.com/manga-alert-italia/mangaalert/internal/poll"
)

// Errors a caller can test with errors.Is (and resource.ErrNotOurs for a
// name taken by something without the stack's tags).
var (
	// ErrOffline is returned by Ensure, Delete and Status of a
	// LoadBalancer built with Options.Offline.
	ErrOffline = errors.New("loadbalancer: offline: only Plan works; build it without Options.Offline to change AWS")
	// ErrCertificate: the stack's certificate for the domain failed
	// validation (FAILED, VALIDATION_TIMED_OUT, REVOKED, EXPIRED). Delete
	// it in the ACM console; the next Ensure requests a new one.
	ErrCertificate = errors.New("loadbalancer: the certificate cannot be used")
)

// Options tune a LoadBalancer; the zero value of each field is its
// default.
type Options struct {
	// Logger receives Debug records; default
	// slog.Default().WithGroup("loadbalancer").
	Logger *slog.Logger
	// Offline: Plan reads nothing (everything shows as created); Ensure,
	// Delete and Status return ErrOffline.
	Offline bool
	// OnChange hears each change once it is made; may be nil.
	OnChange func(change.Change)
	// MinDelay and MaxDelay pace the waits (default 1 s and 15 s);
	// Timeout bounds each (default 10 minutes).
	MinDelay, MaxDelay, Timeout time.Duration
}

// LoadBalancer manages one stack's Application Load Balancer, target
// group, listeners and certificate.
type LoadBalancer struct {
	c      Clients
	o      Options
	delays poll.Delays
}

// New returns a LoadBalancer working through c.
func New(c Clients, optFns ...func(*Options)) *LoadBalancer {
	var o Options
	for _, f := range optFns {
		f(&o)
	}
	if o.Logger == nil {
		o.Logger = slog.Default().WithGroup("loadbalancer")
	}
	if o.Timeout <= 0 {
		o.Timeout = 10 * time.Minute
	}
	return &LoadBalancer{c: c, o: o, delays: poll.Delays{Min: o.MinDelay, Max: o.MaxDelay}}
}

// Record is a DNS record the operator publishes.
type Record struct {
	Name, Type, Value string
}

func (r Record) String() string { return r.Name + " " + r.Type + " " + r.Value }

// State is what Ensure observed and made.
type State struct {
	LoadBalancerARN string
	// DNSName is where the domain points (a CNAME, or an alias record in
	// Route 53).
	DNSName        string
	TargetGroupARN string
	CertificateARN string
	// CertificateStatus is ACM's: PENDING_VALIDATION until the
	// ValidationRecords are published, then ISSUED.
	CertificateStatus string
	// ValidationRecords prove the domain to ACM: publish each at the DNS
	// host of the domain, once; ACM renews through them.
	ValidationRecords []Record
	HTTPListenerARN   string
	// HTTPSListenerARN is "" until the certificate is issued; until then
	// the HTTP listener forwards to the targets instead of redirecting.
	HTTPSListenerARN string
	// Changes are what this call changed; empty on a no-op.
	Changes []change.Change
}

func (lb *LoadBalancer) online() error {
	if lb.o.Offline {
		return ErrOffline
	}
	if lb.c.ELB == nil || lb.c.ACM == nil {
		return errors.New("loadbalancer: no ELB or ACM client: build it with ClientsFromConfig, or set Options.Offline to plan without AWS")
	}
	return nil
}

// Plan says what Ensure would do with spec, without writing: every
// resource, the notes an operator needs (the validation record to
// publish, where the domain points) and the monthly cost.
func (lb *LoadBalancer) Plan(ctx context.Context, spec Spec) (*change.Plan, error) {
	spec = spec.WithDefaults()
	if err := spec.Validate(); err != nil {
		return nil, err
	}
	r := lb.newRun(spec)
	if !lb.o.Offline {
		if err := lb.online(); err != nil {
			return nil, err
		}
		if err := r.observe(ctx); err != nil {
			return nil, err
		}
	}
	first, err := r.resourceSteps()
	if err != nil {
		return nil, err
	}
	p := &change.Plan{Component: component, Offline: lb.o.Offline, Changes: append(engine.Changes(first), engine.Changes(r.listenerSteps())...)}
	p.Changes = append(p.Changes, engine.Changes(r.staleCertificateSteps())...)
	p.Notes = r.notes()
	p.Cost = Estimate(len(spec.SubnetIDs))
	return p, nil
}

// Ensure makes the stack's load balancer match spec and returns what it
// observed with the changes it made; a second call with the same Spec
// makes no write. The certificate is requested first; the HTTPS listener
// is made once ACM reports it ISSUED (after the operator published
// State.ValidationRecords): until then the HTTP listener forwards to the
// targets, and an Ensure after the issue adds HTTPS and turns HTTP into a
// redirect.
func (lb *LoadBalancer) Ensure(ctx context.Context, spec Spec) (*State, error) {
	if err := lb.online(); err != nil {
		return nil, err
	}
	spec = spec.WithDefaults()
	if err := spec.Validate(); err != nil {
		return nil, err
	}
	r := lb.newRun(spec)
	if err := r.observe(ctx); err != nil {
		return nil, err
	}
	steps, err := r.resourceSteps()
	if err != nil {
		return nil, err
	}
	log := lb.o.Logger.With("stack", spec.Stack)
	done, err := engine.Run(ctx, log, steps, lb.o.OnChange)
	r.st.Changes = done
	if err != nil {
		return r.st, err
	}
	// The listeners depend on the certificate's status, which a request
	// made above has only now.
	if err := r.readCertificate(ctx); err != nil {
		return r.st, err
	}
	more, err := engine.Run(ctx, log, append(r.listenerSteps(), r.staleCertificateSteps()...), lb.o.OnChange)
	r.st.Changes = append(r.st.Changes, more...)
	return r.st, err
}

func (lb *LoadBalancer) newRun(spec Spec) *run {
	return &run{lb: lb, spec: spec, n: names{stack: spec.Stack}, st: &State{}, listeners: map[int32]*listener{}}
}

func wrap(err error, format string, args ...any) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("loadbalancer: "+format+": %w", append(args, err)...)
}
