package notifier

import (
	"context"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/manga-alert-italia/mangaalert/store"
	"github.com/manga-alert-italia/mangaalert/telegram"
)

// A Telegram message given back (Telegram asked the bot to wait longer
// than the client waits) leaves its Telegram claims released. When the
// alert itself was settled meanwhile, by the e-mail of a reader on both
// channels, no plan makes it due again: the next run finds those claims
// among the stale ones (staleClaims) and sends them here, one message a
// reader, before planning.

// isBacklog says whether a, a released claim, is a Telegram delivery
// whose alert is settled already: the plan would never take it over.
func (c *Notifier) isBacklog(ctx context.Context, a store.Alert) bool {
	base, ok := a.Kind.Delivered()
	if !ok {
		return false
	}
	k := a.AlertKey
	k.Kind = base
	al, err := c.store.Alert(ctx, k)
	return err == nil && al.State != store.Claimed
}

// telegramBacklog sends the released Telegram deliveries of settled
// alerts, a reader at a time. A reader gone, or no longer on Telegram,
// has them closed as Failed; Telegram asking to wait again leaves the
// rest for the next run.
func (c *Notifier) telegramBacklog(ctx context.Context, runID string, backlog []store.Alert, now time.Time, rep *Report) {
	if c.Telegram == nil {
		return // left released until a run that has a bot
	}
	slices.SortFunc(backlog, func(a, b store.Alert) int { return strings.Compare(a.String(), b.String()) })
	today := store.DateOf(now)
	for len(backlog) > 0 {
		if ctx.Err() != nil {
			return
		}
		n := 1
		for n < len(backlog) && backlog[n].SubscriberID == backlog[0].SubscriberID {
			n++
		}
		mine := backlog[:n]
		backlog = backlog[n:]
		if c.telegramBacklogOf(ctx, runID, mine, today, now, rep) {
			return
		}
	}
}

// telegramBacklogOf sends one reader's backlog; stop: Telegram asked to
// wait.
func (c *Notifier) telegramBacklogOf(ctx context.Context, runID string, mine []store.Alert, today store.Date, now time.Time, rep *Report) (stop bool) {
	closeAll := func(reason string) {
		for _, a := range mine {
			err := c.store.ResolveAlert(ctx, a.AlertKey, a.RunID, store.Failed, "", reason, now)
			if err != nil && !errors.Is(err, store.ErrConflict) && !errors.Is(err, store.ErrNotFound) {
				c.Logger.Warn("telegram backlog: a delivery could not be closed; the next run tries again", "alert", a.String(), "err", err)
			}
			rep.add(a.Kind, func(k *KindCount) { k.Expired++ })
		}
	}
	sub, err := c.store.Subscriber(ctx, mine[0].SubscriberID)
	if errors.Is(err, store.ErrNotFound) {
		closeAll("not sent on Telegram: the reader is gone")
		return false
	}
	if err != nil {
		c.Logger.Warn("telegram backlog: the reader could not be read; their messages wait for the next run", "subscriber", mine[0].SubscriberID, "err", err)
		return false
	}
	if _, tg := c.channels(sub); !tg || !sub.Mailable() {
		closeAll("not sent on Telegram: the reader no longer gets alerts there")
		return false
	}
	var keys []store.AlertKey
	var shown []Entry
	for _, a := range mine {
		v, err := c.store.Volume(ctx, a.VolumeID)
		if err == nil {
			// Taken over conditionally on the ClaimedAt read, as the
			// plan takes released claims: one run sends it.
			err = c.store.ReclaimAlert(ctx, a.AlertKey, runID, a.ClaimedAt.Add(time.Microsecond), now)
		}
		if errors.Is(err, store.ErrConflict) {
			continue // another run took it
		}
		if err != nil { // stillDue decides again next time
			c.Logger.Warn("telegram backlog: a delivery waits for the next run", "alert", a.String(), "err", err)
			continue
		}
		keys = append(keys, a.AlertKey)
		kind, _ := a.Kind.Delivered()
		shown = append(shown, NewEntry(kind.Base(), v, today, c.links))
	}
	if len(keys) == 0 {
		return false
	}
	out := c.sendTelegram(ctx, runID, sub, shown, keys, rep)
	switch {
	case errors.Is(out.err, telegram.ErrRateLimited):
		c.Logger.Warn("telegram asked to wait again: its backlog waits for the next run", "subscriber", sub.ID, "err", out.err)
		return true
	case out.err != nil: // recorded as uncertain, in the report too
		c.Logger.Warn("telegram backlog: send failed", "subscriber", sub.ID, "err", out.err)
	}
	return false
}
