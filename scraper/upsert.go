package scraper

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"slices"
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
			series[s.ID] = mergeSeries(old, s)
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
	if err := r.restorePublishers(ctx, src, vols, res); err != nil {
		return err
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

// putSeries writes a series when it is new or when the pages bring
// something its record does not have. Series writes are serialised within
// a run: each merges with the record as stored, and two sources finding
// the same series at once must not each write their own half.
func (r *run) putSeries(ctx context.Context, s store.Series) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	old, known := r.series[s.ID]
	if !known {
		got, err := r.cfg.Store.Series(ctx, s.ID)
		switch {
		case err == nil:
			old, known = got, true
		case !errors.Is(err, store.ErrNotFound):
			return fmt.Errorf("read series %s: %w", s.ID, err)
		}
	}
	put := mergeSeries(store.Series{ID: s.ID}, s)
	if known {
		put = mergeSeries(old, s)
		if sameSeries(put, old) {
			r.series[s.ID] = old
			return nil
		}
	}
	if err := r.cfg.Store.PutSeries(ctx, put); err != nil {
		return err
	}
	r.series[s.ID] = put
	return nil
}

// mergeSeries is the record of a series that pages a and b both name, and
// the same whichever comes first (commutative and idempotent), so that the
// record is a function of the pages read, never of their order: of two
// names (titles, publishers) the first in byte order wins, a title that
// loses becomes an alias, and aliases are a sorted set. Only names that
// normalise to the series' id reach here (source.Item.SeriesAlias).
func mergeSeries(a, b store.Series) store.Series {
	m := store.Series{ID: a.ID, Title: least(a.Title, b.Title), Publisher: least(a.Publisher, b.Publisher)}
	for _, n := range slices.Concat([]string{a.Title, b.Title}, a.Aliases, b.Aliases) {
		if n != "" && n != m.Title {
			m.Aliases = append(m.Aliases, n)
		}
	}
	slices.Sort(m.Aliases)
	m.Aliases = slices.Compact(m.Aliases)
	return m
}

// least is the first of two names in byte order, ignoring "".
func least(a, b string) string {
	if a == "" || (b != "" && b < a) {
		return b
	}
	return a
}

func sameSeries(a, b store.Series) bool {
	return a.ID == b.ID && a.Title == b.Title && a.Publisher == b.Publisher &&
		slices.Equal(a.Aliases, b.Aliases)
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

// restorePublishers undoes what a lower-ranked source's upsert overwrote
// of a higher-ranked source's record. deferToPublishers reads a record
// before the write, and another run (a manual scrape beside the scheduled
// one) may store the publisher's record in between: the aggregator's
// values would then replace the publisher's, and the records would depend
// on which run got there first. The publisher's values are written back,
// with the aggregator's only where the publisher's record had none.
func (r *run) restorePublishers(ctx context.Context, src source.Source, vols []store.Volume, res []store.UpsertResult) error {
	var fix []store.Volume
	for i, u := range res {
		if u.Outcome != store.Updated || r.rankOf(u.Before.SourceURL) <= src.Rank || !overwrote(u) {
			continue
		}
		b := u.Before
		fix = append(fix, fill(store.Volume{ID: b.ID, SeriesID: b.SeriesID, Number: b.Number, Edition: b.Edition,
			Key: b.Key, Title: b.Title, Publisher: b.Publisher, ReleaseDate: b.ReleaseDate, PriceCents: b.PriceCents,
			CoverURL: b.CoverURL, SourceURL: b.SourceURL, SKU: b.SKU}, vols[i]))
	}
	if len(fix) == 0 {
		return nil
	}
	r.log.DebugContext(ctx, "publisher's records written back", "source", src.Name, "volumes", len(fix))
	if _, err := r.cfg.Store.UpsertVolumes(ctx, fix, r.now()); err != nil {
		return fmt.Errorf("restore %d volumes: %w", len(fix), err)
	}
	return nil
}

// overwrote reports whether an upsert replaced a value the record had
// (rather than only filling empty fields or adding a code).
func overwrote(u store.UpsertResult) bool {
	b := u.Before
	for _, f := range u.Changed {
		switch f {
		case store.FieldTitle:
			if b.Title != "" {
				return true
			}
		case store.FieldPublisher:
			if b.Publisher != "" {
				return true
			}
		case store.FieldReleaseDate:
			if !b.ReleaseDate.IsZero() {
				return true
			}
		case store.FieldPrice:
			if b.PriceCents != 0 {
				return true
			}
		case store.FieldCover:
			if b.CoverURL != "" {
				return true
			}
		case store.FieldSource:
			if b.SourceURL != "" {
				return true
			}
		case store.FieldEdition:
			return true
		}
	}
	return false
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
	out.SKU = v.SKU // codes only add up (store.AddSKUs): a second code erases none
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
	a.SKU = store.AddSKUs(a.SKU, b.SKU)
	return a
}
