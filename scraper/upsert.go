package scraper

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"sync"

	"github.com/manga-alert-italia/mangaalert/scraper/source"
	"github.com/manga-alert-italia/mangaalert/store"
)

// store upserts a page's series and volumes.
func (r *run) store(ctx context.Context, src source.Source, items []source.Item, rep *SourceReport) error {
	vols := make([]store.Volume, 0, len(items))
	at := map[string]int{}
	series := map[string]store.Series{}
	var seriesOrder []string
	for _, it := range items {
		if err := it.Validate(); err != nil {
			rep.Errors = append(rep.Errors, &PageError{URL: it.URL, Err: err})
			continue
		}
		v := it.Volume()
		if i, dup := at[v.ID]; dup {
			vols[i] = fill(vols[i], v) // the same volume twice on a page: one record
		} else {
			at[v.ID] = len(vols)
			vols = append(vols, v)
		}
		s := it.SeriesRecord()
		if old, ok := series[s.ID]; ok {
			old.Aliases = append(old.Aliases, s.Aliases...)
			series[s.ID] = old
		} else {
			series[s.ID] = s
			seriesOrder = append(seriesOrder, s.ID)
		}
	}
	for _, id := range seriesOrder {
		if err := r.putSeries(ctx, series[id]); err != nil {
			return err
		}
	}
	if err := r.deferToPublishers(ctx, src, vols); err != nil {
		return err
	}
	if len(vols) == 0 {
		return nil
	}
	res, err := r.cfg.Store.UpsertVolumes(ctx, vols, r.now())
	if err != nil {
		return fmt.Errorf("store %d volumes: %w", len(vols), err)
	}
	for _, u := range res {
		switch u.Outcome {
		case store.Created:
			rep.New++
		case store.Updated:
			rep.Changed++
		default:
			rep.UnchangedVolumes++
		}
	}
	return nil
}

// putSeries writes a series when it is new or brings aliases the store
// does not have. An existing series keeps its title and publisher: sources
// spell them differently, and rewriting them run after run would be
// writes for nothing.
func (r *run) putSeries(ctx context.Context, s store.Series) error {
	r.mu.Lock()
	old, known := r.series[s.ID]
	r.mu.Unlock()
	if !known {
		got, err := r.cfg.Store.Series(ctx, s.ID)
		switch {
		case err == nil:
			old, known = got, true
		case !errors.Is(err, store.ErrNotFound):
			return fmt.Errorf("read series %s: %w", s.ID, err)
		}
	}
	put := s
	if known {
		put = store.Series{ID: s.ID, Title: old.Title, Publisher: old.Publisher}
		for _, a := range s.Aliases {
			if a != old.Title && !contains(old.Aliases, a) && !contains(put.Aliases, a) {
				put.Aliases = append(put.Aliases, a)
			}
		}
		if len(put.Aliases) == 0 {
			r.remember(old)
			return nil
		}
	}
	if err := r.cfg.Store.PutSeries(ctx, put); err != nil {
		return err
	}
	if known {
		old.Aliases = append(old.Aliases, put.Aliases...)
		put = old
	}
	r.remember(put)
	return nil
}

func (r *run) remember(s store.Series) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.series[s.ID] = s
}

// deferToPublishers makes a lower-ranked source's volumes fill-only where a
// higher-ranked source wrote the record: an aggregator never overwrites
// what the publisher's own page says.
func (r *run) deferToPublishers(ctx context.Context, src source.Source, vols []store.Volume) error {
	top := 0
	for _, rank := range r.hosts {
		top = max(top, rank)
	}
	if src.Rank >= top {
		return nil
	}
	for i, v := range vols {
		old, err := r.cfg.Store.Volume(ctx, v.ID)
		if errors.Is(err, store.ErrNotFound) {
			continue
		}
		if err != nil {
			return fmt.Errorf("read volume %s: %w", v.ID, err)
		}
		if r.rankOf(old.SourceURL) > src.Rank {
			vols[i] = fillOnly(old, v)
		}
	}
	return nil
}

func (r *run) rankOf(u string) int {
	p, err := url.Parse(u)
	if err != nil {
		return 0
	}
	return r.hosts[p.Host]
}

// ranking lets sources wait for the higher-ranked ones to finish.
type ranking struct {
	running map[int]*sync.WaitGroup // by rank: the sources still running
}

// add counts a source of rank in, before any source starts.
func (k *ranking) add(rank int) {
	wg, ok := k.running[rank]
	if !ok {
		wg = &sync.WaitGroup{}
		k.running[rank] = wg
	}
	wg.Add(1)
}

// done counts a source of rank out.
func (k *ranking) done(rank int) { k.running[rank].Done() }

// higher reports whether a source of higher rank than rank runs.
func (k *ranking) higher(rank int) bool {
	for r := range k.running {
		if r > rank {
			return true
		}
	}
	return false
}

// wait waits until every source of higher rank is done, or ctx is.
func (k *ranking) wait(ctx context.Context, rank int) {
	all := make(chan struct{})
	go func() {
		for r, wg := range k.running {
			if r > rank {
				wg.Wait()
			}
		}
		close(all)
	}()
	select {
	case <-all:
	case <-ctx.Done():
	}
}

// fillOnly keeps of v only what old lacks.
func fillOnly(old, v store.Volume) store.Volume {
	out := store.Volume{ID: v.ID, SeriesID: v.SeriesID, Number: v.Number, Edition: old.Edition, Key: old.Key}
	if old.Title == "" {
		out.Title = v.Title
	}
	if old.Publisher == "" {
		out.Publisher = v.Publisher
	}
	if old.ReleaseDate.IsZero() {
		out.ReleaseDate = v.ReleaseDate
	}
	if old.PriceCents == 0 {
		out.PriceCents = v.PriceCents
	}
	if old.CoverURL == "" {
		out.CoverURL = v.CoverURL
	}
	if old.SKU == "" {
		out.SKU = v.SKU
	}
	return out
}

// fill completes a with what b has and a lacks.
func fill(a, b store.Volume) store.Volume {
	if a.Title == "" {
		a.Title = b.Title
	}
	if a.Publisher == "" {
		a.Publisher = b.Publisher
	}
	if a.ReleaseDate.IsZero() {
		a.ReleaseDate = b.ReleaseDate
	}
	if a.PriceCents == 0 {
		a.PriceCents = b.PriceCents
	}
	if a.CoverURL == "" {
		a.CoverURL = b.CoverURL
	}
	if a.SKU == "" {
		a.SKU = b.SKU
	}
	return a
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
