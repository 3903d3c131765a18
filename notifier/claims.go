package notifier

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/manga-alert-italia/mangaalert/store"
)

// A run that claimed an alert and then certainly did not send it (it was
// stopped before the send, or the provider refused to send) releases the
// claim: it hands it, still Claimed, to the run id "released/<its run id>".
// The next run that finds the alert due takes such a claim over with
// ReclaimAlert, conditional on the ClaimedAt it read, so only one run does,
// and sends. A released claim is never marked Uncertain: its message never
// left.
const releasedPrefix = "released/"

func isReleased(runID string) bool { return strings.HasPrefix(runID, releasedPrefix) }

// writeAttempts bounds the retries of the writes that record an outcome:
// a claim left unresolved costs a reader an alert (at most once) or a
// duplicate (at least once).
const writeAttempts = 4

// retry runs f up to writeAttempts times, pausing a little on the clock
// between tries; ctx is detached from the run's cancellation by the caller.
func (c *Notifier) retry(ctx context.Context, f func() error) error {
	var err error
	for i := range writeAttempts {
		if err = f(); err == nil || errors.Is(err, store.ErrConflict) {
			return err
		}
		if i < writeAttempts-1 {
			if c.Clock.SleepUntil(ctx, c.Clock.Now().Add(time.Duration(100<<i)*time.Millisecond)) != nil {
				break
			}
		}
	}
	return err
}

// release gives back a claim whose message certainly did not go out.
func (c *Notifier) release(ctx context.Context, runID string, k store.AlertKey) error {
	return c.retry(ctx, func() error {
		now := c.Clock.Now()
		return c.store.ReclaimAlert(ctx, k, releasedPrefix+runID, now.Add(time.Nanosecond), now)
	})
}

// resolve records what became of a claimed alert. A conflict after a try
// whose answer was lost is checked by reading the alert back.
func (c *Notifier) resolve(ctx context.Context, runID string, k store.AlertKey, st store.AlertState, messageID, reason string) error {
	tries := 0
	err := c.retry(ctx, func() error {
		tries++
		return c.store.ResolveAlert(ctx, k, runID, st, messageID, reason, c.Clock.Now())
	})
	if errors.Is(err, store.ErrConflict) && tries > 1 {
		if a, rerr := c.store.Alert(ctx, k); rerr == nil && a.RunID == runID && a.State == st && a.MessageID == messageID {
			return nil
		}
	}
	return err
}

// staleClaims handles the claims older than the lease that earlier runs
// left: by the policy when the run died holding them; released ones whose
// time has passed are closed as Failed. It returns the keys it took over
// (AtLeastOnce), which the plan will find Claimed by runID, and the
// released Telegram deliveries of alerts settled meanwhile, which no plan
// takes over (telegramBacklog sends them).
func (c *Notifier) staleClaims(ctx context.Context, runID string, now time.Time, rep *Report) (map[store.AlertKey]bool, []store.Alert, error) {
	stale, err := c.store.StaleClaims(ctx, now.Add(-c.Lease))
	if err != nil {
		return nil, nil, fmt.Errorf("stale claims: %w", err)
	}
	taken := make(map[store.AlertKey]bool)
	var backlog []store.Alert
	today := store.DateOf(now)
	for _, a := range stale {
		if err := ctx.Err(); err != nil {
			return taken, backlog, err
		}
		if isReleased(a.RunID) {
			if c.stillDue(ctx, a, today) {
				if c.isBacklog(ctx, a) {
					backlog = append(backlog, a)
				}
				continue // the plan takes it over, or the backlog
			}
			reason := "not sent: the run was stopped before sending it, and it is no longer due"
			if err := c.store.ResolveAlert(ctx, a.AlertKey, a.RunID, store.Failed, "", reason, now); err != nil && !errors.Is(err, store.ErrConflict) {
				return taken, backlog, fmt.Errorf("close released claim %s: %w", a.AlertKey, err)
			}
			rep.add(a.Kind, func(k *KindCount) { k.Expired++ })
			continue
		}
		switch c.Policy {
		case AtLeastOnce:
			err := c.store.ReclaimAlert(ctx, a.AlertKey, runID, now.Add(-c.Lease), now)
			switch {
			case errors.Is(err, store.ErrConflict):
			case err != nil:
				return taken, backlog, fmt.Errorf("reclaim %s: %w", a.AlertKey, err)
			default:
				taken[a.AlertKey] = true
				rep.add(a.Kind, func(k *KindCount) { k.Reclaimed++ })
			}
		default:
			reason := fmt.Sprintf("run %s claimed it at %s and never recorded the outcome: the message may have gone out",
				a.RunID, a.ClaimedAt.UTC().Format(time.RFC3339))
			err := c.store.ResolveAlert(ctx, a.AlertKey, a.RunID, store.Uncertain, "", reason, now)
			switch {
			case errors.Is(err, store.ErrConflict):
			case err != nil:
				return taken, backlog, fmt.Errorf("mark %s uncertain: %w", a.AlertKey, err)
			default:
				rep.add(a.Kind, func(k *KindCount) { k.Uncertain++ })
				rep.lock(func() { rep.Uncertain = append(rep.Uncertain, a.AlertKey) })
			}
		}
	}
	return taken, backlog, nil
}

// stillDue reports whether a released claim may still be sent: its volume
// is still upcoming and its kind's time has not passed. On a read error it
// answers true, leaving the claim for a later run.
func (c *Notifier) stillDue(ctx context.Context, a store.Alert, today store.Date) bool {
	v, err := c.store.Volume(ctx, a.VolumeID)
	if errors.Is(err, store.ErrNotFound) {
		return false
	}
	if err != nil {
		return true
	}
	if !v.ReleaseDate.IsZero() && !today.Before(v.ReleaseDate) {
		return false
	}
	kind, _ := a.Kind.Delivered()
	if days, ok := kind.Base().ReminderDays(); ok {
		return !v.ReleaseDate.IsZero() && today.DaysUntil(v.ReleaseDate) <= days
	}
	return true
}
