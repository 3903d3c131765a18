package integration

import (
	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/manga-alert-italia/mangaalert/internal/awscalls"
)

// The call recorder lives in internal/awscalls, shared with the deploy
// tool's own counter (no non-test package may import this one); these
// names are the harness's view of it.
type (
	// Call is one API call a client made.
	Call = awscalls.Call
	// Calls records the API calls of every client made from a config it
	// is attached to, and can make the Nth mutating call fail.
	Calls = awscalls.Recorder
	// Fault says when a Calls recorder injects an error.
	Fault = awscalls.Fault
)

// The two places a mutating call can fail: before AWS sees it (nothing
// changed), or after AWS did it and before the client heard (the change
// happened and the caller does not know).
const (
	FailBefore = awscalls.FailBefore
	FailAfter  = awscalls.FailAfter
)

// ErrInjected is the error the recorder injects.
var ErrInjected = awscalls.ErrInjected

// IsMutating reports whether an operation name is a write.
func IsMutating(operation string) bool { return awscalls.IsMutating(operation) }

// Record attaches a new recorder to cfg: clients built from cfg afterwards
// report their calls to it.
func Record(cfg *aws.Config) *Calls { return awscalls.Record(cfg) }
