package ecshost

import (
	"context"

	"github.com/manga-alert-italia/mangaalert/internal/engine"
)

// Ensure makes the stack's host match spec: it creates what is missing,
// updates what drifted, and returns what it observed and, in
// State.Changes, what it changed. A second call with the same Spec makes
// no mutating call. The Spec, its policies and what already exists are
// checked whole before the first write: a *SpecError says everything wrong
// with the Spec, an *iampolicy.FindingsError every policy that is too
// broad, resource.ErrNotOurs a name taken by something else.
//
// Ensure does not wait for the instance to boot or for the service to
// become stable: Deploy watches rollouts. On a failure it returns the
// State so far, with the changes made before it; a rerun resumes.
func (h *Host) Ensure(ctx context.Context, spec Spec) (*State, error) {
	if err := h.online(allClients...); err != nil {
		return nil, err
	}
	r, err := h.prepare(ctx, spec)
	if err != nil {
		return nil, err
	}
	steps, err := r.steps(ctx)
	if err != nil {
		return nil, err
	}
	r.st.Changes, err = engine.Run(ctx, h.o.Logger.With("stack", r.n.stack), steps, h.o.OnChange)
	return r.st, err
}
