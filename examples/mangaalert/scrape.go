package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/manga-alert-italia/mangaalert/scraper"
	"github.com/manga-alert-italia/mangaalert/scraper/source"
	"github.com/manga-alert-italia/mangaalert/store"
)

var scrapeCommand = &command{
	name:    "scrape",
	summary: "read publisher pages: a saved page (--file), or every followed series into the store",
	run:     runScrape,
}

// exitBlocked is the status of a page that is a waiting room or an
// anti-bot challenge rather than the publisher's page.
const exitBlocked = 3

// maxFile bounds a page read from disk: publisher pages are a few hundred
// kilobytes.
const maxFile = 32 << 20

func runScrape(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlags("scrape", "Usage: mangaalert scrape [flags]\n       mangaalert scrape --file PAGE --source NAME [--json] [--base URL]",
		"Reads the publishers' release calendars and every followed series' page into\n"+
			"the store (a scheduled ECS task). With --file, parses one saved page instead and\n"+
			"prints the volumes it lists, touching no store.", stderr)
	var f scrapeFlags
	f.register(fs)
	if code := parseFlags(fs, args, stdout); code >= 0 {
		return code
	}
	if f.file != "" {
		return scrapeFile(f.file, f.source, f.base, f.json, stdout, stderr)
	}
	log, err := f.logger(stderr)
	if err == nil {
		_, _, _, err = f.check()
	}
	if err != nil {
		fmt.Fprintf(stderr, "scrape: %v\n", err)
		return exitUsage
	}
	st, err := f.openStore(ctx)
	if err == nil {
		defer st.Close()
		var cfg scraper.Config
		if cfg, err = f.config(ctx, st, log); err == nil {
			return scrapeIntoStore(ctx, cfg, log)
		}
	}
	fmt.Fprintf(stderr, "scrape: %v\n", err)
	return exitFor(err)
}

// scrapeFile parses one saved page and prints its volumes.
func scrapeFile(file, name, base string, asJSON bool, stdout, stderr io.Writer) int {
	if name == "" {
		fmt.Fprintf(stderr, "scrape: --source is required with --file: one of %s\n", strings.Join(source.Names(), ", "))
		return exitUsage
	}
	src, ok := source.Lookup(name)
	if !ok {
		fmt.Fprintf(stderr, "scrape: unknown source %q: want one of %s\n", name, strings.Join(source.Names(), ", "))
		return exitUsage
	}
	if base == "" {
		base = src.Site
	}
	baseURL, err := url.Parse(base)
	if err != nil || (baseURL.Scheme != "http" && baseURL.Scheme != "https") || baseURL.Host == "" {
		fmt.Fprintf(stderr, "scrape: --base %q is not an http(s) URL such as %s/titoli-fumetti/solo-leveling\n", base, source.StarComics.Site)
		return exitUsage
	}
	page, err := readPage(file)
	if err != nil {
		fmt.Fprintf(stderr, "scrape: %v\n", err)
		return exitUsage
	}
	if kind := source.Blocker(0, nil, page); kind != "" {
		fmt.Fprintf(stderr, "scrape: %s is a %s waiting room or anti-bot challenge, not a %s page: "+
			"the site kept the scraper out; save the page again from a browser once it lets you through\n", file, kind, src.Name)
		return exitBlocked
	}
	items, err := src.Parse(strings.NewReader(string(page)), baseURL)
	switch {
	case errors.Is(err, source.ErrChallenge):
		fmt.Fprintf(stderr, "scrape: %s is an anti-bot challenge, not a %s page (%v): save the page again from a browser\n", file, src.Name, err)
		return exitBlocked
	case errors.Is(err, source.ErrUnrecognized):
		fmt.Fprintf(stderr, "scrape: %s is not a %s page the scraper reads (%v); check --source\n", file, src.Name, err)
		return exitUsage
	case err != nil:
		fmt.Fprintf(stderr, "scrape: %s: %v\n", file, err)
		return exitUsage
	case len(items) == 0:
		fmt.Fprintf(stderr, "scrape: %s is a %s page, but it lists no volume\n", file, src.Name)
		return exitFail
	}
	if asJSON {
		return printJSON(items, stdout, stderr)
	}
	return printTable(items, stdout, stderr)
}

func readPage(file string) ([]byte, error) {
	var r io.Reader
	if file == "-" {
		r = os.Stdin
	} else {
		f, err := os.Open(file)
		if err != nil {
			return nil, fmt.Errorf("cannot read the page: %w", err)
		}
		defer f.Close()
		if st, err := f.Stat(); err == nil && st.IsDir() {
			return nil, fmt.Errorf("%s is a directory, not a saved page", file)
		}
		r = f
	}
	b, err := io.ReadAll(io.LimitReader(r, maxFile+1))
	if err != nil {
		return nil, fmt.Errorf("cannot read the page %s: %w", file, err)
	}
	if len(b) > maxFile {
		return nil, fmt.Errorf("%s is larger than %d MiB: not a publisher page", file, maxFile>>20)
	}
	if len(b) == 0 {
		return nil, fmt.Errorf("%s is empty", file)
	}
	return b, nil
}

// volumeJSON is one line of --json: exactly these keys, in this order.
type volumeJSON struct {
	Series      string     `json:"series"`
	Number      int        `json:"number"`
	Edition     string     `json:"edition"`
	Title       string     `json:"title"`
	ReleaseDate store.Date `json:"release_date"` // "YYYY-MM-DD" or null
	PriceCents  int        `json:"price_cents"`
	Publisher   string     `json:"publisher"`
	URL         string     `json:"url"`
	SKU         string     `json:"sku"`
}

func printJSON(items []source.Item, stdout, stderr io.Writer) int {
	enc := json.NewEncoder(stdout)
	enc.SetEscapeHTML(false)
	for _, it := range items {
		err := enc.Encode(volumeJSON{
			Series: it.Series, Number: it.Number, Edition: string(it.Edition), Title: it.Title,
			ReleaseDate: it.ReleaseDate, PriceCents: it.PriceCents, Publisher: it.Publisher, URL: it.URL, SKU: it.SKU,
		})
		if err != nil {
			fmt.Fprintf(stderr, "scrape: write: %v\n", err)
			return exitFail
		}
	}
	return exitOK
}

func printTable(items []source.Item, stdout, stderr io.Writer) int {
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "SERIES\tN.\tEDITION\tRELEASE\tPRICE\tTITLE\tSKU")
	for _, it := range items {
		date, price := it.ReleaseDate.String(), ""
		if date == "" {
			date = "-"
		}
		if it.PriceCents > 0 {
			price = fmt.Sprintf("%d,%02d €", it.PriceCents/100, it.PriceCents%100)
		}
		fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%s\t%s\t%s\n", it.Series, it.Number, it.Edition, date, price, it.Title, it.SKU)
	}
	if err := tw.Flush(); err != nil {
		fmt.Fprintf(stderr, "scrape: write: %v\n", err)
		return exitFail
	}
	return exitOK
}

// scrapeIntoStore runs the whole scrape and logs a line per source; the
// status is a failure when nothing succeeded or a source is blocked or
// broken (Report.Problems). The configuration
// (store, followed series, sources) is wired by the caller.
func scrapeIntoStore(ctx context.Context, cfg scraper.Config, log *slog.Logger) int {
	rep, err := scraper.Run(ctx, cfg)
	rep.Log(ctx, log)
	// A blocked or broken source fails the run, so the schedule's failure
	// handling sees it, even though the other sources were stored.
	problems := rep.Problems()
	for _, p := range problems {
		log.ErrorContext(ctx, "scrape unhealthy", "problem", p)
	}
	if err != nil {
		log.ErrorContext(ctx, "scrape failed", "error", err)
		recordRun(ctx, cfg.Store, "scrape", scrapeRun(rep, err, problems), log)
		return exitFail
	}
	t := rep.Totals()
	recordRun(ctx, cfg.Store, "scrape", scrapeRun(rep, nil, problems), log)
	log.InfoContext(ctx, "scrape done", "pages", t.Pages, "volumes_new", t.New, "volumes_changed", t.Changed,
		"errors", len(t.Errors), "interrupted", t.Interrupted)
	if len(problems) > 0 {
		return exitFail
	}
	return exitOK
}
