package notifier_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"time"

	"github.com/manga-alert-italia/mangaalert/notifier"
	"github.com/manga-alert-italia/mangaalert/store"
)

var errInjected = errors.New("injected fault")

// Fault is what an injection point does.
type fault int

const (
	noFault    fault = iota
	cancelRun        // cancel the run's context, then go on
	failBefore       // fail without doing it
	failAfter        // do it, then fail (the answer is lost)
	die              // fail this and every later call, store and sender: the process is gone
)

func (f fault) String() string {
	return [...]string{"none", "cancel", "fail-before", "fail-after", "die"}[f]
}

// faultyStore wraps a Store and injects one fault at its nth call (1-based,
// counting every method the notifier uses). It counts calls by method, for
// the read-growth tests.
type faultyStore struct {
	notifier.Store
	mu     sync.Mutex
	calls  int
	byOp   map[string]int
	at     int
	fault  fault
	cancel context.CancelFunc
	dead   *atomic.Bool // shared with the sender: the process is gone
	// numbers are the readers' numbers it gives, over a store that
	// numbers none (FollowersOfNumberedAppend).
	numbers map[string]uint32
}

func newFaultyStore(s notifier.Store) *faultyStore {
	return &faultyStore{Store: s, byOp: map[string]int{}, dead: new(atomic.Bool)}
}

// hit counts a call and returns what to do.
func (f *faultyStore) hit(op string) (fault, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	f.byOp[op]++
	if f.dead.Load() {
		return die, true
	}
	if f.at == f.calls {
		switch f.fault {
		case cancelRun:
			f.cancel()
			return cancelRun, false
		case die:
			f.dead.Store(true)
		}
		return f.fault, f.fault != cancelRun
	}
	return noFault, false
}

func (f *faultyStore) count(op string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.byOp[op]
}

// do runs one call through the fault injector.
func do[T any](f *faultyStore, op string, call func() (T, error)) (T, error) {
	var zero T
	flt, injected := f.hit(op)
	if injected && flt != failAfter {
		return zero, errInjected
	}
	v, err := call()
	if injected && flt == failAfter {
		return zero, errInjected
	}
	return v, err
}

func do0(f *faultyStore, op string, call func() error) error {
	_, err := do(f, op, func() (struct{}, error) { return struct{}{}, call() })
	return err
}

func (f *faultyStore) UpcomingVolumes(ctx context.Context, from store.Date) ([]store.Volume, error) {
	return do(f, "UpcomingVolumes", func() ([]store.Volume, error) { return f.Store.UpcomingVolumes(ctx, from) })
}
func (f *faultyStore) Volume(ctx context.Context, id string) (store.Volume, error) {
	return do(f, "Volume", func() (store.Volume, error) { return f.Store.Volume(ctx, id) })
}
func (f *faultyStore) FollowersOf(ctx context.Context, id string) ([]store.Follow, error) {
	return do(f, "FollowersOf", func() ([]store.Follow, error) { return f.Store.FollowersOf(ctx, id) })
}
func (f *faultyStore) Subscriber(ctx context.Context, id string) (store.Subscriber, error) {
	return do(f, "Subscriber", func() (store.Subscriber, error) { return f.Store.Subscriber(ctx, id) })
}
func (f *faultyStore) ClaimAlert(ctx context.Context, a store.Alert) error {
	return do0(f, "ClaimAlert", func() error { return f.Store.ClaimAlert(ctx, a) })
}
func (f *faultyStore) ResolveAlert(ctx context.Context, k store.AlertKey, runID string, st store.AlertState, msgID, reason string, now time.Time) error {
	return do0(f, "ResolveAlert", func() error { return f.Store.ResolveAlert(ctx, k, runID, st, msgID, reason, now) })
}
func (f *faultyStore) ReclaimAlert(ctx context.Context, k store.AlertKey, runID string, before, now time.Time) error {
	return do0(f, "ReclaimAlert", func() error { return f.Store.ReclaimAlert(ctx, k, runID, before, now) })
}
func (f *faultyStore) Alert(ctx context.Context, k store.AlertKey) (store.Alert, error) {
	return do(f, "Alert", func() (store.Alert, error) { return f.Store.Alert(ctx, k) })
}
func (f *faultyStore) AlertsOfVolume(ctx context.Context, id string) ([]store.Alert, error) {
	return do(f, "AlertsOfVolume", func() ([]store.Alert, error) { return f.Store.AlertsOfVolume(ctx, id) })
}
func (f *faultyStore) StaleClaims(ctx context.Context, before time.Time) ([]store.Alert, error) {
	return do(f, "StaleClaims", func() ([]store.Alert, error) { return f.Store.StaleClaims(ctx, before) })
}

// sendFault is what the faulty sender does at its nth send.
type sendFault int

const (
	sendOK         sendFault = iota
	sendCancel               // cancel the run while the message is in flight; it goes out
	sendStopped              // the provider refuses to send (not sent)
	sendRejected             // the provider refuses this message for good (not sent)
	sendLost                 // the request is lost: not sent, outcome unknown to the run
	sendAnswerLost           // sent, but the answer is lost: outcome unknown to the run
	sendDie                  // sent, then the process dies: store and sender gone
)

func (f sendFault) String() string {
	return [...]string{"ok", "cancel", "stopped", "rejected", "lost", "answer-lost", "die"}[f]
}

// faultySender delivers into a mailbox (what readers really got) and
// injects one fault at its nth send.
type faultySender struct {
	inner  *recSender
	mu     sync.Mutex
	n      int
	at     int
	fault  sendFault
	cancel context.CancelFunc
	dead   *atomic.Bool
}

func (s *faultySender) Send(ctx context.Context, m *notifier.Message) (string, error) {
	s.mu.Lock()
	s.n++
	n := s.n
	s.mu.Unlock()
	if s.dead.Load() {
		return "", errInjected
	}
	if n != s.at {
		return s.inner.Send(ctx, m)
	}
	switch s.fault {
	case sendCancel:
		s.cancel()
		return s.inner.Send(ctx, m)
	case sendStopped:
		return "", errors.Join(notifier.ErrStopped, errInjected)
	case sendRejected:
		return "", errors.Join(notifier.ErrRejected, errInjected)
	case sendLost:
		return "", errInjected
	case sendAnswerLost:
		_, _ = s.inner.Send(ctx, m)
		return "", errInjected
	case sendDie:
		_, _ = s.inner.Send(ctx, m)
		s.dead.Store(true)
		return "", errInjected
	}
	return s.inner.Send(ctx, m)
}
