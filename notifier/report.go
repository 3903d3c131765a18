package notifier

import (
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/manga-alert-italia/mangaalert/store"
)

// KindCount is what became of the alerts of one kind in a run.
type KindCount struct {
	Due       int `json:"due"`       // planned for mailable and unmailable readers alike
	Sent      int `json:"sent"`      // the provider accepted the message
	Failed    int `json:"failed"`    // the provider refused it for good
	Skipped   int `json:"skipped"`   // not sent: reader not mailable, gone, not opted in, or claimed by another run
	Deferred  int `json:"deferred"`  // claimed, not sent, released for the next run (the run stopped)
	Uncertain int `json:"uncertain"` // may have gone out: marked Uncertain (at-most-once)
	Reclaimed int `json:"reclaimed"` // stale claims taken over to send again (at-least-once)
	Expired   int `json:"expired"`   // released claims whose time passed, closed as Failed
}

func (k *KindCount) plus(o KindCount) {
	k.Due += o.Due
	k.Sent += o.Sent
	k.Failed += o.Failed
	k.Skipped += o.Skipped
	k.Deferred += o.Deferred
	k.Uncertain += o.Uncertain
	k.Reclaimed += o.Reclaimed
	k.Expired += o.Expired
}

// Report says what a run did. Counts are per alert; Emails per message.
type Report struct {
	RunID    string
	Started  time.Time
	Finished time.Time
	Readers  int // readers with something due
	Emails   struct {
		Sent, Failed, Deferred, Uncertain int
	}
	Kinds map[store.AlertKind]KindCount
	// Uncertain lists the alerts marked Uncertain in this run: a reader
	// may or may not have got them.
	Uncertain []store.AlertKey
	// Failed lists the alerts whose message the provider refused for good.
	Failed []store.AlertKey
	// Unresolved lists claims this run could not record an outcome for
	// (the store failed): the next run resolves them by its policy.
	Unresolved []store.AlertKey
	// Reads counts the planning reads: series, volumes, follows and alerts.
	Reads struct{ Series, Volumes, Follows, Alerts int }
	Error string // why the run stopped early, "" when it finished
	// Telegram counts the Telegram messages (issue 17, telegram.go).
	Telegram TelegramCounts

	mu sync.Mutex
}

func (r *Report) add(k store.AlertKind, f func(*KindCount)) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.Kinds == nil {
		r.Kinds = make(map[store.AlertKind]KindCount)
	}
	c := r.Kinds[k]
	f(&c)
	r.Kinds[k] = c
}

func (r *Report) lock(f func()) {
	r.mu.Lock()
	defer r.mu.Unlock()
	f()
}

// Total adds up the kinds.
func (r *Report) Total() KindCount {
	var t KindCount
	for _, c := range r.Kinds {
		t.plus(c)
	}
	return t
}

// Summary is the figures a run is judged by. The command's summary line
// and the report's log record are both made from it, so they cannot
// disagree. Alerts counts every alert this run settled, including those a
// dead run left claimed: Emails only counts the messages this run sent.
type Summary struct {
	Readers int
	Emails  struct{ Sent, Failed, Deferred, Uncertain int }
	Alerts  KindCount
	// Unresolved counts the claims whose outcome could not be recorded.
	Unresolved int
	// FailedReaders and UncertainReaders name the readers (sorted, once
	// each) with an alert Failed or Uncertain in this run.
	FailedReaders, UncertainReaders []string
}

// Summary adds the report up.
func (r *Report) Summary() Summary {
	r.mu.Lock()
	defer r.mu.Unlock()
	s := Summary{Readers: r.Readers, Emails: r.Emails, Unresolved: len(r.Unresolved)}
	for _, c := range r.Kinds {
		s.Alerts.plus(c)
	}
	s.FailedReaders = readers(r.Failed)
	s.UncertainReaders = readers(r.Uncertain)
	return s
}

func readers(keys []store.AlertKey) []string {
	var ids []string
	for _, k := range keys {
		ids = append(ids, k.SubscriberID)
	}
	slices.Sort(ids)
	return slices.Compact(ids)
}

// Clean reports whether every alert settled has a known outcome and no
// message was refused: nothing for an operator to look at.
func (s Summary) Clean() bool {
	return s.Alerts.Failed == 0 && s.Alerts.Uncertain == 0 && s.Unresolved == 0
}

// String is the one-line summary.
func (s Summary) String() string {
	return fmt.Sprintf("%d emails sent, %d failed, %d uncertain, %d deferred; alerts: %d sent, %d failed, %d uncertain, %d deferred, %d unresolved",
		s.Emails.Sent, s.Emails.Failed, s.Emails.Uncertain, s.Emails.Deferred,
		s.Alerts.Sent, s.Alerts.Failed, s.Alerts.Uncertain, s.Alerts.Deferred, s.Unresolved)
}

// LogValue makes the report one structured log line, from its Summary.
func (r *Report) LogValue() slog.Value {
	s := r.Summary()
	t := s.Alerts
	attrs := []slog.Attr{
		slog.String("run", r.RunID),
		slog.Duration("took", r.Finished.Sub(r.Started)),
		slog.Int("readers", s.Readers),
		slog.Int("emails_sent", s.Emails.Sent),
		slog.Int("emails_failed", s.Emails.Failed),
		slog.Int("emails_uncertain", s.Emails.Uncertain),
		slog.Int("emails_deferred", s.Emails.Deferred),
		slog.Int("sent", t.Sent),
		slog.Int("failed", t.Failed),
		slog.Int("skipped", t.Skipped),
		slog.Int("deferred", t.Deferred),
		slog.Int("uncertain", t.Uncertain),
		slog.Int("unresolved", s.Unresolved),
	}
	r.mu.Lock()
	kinds := maps.Clone(r.Kinds)
	r.mu.Unlock()
	for _, k := range slices.Sorted(maps.Keys(kinds)) {
		c := kinds[k]
		attrs = append(attrs, slog.Group(string(k),
			"due", c.Due, "sent", c.Sent, "failed", c.Failed, "skipped", c.Skipped,
			"deferred", c.Deferred, "uncertain", c.Uncertain))
	}
	if len(s.FailedReaders) > 0 {
		attrs = append(attrs, slog.Any("failed_readers", s.FailedReaders))
	}
	if len(s.UncertainReaders) > 0 {
		attrs = append(attrs, slog.Any("uncertain_readers", s.UncertainReaders))
	}
	r.mu.Lock()
	tg := r.Telegram
	r.mu.Unlock()
	if tg.Sent+tg.Failed+tg.Deferred+tg.Uncertain > 0 {
		attrs = append(attrs, slog.Group("telegram", "sent", tg.Sent, "failed", tg.Failed,
			"deferred", tg.Deferred, "uncertain", tg.Uncertain, "unlinked", tg.Unlinked))
	}
	if r.Error != "" {
		attrs = append(attrs, slog.String("error", r.Error))
	}
	return slog.GroupValue(attrs...)
}
