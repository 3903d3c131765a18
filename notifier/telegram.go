package notifier

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/manga-alert-italia/mangaalert/store"
	"github.com/manga-alert-italia/mangaalert/telegram"
)

// Telegram as a second channel (issue 17). A reader's alerts go to the
// channels store.Subscriber.AlertChannels names. The alert's own claim
// (subscriber, volume, kind) still decides what is due, whatever the
// channel; its Telegram delivery has a claim of its own,
// store.TelegramKind(kind), taken before the message goes out and
// resolved after, so a second run, or an e-mail sent again under
// AtLeastOnce, never repeats the Telegram message. A chat that blocked the
// bot (403) is unlinked, reported (Report.Telegram.Unlinked) and logged at
// Error; a reader who had Telegram only gets the alerts by e-mail in the
// same run.

// TelegramSender sends a Telegram message; *telegram.Client is one.
type TelegramSender interface {
	SendMessage(ctx context.Context, chat int64, text string) (*telegram.Message, error)
}

// TelegramCounts are a run's Telegram figures (Report.Telegram).
type TelegramCounts struct {
	// Messages sent, refused for good, given back for the next run
	// (Telegram asked to wait longer than the client waits), and of
	// unknown outcome.
	Sent, Failed, Deferred, Uncertain int
	// Unlinked names the readers whose chat blocked the bot and was
	// unlinked in this run.
	Unlinked []string
}

// tgOutcome is what became of one reader's Telegram message.
type tgOutcome struct {
	state   store.AlertState // Sent, Failed, Uncertain; "" when deferred or nothing was sent
	msgID   string
	reason  string
	blocked bool  // the chat blocked the bot: unlinked
	err     error // stops the run (deferred, uncertain)
}

// TelegramUpdater is what the notifier needs to unlink a chat that blocked
// the bot: both stores provide it.
type TelegramUpdater interface {
	UpdateSubscriber(ctx context.Context, s store.Subscriber, now time.Time) (store.Subscriber, error)
}

// channels says where sub's alerts go in this run: without a Telegram
// sender, e-mail.
func (c *Notifier) channels(sub store.Subscriber) (email, tg bool) {
	email, tg = sub.AlertChannels()
	if tg && c.Telegram == nil {
		return true, false
	}
	return email, tg
}

// telegramReader claims the Telegram deliveries of the alerts held, sends
// one message (cut in several when long) and resolves the claims.
func (c *Notifier) telegramReader(ctx context.Context, runID string, sub store.Subscriber, entries []Entry, held []claimed, rep *Report) tgOutcome {
	now := c.Clock.Now()
	var keys []store.AlertKey
	var shown []Entry
	seen := map[int]bool{}
	for _, h := range held {
		k := h.key
		k.Kind = store.TelegramKind(k.Kind)
		ok, err := c.claimTelegram(ctx, runID, k, now)
		if err != nil {
			c.releaseTelegram(ctx, runID, keys)
			return tgOutcome{err: err}
		}
		if !ok {
			continue // sent on Telegram before
		}
		keys = append(keys, k)
		if !seen[h.entry] {
			seen[h.entry] = true
			shown = append(shown, entries[h.entry])
		}
	}
	if len(keys) == 0 {
		return tgOutcome{state: store.Sent, reason: "already sent on Telegram"}
	}
	return c.sendTelegram(ctx, runID, sub, shown, keys, rep)
}

// sendTelegram sends the reader one message of the entries shown (cut in
// several when long) and resolves the Telegram claims keys by what became
// of it.
func (c *Notifier) sendTelegram(ctx context.Context, runID string, sub store.Subscriber, shown []Entry, keys []store.AlertKey, rep *Report) tgOutcome {
	sctx, cancel := c.detached(ctx)
	defer cancel()
	var ids []string
	var err error
	for _, part := range telegram.Split(RenderTelegram(shown, c.links.ManageURL(sub))) {
		var m *telegram.Message
		if m, err = c.Telegram.SendMessage(sctx, sub.TelegramChatID, part); err != nil {
			break
		}
		ids = append(ids, fmt.Sprintf("tg-%d", m.MessageID))
	}
	var te *telegram.Error
	switch {
	case err == nil:
		id := strings.Join(ids, " ")
		rep.lock(func() { rep.Telegram.Sent++ })
		c.resolveTelegram(sctx, runID, keys, store.Sent, id, "", rep)
		return tgOutcome{state: store.Sent, msgID: id}
	case errors.Is(err, telegram.ErrBlocked):
		reason := "the Telegram chat blocked the bot: unlinked"
		c.resolveTelegram(sctx, runID, keys, store.Failed, "", reason, rep)
		c.unlinkChat(sctx, sub, err, rep)
		return tgOutcome{state: store.Failed, reason: reason, blocked: true}
	case len(ids) == 0 && errors.Is(err, telegram.ErrRateLimited):
		// Given back: a reader on Telegram alone finds the alert due
		// again; for one on both channels the e-mail still goes and
		// settles the alert, and the next run sends this message from
		// its backlog (telegramBacklog).
		rep.lock(func() { rep.Telegram.Deferred++ })
		c.releaseTelegram(sctx, runID, keys)
		return tgOutcome{err: fmt.Errorf("telegram to %s: %w", sub.ID, err)}
	case len(ids) == 0 && errors.As(err, &te) && te.Code >= 400 && te.Code < 500:
		// Refused for good (a bad request): this message never goes out.
		rep.lock(func() { rep.Telegram.Failed++ })
		c.resolveTelegram(sctx, runID, keys, store.Failed, "", err.Error(), rep)
		return tgOutcome{state: store.Failed, reason: err.Error()}
	}
	// Unknown outcome, or a long message cut short: the reader may have
	// got (part of) it.
	rep.lock(func() { rep.Telegram.Uncertain++ })
	reason := "telegram send failed, outcome unknown: " + err.Error()
	c.resolveTelegram(sctx, runID, keys, store.Uncertain, strings.Join(ids, " "), reason, rep)
	return tgOutcome{state: store.Uncertain, reason: reason, err: fmt.Errorf("telegram to %s, outcome unknown: %w", sub.ID, err)}
}

// claimTelegram claims a Telegram delivery; a claim a stopped run gave
// back is taken over. ok false: it was handled before.
func (c *Notifier) claimTelegram(ctx context.Context, runID string, k store.AlertKey, now time.Time) (bool, error) {
	err := c.store.ClaimAlert(ctx, store.Alert{AlertKey: k, State: store.Claimed, RunID: runID, ClaimedAt: now, UpdatedAt: now})
	if err == nil {
		return true, nil
	}
	if errors.Is(err, store.ErrNotFound) {
		return false, nil // the reader was deleted during the run: nothing goes
	}
	if !errors.Is(err, store.ErrClaimed) {
		return false, fmt.Errorf("claim %s: %w", k, err)
	}
	a, err := c.store.Alert(ctx, k)
	if err != nil {
		return false, fmt.Errorf("read claim %s: %w", k, err)
	}
	if a.State != store.Claimed || !isReleased(a.RunID) {
		return false, nil
	}
	err = c.store.ReclaimAlert(ctx, k, runID, a.ClaimedAt.Add(time.Microsecond), now)
	if errors.Is(err, store.ErrConflict) {
		return false, nil
	}
	return err == nil, err
}

func (c *Notifier) resolveTelegram(ctx context.Context, runID string, keys []store.AlertKey, st store.AlertState, msgID, reason string, rep *Report) {
	for _, k := range keys {
		if err := c.resolve(ctx, runID, k, st, msgID, reason); err != nil {
			c.Logger.Debug("resolve failed", "alert", k.String(), "state", st, "err", err)
			rep.lock(func() { rep.Unresolved = append(rep.Unresolved, k) })
		}
	}
}

func (c *Notifier) releaseTelegram(ctx context.Context, runID string, keys []store.AlertKey) {
	dctx, cancel := c.detached(ctx)
	defer cancel()
	for _, k := range keys {
		if err := c.release(dctx, runID, k); err != nil {
			c.Logger.Debug("release failed", "alert", k.String(), "err", err)
		}
	}
}

// unlinkChat forgets the chat of a reader who blocked the bot, and says so
// loudly: the operator sees it in the run's report and at Error.
func (c *Notifier) unlinkChat(ctx context.Context, sub store.Subscriber, cause error, rep *Report) {
	rep.lock(func() {
		rep.Telegram.Failed++
		rep.Telegram.Unlinked = append(rep.Telegram.Unlinked, sub.ID)
	})
	up, ok := c.store.(TelegramUpdater)
	if !ok {
		c.Logger.Error("telegram chat blocked the bot, and this store cannot unlink it", "subscriber", sub.ID, "err", cause)
		return
	}
	var err error
	for range writeAttempts {
		cur, rerr := c.store.Subscriber(ctx, sub.ID)
		if rerr != nil {
			err = rerr
			break
		}
		if cur.TelegramChatID != sub.TelegramChatID {
			err = nil // unlinked or linked anew meanwhile
			break
		}
		cur.TelegramChatID = 0
		if _, err = up.UpdateSubscriber(ctx, cur, c.Clock.Now()); !errors.Is(err, store.ErrConflict) {
			break
		}
	}
	if err != nil {
		c.Logger.Error("telegram chat blocked the bot and could not be unlinked: the next run tries again", "subscriber", sub.ID, "err", err)
		return
	}
	c.Logger.Error("telegram chat blocked the bot: unlinked, alerts go by e-mail", "subscriber", sub.ID, "err", cause)
}

// RenderTelegram writes a reader's entries as one plain-text Telegram
// message, grouped by kind, most urgent first, as the e-mail does.
func RenderTelegram(entries []Entry, manageURL string) string {
	byKind := map[store.AlertKind][]Entry{}
	var kinds []store.AlertKind
	for _, e := range entries {
		if _, ok := byKind[e.Kind]; !ok {
			kinds = append(kinds, e.Kind)
		}
		byKind[e.Kind] = append(byKind[e.Kind], e)
	}
	slices.SortFunc(kinds, kindOrder)
	var b strings.Builder
	b.WriteString("📚 Manga Alert Italia\n")
	for _, k := range kinds {
		es := byKind[k]
		slices.SortStableFunc(es, func(a, b Entry) int { return strings.Compare(a.Title, b.Title) })
		b.WriteString("\n" + heading(k) + "\n")
		for _, e := range es {
			b.WriteString("• " + e.Title)
			switch {
			case e.PrevDate != "" && e.Date != "":
				b.WriteString(": dal " + e.PrevDate + " al " + e.Date)
			case e.Date != "":
				b.WriteString(": " + e.Date)
				if e.When != "" {
					b.WriteString(" (" + e.When + ")")
				}
			}
			if e.Price != "" {
				b.WriteString(", " + e.Price)
			}
			b.WriteString("\n" + e.URL + "\n")
		}
	}
	if manageURL != "" {
		b.WriteString("\nLe tue serie e gli avvisi: " + manageURL + "\nPer non ricevere più messaggi qui scrivi /stop.")
	}
	return b.String()
}

// settleTelegramOnly records the alerts of a reader on Telegram alone by
// what became of their Telegram message.
func (c *Notifier) settleTelegramOnly(ctx context.Context, runID string, keys []store.AlertKey, out tgOutcome, rep *Report) error {
	sctx, cancel := c.detached(ctx)
	defer cancel()
	switch out.state {
	case store.Sent:
		c.record(sctx, runID, keys, store.Sent, out.msgID, "", rep, func(k *KindCount) { k.Sent++ })
	case store.Failed:
		rep.lock(func() { rep.Failed = append(rep.Failed, keys...) })
		c.record(sctx, runID, keys, store.Failed, "", out.reason, rep, func(k *KindCount) { k.Failed++ })
	case store.Uncertain:
		rep.lock(func() { rep.Uncertain = append(rep.Uncertain, keys...) })
		c.record(sctx, runID, keys, store.Uncertain, out.msgID, out.reason, rep, func(k *KindCount) { k.Uncertain++ })
	default: // deferred: certainly not sent
		c.releaseAll(ctx, runID, keys, rep)
	}
	return out.err
}
