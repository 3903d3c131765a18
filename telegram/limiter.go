package telegram

import (
	"context"
	"sync"
	"time"
)

// Telegram's broadcast limits, as its Bot FAQ gives them: "no more than
// one message per second" in a single chat, and "about 30 messages per
// second" in bulk notifications.
const (
	DefaultOverall = 30          // messages per Window, all chats together
	DefaultWindow  = time.Second // the window Overall counts in
	DefaultPerChat = time.Second // the least time between two messages to one chat
)

// Limiter spaces messages so that at most Overall go out in any Window,
// and two to the same chat are at least PerChat apart. It is safe for
// concurrent use: Wait reserves a slot before it sleeps, so waiters never
// take the same one.
type Limiter struct {
	// Overall, Window and PerChat are the limits; zero means the Default*
	// above.
	Overall int
	Window  time.Duration
	PerChat time.Duration
	// Clock is the time source; nil means RealClock.
	Clock Clock

	mu   sync.Mutex
	sent []time.Time         // the last Overall reservations, oldest first
	last map[int64]time.Time // each chat's last reservation
	gc   time.Time           // when last was last swept of old chats
}

// NewLimiter returns a Limiter with the defaults, then optFns applied.
func NewLimiter(optFns ...func(*Limiter)) *Limiter {
	l := &Limiter{}
	for _, fn := range optFns {
		fn(l)
	}
	return l
}

func (l *Limiter) clock() Clock {
	if l.Clock == nil {
		return RealClock{}
	}
	return l.Clock
}

// Reserve books the earliest slot for a message to chat and returns it,
// without waiting. Slots are handed out in order, so a chat that must wait
// holds back the chats behind it: a run sends one digest per chat, which
// rarely waits on a chat.
func (l *Limiter) Reserve(chat int64) time.Time {
	overall, window, perChat := l.Overall, l.Window, l.PerChat
	if overall <= 0 {
		overall = DefaultOverall
	}
	if window <= 0 {
		window = DefaultWindow
	}
	if perChat <= 0 {
		perChat = DefaultPerChat
	}
	now := l.clock().Now()
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.last == nil {
		l.last = map[int64]time.Time{}
	}
	at := now
	if n := len(l.sent); n > 0 && l.sent[n-1].After(at) {
		at = l.sent[n-1] // slots are monotonic
	}
	if len(l.sent) >= overall {
		if t := l.sent[len(l.sent)-overall].Add(window); t.After(at) {
			at = t
		}
	}
	if last, ok := l.last[chat]; ok {
		if t := last.Add(perChat); t.After(at) {
			at = t
		}
	}
	l.sent = append(l.sent, at)
	if len(l.sent) > overall {
		l.sent = append(l.sent[:0], l.sent[len(l.sent)-overall:]...)
	}
	l.last[chat] = at
	// Forget chats whose last slot is older than PerChat: they constrain
	// nothing, and a long-running backend would keep every chat otherwise.
	if now.Sub(l.gc) > 10*perChat {
		for c, t := range l.last {
			if now.Sub(t) >= perChat {
				delete(l.last, c)
			}
		}
		l.gc = now
	}
	return at
}

// Wait reserves a slot for a message to chat and sleeps until it comes;
// ctx's error when it ends first (the slot is then lost, which only
// spaces later messages a little more).
func (l *Limiter) Wait(ctx context.Context, chat int64) error {
	c := l.clock()
	at := l.Reserve(chat)
	return c.Sleep(ctx, at.Sub(c.Now()))
}
