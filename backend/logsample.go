package backend

import (
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/time/rate"
)

// Stats are the backend's counters since New, for a metrics exporter.
type Stats struct {
	// RateLimited counts the requests answered 429, logged or not.
	RateLimited uint64
	// AccessLogSkipped counts the access-log records not written: 429s
	// past the first of a client in a minute, and records over the access
	// log's budget.
	AccessLogSkipped uint64
}

// Stats returns the counters.
func (b *Backend) Stats() Stats {
	return Stats{RateLimited: b.logs.limited.Load(), AccessLogSkipped: b.logs.skipped.Load()}
}

// limitedWindow is how often a client's 429s are logged at most: once a
// window, with how many were left out before.
const limitedWindow = time.Minute

// logSampler keeps a flood from turning into a log bill: the 429s of one
// client are sampled, and the whole access log has a budget of records a
// second; what is left out is counted, and the next record written says
// how much.
type logSampler struct {
	limited, skipped atomic.Uint64

	mu        sync.Mutex
	clients   map[netip.Addr]*sampleWindow
	lastSweep time.Time
	budget    *rate.Limiter // nil: no budget
	overflow  int           // records left out by the budget since the last one written
}

type sampleWindow struct {
	start   time.Time
	skipped int
}

func newLogSampler(budget Limit) *logSampler {
	s := &logSampler{clients: make(map[netip.Addr]*sampleWindow)}
	if !budget.off() {
		s.budget = rate.NewLimiter(rate.Every(budget.Every), budget.Burst)
	}
	return s
}

// admit says whether to write the record of a request with status from
// client at now; limitedSkipped is how many 429s of that client were left
// out before this one, budgetSkipped how many records of any kind.
func (s *logSampler) admit(client netip.Addr, status int, now time.Time) (ok bool, limitedSkipped, budgetSkipped int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if status == 429 {
		w, fresh := s.window(clientKey(client), now)
		if !fresh && now.Sub(w.start) < limitedWindow {
			w.skipped++
			s.skipped.Add(1)
			return false, 0, 0
		}
		limitedSkipped, w.skipped, w.start = w.skipped, 0, now
	}
	if s.budget != nil && !s.budget.AllowN(now, 1) {
		s.overflow++
		s.skipped.Add(1)
		return false, 0, 0
	}
	budgetSkipped, s.overflow = s.overflow, 0
	return true, limitedSkipped, budgetSkipped
}

// window is client's sampling window; fresh when it starts now.
func (s *logSampler) window(client netip.Addr, now time.Time) (w *sampleWindow, fresh bool) {
	if now.Sub(s.lastSweep) >= limitedWindow || len(s.clients) >= maxClients {
		s.lastSweep = now
		// A window with 429s left out is kept a while, for the client's
		// next record to say how many.
		for a, w := range s.clients {
			if age := now.Sub(w.start); age >= limitedWindow && w.skipped == 0 || age >= time.Hour {
				delete(s.clients, a)
			}
		}
		if len(s.clients) >= maxClients {
			clear(s.clients) // a flood from that many addresses: the budget still holds
		}
	}
	if w = s.clients[client]; w == nil {
		w = &sampleWindow{start: now}
		s.clients[client] = w
		fresh = true
	}
	return w, fresh
}
