package notifier

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/manga-alert-italia/mangaalert/store"
)

// Run works out what is due now and sends it: one email per reader, each
// alert claimed in the store before the send and resolved with the
// provider's message id after it.
//
// Cancelling ctx (SIGTERM) stops the run cleanly: no new message starts; a
// message already handed to the provider finishes and is recorded; claims
// whose message did not leave are released for the next run. Only a run
// that dies abruptly (killed, or the store failing while it records an
// outcome) leaves claims behind; the next run resolves those older than
// Lease by Policy.
//
// The report is returned with the error, which says why the run stopped
// early.
func (n *Notifier) Run(ctx context.Context) (*Report, error) {
	c, err := n.config()
	if err != nil {
		return &Report{Error: err.Error()}, err
	}
	runID := c.NewRunID()
	rep := &Report{RunID: runID, Started: c.Clock.Now(), Kinds: map[store.AlertKind]KindCount{}}
	err = c.run(ctx, runID, rep)
	rep.Finished = c.Clock.Now()
	if err != nil {
		rep.Error = err.Error()
	}
	c.Logger.LogAttrs(context.Background(), slog.LevelInfo, "notifier run", slog.Any("report", rep))
	return rep, err
}

func (c *Notifier) run(ctx context.Context, runID string, rep *Report) error {
	rate := c.Rate
	if rs, ok := c.sender.(RateSource); ok {
		max, err := rs.MaxSendRate(ctx)
		if err != nil {
			return fmt.Errorf("provider's send rate: %w", err)
		}
		if max > 0 && max < rate {
			c.Logger.Debug("rate lowered to the provider's quota", "rate", max, "configured", rate)
			rate = max
		}
	}

	now := c.Clock.Now()
	taken, backlog, err := c.staleClaims(ctx, runID, now, rep)
	if err != nil {
		return err
	}
	c.telegramBacklog(ctx, runID, backlog, now, rep)
	p, err := c.plan(ctx, runID, now)
	if err != nil {
		// What was taken over is still ours: hand it back.
		c.releaseAll(ctx, runID, slices.Collect(mapKeys(taken)), rep)
		return fmt.Errorf("plan: %w", err)
	}
	rep.Readers = len(p.subs)
	rep.Reads.Series, rep.Reads.Volumes, rep.Reads.Follows, rep.Reads.Alerts = p.seriesRead, p.volumesRead, p.followsRead, p.alertsRead
	for r, s := range p.subs {
		for _, d := range p.duesOf(int32(r)) {
			delete(taken, p.key(s, d))
			rep.add(p.kinds[d.kind], func(k *KindCount) { k.Due++ })
			for i := range p.kinds {
				if d.covers&(1<<i) != 0 {
					rep.add(p.kinds[i], func(k *KindCount) { k.Due++ })
				}
			}
		}
	}
	// Taken over but no longer due: give back, for the released-claim rules.
	c.releaseAll(ctx, runID, slices.Collect(mapKeys(taken)), rep)
	c.Logger.Debug("planned", "run", runID, "readers", len(p.subs), "alerts", p.dueItems())

	order := make([]int32, len(p.subs))
	for i := range order {
		order[i] = int32(i)
	}
	slices.SortFunc(order, func(a, b int32) int { return strings.Compare(p.subs[a], p.subs[b]) })
	lim := NewLimiter(c.Clock, rate, c.Burst)
	jobs := make(chan int32)
	var (
		mu    sync.Mutex
		first error
	)
	stop := make(chan struct{})
	fail := func(err error) {
		mu.Lock()
		defer mu.Unlock()
		if first == nil {
			first = err
			close(stop)
		}
	}
	stopped := func() bool {
		select {
		case <-stop:
			return true
		default:
			return false
		}
	}
	var wg sync.WaitGroup
	for range c.Concurrency {
		wg.Go(func() {
			for r := range jobs {
				// A reader handed over after a failure stopped the run is
				// not started: the feeder's select may pick a ready send
				// over the closed stop, and a worker that just failed is
				// ready to receive again.
				if stopped() {
					continue
				}
				if err := c.mailReader(ctx, runID, p, r, lim, rep); err != nil {
					fail(err)
				}
			}
		})
	}
feed:
	for _, r := range order {
		if stopped() || ctx.Err() != nil {
			break
		}
		select {
		case jobs <- r:
		case <-stop:
			break feed
		case <-ctx.Done():
			break feed
		}
	}
	close(jobs)
	// Every send in flight finishes and is recorded before the run returns.
	wg.Wait()
	if first != nil {
		return first
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("run stopped: %w", err)
	}
	return nil
}

func mapKeys[K comparable, V any](m map[K]V) func(func(K) bool) {
	return func(yield func(K) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// detached is a context for the writes that must happen even when the run
// is stopped: recording what became of a message.
func (c *Notifier) detached(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(ctx), c.SendTimeout)
}

func (c *Notifier) releaseAll(ctx context.Context, runID string, keys []store.AlertKey, rep *Report) {
	if len(keys) == 0 {
		return
	}
	dctx, cancel := c.detached(ctx)
	defer cancel()
	for _, k := range keys {
		if err := c.release(dctx, runID, k); err != nil {
			c.Logger.Debug("release failed", "alert", k.String(), "err", err)
			rep.lock(func() { rep.Unresolved = append(rep.Unresolved, k) })
			continue
		}
		rep.add(k.Kind, func(kc *KindCount) { kc.Deferred++ })
	}
}

// deferMessage gives back the claims of one reader's message that certainly
// did not leave: the next run sends it.
func (c *Notifier) deferMessage(ctx context.Context, runID string, keys []store.AlertKey, rep *Report) {
	if len(keys) == 0 {
		return
	}
	rep.lock(func() { rep.Emails.Deferred++ })
	c.releaseAll(ctx, runID, keys, rep)
}

// claimed is an alert this run holds for a message, with the entry it adds.
type claimed struct {
	key   store.AlertKey
	entry int // index of the entry it is shown as
}

// mailReader claims, sends and resolves one reader's message. Its error
// stops the run.
func (c *Notifier) mailReader(ctx context.Context, runID string, p *plan, r int32, lim *Limiter, rep *Report) error {
	if ctx.Err() != nil {
		return nil // stopping: start nothing new
	}
	subID, items := p.subs[r], p.duesOf(r)
	skip := func(ds []due, why string) {
		for _, d := range ds {
			rep.add(p.kinds[d.kind], func(k *KindCount) { k.Skipped++ })
			for i := range p.kinds {
				if d.covers&(1<<i) != 0 {
					rep.add(p.kinds[i], func(k *KindCount) { k.Skipped++ })
				}
			}
		}
		c.Logger.Debug("skipped", "subscriber", subID, "why", why, "alerts", len(ds))
	}
	sub, err := c.store.Subscriber(ctx, subID)
	switch {
	case errors.Is(err, store.ErrNotFound):
		skip(items, "no such subscriber")
		return c.closeOwned(ctx, runID, p, subID, items, "not sent: the reader is gone", rep)
	case err != nil:
		return fmt.Errorf("subscriber %s: %w", subID, err)
	case !sub.Mailable():
		skip(items, "status "+string(sub.Status))
		return c.closeOwned(ctx, runID, p, subID, items, "not sent: the reader's status is "+string(sub.Status), rep)
	case !sendable(sub.Email):
		skip(items, "address not sendable")
		return c.closeOwned(ctx, runID, p, subID, items, "not sent: the stored address is not plain ASCII (stored before addresses were checked)", rep)
	}
	var want []due
	for _, d := range items {
		if d.flags&flagOptIn != 0 && !sub.Variants {
			skip([]due{d}, "not opted in")
			continue
		}
		if d.flags&flagInherit != 0 && sub.Reminders.Chosen() {
			var ok bool
			if d, ok = c.chosen(p, subID, d, sub.Reminders); !ok {
				continue
			}
		}
		want = append(want, d)
	}
	if len(want) == 0 {
		return nil
	}
	email, tg := c.channels(sub) // telegram.go

	// Pace first, claim after: a reader waiting for the rate holds no
	// claim, so a run killed while readers wait loses none of their mail
	// (it was certainly not sent, and the next run finds it due). Only the
	// messages between claim and send are in the uncertain window. (A
	// reader on Telegram alone waits on the Telegram client's limiter.)
	if email {
		if err := lim.Wait(ctx); err != nil {
			return nil // stopped while waiting for the rate: nothing taken
		}
	}

	// Claim: after this point the alerts are ours, and every way out of
	// this function records what became of them.
	now := c.Clock.Now()
	var held []claimed
	var entries []Entry
	var stopErr error
	for _, d := range want {
		v := p.vols[d.vol]
		k := p.key(subID, d)
		ok, err := c.claim(ctx, runID, p, k, d.claim, v.ReleaseDate, now)
		if errors.Is(err, errReaderGone) {
			return c.readerGone(ctx, runID, want, held, skip, rep)
		}
		if err != nil {
			stopErr = err
			break
		}
		if !ok {
			// Another run has it; kinds it would have covered stay due on
			// their own for the next run.
			skip([]due{{kind: d.kind}}, "claimed by another run")
			continue
		}
		e := NewEntry(p.kinds[d.kind], v, p.today, c.links)
		if pd, ok := p.prevDate[store.AlertKey{SubscriberID: subID, VolumeID: v.ID}]; ok {
			e.PrevDate = FormatDate(pd)
		}
		entries = append(entries, e)
		held = append(held, claimed{key: k, entry: len(entries) - 1})
		for i := range p.kinds {
			if d.covers&(1<<i) == 0 {
				continue
			}
			ck := store.AlertKey{SubscriberID: subID, VolumeID: v.ID, Kind: p.kindAt(d, uint8(i))}
			ok, err := c.claim(ctx, runID, p, ck, p.mode(ck), v.ReleaseDate, now)
			if errors.Is(err, errReaderGone) {
				return c.readerGone(ctx, runID, want, held, skip, rep)
			}
			if err != nil {
				stopErr = err
				break
			}
			if ok {
				held = append(held, claimed{key: ck, entry: len(entries) - 1})
			} else {
				rep.add(ck.Kind, func(k *KindCount) { k.Skipped++ })
			}
		}
		if stopErr != nil {
			break
		}
	}
	keys := make([]store.AlertKey, len(held))
	for i, h := range held {
		keys[i] = h.key
	}
	if stopErr != nil {
		c.deferMessage(ctx, runID, keys, rep)
		return stopErr
	}
	if len(held) == 0 {
		return nil
	}

	// Telegram first (telegram.go): a chat that blocked the bot turns a
	// reader on Telegram alone back to e-mail in this very run.
	var tgErr error
	if tg {
		out := c.telegramReader(ctx, runID, sub, entries, held, rep)
		tgErr = out.err
		if !email && !out.blocked {
			return c.settleTelegramOnly(ctx, runID, keys, out, rep)
		}
		email = true
	}
	if err := c.mailOut(ctx, runID, sub, entries, keys, rep); err != nil {
		return err
	}
	return tgErr
}

// mailOut sends the e-mail of a reader's claimed alerts and records it.
func (c *Notifier) mailOut(ctx context.Context, runID string, sub store.Subscriber, entries []Entry, keys []store.AlertKey, rep *Report) error {
	subID := sub.ID
	m, err := c.message(sub, entries, keys)
	if err != nil {
		c.deferMessage(ctx, runID, keys, rep)
		return err
	}
	// The send is not cut short by a stop: a message half handed over is
	// the one thing a stop could turn into a duplicate or a loss.
	sctx, cancel := c.detached(ctx)
	defer cancel()
	msgID, err := c.sender.Send(sctx, m)
	switch {
	case err == nil:
		rep.lock(func() { rep.Emails.Sent++ })
		c.record(sctx, runID, keys, store.Sent, msgID, "", rep, func(k *KindCount) { k.Sent++ })
		return nil
	case errors.Is(err, ErrRejected):
		rep.lock(func() {
			rep.Emails.Failed++
			rep.Failed = append(rep.Failed, keys...)
		})
		c.record(sctx, runID, keys, store.Failed, "", err.Error(), rep, func(k *KindCount) { k.Failed++ })
		return nil
	case errors.Is(err, ErrStopped):
		c.deferMessage(ctx, runID, keys, rep)
		return fmt.Errorf("send to %s: %w", subID, err)
	}
	// Unknown outcome: the provider may have taken it.
	if c.Policy == AtLeastOnce {
		c.deferMessage(ctx, runID, keys, rep)
	} else {
		rep.lock(func() {
			rep.Emails.Uncertain++
			rep.Uncertain = append(rep.Uncertain, keys...)
		})
		c.record(sctx, runID, keys, store.Uncertain, "", "send failed, outcome unknown: "+err.Error(), rep, func(k *KindCount) { k.Uncertain++ })
	}
	return fmt.Errorf("send to %s, outcome unknown: %w", subID, err)
}

// record resolves the held claims to st, counting each kind with f.
func (c *Notifier) record(ctx context.Context, runID string, keys []store.AlertKey, st store.AlertState, msgID, reason string, rep *Report, f func(*KindCount)) {
	for _, k := range keys {
		if err := c.resolve(ctx, runID, k, st, msgID, reason); err != nil {
			c.Logger.Debug("resolve failed", "alert", k.String(), "state", st, "err", err)
			rep.lock(func() { rep.Unresolved = append(rep.Unresolved, k) })
		}
		rep.add(k.Kind, f)
	}
}

// readerGone gives up a reader deleted while this run was on its way to
// them: nothing is sent. The claims it took before the deletion went with
// the reader's alerts; any left is closed as Failed (or reported
// Unresolved).
func (c *Notifier) readerGone(ctx context.Context, runID string, want []due, held []claimed, skip func([]due, string), rep *Report) error {
	skip(want, "the reader was deleted during the run")
	dctx, cancel := c.detached(ctx)
	defer cancel()
	for _, h := range held {
		err := c.resolve(dctx, runID, h.key, store.Failed, "", "not sent: the reader was deleted during the run")
		if err != nil && !errors.Is(err, store.ErrNotFound) && !errors.Is(err, store.ErrConflict) {
			rep.lock(func() { rep.Unresolved = append(rep.Unresolved, h.key) })
		}
	}
	return nil
}

// closeOwned resolves the claims this run took over (at-least-once) for a
// reader it will not mail.
func (c *Notifier) closeOwned(ctx context.Context, runID string, p *plan, subID string, ds []due, reason string, rep *Report) error {
	dctx, cancel := c.detached(ctx)
	defer cancel()
	for _, d := range ds {
		if d.claim != claimOwned {
			continue
		}
		k := p.key(subID, d)
		if err := c.resolve(dctx, runID, k, store.Failed, "", reason); err != nil {
			rep.lock(func() { rep.Unresolved = append(rep.Unresolved, k) })
		}
	}
	return nil
}

// errReaderGone: the reader was deleted while this run was on its way to
// them (the store claims nothing for an id with no subscriber record).
var errReaderGone = errors.New("the reader was deleted during the run")

// claim takes alert k for this run. ok false: someone else holds it;
// errReaderGone: the reader's record is gone.
func (c *Notifier) claim(ctx context.Context, runID string, p *plan, k store.AlertKey, mode uint8, date store.Date, now time.Time) (ok bool, err error) {
	switch mode {
	case claimOwned:
		return true, nil
	case claimTake:
		err = c.store.ReclaimAlert(ctx, k, runID, p.takeAt[k].Add(time.Microsecond), now)
		if errors.Is(err, store.ErrConflict) {
			return false, nil
		}
		if errors.Is(err, store.ErrNotFound) { // deleted with its reader
			return false, errReaderGone
		}
	default:
		err = c.store.ClaimAlert(ctx, store.Alert{AlertKey: k, State: store.Claimed, RunID: runID,
			ReleaseDate: date, ClaimedAt: now, UpdatedAt: now})
		if errors.Is(err, store.ErrClaimed) {
			return false, nil
		}
		if errors.Is(err, store.ErrNotFound) {
			return false, errReaderGone
		}
	}
	if err == nil {
		return true, nil
	}
	// The write may have happened though its answer was lost: read it back,
	// so an alert claimed by this run is never left behind unknowingly.
	dctx, cancel := c.detached(ctx)
	defer cancel()
	a, rerr := c.store.Alert(dctx, k)
	switch {
	case rerr == nil && a.State == store.Claimed && a.RunID == runID:
		return true, nil
	case rerr == nil || errors.Is(rerr, store.ErrNotFound):
		return false, fmt.Errorf("claim %s: %w", k, err)
	}
	return false, fmt.Errorf("claim %s: %w (and reading it back: %v)", k, err, rerr)
}

// message builds the email of a reader's entries. Its Message-ID comes
// from the alerts it carries, so the same alerts make the same message (the
// outbox writes it once).
func (c *Notifier) message(sub store.Subscriber, entries []Entry, keys []store.AlertKey) (*Message, error) {
	unsub := c.links.UnsubscribeURL(sub)
	subject, text, html, err := RenderFooter(entries, Footer{UnsubscribeURL: unsub, ManageURL: c.links.ManageURL(sub), PrivacyURL: c.privacyURL()})
	if err != nil {
		return nil, err
	}
	h := sha256.New()
	ks := slices.Clone(keys)
	slices.SortFunc(ks, func(a, b store.AlertKey) int { return strings.Compare(a.String(), b.String()) })
	for _, k := range ks {
		h.Write([]byte(k.String() + "\n"))
	}
	return &Message{
		From:    c.From,
		To:      sub.Email,
		ReplyTo: c.ReplyTo,
		Subject: subject,
		Text:    text,
		HTML:    html,
		ID:      hex.EncodeToString(h.Sum(nil)[:16]) + "@" + domainOf(c.From),
		Date:    c.Clock.Now(),
		Header:  c.listHeaders(sub, unsub),
	}, nil
}

// sendable reports whether a stored address can go in a To header as it
// is: printable ASCII, no spaces, one @ between two non-empty parts. The
// backend stores nothing else (IDN domains in punycode); an address stored
// before it checked so is skipped, never mailed mangled.
func sendable(addr string) bool {
	for i := 0; i < len(addr); i++ {
		if addr[i] <= ' ' || addr[i] >= 0x7f {
			return false
		}
	}
	local, domain, ok := strings.Cut(addr, "@")
	return ok && local != "" && domain != "" && !strings.Contains(domain, "@")
}
