package scraper

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/manga-alert-italia/mangaalert/store"
)

// ReportKey is the store blob (store.Blobs) under which each run keeps its
// report: the next run compares its pages with it, and status shows it.
const ReportKey = "scraper/last-report"

// Blobs is where the last report is kept (store.Blobs).
type Blobs interface {
	GetBlob(ctx context.Context, key string) ([]byte, error)
	PutBlob(ctx context.Context, key string, value []byte) error
}

// Kept is what a run keeps of its report in the store.
type Kept struct {
	Started  time.Time    `json:"started"`
	Finished time.Time    `json:"finished"`
	Sources  []KeptSource `json:"sources"`
	// Items is, per page URL, how many items the page listed at its last
	// read that listed some: a page that lists none now, where it listed
	// some, marks its source broken until it lists items again.
	Items map[string]int `json:"items"`
}

// KeptSource is what is kept of a SourceReport.
type KeptSource struct {
	Source  string         `json:"source"`
	Pages   int            `json:"pages"`
	Fetched int            `json:"fetched"`
	Items   int            `json:"items"`
	New     int            `json:"volumes_new"`
	Changed int            `json:"volumes_changed"`
	PerPage map[string]int `json:"per_page,omitempty"` // items parsed, per page read this run
	Errors  []string       `json:"errors,omitempty"`
	Blocked string         `json:"blocked,omitempty"`
	Broken  string         `json:"broken,omitempty"`
}

// LastReport reads the report the last run kept; a zero Kept (nil Items)
// when no run kept one.
func LastReport(ctx context.Context, b Blobs) (Kept, error) {
	raw, err := b.GetBlob(ctx, ReportKey)
	if errors.Is(err, store.ErrNotFound) {
		return Kept{}, nil
	}
	if err != nil {
		return Kept{}, fmt.Errorf("last scrape report: %w", err)
	}
	var k Kept
	if err := json.Unmarshal(raw, &k); err != nil {
		return Kept{}, fmt.Errorf("last scrape report: %w", err)
	}
	return k, nil
}

// keep builds what this run keeps: prev's counts, updated with the pages
// that listed items this run.
func keep(rep Report, prev map[string]int) Kept {
	k := Kept{Started: rep.Started, Finished: rep.Finished, Items: map[string]int{}}
	for u, n := range prev {
		k.Items[u] = n
	}
	for _, s := range rep.Sources {
		ks := KeptSource{Source: s.Source, Pages: s.Pages, Fetched: s.Fetched, Items: s.Items,
			New: s.New, Changed: s.Changed, Blocked: s.Blocked, Broken: s.Broken}
		for _, p := range s.PerPage {
			if ks.PerPage == nil {
				ks.PerPage = map[string]int{}
			}
			ks.PerPage[p.URL] = p.Items
			if p.Items > 0 {
				k.Items[p.URL] = p.Items
			}
		}
		for _, e := range s.Errors {
			ks.Errors = append(ks.Errors, e.Error())
		}
		k.Sources = append(k.Sources, ks)
	}
	return k
}

// blobs is the store's blob side, when it has one.
func (r *run) blobs() Blobs {
	b, _ := r.cfg.Store.(Blobs)
	return b
}

// loadPrevious reads the item counts the last run kept.
func (r *run) loadPrevious(ctx context.Context) error {
	b := r.blobs()
	if b == nil {
		return nil
	}
	k, err := LastReport(ctx, b)
	if err != nil {
		return fmt.Errorf("scrape: %w", err)
	}
	r.previous = k.Items
	return nil
}

// saveReport keeps rep in the store, even when the run is being stopped.
func (r *run) saveReport(ctx context.Context, rep Report) error {
	b := r.blobs()
	if b == nil {
		return nil
	}
	raw, err := json.Marshal(keep(rep, r.previous))
	if err != nil {
		return fmt.Errorf("keep the scrape report: %w", err)
	}
	wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), r.cfg.WriteTimeout)
	defer cancel()
	if err := b.PutBlob(wctx, ReportKey, raw); err != nil {
		return fmt.Errorf("keep the scrape report: %w", err)
	}
	return nil
}
