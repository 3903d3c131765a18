package scraper

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/manga-alert-italia/mangaalert/scraper/fetch"
	"github.com/manga-alert-italia/mangaalert/scraper/source"
	"github.com/manga-alert-italia/mangaalert/store"
)

// pages lists what a source reads: its series pages (the configured ones,
// then those of the followed series it publishes, each URL once), then its
// calendar.
func (r *run) pages(src source.Source, site *url.URL, sc SourceConfig, followed []store.Series) []page {
	var ps []page
	seen := map[string]bool{}
	add := func(p page) {
		if !seen[p.URL] {
			seen[p.URL] = true
			ps = append(ps, p)
		}
	}
	for _, s := range sc.Series {
		ref, err := url.Parse(strings.TrimSpace(s))
		if err != nil || s == "" {
			add(page{Page: source.Page{URL: s}})
			continue
		}
		add(page{Page: source.Page{URL: site.ResolveReference(ref).String()}})
	}
	if sc.Followed {
		for _, s := range followed {
			if p, ok := src.SeriesPage(site, s); ok {
				add(page{Page: p})
			}
		}
	}
	if sc.Calendar {
		weeks := sc.Weeks
		if weeks == 0 {
			weeks = 8
		}
		for _, p := range src.Calendar(site, store.DateOf(r.now()), weeks) {
			ps = append(ps, page{Page: p, calendar: true})
		}
	}
	return ps
}

// source reads one source, page after page. A source that must defer to
// higher-ranked ones (an aggregator) reads all its pages first and stores
// them once those sources are done, so that which source wins a volume
// never depends on timing.
func (r *run) source(ctx context.Context, sc SourceConfig, followed []store.Series) SourceReport {
	src, _ := source.Lookup(sc.Source)
	site, _ := siteURL(src, sc.Site)
	defer r.ranks.done(src.Rank)
	rep := SourceReport{Source: src.Name}
	deferred := r.ranks.higher(src.Rank)
	var pending []*read
	calendarRead, calendarItems := 0, 0
	pages := r.pages(src, site, sc, followed)
	for i, p := range pages {
		if ctx.Err() != nil {
			rep.Interrupted = true
			break
		}
		if b := r.blockedHost(p.URL); b != nil {
			// Asking again is impolite and useless: leave the host alone
			// for the rest of the run.
			rep.Blocked = b.Error()
			rep.Errors = append(rep.Errors, &PageError{URL: site.String(),
				Err: fmt.Errorf("%d pages not asked for: %w", len(pages)-i, b)})
			break
		}
		rep.Pages++
		rd, err := r.read(ctx, src, p, &rep)
		if err != nil {
			rep.Errors = append(rep.Errors, &PageError{URL: p.URL, Err: err})
			var b *fetch.BlockedError
			if errors.As(err, &b) {
				r.block(b)
				rep.Blocked = b.Error()
				if i+1 < len(pages) {
					rep.Errors = append(rep.Errors, &PageError{URL: site.String(),
						Err: fmt.Errorf("%d pages not asked for after the %s wall", len(pages)-i-1, b.Kind)})
				}
				break
			}
			if errors.Is(err, source.ErrChallenge) { // recognised by the parser
				rep.Blocked = err.Error()
				break
			}
			r.judge(p.URL, -1, err, &rep)
			if ctx.Err() != nil {
				rep.Interrupted = true
				break
			}
			continue
		}
		if rd == nil {
			continue // not modified, or the same bytes as last time
		}
		rep.PerPage = append(rep.PerPage, PageCount{URL: p.URL, Items: len(rd.items)})
		if r.judge(p.URL, len(rd.items), nil, &rep) {
			rep.Errors = append(rep.Errors, &PageError{URL: p.URL,
				Err: fmt.Errorf("%w (it listed %d at its last read)", ErrNoItems, r.previous[p.URL])})
			// Not remembered: the next run reads it again and judges again,
			// rather than skipping it as unchanged.
			continue
		}
		if p.calendar {
			calendarRead++
			calendarItems += len(rd.items)
		}
		if deferred {
			pending = append(pending, rd)
			continue
		}
		r.commit(ctx, src, rd, &rep)
	}
	if len(pending) > 0 {
		r.ranks.wait(ctx, src.Rank)
		for _, rd := range pending {
			if ctx.Err() != nil {
				rep.Interrupted = true
				break
			}
			r.commit(ctx, src, rd, &rep)
		}
	}
	if calendarRead > 0 && calendarItems == 0 {
		rep.Errors = append(rep.Errors, &PageError{URL: site.String(), Err: fmt.Errorf("calendar: %w", ErrNoItems)})
	}
	return rep
}

// read is a page fetched and parsed, not stored yet.
type read struct {
	page  page
	res   *fetch.Result
	items []source.Item
}

// read fetches and parses a page; nil when it did not change since it was
// last stored.
func (r *run) read(ctx context.Context, src source.Source, p page, rep *SourceReport) (*read, error) {
	res, err := r.fetch.Get(ctx, p.URL, p.Header)
	if err != nil {
		return nil, err
	}
	switch {
	case res.NotModified:
		rep.NotModified++
		return nil, nil
	case res.Unchanged:
		rep.Unchanged++
		return nil, nil
	}
	base, _ := url.Parse(res.FinalURL)
	items, err := src.ParseWith(bytes.NewReader(res.Body), base, r.norm)
	if err != nil {
		return nil, err
	}
	// An empty calendar week and a search that found nothing are normal
	// pages; a series page without a volume never is.
	if len(items) == 0 && !p.calendar && !isSearch(p.URL) {
		return nil, ErrNoItems
	}
	res.Body = nil // parsed: let it go
	return &read{page: p, res: res, items: items}, nil
}

// commit stores a page's volumes, then remembers the page. The writes
// finish even when the run is being stopped.
func (r *run) commit(ctx context.Context, src source.Source, rd *read, rep *SourceReport) {
	wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), r.cfg.WriteTimeout)
	defer cancel()
	err := r.store(wctx, src, rd.items, rep)
	if err == nil {
		err = r.fetch.Remember(wctx, rd.res)
	}
	if err != nil {
		rep.Errors = append(rep.Errors, &PageError{URL: rd.page.URL, Err: err})
		return
	}
	rep.Fetched++
	rep.Items += len(rd.items)
	r.log.DebugContext(ctx, "page stored", "source", src.Name, "url", rd.page.URL, "items", len(rd.items))
}

// blockedHost is the wall the host of u put up earlier in this run, if any.
func (r *run) blockedHost(u string) *fetch.BlockedError {
	pu, err := url.Parse(u)
	if err != nil {
		return nil
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.blocked[pu.Host]
}

// block keeps the run away from b's host until it ends.
func (r *run) block(b *fetch.BlockedError) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, ok := r.blocked[b.Host]; !ok {
		r.blocked[b.Host] = b
	}
}

// isSearch reports whether u is a site search (Panini's catalogsearch),
// which may rightly find nothing.
func isSearch(u string) bool { return strings.Contains(u, "/catalogsearch/") }

// judge marks the source broken when a page that listed items at its last
// read lists none now (items == 0, or the parser's ErrNoItems), or when
// the parser no longer recognises the page. The first reason found is
// kept; the result says whether this page is broken.
func (r *run) judge(u string, items int, err error, rep *SourceReport) bool {
	var why string
	prev := r.previous[u]
	switch {
	case errors.Is(err, source.ErrUnrecognized):
		why = fmt.Sprintf("%s is no longer a page its parser recognises (%v)", u, err)
	case prev > 0 && (items == 0 || errors.Is(err, ErrNoItems)):
		why = fmt.Sprintf("%s listed %d items at its last read and none now", u, prev)
	default:
		return false
	}
	if rep.Broken == "" {
		rep.Broken = why
	}
	return true
}
