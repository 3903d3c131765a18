package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"os"
	"strings"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/manga-alert-italia/mangaalert/backend"
	"github.com/manga-alert-italia/mangaalert/notifier/bounce"
	"github.com/manga-alert-italia/mangaalert/store"
)

var serveCommand = &command{
	name:    "serve",
	summary: "serve the site, the JSON API and the feeds (the long-running ECS service)",
	run:     runServe,
}

// hooksPath is where SNS delivers SES bounce and complaint events.
const hooksPath = "/hooks/ses"

type serveFlags struct {
	settings
	addr       string
	acmeHosts  string
	acmeEmail  string
	acmeCA     string
	sesTopics  string
	eventToken string
	eventARN   string
	eventFile  string
	trusted    string
	contact    string
	stop       time.Duration
	// The forms' mail budgets (0: the backend's default, -1: off).
	mailsPerInbox int
	mailsPerIP    int
	mailsPerHour  int
	telegram      telegramFlags // issue 17 (telegram.go)
}

func (f *serveFlags) register(fs *flag.FlagSet) {
	f.settings.register(fs, true)
	fs.StringVar(&f.addr, "addr", ":8080", "listen on this `address` (plain HTTP; with --acme-hosts, the HTTP port that redirects to https)")
	fs.StringVar(&f.acmeHosts, "acme-hosts", "", "serve HTTPS on :443 with certificates from ACME for these comma-separated `names`")
	fs.StringVar(&f.acmeEmail, "acme-email", "", "the contact `address` the CA writes to about certificates")
	fs.StringVar(&f.acmeCA, "acme-directory", "", "the ACME directory `URL` (default Let's Encrypt)")
	fs.StringVar(&f.sesTopics, "ses-event-topics", "", "accept SES bounce and complaint events from these comma-separated SNS topic `ARNs` at "+hooksPath)
	fs.StringVar(&f.eventToken, "ses-event-secret", "", "accept SES events from EventBridge at "+hooksPath+" bearing this `token` (Authorization: Bearer); from the environment only, never on the command line")
	fs.StringVar(&f.eventARN, "ses-event-secret-arn", "", "the Secrets Manager `secret` (name or ARN), or a Parameter Store parameter's ARN, holding the --ses-event-secret token")
	fs.StringVar(&f.eventFile, "ses-event-secret-file", "", "a `file` holding the --ses-event-secret token")
	fs.StringVar(&f.trusted, "trusted-proxies", "", "believe X-Forwarded-For from these comma-separated `addresses or CIDR prefixes` (the load balancer's subnets): the rate limits and mail budgets then count the client, not the balancer")
	fs.StringVar(&f.contact, "privacy-contact", "", "who is responsible for the readers' data and how to reach them, shown on /privacy as the GDPR asks: `name, address` (\"Mario Rossi, privacy@example.it\")")
	fs.DurationVar(&f.stop, "stop-timeout", defaultStopTimeout, "after SIGTERM, finish the requests in flight and the queued mail within this `duration`; keep it 5 s under the task's stop timeout (ECS: 30 s unless set)")
	fs.IntVar(&f.mailsPerInbox, "mails-per-inbox", backend.DefaultMailsPerAddress, "the forms send one inbox at most this many mails in 24 hours (+tags and Gmail's dots count as one inbox; -1: no limit)")
	fs.IntVar(&f.mailsPerIP, "mails-per-ip", backend.DefaultMailsPerIP, "the forms send at most this many mails an hour because of one client address (an IPv6 /64; -1: no limit)")
	fs.IntVar(&f.mailsPerHour, "mails-per-hour", backend.DefaultMailsPerHour, "the forms send at most this many mails an hour in all (-1: no limit)")
	f.telegram.register(fs)
}

func runServe(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlags("serve", "Usage: mangaalert serve [flags]",
		"Serves the readers' site, /api/v1 and the feeds until SIGTERM, then finishes the requests in flight.", stderr)
	var f serveFlags
	f.register(fs)
	if code := parseFlags(fs, args, stdout); code >= 0 {
		return code
	}
	log, err := f.logger(stderr)
	if err != nil {
		fmt.Fprintf(stderr, "serve: %v\n", err)
		return exitUsage
	}
	if err := serve(ctx, &f, log, nil); err != nil {
		log.Error("serve failed", "err", err)
		fmt.Fprintf(stderr, "serve: %v\n", err)
		return exitFor(err)
	}
	return exitOK
}

// serve runs the backend until ctx ends. ready, when not nil, receives the
// listening address once the site answers.
func serve(ctx context.Context, f *serveFlags, log *slog.Logger, ready func(addr string)) error {
	if err := f.checkMail(); err != nil {
		return err
	}
	if f.stop <= 0 {
		return usagef("--stop-timeout %s: give a positive duration such as 25s, 5 s under the task's stop timeout", f.stop)
	}
	trusted, err := parsePrefixes(f.trusted)
	if err != nil {
		return err
	}
	st, err := f.openStore(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	sender, err := f.openSender(ctx)
	if err != nil {
		return err
	}
	keys, err := f.keys(ctx)
	if err != nil {
		return err
	}
	clock, err := f.clock()
	if err != nil {
		return err
	}
	if err := f.eventSecret(ctx); err != nil {
		return err
	}
	bot, botSecret, err := f.telegram.client(ctx, &f.settings)
	if err != nil {
		return err
	}
	b, err := backend.New(backend.Config{
		Now:     clock.Now,
		Store:   st,
		Keys:    keys,
		Mailer:  accountMailer(sender, f.accountFrom, time.Now),
		BaseURL: f.baseURL,
		Logger:  log,
		Hooks:   f.hooks(st, log),
		// Behind a load balancer every connection comes from it: without
		// these, all its clients would share one address's limits.
		TrustedProxies: trusted,
		PrivacyContact: f.contact,
		// Kept in the store: every replica and restart shares them.
		MailsPerAddress: f.mailsPerInbox,
		MailsPerIP:      f.mailsPerIP,
		MailsPerHour:    f.mailsPerHour,
		// Telegram (issue 17): nil without --telegram-bot.
		Telegram: f.telegram.backendConfig(bot, botSecret),
	})
	if err != nil {
		return &usageError{err.Error()}
	}
	var h http.Handler = b

	ln, err := net.Listen("tcp", f.addr)
	if err != nil {
		return usagef("--addr %s: %v", f.addr, err)
	}
	log.Info("serving", "addr", ln.Addr().String(), "base_url", f.baseURL, "store", f.store)
	if ready != nil {
		ready(ln.Addr().String())
	}
	g, gctx := errgroup.WithContext(ctx)
	if bot != nil {
		go registerWebhook(gctx, bot, f.baseURL, botSecret, log)
	}
	if f.acmeHosts == "" {
		g.Go(func() error { return backend.Serve(gctx, ln, h, backend.WithLogger(log)) })
	} else {
		m, err := backend.NewACME(backend.ACMEConfig{
			Hosts:        splitList(f.acmeHosts),
			Email:        f.acmeEmail,
			Cache:        backend.BlobCache{Blobs: st},
			DirectoryURL: f.acmeCA,
		})
		if err != nil {
			ln.Close()
			return &usageError{err.Error()}
		}
		tln, err := net.Listen("tcp", ":443")
		if err != nil {
			ln.Close()
			return fmt.Errorf("listen :443 for HTTPS: %w", err)
		}
		g.Go(func() error { return backend.Serve(gctx, ln, backend.HTTPRedirect(m, h), backend.WithLogger(log)) })
		g.Go(func() error {
			return backend.Serve(gctx, tln, h, backend.WithLogger(log), backend.WithTLS(m.TLSConfig()))
		})
	}
	stopped := make(chan time.Time, 1)
	context.AfterFunc(ctx, func() { stopped <- time.Now() })
	err = g.Wait()
	// The sign-ups answered and still queued are worked off and their
	// mail sent before the process ends, within what is left of the stop
	// timeout: a full queue takes seconds, and a job cut short is a
	// reader who was told to expect a mail.
	deadline := time.Now().Add(5 * time.Second)
	select {
	case at := <-stopped:
		deadline = at.Add(f.stop)
	default:
	}
	sctx, cancel := context.WithDeadline(context.WithoutCancel(ctx), deadline)
	defer cancel()
	return errors.Join(err, b.Shutdown(sctx))
}

// defaultStopTimeout is how long serve takes to stop after SIGTERM, at
// most: the requests in flight, then the queued mail jobs. ECS kills the
// task 30 s (its default stop timeout) after SIGTERM; 5 s are left to spare.
const defaultStopTimeout = 25 * time.Second

// hooks is the SES event endpoint when configured: the backend serves it
// inside its middleware (access log, security headers, rate limit).
func (f *serveFlags) hooks(st store.Store, log *slog.Logger) map[string]http.Handler {
	if f.sesTopics == "" && f.eventToken == "" {
		return nil
	}
	h := bounce.New(st, func(h *bounce.Handler) {
		h.Certs = &bounce.HTTPCertSource{}
		h.Topics = splitList(f.sesTopics)
		h.Confirm = len(h.Topics) > 0 // only named topics are ever confirmed
		h.EventSecret = f.eventToken
	})
	log.Info("accepting SES events", "path", hooksPath, "topics", f.sesTopics)
	return map[string]http.Handler{hooksPath: h}
}

// eventSecret fills the SES event token from the Secrets Manager secret or
// the file named, when one is; the environment's value is already there.
func (f *serveFlags) eventSecret(ctx context.Context) error {
	switch {
	case f.eventARN != "" && f.eventFile != "":
		return usagef("give --ses-event-secret-arn or --ses-event-secret-file, not both")
	case f.eventARN != "":
		r, err := f.secretReader(ctx)
		if err != nil {
			return err
		}
		v, err := r.Get(ctx, f.eventARN)
		if err != nil {
			return fmt.Errorf("--ses-event-secret-arn: %w", err)
		}
		f.eventToken = v.Reveal()
	case f.eventFile != "":
		b, err := os.ReadFile(f.eventFile)
		if err != nil {
			return usagef("--ses-event-secret-file: %v", err)
		}
		f.eventToken = strings.TrimSpace(string(b))
		if f.eventToken == "" {
			return usagef("--ses-event-secret-file %s is empty", f.eventFile)
		}
	}
	return nil
}

// parsePrefixes reads --trusted-proxies: CIDR prefixes, or bare
// addresses (one address each).
func parsePrefixes(s string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, p := range splitList(s) {
		if pr, err := netip.ParsePrefix(p); err == nil {
			out = append(out, pr.Masked())
			continue
		}
		a, err := netip.ParseAddr(p)
		if err != nil {
			return nil, usagef("--trusted-proxies: %q is neither an address nor a CIDR prefix such as 10.0.0.0/16", p)
		}
		out = append(out, netip.PrefixFrom(a, a.BitLen()))
	}
	return out, nil
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}
