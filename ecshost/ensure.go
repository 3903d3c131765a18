package ecshost

import (
	"context"
	"fmt"

	"github.com/manga-alert-italia/mangaalert/ecshost/iampolicy"

	"github.com/manga-alert-italia/mangaalert/internal/awserr"
)

// Ensure makes the stack's host match spec: it creates what is missing,
// updates what drifted, and returns what it observed. A second call with
// the same Spec makes no mutating call. The Spec is checked whole before
// the first write; a SpecError says everything that is wrong.
//
// Ensure does not wait for the instance to boot or for the service to
// become stable: Deploy watches rollouts.
func (h *Host) Ensure(ctx context.Context, spec Spec) (*State, error) {
	if !h.c.online() {
		return nil, ErrOffline
	}
	r, err := h.start(ctx, spec, true, false)
	if err != nil {
		return nil, err
	}
	if err := r.checkPolicies(); err != nil {
		return nil, fmt.Errorf("ecshost: %w", err)
	}
	if err := r.all(ctx); err != nil {
		return r.st, err
	}
	h.remember(spec)
	return r.st, nil
}

func isClusterNotFound(err error) bool { return awserr.Is(err, "ClusterNotFoundException") }

// checkPolicies refuses a run whose policies are too broad, before any write.
func (r *run) checkPolicies() error {
	return iampolicy.Err(r.findings())
}
