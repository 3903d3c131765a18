package main

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/manga-alert-italia/mangaalert/jobreport"
	"github.com/manga-alert-italia/mangaalert/notifier"
	"github.com/manga-alert-italia/mangaalert/scraper"
)

// recordRun keeps a job's run in the store, where `deploy status` reads
// the last few. A store that refuses it is logged: the job's own outcome
// stands, and its exit status already says it.
func recordRun(ctx context.Context, st any, job string, run jobreport.Run, log *slog.Logger) {
	b, ok := st.(jobreport.Blobs)
	if !ok {
		return // a store without blobs keeps no runs
	}
	if err := jobreport.Record(ctx, b, job, run); err != nil {
		log.ErrorContext(ctx, "keep the run for status", "job", job, "error", err)
	}
}

// scrapeRun is a scrape as status shows it: per source, pages, items,
// broken or blocked.
func scrapeRun(rep scraper.Report, err error, problems []string) jobreport.Run {
	run := jobreport.Run{Started: rep.Started, Finished: rep.Finished, Outcome: jobreport.OK}
	for _, s := range rep.Sources {
		line := fmt.Sprintf("%s: %d of %d pages read, %d items, %d new volumes, %d changed", s.Source, s.Fetched, s.Pages, s.Items, s.New, s.Changed)
		if s.Blocked != "" {
			line += "; BLOCKED: " + s.Blocked
		}
		if s.Broken != "" {
			line += "; BROKEN: " + s.Broken
		}
		run.Report = append(run.Report, line)
	}
	if err != nil {
		problems = append([]string{err.Error()}, problems...)
	}
	if len(problems) > 0 {
		run.Outcome, run.Error = jobreport.Failed, strings.Join(problems, "; ")
	}
	return run
}

// notifyRun is a notify as status shows it: mails sent, uncertain, failed.
func notifyRun(rep *notifier.Report, err error, started time.Time) jobreport.Run {
	run := jobreport.Run{Started: started, Finished: time.Now(), Outcome: jobreport.OK}
	if rep != nil {
		s := rep.Summary()
		if !rep.Started.IsZero() {
			run.Started, run.Finished = rep.Started, rep.Finished
		}
		run.Report = []string{s.String()}
		if !s.Clean() {
			run.Outcome, run.Error = jobreport.Failed, fmt.Sprintf("%d alerts failed, %d uncertain, %d unresolved", s.Alerts.Failed, s.Alerts.Uncertain, s.Unresolved)
		}
	}
	if err != nil {
		run.Outcome, run.Error = jobreport.Failed, err.Error()
	}
	return run
}
