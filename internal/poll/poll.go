// Package poll waits for a condition that AWS offers no waiter for.
//
// It is the one small, context-bound poller the infrastructure packages
// share: the delay grows from Min to Max, and the context's deadline is the
// only timeout, so tests pass tiny delays and finish fast.
package poll

import (
	"context"
	"fmt"
	"time"
)

// Delays bounds the wait between two checks. Zero fields mean the defaults
// (1 s and 15 s), which suit AWS control-plane calls.
type Delays struct {
	Min time.Duration
	Max time.Duration
}

func (d Delays) withDefaults() Delays {
	if d.Min <= 0 {
		d.Min = time.Second
	}
	if d.Max < d.Min {
		d.Max = max(15*time.Second, d.Min)
	}
	return d
}

// Until calls check until it reports done or fails, sleeping between calls.
// A check error ends the wait at once; a cancelled or expired context ends it
// with an error that names what was awaited and wraps ctx.Err().
func Until(ctx context.Context, what string, d Delays, check func(context.Context) (done bool, err error)) error {
	d = d.withDefaults()
	delay := d.Min
	for {
		done, err := check(ctx)
		if err != nil {
			return err
		}
		if done {
			return nil
		}
		t := time.NewTimer(delay)
		select {
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("wait for %s: %w", what, ctx.Err())
		case <-t.C:
		}
		delay = min(delay*2, d.Max)
	}
}

// Sleep waits d, or until ctx is done (then it returns ctx.Err()). A d of
// zero or less returns at once, with ctx.Err().
func Sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
