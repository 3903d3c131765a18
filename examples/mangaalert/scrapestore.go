package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/manga-alert-italia/mangaalert/scraper"
	"github.com/manga-alert-italia/mangaalert/scraper/fetch"
	"github.com/manga-alert-italia/mangaalert/scraper/source"
	"github.com/manga-alert-italia/mangaalert/store"
)

// The defaults of a scrape of the real sites: polite, and two months ahead.
const (
	defaultDelay = time.Second
	defaultWeeks = 8
)

// scrapeFlags are the flags of scrape: a saved page (--file), or the
// whole scrape into the store.
type scrapeFlags struct {
	settings
	file, source, base string
	json               bool

	sources string
	sites   string
	series  string
	delay   time.Duration
	weeks   int
	force   bool
}

func (f *scrapeFlags) register(fs *flag.FlagSet) {
	f.settings.register(fs, false)
	fs.StringVar(&f.file, "file", "", "parse this saved `PAGE` (\"-\" for standard input) instead of fetching")
	fs.StringVar(&f.source, "source", "", "with --file, the page's source: "+strings.Join(source.Names(), ", "))
	fs.BoolVar(&f.json, "json", false, "with --file, print one JSON object per volume, one per line")
	fs.StringVar(&f.base, "base", "", "with --file, the page's `URL`, to resolve its relative links (default: the source's site)")
	fs.StringVar(&f.sources, "sources", strings.Join(source.Names(), ","), "the comma-separated `sources` to read: their calendars, and the followed series they publish")
	fs.StringVar(&f.sites, "sites", "", "read sources from other addresses: comma-separated `NAME=URL` (a mirror, or a local copy of the pages)")
	fs.StringVar(&f.series, "series", "", "comma-separated series page `URLs` to read besides the followed ones (on a source's site)")
	fs.DurationVar(&f.delay, "delay", defaultDelay, "the least `time` between two requests to one site (robots.txt may ask for more)")
	fs.IntVar(&f.weeks, "weeks", defaultWeeks, "how many `weeks` after this one the calendars cover")
	fs.BoolVar(&f.force, "force", false, "read every page in full, ignoring what earlier runs remember of them")
}

// check refuses bad flags before anything is opened, and works out the
// sites to read.
func (f *scrapeFlags) check() (names []string, sites map[string]string, clock demoClock, err error) {
	if f.delay <= 0 {
		return nil, nil, clock, usagef("--delay %s: be polite to the publishers; at least 1ms", f.delay)
	}
	if f.weeks < 1 || f.weeks > 26 {
		return nil, nil, clock, usagef("--weeks %d: want 1 to 26", f.weeks)
	}
	sites = map[string]string{}
	for _, n := range splitList(f.sources) {
		src, ok := source.Lookup(n)
		if !ok {
			return nil, nil, clock, usagef("--sources: unknown source %q: want some of %s", n, strings.Join(source.Names(), ", "))
		}
		names = append(names, n)
		sites[n] = src.Site
	}
	if len(names) == 0 {
		return nil, nil, clock, usagef("--sources is empty: name at least one of %s", strings.Join(source.Names(), ", "))
	}
	for _, kv := range splitList(f.sites) {
		n, site, _ := strings.Cut(kv, "=")
		u, err := url.Parse(site)
		if _, known := sites[n]; !known || err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, nil, clock, usagef("--sites %q: want NAME=URL with NAME one of --sources (%s) and an http(s) URL", kv, strings.Join(names, ", "))
		}
		sites[n] = strings.TrimRight(site, "/")
	}
	for _, e := range splitList(f.series) {
		if u, err := url.Parse(e); err != nil || u.Host == "" {
			return nil, nil, clock, usagef("--series %q: want an absolute URL such as %s/titoli-fumetti/solo-leveling", e, source.StarComics.Site)
		}
	}
	clock, err = f.clock()
	return names, sites, clock, err
}

// config is the run: every chosen source's calendar, the page of every
// series someone follows, and --series.
func (f *scrapeFlags) config(ctx context.Context, st store.Store, log *slog.Logger) (scraper.Config, error) {
	names, sites, clock, err := f.check()
	if err != nil {
		return scraper.Config{}, err
	}
	srcs, err := sourceConfigs(names, sites, splitList(f.series), f.weeks)
	if err != nil {
		return scraper.Config{}, err
	}
	return scraper.Config{
		Store:   st,
		Sources: srcs,
		Force:   f.force,
		Fetcher: fetch.New(func(x *fetch.Fetcher) {
			x.Pages = st
			x.Delay = f.delay
			x.Version = scraper.ParserVersion
			x.Logger = log
		}),
		Now:    clock.Now,
		Logger: log,
	}, nil
}

// sourceConfigs lists what to read of each source on its site: its
// calendar, the followed series it publishes (the scraper's choice), and
// the extra series pages whose host is the site's.
func sourceConfigs(names []string, sites map[string]string, extra []string, weeks int) ([]scraper.SourceConfig, error) {
	var out []scraper.SourceConfig
	for _, n := range names {
		site, err := url.Parse(sites[n])
		if err != nil {
			return nil, fmt.Errorf("site of %s: %w", n, err)
		}
		sc := scraper.SourceConfig{Source: n, Site: sites[n], Calendar: true, Followed: true, Weeks: weeks}
		for _, e := range extra {
			if u, err := url.Parse(e); err == nil && u.Host == site.Host {
				sc.Series = append(sc.Series, e)
			}
		}
		slices.Sort(sc.Series)
		sc.Series = slices.Compact(sc.Series)
		out = append(out, sc)
	}
	return out, nil
}
