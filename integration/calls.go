package integration

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"

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
	for _, p := range readPrefixes {
		if strings.HasPrefix(operation, p) {
			return false
		}
	}
	return true
}

// Fault says when a Calls recorder injects an error.
type Fault int

// The two places a mutating call can fail: before AWS sees it (nothing
// changed), or after AWS did it and before the client heard (the change
// happened and the caller does not know).
const (
	FailBefore Fault = iota + 1
	FailAfter
)

// ErrInjected is the error the recorder injects.
var ErrInjected = errors.New("integration: injected fault")

// Calls records the API calls of every client made from a config it is
// attached to, and can make the Nth mutating call fail. It is safe for
// concurrent use.
type Calls struct {
	mu     sync.Mutex
	calls  []Call
	failAt int
	fault  Fault
}

// Record attaches a new recorder to cfg: clients built from cfg afterwards
// report their calls to it.
func Record(cfg *aws.Config) *Calls {
	c := &Calls{}
	cfg.APIOptions = append(slices.Clone(cfg.APIOptions), c.middleware)
	return c
}

// FailAt makes the nth mutating call (1-based, counted from now) fail with
// ErrInjected, before or after AWS handles it. n <= 0 turns faults off.
func (c *Calls) FailAt(n int, f Fault) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.failAt = c.mutatingLocked() + n
	if n <= 0 {
		c.failAt = 0
	}
	c.fault = f
}

// Reset forgets the calls recorded so far (and any pending fault).
func (c *Calls) Reset() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.calls, c.failAt = nil, 0
}

// All returns the calls recorded so far.
func (c *Calls) All() []Call {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.calls)
}

// Mutating returns the mutating calls recorded so far.
func (c *Calls) Mutating() []Call {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []Call
	for _, call := range c.calls {
		if call.Mutating {
			out = append(out, call)
		}
	}
	return out
}

// Count returns how many calls were recorded.
func (c *Calls) Count() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.calls)
}

func (c *Calls) mutatingLocked() int {
	n := 0
	for _, call := range c.calls {
		if call.Mutating {
			n++
		}
	}
	return n
}

func (c *Calls) middleware(s *middleware.Stack) error {
	return s.Initialize.Add(middleware.InitializeMiddlewareFunc("mangaalertCalls",
		func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
			// smithy's service id is set before the stack runs; the SDK's own
			// is set by a middleware that may run after this one.
			service := middleware.GetServiceID(ctx)
			if service == "" {
				service = awsmiddleware.GetServiceID(ctx)
			}
			call := Call{Service: service, Operation: middleware.GetOperationName(ctx)}
			call.Mutating = IsMutating(call.Operation)
			c.mu.Lock()
			c.calls = append(c.calls, call)
			fail := call.Mutating && c.failAt > 0 && c.mutatingLocked() == c.failAt
			fault := c.fault
			if fail {
				c.failAt = 0
			}
			c.mu.Unlock()
			if fail && fault == FailBefore {
				return middleware.InitializeOutput{}, middleware.Metadata{}, fmt.Errorf("%s before the call: %w", call, ErrInjected)
			}
			out, md, err := next.HandleInitialize(ctx, in)
			if fail && err == nil {
				return out, md, fmt.Errorf("%s after the call: %w", call, ErrInjected)
			}
			return out, md, err
		}), middleware.Before)
}
