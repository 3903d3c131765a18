// Package engine is the one way the infrastructure packages apply a plan:
// observe the account, diff it against the Spec into steps, then either
// list the steps (Plan) or run them in order (Ensure).
//
// A step's Apply may read what an earlier step learned (an ID it created)
// through the package's own run state: steps are built before any runs,
// so planning and ensuring share one diff.
package engine

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/manga-alert-italia/mangaalert/change"
)

// Step is one change and the calls that make it. Apply is nil for a Keep.
type Step struct {
	change.Change
	Apply func(ctx context.Context) error
}

// Changes lists what the steps would do, in order.
func Changes(steps []Step) []change.Change {
	out := make([]change.Change, len(steps))
	for i, s := range steps {
		out[i] = s.Change
	}
	return out
}

// Run applies the steps in order and returns the changes it made (Keeps
// left out). It stops at the first failure, returning the changes made
// before it and an error naming the step; a rerun resumes, since the next
// observe sees what was done. onChange, when not nil, hears each change
// once it is made.
func Run(ctx context.Context, log *slog.Logger, steps []Step, onChange func(change.Change)) ([]change.Change, error) {
	var done []change.Change
	for _, s := range steps {
		if s.Action == change.Keep || s.Apply == nil {
			continue
		}
		if err := ctx.Err(); err != nil {
			return done, err
		}
		if log != nil {
			log.DebugContext(ctx, "apply", "change", s.Change.String())
		}
		if err := s.Apply(ctx); err != nil {
			return done, fmt.Errorf("%s %s %q: %w", s.Action, s.Kind, s.Name, err)
		}
		done = append(done, s.Change)
		if onChange != nil {
			onChange(s.Change)
		}
	}
	return done, nil
}
