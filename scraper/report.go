package scraper

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"time"
)

// Report is what a run did, source by source.
type Report struct {
	Started  time.Time
	Finished time.Time
	Sources  []SourceReport
	// KeepError is why the report could not be kept in the store (the
	// next run then cannot tell a page that stopped listing items).
	KeepError error
}

// SourceReport is what a run did with one source.
type SourceReport struct {
	Source      string
	Pages       int // pages asked for
	Fetched     int // read, parsed and stored
	NotModified int // answered 304 to a conditional request
	Unchanged   int // the same bytes as last time: not parsed again
	Items       int // products found on the pages read

	New              int // volumes stored for the first time
	Changed          int // volumes whose record changed
	UnchangedVolumes int // volumes seen again, nothing new

	Errors      []*PageError
	Interrupted bool // the run was stopped before the source's last page

	// Blocked says which waiting room or anti-bot wall the source's site
	// put up ("" when none): the rest of its pages were not asked for.
	Blocked string
	// Broken says why the source looks broken ("" when it does not): a
	// page that listed items at its last read parsed to none, or a page
	// the parser no longer recognises.
	Broken string
	// PerPage is how many items each page read and parsed this run listed.
	PerPage []PageCount
}

// PageCount is how many items a page listed.
type PageCount struct {
	URL   string
	Items int
}

// PageError is what went wrong with one page.
type PageError struct {
	URL string
	Err error
}

func (e *PageError) Error() string { return e.URL + ": " + e.Err.Error() }

// Unwrap returns the page's error, for errors.Is and errors.As.
func (e *PageError) Unwrap() error { return e.Err }

// MarshalJSON writes the error as text.
func (e *PageError) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		URL   string `json:"url"`
		Error string `json:"error"`
	}{e.URL, e.Err.Error()})
}

// OK reports whether some page of the source was read (fetched and
// parsed, or known to be unchanged).
func (s SourceReport) OK() bool { return s.Fetched+s.NotModified+s.Unchanged > 0 }

// OK reports whether some source succeeded: the command's exit status.
func (r Report) OK() bool {
	for _, s := range r.Sources {
		if s.OK() {
			return true
		}
	}
	return false
}

// Problems says, one line per source, which sources were blocked by a
// waiting room or a challenge, or are broken, and what to do: the run
// is not healthy when it is not empty, even if Run returned no error.
func (r Report) Problems() []string {
	var out []string
	if r.KeepError != nil {
		out = append(out, fmt.Sprintf("%v; check the store", r.KeepError))
	}
	for _, s := range r.Sources {
		if s.Blocked != "" {
			out = append(out, fmt.Sprintf("source %s blocked: %s", s.Source, s.Blocked))
		}
		if s.Broken != "" {
			out = append(out, fmt.Sprintf("source %s broken: %s; compare the live page with its parser "+
				"(mangaalert scrape --file PAGE --source %s) and fix the parser or the source's URLs", s.Source, s.Broken, s.Source))
		}
	}
	return out
}

// Totals sums the sources.
func (r Report) Totals() SourceReport {
	var t SourceReport
	for _, s := range r.Sources {
		t.Pages += s.Pages
		t.Fetched += s.Fetched
		t.NotModified += s.NotModified
		t.Unchanged += s.Unchanged
		t.Items += s.Items
		t.New += s.New
		t.Changed += s.Changed
		t.UnchangedVolumes += s.UnchangedVolumes
		t.Errors = append(t.Errors, s.Errors...)
		t.Interrupted = t.Interrupted || s.Interrupted
	}
	return t
}

// Log writes one structured line per source: Info when the source had no
// error, Warn when it had some, Error when nothing of it succeeded.
func (r Report) Log(ctx context.Context, log *slog.Logger) {
	for _, s := range r.Sources {
		level := slog.LevelInfo
		switch {
		case !s.OK():
			level = slog.LevelError
		case len(s.Errors) > 0:
			level = slog.LevelWarn
		}
		attrs := []slog.Attr{
			slog.String("source", s.Source),
			slog.Int("pages", s.Pages),
			slog.Int("fetched", s.Fetched),
			slog.Int("not_modified", s.NotModified),
			slog.Int("unchanged_pages", s.Unchanged),
			slog.Int("items", s.Items),
			slog.Int("volumes_new", s.New),
			slog.Int("volumes_changed", s.Changed),
			slog.Int("volumes_unchanged", s.UnchangedVolumes),
			slog.Int("errors", len(s.Errors)),
			slog.Duration("duration", r.Finished.Sub(r.Started)),
		}
		if s.Interrupted {
			attrs = append(attrs, slog.Bool("interrupted", true))
		}
		if s.Blocked != "" {
			level = slog.LevelError
			attrs = append(attrs, slog.String("blocked", s.Blocked))
		}
		if s.Broken != "" {
			level = slog.LevelError
			attrs = append(attrs, slog.String("broken", s.Broken))
		}
		if len(s.Errors) > 0 {
			msgs := make([]string, 0, min(len(s.Errors), 5))
			for _, e := range s.Errors[:min(len(s.Errors), 5)] {
				msgs = append(msgs, e.Error())
			}
			attrs = append(attrs, slog.Any("error_samples", msgs))
		}
		log.LogAttrs(ctx, level, "scrape source", attrs...)
	}
}
