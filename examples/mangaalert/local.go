package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/manga-alert-italia/mangaalert/backend"
	"github.com/manga-alert-italia/mangaalert/notifier"
	"github.com/manga-alert-italia/mangaalert/notifier/outbox"
	"github.com/manga-alert-italia/mangaalert/scraper"
	"github.com/manga-alert-italia/mangaalert/scraper/fetch"
	"github.com/manga-alert-italia/mangaalert/scraper/sample"
	"github.com/manga-alert-italia/mangaalert/scraper/source"
	"github.com/manga-alert-italia/mangaalert/store"
	"github.com/manga-alert-italia/mangaalert/store/bolt"
)

var localCommand = &command{
	name:    "local",
	summary: "run the whole service on this machine: the site, scrape and notify on a timer, mail into a folder (no AWS)",
	run:     runLocal,
}

type localFlags struct {
	addr      string
	data      string
	every     time.Duration
	live      bool
	logLevel  string
	logFormat string
}

func runLocal(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlags("local", "Usage: mangaalert local [flags]", fmt.Sprintf(
		"Runs Manga Alert Italia on this machine with no AWS account: the site on --addr,\n"+
			"the embedded store, and a scrape followed by a notify run at once and then every\n"+
			"--every; mail goes into DIR/outbox as .eml files. Without --live it scrapes the\n"+
			"sample publisher pages built into the binary, served on loopback, and lives on\n"+
			"the day they describe (%s) so that their releases are still to come.", sample.Captured.Format(time.DateOnly)), stderr)
	var f localFlags
	fs.StringVar(&f.addr, "addr", "127.0.0.1:8080", "serve the site on this `address`")
	fs.StringVar(&f.data, "data", "mangaalert-local", "keep the store, the signing key and the outbox in this `directory`")
	fs.DurationVar(&f.every, "every", 6*time.Hour, "scrape then notify this `often` (1m for a demo)")
	fs.BoolVar(&f.live, "live", false, "scrape the publishers' real sites, on today's date (default: the sample pages, on their day)")
	fs.StringVar(&f.logLevel, "log-level", "warn", "log level: debug, info, warn or error")
	fs.StringVar(&f.logFormat, "log-format", "text", "log format: text or json")
	if code := parseFlags(fs, args, stdout); code >= 0 {
		return code
	}
	if f.every < time.Minute {
		fmt.Fprintf(stderr, "local: --every %s: at least 1m\n", f.every)
		return exitUsage
	}
	log, err := (&settings{logLevel: f.logLevel, logFormat: f.logFormat}).logger(stderr)
	if err != nil {
		fmt.Fprintf(stderr, "local: %v\n", err)
		return exitUsage
	}
	if err := local(ctx, &f, stdout, log); err != nil {
		fmt.Fprintf(stderr, "local: %v\n", err)
		return exitFor(err)
	}
	return exitOK
}

// demoClock lives on another day than the wall clock (offset from it),
// moving at its pace: the sample pages' calendars start on sample.Captured.
// The zero demoClock is the wall clock.
type demoClock struct{ offset time.Duration }

func (c demoClock) Now() time.Time { return time.Now().Add(c.offset) }

func (c demoClock) SleepUntil(ctx context.Context, t time.Time) error {
	return notifier.RealClock{}.SleepUntil(ctx, t.Add(-c.offset))
}

// localSite is the laptop service's fixed configuration.
const (
	localFrom        = "Manga Alert Italia <avvisi@mangaalert.localhost>"
	localAccountFrom = "Manga Alert Italia <account@mangaalert.localhost>"
	localUnsubscribe = "unsubscribe@mangaalert.localhost"
)

func local(ctx context.Context, f *localFlags, out io.Writer, log *slog.Logger) error {
	start := time.Now()
	clock := demoClock{}
	if !f.live {
		clock.offset = sample.Captured.Sub(start)
	}
	if err := os.MkdirAll(f.data, 0o750); err != nil {
		return fmt.Errorf("data directory: %w", err)
	}
	st, err := bolt.Open(filepath.Join(f.data, "mangaalert.db"), func(o *bolt.Options) { o.Now = clock.Now })
	if err != nil {
		return fmt.Errorf("store in %s: %w (is another mangaalert local running?)", f.data, err)
	}
	defer st.Close()
	key, err := keyFile(filepath.Join(f.data, "signing.key"))
	if err != nil {
		return err
	}
	keys := backend.StaticKeys{Current: key}
	mailDir := filepath.Join(f.data, "outbox")
	box, err := outbox.New(mailDir)
	if err != nil {
		return err
	}

	ln, err := net.Listen("tcp", f.addr)
	if err != nil {
		return usagef("--addr %s: %v (another program listens there? pick another with --addr)", f.addr, err)
	}
	baseURL := "http://" + ln.Addr().String()
	b, err := backend.New(backend.Config{
		Store: st, Keys: keys, BaseURL: baseURL, Now: clock.Now, Logger: log,
		Mailer: accountMailer(box, localAccountFrom, clock.Now),
	})
	if err != nil {
		ln.Close()
		return err
	}
	served := make(chan error, 1)
	go func() { served <- backend.Serve(ctx, ln, b, backend.WithLogger(log)) }()

	sites, stopSites, err := localSites(f.live)
	if err != nil {
		return err
	}
	defer stopSites()

	day := "today"
	if !f.live {
		day = "the sample pages' day, " + notifier.FormatDate(store.DateOf(clock.Now()))
	}
	fmt.Fprintf(out, "Manga Alert Italia is running at %s (ready in %d ms)\n", baseURL, time.Since(start).Milliseconds())
	fmt.Fprintf(out, "  store and key: %s\n  mail:          %s (one .eml per message)\n  date:          %s\n",
		f.data, mailDir, day)
	fmt.Fprintf(out, "Scraping then notifying now and every %s. Ctrl-C stops.\n", f.every)

	links, err := backend.NewLinks(ctx, baseURL, keys, backend.WithClock(clock.Now))
	if err != nil {
		return err
	}
	n := notifier.New(st, box, links, func(n *notifier.Notifier) {
		n.From, n.AccountFrom, n.UnsubscribeMailto = localFrom, localAccountFrom, localUnsubscribe
		n.Rate, n.Burst = 50, 10 // a folder, not a mail provider
		n.Clock, n.Logger = clock, log
	})
	cycle := func() {
		cfg, err := localScrape(ctx, st, sites, clock, log)
		if err == nil {
			var rep scraper.Report
			rep, err = scraper.Run(ctx, cfg)
			rep.Log(ctx, log)
			t := rep.Totals()
			fmt.Fprintf(out, "%s scrape: %d pages, %d new volumes, %d changed, %d errors\n",
				time.Now().Format(time.TimeOnly), t.Pages, t.New, t.Changed, len(t.Errors))
			b.Invalidate()
		}
		if err != nil && ctx.Err() == nil {
			fmt.Fprintf(out, "scrape failed: %v\n", err)
		}
		rep, err := n.Run(ctx)
		if rep != nil {
			fmt.Fprintf(out, "%s notify: %d emails to %s\n", time.Now().Format(time.TimeOnly), rep.Emails.Sent, mailDir)
		}
		if err != nil && ctx.Err() == nil {
			fmt.Fprintf(out, "notify failed: %v\n", err)
		}
	}
	cycle()
	tick := time.NewTicker(f.every)
	defer tick.Stop()
	for {
		select {
		case <-tick.C:
			cycle()
		case err := <-served:
			sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
			defer cancel()
			return errors.Join(err, b.Shutdown(sctx))
		}
	}
}

// localSites starts loopback stand-ins for the publishers' sites, serving
// the sample pages, and returns the transport that takes requests for the
// real sites there (nil with live: the real sites are read). The scraper
// keeps the real URLs, so what it stores links to the publishers and does
// not change from one start to the next.
func localSites(live bool) (http.RoundTripper, func(), error) {
	if live {
		return nil, func() {}, nil
	}
	var servers []*http.Server
	stop := func() {
		for _, s := range servers {
			_ = s.Close()
		}
	}
	rt := hostRouter{to: map[string]string{}}
	for _, s := range sample.Sites() {
		src, _ := source.Lookup(s.Source)
		u, err := url.Parse(src.Site)
		if err != nil {
			stop()
			return nil, nil, err
		}
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			stop()
			return nil, nil, fmt.Errorf("serve the saved %s pages: %w", s.Source, err)
		}
		srv := &http.Server{Handler: s, ReadHeaderTimeout: 5 * time.Second}
		servers = append(servers, srv)
		go func() { _ = srv.Serve(ln) }()
		rt.to[u.Host] = ln.Addr().String()
	}
	return rt, stop, nil
}

// hostRouter sends requests for some hosts to loopback servers instead,
// over plain HTTP; the answer still names the original request.
type hostRouter struct{ to map[string]string }

func (h hostRouter) RoundTrip(r *http.Request) (*http.Response, error) {
	addr, ok := h.to[r.URL.Host]
	if !ok {
		return nil, fmt.Errorf("local mode reads only the sample pages, not %s (use --live)", r.URL.Host)
	}
	local := r.Clone(r.Context())
	local.URL.Scheme, local.URL.Host = "http", addr
	resp, err := http.DefaultTransport.RoundTrip(local)
	if resp != nil {
		resp.Request = r
	}
	return resp, err
}

// localScrape is one run's configuration: the sample pages (no politeness
// needed on our own server), or with live the real sites, read as the
// scrape command reads them by default.
func localScrape(ctx context.Context, st store.Store, sites http.RoundTripper, clock demoClock, log *slog.Logger) (scraper.Config, error) {
	if sites == nil {
		live := scrapeFlags{sources: strings.Join(source.Names(), ","), delay: defaultDelay, weeks: defaultWeeks}
		return live.config(ctx, st, log)
	}
	cfg := scraper.Config{Store: st, Now: clock.Now, Logger: log}
	for _, s := range sample.Sites() {
		cfg.Sources = append(cfg.Sources, scraper.SourceConfig{Source: s.Source, Series: s.Series, Calendar: true, Weeks: s.Weeks})
	}
	cfg.Fetcher = fetch.New(func(x *fetch.Fetcher) {
		x.Client = &http.Client{Transport: sites, Timeout: 30 * time.Second}
		x.Pages, x.Delay, x.Version, x.Logger = st, -1, scraper.ParserVersion, log
	})
	return cfg, nil
}
