package telegram

import (
	"context"
	"time"

	"github.com/manga-alert-italia/mangaalert/internal/poll"
)

// Clock is what the Limiter and the retries read the time from and wait
// on: the real clock by default, a fake in tests, so no test waits and no
// test asserts on elapsed wall time.
type Clock interface {
	Now() time.Time
	// Sleep waits d, or until ctx is done (its error then).
	Sleep(ctx context.Context, d time.Duration) error
}

// RealClock is the system clock.
type RealClock struct{}

// Now is time.Now.
func (RealClock) Now() time.Time { return time.Now() }

// Sleep waits d on a timer, or until ctx is done.
func (RealClock) Sleep(ctx context.Context, d time.Duration) error { return poll.Sleep(ctx, d) }
