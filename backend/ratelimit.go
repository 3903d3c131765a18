package backend

import (
	"net/http"
	"net/netip"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// Bounds on the limiters' memory: past maxClients distinct addresses the
// idle ones are forgotten, and if none is idle (a flood from many
// addresses) everything is, which is the lesser harm.
const (
	maxClients = 100_000
	sweepEvery = time.Minute
)

// ipLimiter is a token bucket per client address.
type ipLimiter struct {
	limit Limit

	mu        sync.Mutex
	m         map[netip.Addr]*ipEntry
	lastSweep time.Time
}

type ipEntry struct {
	lim  *rate.Limiter
	seen time.Time
}

func newIPLimiter(l Limit) *ipLimiter {
	return &ipLimiter{limit: l, m: make(map[netip.Addr]*ipEntry)}
}

// allow takes one token of addr's bucket, or says how long to wait.
func (l *ipLimiter) allow(addr netip.Addr, now time.Time) (bool, time.Duration) {
	if l == nil || l.limit.off() {
		return true, 0
	}
	addr = clientKey(addr)
	l.mu.Lock()
	defer l.mu.Unlock()
	l.sweep(now)
	e := l.m[addr]
	if e == nil {
		e = &ipEntry{lim: rate.NewLimiter(rate.Every(l.limit.Every), l.limit.Burst)}
		l.m[addr] = e
	}
	e.seen = now
	r := e.lim.ReserveN(now, 1)
	if !r.OK() {
		return false, time.Minute
	}
	if d := r.DelayFrom(now); d > 0 {
		r.CancelAt(now)
		return false, d
	}
	return true, 0
}

// sweep forgets the buckets that have refilled (they equal a new one).
func (l *ipLimiter) sweep(now time.Time) {
	if now.Sub(l.lastSweep) < sweepEvery && len(l.m) < maxClients {
		return
	}
	l.lastSweep = now
	full := time.Duration(l.limit.Burst) * l.limit.Every
	for a, e := range l.m {
		if now.Sub(e.seen) > full {
			delete(l.m, a)
		}
	}
	if len(l.m) >= maxClients {
		clear(l.m)
	}
}

// clientKey is the unit a limit applies to: an IPv4 address, or the /64 of
// an IPv6 one (a single customer usually has a whole /64).
func clientKey(a netip.Addr) netip.Addr {
	a = a.Unmap()
	if a.Is6() {
		p, err := a.Prefix(64)
		if err == nil {
			return p.Addr()
		}
	}
	return a
}

// clientIP is the address of the client: the peer of the connection, or,
// when the peer is a trusted proxy, the rightmost address of
// X-Forwarded-For that is not one (what a client writes to the left of
// that is not believed).
func clientIP(r *http.Request, trusted []netip.Prefix) netip.Addr {
	ap, err := netip.ParseAddrPort(r.RemoteAddr)
	if err != nil {
		return netip.Addr{}
	}
	addr := ap.Addr().Unmap()
	if !inPrefixes(addr, trusted) {
		return addr
	}
	hops := strings.Split(strings.Join(r.Header.Values("X-Forwarded-For"), ","), ",")
	for i := len(hops) - 1; i >= 0; i-- {
		a, err := netip.ParseAddr(strings.TrimSpace(hops[i]))
		if err != nil {
			break
		}
		addr = a.Unmap()
		if !inPrefixes(addr, trusted) {
			break
		}
	}
	return addr
}

func inPrefixes(a netip.Addr, ps []netip.Prefix) bool {
	for _, p := range ps {
		if p.Contains(a) {
			return true
		}
	}
	return false
}
