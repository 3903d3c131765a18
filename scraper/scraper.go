// Package scraper is the only source of truth about what comes out and
// when: it reads the publishers' pages (scraper/source), politely
// (scraper/fetch), and upserts what they list into the store, so that a
// run repeated on the same pages writes nothing.
//
// A run reads, for every configured source, the pages of the series readers
// follow (the scraper asks the store once, store.Follows.FollowedSeries,
// and each source knows where its page of a series is), any extra series
// pages configured, and the release calendar. Sources run side by side and independently: one
// failing (down, blocked by an anti-bot challenge, redesigned) never stops
// the others. The Report says, per source, how many pages were read, how
// many had not changed, how many items each page listed, how many volumes
// were new, changed or unchanged, and what went wrong; Run fails only when
// nothing at all succeeded.
//
// A source is blocked when its site put up a waiting room or an anti-bot
// wall (the run asks that host nothing more), and broken when a page that
// listed items at its last read lists none, or its parser no longer
// recognises a page: Report.Problems says which, and the command fails.
// Each run keeps its report in the store (ReportKey, LastReport), which is
// how the next run knows what each page listed.
//
// When two sources list the same volume, the publisher's own site (a
// higher Rank) wins: an aggregator's listing only fills what the
// publisher's page left empty, so the two never overwrite each other run
// after run.
//
// # Editions
//
// Every product a page lists is one store.Volume of one edition kind, read
// from every signal its card gives (Panini's product type, the SKU's
// markers, the words of the title, the card's qualifiers, the URL's slug):
//
//   - first: the first printing of a numbered volume; the only kind that
//     is a new volume for every reader. A plain code ("MAHER060_IT08") and
//     an ISBN-suffixed one ("MAHER060ISBN_IT08") are the same first
//     edition: one record keeping both codes (store.AddSKUs).
//   - reprint: a new printing (ristampa) of a volume already out: every
//     SKU ending in ISBNR, ISBNR2, SBNR2 (misspelt) or a bare R2/R3 after
//     the number, and titles saying "ristampa", "nuova edizione".
//   - variant: the same volume with another cover ("variant", an
//     "…-anime-variant" URL on Star Comics).
//   - special: a special, limited, deluxe or promotional printing
//     ("edizione speciale", "limited", "promo", an ISBNC SKU): never the
//     first edition, however it is numbered.
//   - boxset: a box or cofanetto of several volumes.
//   - other: what is not a volume of the manga at all: novels, artbooks,
//     guides, fan books, samplers of the first chapters, and Panini's
//     non-comic product types ("Libri"). It keeps the number its title
//     prints only to tell it apart; it is never volume N of the series.
//
// Readers hear of first editions; those who ticked "Avvisami anche di
// variant, ristampe ed edizioni speciali" also of store.OptIn (variant,
// reprint, special); box sets and other products are announced to nobody.
package scraper

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/manga-alert-italia/mangaalert/scraper/fetch"
	"github.com/manga-alert-italia/mangaalert/scraper/source"
	"github.com/manga-alert-italia/mangaalert/scraper/title"
	"github.com/manga-alert-italia/mangaalert/store"
)

// ParserVersion is mixed into the pages' content hashes: bump it when a
// parser changes, and the next run reads every page again instead of
// skipping those whose bytes did not change.
const ParserVersion = "1"

// Catalog is what a run reads and writes of the catalogue (a subset of
// store.Store).
type Catalog interface {
	Series(ctx context.Context, id string) (store.Series, error)
	PutSeries(ctx context.Context, s store.Series) error
	Volume(ctx context.Context, id string) (store.Volume, error)
	UpsertVolumes(ctx context.Context, vs []store.Volume, now time.Time) ([]store.UpsertResult, error)
}

// Pages is what a run remembers of the pages it fetched (store.Pages).
type Pages = fetch.Pages

// Followed lists the series readers follow (store.Follows.FollowedSeries).
type Followed interface {
	FollowedSeries(ctx context.Context) ([]store.Series, error)
}

// Store is what a run needs of the store.
type Store interface {
	Catalog
	Pages
	Followed
}

var _ Store = store.Store(nil)

// Errors a run reports.
var (
	// ErrNothingSucceeded: no page of any source could be read.
	ErrNothingSucceeded = errors.New("scrape: nothing succeeded")
	// ErrNoItems: a page that always lists volumes parsed to none (the
	// site changed its markup, or served something else).
	ErrNoItems = errors.New("page parsed to zero volumes where volumes were expected")
	// ErrChallenge: the site answered an anti-bot challenge.
	ErrChallenge = source.ErrChallenge
)

// SourceConfig says what to read of one source.
type SourceConfig struct {
	Source string // "starcomics", "panini" or "animeclick"
	// Site is the site's root; "" is the real site. Tests point it at a
	// local server.
	Site string
	// Followed also reads the source's page of every series readers
	// follow that the source publishes (source.Source.SeriesPage).
	Followed bool
	// Series are more series pages to read: absolute URLs, or paths on
	// Site ("/titoli-fumetti/solo-leveling",
	// "/shp_ita_it/catalogsearch/result/?q=jujutsu+kaisen").
	Series []string
	// Calendar also reads the source's release calendar.
	Calendar bool
	// Weeks is how many weeks after this one the calendar covers; 0 means 8.
	Weeks int
}

// Config is what a run reads and where it writes.
type Config struct {
	Store   Store
	Sources []SourceConfig
	// Fetcher gets the pages; nil means fetch.New with the store as its
	// page memory and ParserVersion.
	Fetcher *fetch.Fetcher
	// Force reads every page in full, with no page memory (neither read
	// nor written); volumes are still upserted idempotently.
	Force bool
	// Normalizer names series; nil means title.Default.
	Normalizer *title.Normalizer
	// Now is the clock (default time.Now); the calendar's weeks count
	// from its date in Europe/Rome.
	Now func() time.Time
	// WriteTimeout bounds the writes of one page, which finish even when
	// the run's context is cancelled; default 1 minute.
	WriteTimeout time.Duration
	Logger       *slog.Logger // default slog.Default().WithGroup("scraper")
}

// page is one page a source reads.
type page struct {
	source.Page
	calendar bool // a calendar week may be empty; a series page may not
}

// Run reads every configured source and upserts what it finds. The error
// is not nil only when nothing succeeded (or the configuration is wrong);
// the Report says what happened, source by source.
//
// Cancelling ctx (SIGTERM) stops each source between pages: the page
// being stored finishes, and what is remembered of pages is written only
// after their volumes are, so the next run picks up where this one
// stopped.
func Run(ctx context.Context, cfg Config) (Report, error) {
	r, err := newRun(cfg)
	if err != nil {
		return Report{}, err
	}
	rep := Report{Started: r.now()}
	followed, err := r.followed(ctx)
	if err != nil {
		return rep, err
	}
	if err := r.loadPrevious(ctx); err != nil {
		return rep, err
	}
	rep.Sources = make([]SourceReport, len(cfg.Sources))
	var wg sync.WaitGroup
	for i, sc := range cfg.Sources {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rep.Sources[i] = r.source(ctx, sc, followed)
		}()
	}
	wg.Wait()
	rep.Finished = r.now()
	if err := r.saveReport(ctx, rep); err != nil {
		rep.KeepError = err
		r.log.DebugContext(ctx, "report not kept", "error", err)
	}
	if !rep.OK() {
		var errs []error
		for _, s := range rep.Sources {
			for _, e := range s.Errors {
				errs = append(errs, e)
			}
		}
		if err := ctx.Err(); err != nil {
			errs = append(errs, err)
		}
		if len(errs) == 0 {
			return rep, ErrNothingSucceeded
		}
		return rep, fmt.Errorf("%w: %w", ErrNothingSucceeded, errors.Join(errs...))
	}
	return rep, nil
}

// run is one Run's state, shared by its sources.
type run struct {
	cfg   Config
	fetch *fetch.Fetcher
	norm  title.Normalizer
	log   *slog.Logger
	now   func() time.Time
	hosts map[string]int // host -> rank of the source on it
	ranks *ranking

	mu      sync.Mutex
	series  map[string]store.Series        // as stored, once read or written in this run
	blocked map[string]*fetch.BlockedError // hosts that put up a wall: not asked again this run

	previous map[string]int // page URL -> items at its last read that listed some (Kept.Items)
}

func newRun(cfg Config) (*run, error) {
	if cfg.Store == nil {
		return nil, errors.New("scrape: no store configured")
	}
	if len(cfg.Sources) == 0 {
		return nil, fmt.Errorf("scrape: no source configured (want some of %s)", strings.Join(source.Names(), ", "))
	}
	r := &run{cfg: cfg, norm: title.Default, now: time.Now, log: cfg.Logger, hosts: map[string]int{},
		ranks: &ranking{running: map[int]*sync.WaitGroup{}}, series: map[string]store.Series{},
		blocked: map[string]*fetch.BlockedError{}}
	if cfg.Normalizer != nil {
		r.norm = *cfg.Normalizer
	}
	if cfg.Now != nil {
		r.now = cfg.Now
	}
	if r.log == nil {
		r.log = slog.Default().WithGroup("scraper")
	}
	if r.cfg.WriteTimeout == 0 {
		r.cfg.WriteTimeout = time.Minute
	}
	for _, sc := range cfg.Sources {
		src, ok := source.Lookup(sc.Source)
		if !ok {
			return nil, fmt.Errorf("scrape: unknown source %q (want one of %s)", sc.Source, strings.Join(source.Names(), ", "))
		}
		site, err := siteURL(src, sc.Site)
		if err != nil {
			return nil, err
		}
		r.hosts[site.Host] = src.Rank
		r.ranks.add(src.Rank)
		if !sc.Calendar && !sc.Followed && len(sc.Series) == 0 {
			return nil, fmt.Errorf("scrape: source %s has neither series pages, followed series nor the calendar to read", sc.Source)
		}
	}
	// The real sites' ranks, so a record written by a publisher's site is
	// recognised whatever this run is configured with.
	for _, n := range source.Names() {
		src, _ := source.Lookup(n)
		if u, err := url.Parse(src.Site); err == nil {
			if _, ok := r.hosts[u.Host]; !ok {
				r.hosts[u.Host] = src.Rank
			}
		}
	}
	r.fetch = cfg.Fetcher
	if r.fetch == nil {
		var pages fetch.Pages = cfg.Store
		if cfg.Force {
			pages = nil
		}
		r.fetch = fetch.New(func(f *fetch.Fetcher) { f.Pages = pages; f.Version = ParserVersion })
	} else if cfg.Force {
		r.fetch = withoutMemory(cfg.Fetcher)
	}
	return r, nil
}

// followed asks the store once for the followed series, when a source
// reads them.
func (r *run) followed(ctx context.Context) ([]store.Series, error) {
	for _, sc := range r.cfg.Sources {
		if sc.Followed {
			ss, err := r.cfg.Store.FollowedSeries(ctx)
			if err != nil {
				return nil, fmt.Errorf("scrape: %w", err)
			}
			r.log.DebugContext(ctx, "followed series", "count", len(ss))
			return ss, nil
		}
	}
	return nil, nil
}

// withoutMemory is a new Fetcher with f's settings and no page memory.
func withoutMemory(f *fetch.Fetcher) *fetch.Fetcher {
	return fetch.New(func(n *fetch.Fetcher) {
		n.Client, n.UserAgent, n.Delay, n.MaxCrawlDelay, n.Timeout = f.Client, f.UserAgent, f.Delay, f.MaxCrawlDelay, f.Timeout
		n.MaxBody, n.Retries, n.BackoffBase, n.BackoffMax = f.MaxBody, f.Retries, f.BackoffBase, f.BackoffMax
		n.MaxRetryAfter, n.IgnoreRobots, n.Version = f.MaxRetryAfter, f.IgnoreRobots, f.Version
		n.Clock, n.Jitter, n.Logger = f.Clock, f.Jitter, f.Logger
	})
}

func siteURL(src source.Source, site string) (*url.URL, error) {
	if site == "" {
		site = src.Site
	}
	u, err := url.Parse(site)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("scrape: site %q of %s is not an http(s) URL", site, src.Name)
	}
	return u, nil
}
