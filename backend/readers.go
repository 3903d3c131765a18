package backend

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/netip"
	"time"

	"github.com/manga-alert-italia/mangaalert/store"
)

// What the reader flows answer besides store failures.
var (
	// errGone: the token was good but its reader no longer exists (an
	// unconfirmed sign-up expired, or the reader deleted their data).
	errGone = errors.New("reader not found")
	// errSuppressed: the address bounced or complained; it gets no mail.
	errSuppressed = errors.New("address suppressed")
	// errBusy: the mail queue is full; the reader should try again later.
	errBusy = errors.New("mail queue full")
)

// mailJob is one form post that may send mail, as the queue takes it:
// everything that depends on the address happens in the queue.
type mailJob struct {
	id     string // the post's own id: the event its budgets count
	manage bool   // a fresh manage link; else the confirmation of a sign-up
	email  string
	series store.Series // for a sign-up
	ip     netip.Addr
}

// subscribe is the sign-up for one series. Whatever the address (new,
// pending, confirmed, unsubscribed, suppressed, or over a mail budget) the
// handler does the same work and answers the same: it queues the job and
// the queue does the rest (prepareSignUp). Only a full queue is an error.
// The series is followed when the mailed link is confirmed, so no one can
// add follows to someone else's address.
func (b *Backend) subscribe(_ context.Context, r *http.Request, email string, se store.Series) error {
	return b.queueJob(r, mailJob{email: email, series: se})
}

// requestLink mails a known address a fresh manage link; unknown,
// suppressed and over-budget addresses get nothing, and the handler does
// the same work and answers the same (prepareManage).
func (b *Backend) requestLink(_ context.Context, r *http.Request, email string) error {
	return b.queueJob(r, mailJob{email: email, manage: true})
}

func (b *Backend) queueJob(r *http.Request, j mailJob) error {
	j.id, j.ip = newID(), info(r.Context()).ip
	annotate(r, slog.String("email_hash", b.emailHash(j.email)))
	if j.series.ID != "" {
		annotate(r, slog.String("series", j.series.ID))
	}
	if err := b.mailq.enqueue(j); err != nil {
		return fmt.Errorf("%w: %w", errBusy, err)
	}
	return nil
}

// prepareMail is the queue's side of a form post: the mail to send, if
// any. A store failure is logged (no one waits for the answer); the
// reader can post again.
func (b *Backend) prepareMail(ctx context.Context, j mailJob) (Mail, bool) {
	var m Mail
	var outcome string
	var err error
	if j.manage {
		m, outcome, err = b.prepareManage(ctx, j)
	} else {
		m, outcome, err = b.prepareSignUp(ctx, j)
	}
	if err != nil {
		b.cfg.Logger.Error("backend: form mail not prepared", "email_hash", b.emailHash(j.email), "manage", j.manage, "err", err)
		return Mail{}, false
	}
	b.cfg.Logger.Debug("backend: form mail", "email_hash", b.emailHash(j.email), "manage", j.manage, "outcome", outcome)
	if outcome == "global_budget" {
		// Every reader's confirmation is held back now, not one
		// client's: the operator must hear it, once a window.
		now, last := b.cfg.Now(), b.globalWarned.Load()
		if now.Sub(time.Unix(0, last)) >= limitedWindow && b.globalWarned.CompareAndSwap(last, now.UnixNano()) {
			b.cfg.Logger.Warn("backend: the global mail budget is spent: sign-up and manage-link mails are held back until it frees",
				"mails_per_hour", b.cfg.MailsPerHour, "what_to_do", "look for a sign-up flood in the access log, or raise --mails-per-hour")
		}
	}
	return m, outcome == "mail"
}

// prepareSignUp finds or creates the pending reader of a sign-up and
// makes its confirmation mail, within the budgets.
func (b *Backend) prepareSignUp(ctx context.Context, j mailJob) (Mail, string, error) {
	now := b.cfg.Now()
	s, err := b.cfg.Store.SubscriberByEmail(ctx, j.email)
	switch {
	case errors.Is(err, store.ErrNotFound):
	case err != nil:
		return Mail{}, "", fmt.Errorf("sign-up: %w", err)
	case s.Status == store.Suppressed:
		return Mail{}, "suppressed", nil
	}
	if ok, why, err := b.takeMailBudgets(ctx, j, now); err != nil || !ok {
		return Mail{}, why, err
	}
	if s.ID == "" {
		s = store.Subscriber{ID: newID(), Email: j.email, Status: store.Pending, CreatedAt: now, UpdatedAt: now, ExpiresAt: now.Add(b.cfg.ConfirmTTL)}
		err = b.cfg.Store.CreateSubscriber(ctx, s)
		if errors.Is(err, store.ErrExists) { // a concurrent sign-up of the same address
			s, err = b.cfg.Store.SubscriberByEmail(ctx, j.email)
		}
		if err != nil {
			return Mail{}, "", fmt.Errorf("sign-up: %w", err)
		}
	}
	if s.Status == store.Pending && s.ExpiresAt.Before(now.Add(b.cfg.ConfirmTTL-time.Hour)) {
		// Keep the pending record as long as the new link lives.
		s, err = b.updateReader(ctx, s.ID, func(s *store.Subscriber) bool {
			if s.Status != store.Pending {
				return false
			}
			s.ExpiresAt = now.Add(b.cfg.ConfirmTTL)
			return true
		})
		if err != nil {
			return Mail{}, "", fmt.Errorf("sign-up: %w", err)
		}
	}
	links, err := b.Links(ctx)
	if err != nil {
		return Mail{}, "", err
	}
	m, err := confirmMail(s.Email, j.series.Title, links.confirmURL(s, j.series.ID, b.cfg.ConfirmTTL), links.PrivacyURL(), int(b.cfg.ConfirmTTL.Hours()/24), s.Status == store.Active)
	return m, "mail", err
}

// prepareManage makes the manage-link mail of a known reader, within the
// budgets.
func (b *Backend) prepareManage(ctx context.Context, j mailJob) (Mail, string, error) {
	s, err := b.cfg.Store.SubscriberByEmail(ctx, j.email)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return Mail{}, "unknown", nil
	case err != nil:
		return Mail{}, "", fmt.Errorf("manage link: %w", err)
	case s.Status == store.Suppressed:
		return Mail{}, "suppressed", nil
	}
	if ok, why, err := b.takeMailBudgets(ctx, j, b.cfg.Now()); err != nil || !ok {
		return Mail{}, why, err
	}
	links, err := b.Links(ctx)
	if err != nil {
		return Mail{}, "", err
	}
	m, err := manageMail(s.Email, links.ManageURL(s), links.PrivacyURL(), int(b.cfg.ManageTTL.Hours()/24))
	return m, "mail", err
}

// readerOf checks a token of purpose p and loads its reader.
func (b *Backend) readerOf(ctx context.Context, tok string, p Purpose) (store.Subscriber, claims, error) {
	c, err := b.verifyToken(ctx, tok, p, "")
	if err != nil {
		return store.Subscriber{}, claims{}, err
	}
	s, err := b.cfg.Store.Subscriber(ctx, c.Subject)
	if errors.Is(err, store.ErrNotFound) {
		return store.Subscriber{}, c, errGone
	}
	return s, c, err
}

// feedReader checks a feed token, which binds the reader's feed secret:
// the reader is loaded first, and only a token made with the current
// secret passes.
func (b *Backend) feedReader(ctx context.Context, tok string) (store.Subscriber, error) {
	c, _, _, err := parseToken(tok)
	if err != nil || c.Purpose != Feed {
		return store.Subscriber{}, ErrBadToken
	}
	s, err := b.cfg.Store.Subscriber(ctx, c.Subject)
	if errors.Is(err, store.ErrNotFound) {
		return store.Subscriber{}, ErrBadToken
	}
	if err != nil {
		return store.Subscriber{}, err
	}
	if s.TokenHash == "" {
		return store.Subscriber{}, ErrBadToken
	}
	if _, err := b.verifyToken(ctx, tok, Feed, s.TokenHash); err != nil {
		return store.Subscriber{}, err
	}
	return s, nil
}

// confirm activates the reader of a confirmation token and follows the
// series it names. Confirming twice is harmless.
func (b *Backend) confirm(ctx context.Context, tok string) (store.Subscriber, string, error) {
	s, c, err := b.confirmReader(ctx, tok)
	if err != nil {
		return s, "", err
	}
	if s.Status == store.Suppressed {
		return s, "", errSuppressed
	}
	s, err = b.activate(ctx, s)
	if err != nil {
		return s, "", err
	}
	if c.Extra != "" {
		if err := b.follow(ctx, s, c.Extra); err != nil {
			return s, "", err
		}
	}
	return s, c.Extra, nil
}

// confirmReader is readerOf for a confirmation token, which is bound to
// the sign-up it was mailed for: a reader who unsubscribed after the link
// was made is not brought back by it (signing up again mails a new one).
// The link's making time is its expiry less ConfirmTTL, to the second; an
// unsubscribe in the same second as the link leaves it working.
func (b *Backend) confirmReader(ctx context.Context, tok string) (store.Subscriber, claims, error) {
	s, c, err := b.readerOf(ctx, tok, Confirm)
	if err != nil {
		return s, c, err
	}
	made := c.Expires.Add(-b.cfg.ConfirmTTL)
	if s.Status == store.Unsubscribed && s.UpdatedAt.Truncate(time.Second).After(made) {
		return s, c, fmt.Errorf("%w: the reader unsubscribed after the link was made", ErrExpiredToken)
	}
	return s, c, nil
}

// activate makes s Active with a feed secret. The link that got here was
// mailed to s's address, so it proves the mailbox.
func (b *Backend) activate(ctx context.Context, s store.Subscriber) (store.Subscriber, error) {
	if s.Status == store.Active && s.TokenHash != "" {
		return s, nil
	}
	now := b.cfg.Now()
	return b.updateReader(ctx, s.ID, func(s *store.Subscriber) bool {
		if s.Status == store.Suppressed || (s.Status == store.Active && s.TokenHash != "") {
			return false
		}
		if s.Status != store.Active {
			s.Status = store.Active
			s.ConfirmedAt = now
			recordConsent(s, now) // privacy.go
		}
		s.ExpiresAt = time.Time{}
		if s.TokenHash == "" {
			s.TokenHash = newFeedSecret()
		}
		return true
	})
}

func (b *Backend) follow(ctx context.Context, s store.Subscriber, seriesID string) error {
	if err := b.cfg.Store.Follow(ctx, store.Follow{SubscriberID: s.ID, SeriesID: seriesID, CreatedAt: b.cfg.Now()}); err != nil {
		return fmt.Errorf("follow %s: %w", seriesID, err)
	}
	return nil
}

// unsubscribe stops all mail to s. Suppressed stays suppressed.
func (b *Backend) unsubscribe(ctx context.Context, s store.Subscriber) (store.Subscriber, error) {
	return b.updateReader(ctx, s.ID, func(s *store.Subscriber) bool {
		if s.Status == store.Unsubscribed || s.Status == store.Suppressed {
			return false
		}
		s.Status = store.Unsubscribed
		return true
	})
}

// updateReader reads the reader, lets change edit it (false: nothing to
// write) and writes it back, reading again when someone wrote in between.
func (b *Backend) updateReader(ctx context.Context, id string, change func(*store.Subscriber) bool) (store.Subscriber, error) {
	for attempt := 0; ; attempt++ {
		s, err := b.cfg.Store.Subscriber(ctx, id)
		if errors.Is(err, store.ErrNotFound) {
			return s, errGone
		}
		if err != nil {
			return s, err
		}
		if !change(&s) {
			return s, nil
		}
		s2, err := b.cfg.Store.UpdateSubscriber(ctx, s, b.cfg.Now())
		if errors.Is(err, store.ErrConflict) && attempt < 3 {
			continue
		}
		if errors.Is(err, store.ErrNotFound) {
			return s, errGone
		}
		if err != nil {
			return s, fmt.Errorf("update reader: %w", err)
		}
		return s2, nil
	}
}
