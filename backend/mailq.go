package backend

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"
)

// mailQueue does every address-dependent step of the forms off the
// request path: a job names the address and what was asked, and a worker
// looks the reader up, takes the mail budgets, writes the sign-up, makes
// the token and sends the mail. So a sign-up answers at once, after the
// same work whatever the address (timing tells nothing about which
// addresses are known), and a slow provider or store holds no
// connection. Shutdown sends what is queued before the process exits.
type mailQueue struct {
	mailer Mailer
	// prepare turns a job into its mail; false: nothing to send (unknown,
	// suppressed, over a budget, or a failure it logged).
	prepare func(ctx context.Context, j mailJob) (Mail, bool)
	timeout time.Duration
	log     *slog.Logger
	hash    func(string) string

	mu      sync.Mutex
	closed  bool
	pending int        // mails taken and not yet sent or given up on
	idle    *sync.Cond // on mu: broadcast when pending drops to zero
	ch      chan mailJob
	wg      sync.WaitGroup
	stop    context.CancelFunc
	ctx     context.Context
}

const (
	mailQueueLen = 256
	mailWorkers  = 2
)

// errQueueFull: the provider is down or slow and the queue filled up.
var errQueueFull = errors.New("mail queue full")

func newMailQueue(m Mailer, prepare func(context.Context, mailJob) (Mail, bool), timeout time.Duration, log *slog.Logger, hash func(string) string) *mailQueue {
	ctx, stop := context.WithCancel(context.Background())
	q := &mailQueue{mailer: m, prepare: prepare, timeout: timeout, log: log, hash: hash, ch: make(chan mailJob, mailQueueLen), ctx: ctx, stop: stop}
	q.idle = sync.NewCond(&q.mu)
	for range mailWorkers {
		q.wg.Add(1)
		go q.work()
	}
	return q
}

func (q *mailQueue) enqueue(m mailJob) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.closed {
		return errors.New("mail queue closed")
	}
	select {
	case q.ch <- m:
		q.pending++
		return nil
	default:
		return errQueueFull
	}
}

func (q *mailQueue) work() {
	defer q.wg.Done()
	for j := range q.ch {
		if m, ok := q.prepare(q.ctx, j); ok {
			q.send(m)
		}
		q.mu.Lock()
		if q.pending--; q.pending == 0 {
			q.idle.Broadcast()
		}
		q.mu.Unlock()
	}
}

// wait returns once every mail enqueued so far is sent or given up on: an
// event to wait for, where a pause would guess how long a send takes.
func (q *mailQueue) wait() {
	q.mu.Lock()
	defer q.mu.Unlock()
	for q.pending > 0 {
		q.idle.Wait()
	}
}

// send tries twice: a provider's passing hiccup should not cost a reader
// their confirmation.
func (q *mailQueue) send(m Mail) {
	var err error
	for attempt := range 2 {
		if attempt > 0 {
			select {
			case <-time.After(2 * time.Second):
			case <-q.ctx.Done():
			}
		}
		ctx, cancel := context.WithTimeout(q.ctx, q.timeout)
		err = q.mailer.Send(ctx, m)
		cancel()
		if err == nil {
			q.log.Debug("backend: mail sent", "to_hash", q.hash(m.To), "subject", m.Subject)
			return
		}
		if q.ctx.Err() != nil {
			break
		}
	}
	q.log.Error("backend: mail not sent", "to_hash", q.hash(m.To), "subject", m.Subject, "err", err)
}

// shutdown stops taking mail and waits for the queue to drain; when ctx
// ends first, sends in flight are cancelled and what is left is lost (and
// said so).
func (q *mailQueue) shutdown(ctx context.Context) error {
	q.mu.Lock()
	if !q.closed {
		q.closed = true
		close(q.ch)
	}
	q.mu.Unlock()
	done := make(chan struct{})
	go func() { q.wg.Wait(); close(done) }()
	select {
	case <-done:
		q.stop()
		return nil
	case <-ctx.Done():
		q.stop()
		select { // a Mailer that ignores its context is not waited for
		case <-done:
		case <-time.After(time.Second):
		}
		return errors.New("backend: mail queue not drained before shutdown deadline")
	}
}
