package ecshost

import (
	"context"
	"fmt"

	"github.com/manga-alert-italia/mangaalert/iampolicy"
	"github.com/manga-alert-italia/mangaalert/internal/awserr"
)

// Ensure makes the stack's host match spec: it creates what is missing,
// updates what drifted, and returns what it observed. A second call with
// the same Spec makes no mutating call. The Spec, its policies and what
// already exists are checked whole before the first write: a SpecError
// says everything wrong with the Spec, an iampolicy.FindingsError every
// policy that is too broad, ErrNotOurs a name taken by something else.
//
// Ensure does not wait for the instance to boot or for the service to
// become stable: Deploy watches rollouts.
func (h *Host) Ensure(ctx context.Context, spec Spec) (*State, error) {
	if !h.c.online() {
		return nil, ErrOffline
	}
	// A read-only pass first: conflicts (resources of the same name that
	// are not ours, a service being deleted, an unreadable AMI) surface
	// before anything is written, and a stack that needs nothing costs
	// only reads.
	check, err := h.start(ctx, spec, false, false)
	if err != nil {
		return nil, err
	}
	if err := check.checkPolicies(); err != nil {
		return nil, fmt.Errorf("ecshost: %w", err)
	}
	if err := check.all(ctx); err != nil {
		return nil, err
	}
	if !check.st.Changed() {
		h.remember(spec)
		return check.st, nil
	}
	r, err := h.start(ctx, spec, true, false)
	if err != nil {
		return nil, err
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
