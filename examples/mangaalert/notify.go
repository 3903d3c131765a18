package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	"github.com/manga-alert-italia/mangaalert/backend"
	"github.com/manga-alert-italia/mangaalert/notifier"
)

var notifyCommand = &command{
	name:    "notify",
	summary: "mail every reader the announcements and reminders due now, once (a scheduled ECS task)",
	run:     runNotify,
}

type notifyFlags struct {
	settings
	rate        float64
	atLeastOnce bool
	telegram    telegramFlags // issue 17 (telegram.go)
}

func (f *notifyFlags) register(fs *flag.FlagSet) {
	f.settings.register(fs, true)
	fs.Float64Var(&f.rate, "rate", notifier.DefaultRate, "messages a `second` at most (SES lowers it to the account's quota)")
	fs.BoolVar(&f.atLeastOnce, "at-least-once", false, "resend alerts a dead run claimed and may not have sent (default: mark them uncertain, never resend)")
	f.telegram.register(fs)
}

func runNotify(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlags("notify", "Usage: mangaalert notify [flags]",
		"Sends what is due once and exits; a second run sends nothing twice. SIGTERM finishes the message in flight.", stderr)
	var f notifyFlags
	f.register(fs)
	if code := parseFlags(fs, args, stdout); code >= 0 {
		return code
	}
	log, err := f.logger(stderr)
	if err != nil {
		fmt.Fprintf(stderr, "notify: %v\n", err)
		return exitUsage
	}
	rep, err := notify(ctx, &f, log)
	code := exitOK
	if rep != nil {
		code = reportRun(stdout, stderr, rep.Summary())
	}
	if err != nil {
		fmt.Fprintf(stderr, "notify: %v\n", err)
		return exitFor(err)
	}
	return code
}

// listedReaders is how many reader ids the failure message names; the
// log record of the run names them all.
const listedReaders = 10

// reportRun prints the run's summary line and, when any alert failed, is
// uncertain or unresolved, which readers and what to do; it returns the
// exit status: a run that leaves anything for an operator is a failure.
func reportRun(stdout, stderr io.Writer, s notifier.Summary) int {
	fmt.Fprintf(stdout, "notify: %s\n", s)
	if s.Clean() {
		return exitOK
	}
	if n := len(s.FailedReaders); n > 0 {
		fmt.Fprintf(stderr, "notify: %d alerts failed for %d readers (%s): the provider refused their mail for good; check their addresses and the provider's bounce log, they will not be resent\n",
			s.Alerts.Failed, n, someReaders(s.FailedReaders))
	}
	if n := len(s.UncertainReaders); n > 0 {
		fmt.Fprintf(stderr, "notify: %d alerts uncertain for %d readers (%s): the mail may or may not have gone out and will not be resent; check the provider's sending log for them (the log record \"notifier run\" lists every reader)\n",
			s.Alerts.Uncertain, n, someReaders(s.UncertainReaders))
	}
	if s.Unresolved > 0 {
		fmt.Fprintf(stderr, "notify: %d alerts have no recorded outcome (the store failed): run notify again once the store answers; it settles them by its policy (--at-least-once resends)\n", s.Unresolved)
	}
	return exitFail
}

func someReaders(ids []string) string {
	if len(ids) <= listedReaders {
		return strings.Join(ids, ", ")
	}
	return fmt.Sprintf("%s and %d more", strings.Join(ids[:listedReaders], ", "), len(ids)-listedReaders)
}

// notify runs the notifier once over the configured store and sender.
func notify(ctx context.Context, f *notifyFlags, log *slog.Logger) (rep *notifier.Report, err error) {
	if err := f.checkMail(); err != nil {
		return nil, err
	}
	if f.rate <= 0 {
		return nil, usagef("--rate %g: want a positive number of messages a second", f.rate)
	}
	st, err := f.openStore(ctx)
	if err != nil {
		return nil, err
	}
	defer st.Close()
	started := time.Now()
	defer func() { recordRun(ctx, st, "notify", notifyRun(rep, err, started), log) }()
	sender, err := f.openSender(ctx)
	if err != nil {
		return nil, err
	}
	keys, err := f.keys(ctx)
	if err != nil {
		return nil, err
	}
	clock, err := f.clock()
	if err != nil {
		return nil, err
	}
	links, err := backend.NewLinks(ctx, f.baseURL, keys, backend.WithClock(clock.Now))
	if err != nil {
		return nil, &usageError{err.Error()}
	}
	bot, _, err := f.telegram.client(ctx, &f.settings)
	if err != nil {
		return nil, err
	}
	n := notifier.New(st, sender, links, func(n *notifier.Notifier) {
		if bot != nil {
			n.Telegram = bot
		}
		n.From = f.from
		n.AccountFrom = f.accountFrom
		n.UnsubscribeMailto = f.unsubscribe
		n.Rate = f.rate
		n.Logger = log
		n.Clock = clock
		if f.atLeastOnce {
			n.Policy = notifier.AtLeastOnce
		}
	})
	return n.Run(ctx)
}
