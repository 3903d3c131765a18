package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"time"
)

// progress shows a long command as it goes: a line per resource when it is
// done, with its status and how long it took, and while AWS is working a
// spinner on a terminal, or a plain line every few seconds otherwise (a
// CI log, a pipe).
type progress struct {
	w     io.Writer
	tty   bool
	now   func() time.Time
	every time.Duration // between two plain "still working" lines
	// interval between two looks at the clock: the spinner's frame rate
	// on a terminal, and how soon a plain line can follow p.every.
	interval time.Duration

	mu        sync.Mutex
	step      string
	stepStart time.Time
	cur       string // what is in flight: the last activity reported
	curStart  time.Time
	act       bool // cur is an activity a package reported, not the step's opening words
	shown     bool // a spinner line is on the screen
	frame     int
	lastBeat  time.Time
	stop      chan struct{}
	stopped   chan struct{}
}

func newProgress(w io.Writer, tty bool, now func() time.Time) *progress {
	p := &progress{w: w, tty: tty, now: now, every: 5 * time.Second, interval: time.Second}
	if tty {
		p.interval = 100 * time.Millisecond
	}
	return p
}

var spinnerFrames = []rune("⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏")

// begin starts a step; its activities follow until end.
func (p *progress) begin(step, what string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.step, p.stepStart, p.cur, p.curStart, p.lastBeat, p.act = step, p.now(), what, p.now(), p.now(), false
	p.stop, p.stopped = make(chan struct{}), make(chan struct{})
	go p.tick(p.interval, p.stop, p.stopped)
}

func (p *progress) tick(interval time.Duration, stop, stopped chan struct{}) {
	defer close(stopped)
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case <-t.C:
			p.mu.Lock()
			p.beat()
			p.mu.Unlock()
		}
	}
}

// beat draws the spinner, or a plain line when enough time has passed.
func (p *progress) beat() {
	now := p.now()
	if p.tty {
		p.frame = (p.frame + 1) % len(spinnerFrames)
		fmt.Fprintf(p.w, "\r\033[K%c %s: %s (%s)", spinnerFrames[p.frame], p.step, p.cur, seconds(now.Sub(p.curStart)))
		p.shown = true
		return
	}
	if now.Sub(p.lastBeat) >= p.every {
		p.lastBeat = now
		fmt.Fprintf(p.w, "  … %s: %s (%s so far)\n", p.step, p.cur, seconds(now.Sub(p.stepStart)))
	}
}

// clear removes the spinner line before a permanent line is written.
func (p *progress) clear() {
	if p.shown {
		fmt.Fprint(p.w, "\r\033[K")
		p.shown = false
	}
}

// activity reports that a package started on something: the previous
// activity is done, and gets its line.
func (p *progress) activity(text string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.step == "" {
		return
	}
	p.doneLocked()
	p.cur, p.curStart, p.act = text, p.now(), true
}

// doneLocked prints the line of the activity in flight, if it was one a
// package reported (not the step's opening description).
func (p *progress) doneLocked() {
	if !p.act {
		return
	}
	p.clear()
	fmt.Fprintf(p.w, "  ✓ %-9s %-60s %7s\n", p.step, p.cur, seconds(p.now().Sub(p.curStart)))
	p.cur, p.act = "working", false
}

// line prints a permanent line.
func (p *progress) line(format string, args ...any) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.clear()
	fmt.Fprintf(p.w, format+"\n", args...)
}

// end finishes the step with its summary, or its error, and its duration.
func (p *progress) end(summary string, err error) time.Duration {
	p.mu.Lock()
	stop, stopped := p.stop, p.stopped
	p.mu.Unlock()
	if stop != nil {
		close(stop)
		<-stopped
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	d := p.now().Sub(p.stepStart)
	if err == nil {
		p.doneLocked()
	}
	p.clear()
	if err != nil {
		fmt.Fprintf(p.w, "✗ %s failed after %s (at: %s)\n", p.step, seconds(d), p.cur)
	} else {
		fmt.Fprintf(p.w, "✓ %s: %s (%s)\n", p.step, summary, seconds(d))
	}
	p.step, p.cur, p.act, p.stop = "", "", false, nil
	return d
}

func seconds(d time.Duration) string { return fmt.Sprintf("%.1fs", d.Seconds()) }

// activityHandler turns the Debug records the packages write for each
// change they make into progress activities; with verbose set it also
// passes every record on. What a package logs is its own wording: it is
// shown as it is, never parsed for decisions.
type activityHandler struct {
	p       *progress
	verbose slog.Handler // nil: none
	attrs   []slog.Attr
}

func (h *activityHandler) Enabled(context.Context, slog.Level) bool { return true }

func (h *activityHandler) Handle(ctx context.Context, r slog.Record) error {
	if h.verbose != nil && h.verbose.Enabled(ctx, r.Level) {
		_ = h.verbose.Handle(ctx, r.Clone())
	}
	if r.Level != slog.LevelDebug || r.Message == "ensured" { // network's summary of what it already reported
		return nil
	}
	attrs := map[string]string{}
	var order []string
	add := func(a slog.Attr) {
		if v := a.Value.Resolve().String(); v != "" && v != "[]" {
			attrs[a.Key] = v
			order = append(order, a.Key)
		}
	}
	for _, a := range h.attrs {
		add(a)
	}
	r.Attrs(func(a slog.Attr) bool { add(a); return true })
	if attrs["op"] == "keep" || attrs["action"] == "keep" {
		return nil // unchanged resources get their lines from the plan
	}
	h.p.activity(activityText(r.Message, attrs, order))
	return nil
}

// activityText words a package's Debug record for a person: the change it
// describes when it names one, else the message and the values that say
// what it is about.
func activityText(msg string, attrs map[string]string, order []string) string {
	var text string
	switch {
	case attrs["change"] != "":
		text = attrs["change"]
	case attrs["op"] != "":
		text = strings.Join(nonEmpty(attrs["op"], attrs["resource"], attrs["name"]), " ")
		if d := attrs["detail"]; d != "" {
			text += ": " + d
		}
	case attrs["step"] != "":
		text = attrs["step"]
	default:
		parts := []string{msg}
		for _, k := range order {
			switch k {
			case "stack", "pkg", "err", "arn", "deletion_date", "force":
			default:
				parts = append(parts, attrs[k])
			}
		}
		text = strings.Join(parts, " ")
	}
	if r := []rune(text); len(r) > 60 {
		text = string(r[:59]) + "…"
	}
	return text
}

func nonEmpty(ss ...string) []string {
	var out []string
	for _, s := range ss {
		if s != "" {
			out = append(out, s)
		}
	}
	return out
}

func (h *activityHandler) WithAttrs(as []slog.Attr) slog.Handler {
	c := *h
	c.attrs = append(append([]slog.Attr(nil), h.attrs...), as...)
	if h.verbose != nil {
		c.verbose = h.verbose.WithAttrs(as)
	}
	return &c
}

func (h *activityHandler) WithGroup(name string) slog.Handler {
	c := *h
	if h.verbose != nil {
		c.verbose = h.verbose.WithGroup(name)
	}
	return &c
}

// settle gives the activity in flight its line: the step's work is done.
func (p *progress) settle() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.doneLocked()
}
