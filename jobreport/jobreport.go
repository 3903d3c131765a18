// Package jobreport keeps the last runs of each scheduled job in the
// store, where the deploy tool's status reads them: when each run
// started, how long it took, how it ended, and the job's own report in a
// few lines (the scraper's pages, items, broken or blocked sources; the
// notifier's mails sent, uncertain and failed).
//
// Each job's runs are one blob (store.Blobs) under Key(job), newest
// first, at most Keep of them. Two runs of one job that end at the same
// moment may lose one record (the last write wins): the schedules start
// one run at a time, and the record is for reading, never for deciding.
package jobreport

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/manga-alert-italia/mangaalert/store"
	"github.com/manga-alert-italia/mangaalert/store/dynamo"
)

// Keep is how many runs of a job are kept.
const Keep = 5

// Outcome is how a run ended.
type Outcome string

// The outcomes. A run that did its work but left something for the
// operator (a broken source, an uncertain mail) failed: its exit status
// says so too, and the rule on failed tasks mails the operator.
const (
	OK     Outcome = "ok"
	Failed Outcome = "failed"
)

// Run is one run of a job.
type Run struct {
	Started  time.Time `json:"started"`
	Finished time.Time `json:"finished"`
	Outcome  Outcome   `json:"outcome"`
	// Error is why it failed, "" for a run that ended OK.
	Error string `json:"error,omitempty"`
	// Report is the job's own report, one line each.
	Report []string `json:"report,omitempty"`
}

// Duration is how long the run took.
func (r Run) Duration() time.Duration { return r.Finished.Sub(r.Started) }

// Blobs is where runs are kept (store.Blobs).
type Blobs interface {
	GetBlob(ctx context.Context, key string) ([]byte, error)
	PutBlob(ctx context.Context, key string, value []byte) error
}

// Key is the blob of a job's runs.
func Key(job string) string { return "jobs/" + job + "/runs" }

// Record adds run as the newest of job's runs and forgets those past
// Keep.
func Record(ctx context.Context, b Blobs, job string, run Run) error {
	runs, err := Runs(ctx, b, job)
	if err != nil {
		return err
	}
	runs = append([]Run{run}, runs...)
	if len(runs) > Keep {
		runs = runs[:Keep]
	}
	raw, err := json.Marshal(runs)
	if err != nil {
		return fmt.Errorf("job %s: encode its runs: %w", job, err)
	}
	if err := b.PutBlob(ctx, Key(job), raw); err != nil {
		return fmt.Errorf("job %s: keep its runs: %w", job, err)
	}
	return nil
}

// Runs reads job's kept runs, newest first; none when it never ran.
func Runs(ctx context.Context, b interface {
	GetBlob(ctx context.Context, key string) ([]byte, error)
}, job string) ([]Run, error) {
	raw, err := b.GetBlob(ctx, Key(job))
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("job %s: read its runs: %w", job, err)
	}
	var runs []Run
	if err := json.Unmarshal(raw, &runs); err != nil {
		return nil, fmt.Errorf("job %s: its kept runs do not decode: %w", job, err)
	}
	return runs, nil
}

// Lines say job's runs as status shows them, newest first.
func Lines(job string, runs []Run) []string {
	if len(runs) == 0 {
		return []string{job + ": no run recorded yet"}
	}
	var out []string
	for _, r := range runs {
		line := fmt.Sprintf("%s: %s, took %s: %s", job, r.Started.UTC().Format("2006-01-02 15:04 UTC"), r.Duration().Round(time.Second), r.Outcome)
		if r.Error != "" {
			line += ": " + r.Error
		}
		out = append(out, line)
		for _, l := range r.Report {
			out = append(out, "  "+l)
		}
	}
	return out
}

// Reader reads jobs' runs from b as status lines, for a status that
// knows the jobs by name (stack.Options.Runs).
func Reader(b interface {
	GetBlob(ctx context.Context, key string) ([]byte, error)
}) func(ctx context.Context, job string) ([]string, error) {
	return func(ctx context.Context, job string) ([]string, error) {
		runs, err := Runs(ctx, b, job)
		if err != nil {
			return nil, err
		}
		return Lines(job, runs), nil
	}
}

// TableReader is Reader over the DynamoDB store (store/dynamo) in table,
// for a tool that has only the AWS configuration.
func TableReader(cfg aws.Config, table string) func(ctx context.Context, job string) ([]string, error) {
	return Reader(dynamo.New(dynamodb.NewFromConfig(cfg), table))
}
