package notifier

import (
	"context"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/manga-alert-italia/mangaalert/internal/poll"
)

// Clock is the time a run lives in: real by default, simulated in tests
// (the reminder calendar, leases and pacing all read it).
type Clock interface {
	Now() time.Time
	// SleepUntil waits until the clock reads t, or until ctx ends (then it
	// returns ctx.Err()). An absolute time keeps concurrent sleepers of a
	// simulated clock in order.
	SleepUntil(ctx context.Context, t time.Time) error
}

// RealClock is the wall clock.
type RealClock struct{}

// Now returns time.Now().
func (RealClock) Now() time.Time { return time.Now() }

// SleepUntil waits until t or until ctx ends.
func (RealClock) SleepUntil(ctx context.Context, until time.Time) error {
	return poll.Sleep(ctx, time.Until(until))
}

// FakeClock is a simulated clock: SleepUntil returns at once and moves the
// time forward to its end (never backwards). Safe for concurrent use.
type FakeClock struct {
	mu  sync.Mutex
	now time.Time
}

// NewFakeClock returns a simulated clock reading t.
func NewFakeClock(t time.Time) *FakeClock { return &FakeClock{now: t} }

// Now returns the simulated time.
func (c *FakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Set moves the clock to t.
func (c *FakeClock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t
}

// Advance moves the clock forward by d.
func (c *FakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// SleepUntil moves the clock to t when t is later than now.
func (c *FakeClock) SleepUntil(ctx context.Context, t time.Time) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if t.After(c.now) {
		c.now = t
	}
	return nil
}

// Limiter is a token bucket on a Clock: Wait takes one token, sleeping on
// the clock until one is there.
type Limiter struct {
	clock Clock
	lim   *rate.Limiter
}

// NewLimiter returns a bucket filled at perSecond tokens a second, holding
// at most burst (at least 1).
func NewLimiter(c Clock, perSecond float64, burst int) *Limiter {
	if burst < 1 {
		burst = 1
	}
	l := rate.NewLimiter(rate.Limit(perSecond), burst)
	// The bucket starts with one token, not a full burst, so a run that
	// starts right after another does not exceed the rate at its start.
	l.SetBurstAt(c.Now(), burst)
	l.AllowN(c.Now(), burst-1)
	return &Limiter{clock: c, lim: l}
}

// Wait takes a token, or gives it back and returns ctx.Err() when ctx ends
// first.
func (l *Limiter) Wait(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	now := l.clock.Now()
	r := l.lim.ReserveN(now, 1)
	if !r.OK() {
		return context.DeadlineExceeded
	}
	if d := r.DelayFrom(now); d > 0 {
		if err := l.clock.SleepUntil(ctx, now.Add(d)); err != nil {
			r.CancelAt(l.clock.Now())
			return err
		}
	}
	return nil
}
