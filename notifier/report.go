package notifier

import (
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
	// Unresolved lists claims this run could not record an outcome for
	// (the store failed): the next run resolves them by its policy.
	Unresolved []store.AlertKey
	// Reads counts the planning reads: series, volumes, follows and alerts.
	Reads struct{ Series, Volumes, Follows, Alerts int }
	Error string // why the run stopped early, "" when it finished

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

// LogValue makes the report one structured log line.
func (r *Report) LogValue() slog.Value {
	t := r.Total()
	attrs := []slog.Attr{
		slog.String("run", r.RunID),
		slog.Duration("took", r.Finished.Sub(r.Started)),
		slog.Int("readers", r.Readers),
		slog.Int("emails_sent", r.Emails.Sent),
		slog.Int("emails_failed", r.Emails.Failed),
		slog.Int("sent", t.Sent),
		slog.Int("failed", t.Failed),
		slog.Int("skipped", t.Skipped),
		slog.Int("deferred", t.Deferred),
		slog.Int("uncertain", t.Uncertain),
	}
	for _, k := range slices.Sorted(maps.Keys(r.Kinds)) {
		c := r.Kinds[k]
		attrs = append(attrs, slog.Group(string(k),
			"due", c.Due, "sent", c.Sent, "failed", c.Failed, "skipped", c.Skipped,
			"deferred", c.Deferred, "uncertain", c.Uncertain))
	}
	if len(r.Unresolved) > 0 {
		attrs = append(attrs, slog.Int("unresolved", len(r.Unresolved)))
	}
	if r.Error != "" {
		attrs = append(attrs, slog.String("error", r.Error))
	}
	return slog.GroupValue(attrs...)
}
