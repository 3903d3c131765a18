package main

import (
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/manga-alert-italia/mangaalert/change"
)

// progress shows a long command as it goes: a line per change once it is
// made, with how long it took, and while AWS is working a spinner on a
// terminal, or a plain line every few seconds otherwise (a CI log, a
// pipe).
type progress struct {
	w     io.Writer
	tty   bool
	now   func() time.Time
	every time.Duration // between two plain "still working" lines

	mu       sync.Mutex
	last     time.Time // when the last line was written
	cur      string    // what AWS is doing, as the last event said
	shown    bool      // a spinner line is on the screen
	frame    int
	lastBeat time.Time
	done     chan struct{} // closed by stop
	stopped  chan struct{} // closed when the heartbeat has ended; nil when none runs
	once     sync.Once
}

var spinnerFrames = []rune("⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏")

func newProgress(w io.Writer, tty bool, now func() time.Time) *progress {
	return &progress{w: w, tty: tty, now: now, every: 5 * time.Second, last: now(), lastBeat: now(), cur: "working", done: make(chan struct{})}
}

// start draws the heartbeat until stop: a spinner frame every 100 ms on a
// terminal, else a look every second for whether a plain line is due.
func (p *progress) start() {
	interval := map[bool]time.Duration{false: time.Second, true: 100 * time.Millisecond}[p.tty]
	p.stopped = make(chan struct{})
	go func() {
		defer close(p.stopped)
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			select {
			case <-p.done:
				return
			case <-t.C:
				p.mu.Lock()
				p.beat()
				p.mu.Unlock()
			}
		}
	}()
}

// stop ends the heartbeat, and returns once it drew its last.
func (p *progress) stop() {
	p.once.Do(func() {
		close(p.done)
		if p.stopped != nil {
			<-p.stopped
		}
	})
}

// beat draws the spinner, or a plain line when enough time has passed.
func (p *progress) beat() {
	now := p.now()
	if p.tty {
		p.frame = (p.frame + 1) % len(spinnerFrames)
		fmt.Fprintf(p.w, "\r\033[K%c %s (%s)", spinnerFrames[p.frame], p.cur, seconds(now.Sub(p.last)))
		p.shown = true
		return
	}
	if now.Sub(p.lastBeat) >= p.every {
		p.lastBeat = now
		fmt.Fprintf(p.w, "  … %s (%s so far)\n", p.cur, seconds(now.Sub(p.last)))
	}
}

// change prints one change made, and the time since the last line.
func (p *progress) change(c change.Change) {
	p.line(fmt.Sprintf("  ✓ %-6s %s %s", c.Action, c.Kind, c.Name), true)
}

// activity says what AWS is doing now (a rollout's events).
func (p *progress) activity(text string) {
	if r := []rune(text); len(r) > 70 {
		text = string(r[:69]) + "…"
	}
	p.line("  · "+text, false)
	p.mu.Lock()
	p.cur = text
	p.mu.Unlock()
}

func (p *progress) line(text string, timed bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.shown {
		fmt.Fprint(p.w, "\r\033[K")
		p.shown = false
	}
	now := p.now()
	if timed {
		text = fmt.Sprintf("%-70s %7s", text, seconds(now.Sub(p.last)))
	}
	fmt.Fprintln(p.w, strings.TrimRight(text, " "))
	p.last, p.lastBeat = now, now
}

func seconds(d time.Duration) string { return fmt.Sprintf("%.1fs", d.Seconds()) }
