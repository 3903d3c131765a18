// Package awscalls counts the AWS API calls of every SDK client built from
// one aws.Config, tells the writes from the reads, and can make the Nth
// write fail. The integration harness (integration.Record) and the deploy
// tool (its "AWS calls: N, of which writes: M" line) share it, so both
// count the same way.
package awscalls

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/smithy-go/middleware"
)

// Call is one API call a client made.
type Call struct {
	Service   string // the SDK's service id: "EC2", "IAM", "Scheduler"
	Operation string // "CreateVpc"
	Mutating  bool
}

func (c Call) String() string { return c.Service + "." + c.Operation }

// readPrefixes are the operation names that only read. Anything else counts
// as mutating, so a new kind of write can never hide among the reads.
var readPrefixes = []string{"Describe", "Get", "List", "Query", "Scan", "BatchGet",
	"TransactGet", "Lookup", "Search", "Simulate", "Estimate", "Preview", "Check"}

// IsMutating reports whether an operation name is a write.
func IsMutating(operation string) bool {
	return !slices.ContainsFunc(readPrefixes, func(p string) bool { return strings.HasPrefix(operation, p) })
}

// Fault says when a Recorder injects an error.
type Fault int

// The two places a mutating call can fail: before AWS sees it (nothing
// changed), or after AWS did it and before the client heard (the change
// happened and the caller does not know).
const (
	FailBefore Fault = iota + 1
	FailAfter
)

// ErrInjected is the error a Recorder injects.
var ErrInjected = errors.New("integration: injected fault")

// Recorder records the API calls of every client made from a config it is
// attached to, and can make the Nth mutating call fail. It is safe for
// concurrent use.
type Recorder struct {
	mu     sync.Mutex
	calls  []Call
	failAt int
	fault  Fault
}

// ids makes each recorder's middleware id unique: a config may carry two
// recorders (a test's and the deploy tool's own).
var ids atomic.Int64

// Record attaches a new recorder to cfg: clients built from cfg afterwards
// report their calls to it.
func Record(cfg *aws.Config) *Recorder {
	r := &Recorder{}
	id := fmt.Sprintf("mangaalertCalls%d", ids.Add(1))
	cfg.APIOptions = append(slices.Clone(cfg.APIOptions), func(s *middleware.Stack) error {
		return s.Initialize.Add(middleware.InitializeMiddlewareFunc(id, r.handle), middleware.Before)
	})
	return r
}

// FailAt makes the nth mutating call (1-based, counted from now) fail with
// ErrInjected, before or after AWS handles it. n <= 0 turns faults off.
func (r *Recorder) FailAt(n int, f Fault) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.failAt = r.mutatingLocked() + n
	if n <= 0 {
		r.failAt = 0
	}
	r.fault = f
}

// Reset forgets the calls recorded so far (and any pending fault).
func (r *Recorder) Reset() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls, r.failAt = nil, 0
}

// All returns the calls recorded so far.
func (r *Recorder) All() []Call {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.calls)
}

// Mutating returns the mutating calls recorded so far.
func (r *Recorder) Mutating() []Call {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []Call
	for _, c := range r.calls {
		if c.Mutating {
			out = append(out, c)
		}
	}
	return out
}

// Count returns how many calls were recorded.
func (r *Recorder) Count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.calls)
}

// Breakdown lists the writes by operation, sorted: "EC2.CreateVpc ×1".
func (r *Recorder) Breakdown() []string {
	byOp := map[string]int{}
	for _, c := range r.Mutating() {
		byOp[c.String()]++
	}
	var out []string
	for _, op := range slices.Sorted(maps.Keys(byOp)) {
		out = append(out, fmt.Sprintf("%s ×%d", op, byOp[op]))
	}
	return out
}

func (r *Recorder) mutatingLocked() int {
	n := 0
	for _, c := range r.calls {
		if c.Mutating {
			n++
		}
	}
	return n
}

func (r *Recorder) handle(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
	// smithy's service id is set before the stack runs; the SDK's own is
	// set by a middleware that may run after this one.
	service := middleware.GetServiceID(ctx)
	if service == "" {
		service = awsmiddleware.GetServiceID(ctx)
	}
	call := Call{Service: service, Operation: middleware.GetOperationName(ctx)}
	call.Mutating = IsMutating(call.Operation)
	r.mu.Lock()
	r.calls = append(r.calls, call)
	fail := call.Mutating && r.failAt > 0 && r.mutatingLocked() == r.failAt
	fault := r.fault
	if fail {
		r.failAt = 0
	}
	r.mu.Unlock()
	if fail && fault == FailBefore {
		return middleware.InitializeOutput{}, middleware.Metadata{}, fmt.Errorf("%s before the call: %w", call, ErrInjected)
	}
	out, md, err := next.HandleInitialize(ctx, in)
	if fail && err == nil {
		return out, md, fmt.Errorf("%s after the call: %w", call, ErrInjected)
	}
	return out, md, err
}
