package integration

import (
	"strings"
	"sync"
)

// ringLog keeps the last lines an emulator printed, bounded in size, so a
// failing test can show what the emulator saw.
type ringLog struct {
	mu    sync.Mutex
	lines []string
	next  int
	full  bool
	part  []byte
}

func newRingLog(n int) *ringLog { return &ringLog{lines: make([]string, n)} }

func (r *ringLog) Write(p []byte) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.part = append(r.part, p...)
	for {
		i := strings.IndexByte(string(r.part), '\n')
		if i < 0 {
			break
		}
		r.lines[r.next] = string(r.part[:i])
		r.next = (r.next + 1) % len(r.lines)
		r.full = r.full || r.next == 0
		r.part = r.part[i+1:]
	}
	return len(p), nil
}

func (r *ringLog) tail(n int) string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	if r.full {
		out = append(out, r.lines[r.next:]...)
	}
	out = append(out, r.lines[:r.next]...)
	if n < len(out) {
		out = out[len(out)-n:]
	}
	return strings.Join(out, "\n")
}
