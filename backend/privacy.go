package backend

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/manga-alert-italia/mangaalert/store"
)

// PrivacyVersion names the text of the privacy page (/privacy) by the day
// it was last changed. A reader's confirmation records it with the time
// (store.Subscriber.ConsentVersion, ConsentAt), so it stays known which
// text they agreed to: change it whenever the page's text changes.
const PrivacyVersion = "2026-12-03"

// PrivacyPath is where the privacy page lives; every page's footer and
// every mail link it.
const PrivacyPath = "/privacy"

// privacyPage is what the page shows besides its fixed text: the
// retention periods come from the configuration, so the page says what
// the service really does.
type privacyPage struct {
	chrome
	Version     string // PrivacyVersion
	VersionDate string // "3 dicembre 2026"
	ConfirmDays int    // an unconfirmed sign-up is forgotten after these days
	ManageDays  int    // a manage link works for these days
	Contact     string // Config.PrivacyContact: the controller, or ""
}

// pagePrivacy serves the privacy page: the same for everyone, so it is
// cached (and revalidated by ETag) like the catalogue's pages.
func (b *Backend) pagePrivacy(w http.ResponseWriter, r *http.Request) {
	b.cachedPage(w, r, "page|privacy", func() (string, any, bool) {
		return "privacy", privacyPage{
			chrome:      b.chrome("privacy", false),
			Version:     PrivacyVersion,
			VersionDate: privacyDate(),
			ConfirmDays: max(1, int(b.cfg.ConfirmTTL.Hours()/24)),
			ManageDays:  max(1, int(b.cfg.ManageTTL.Hours()/24)),
			Contact:     strings.TrimSpace(b.cfg.PrivacyContact),
		}, true
	})
}

// privacyDate is PrivacyVersion as Italians write a date.
func privacyDate() string {
	t, err := time.Parse(time.DateOnly, PrivacyVersion)
	if err != nil {
		return PrivacyVersion
	}
	return dateLabel(store.DateOf(t))
}

// recordConsent marks s as having agreed, now, to the privacy page of
// this version: called when a reader confirms their address (the link
// mailed to them, whose page links the privacy text).
func recordConsent(s *store.Subscriber, now time.Time) {
	s.ConsentAt = now
	s.ConsentVersion = PrivacyVersion
}

// PrivacyURL is the privacy page, which every mail links in its footer
// (the notifier finds it on its Links by this method).
func (l *Links) PrivacyURL() string { return l.base + PrivacyPath }

// forget deletes everything the store holds about s (the GDPR's erasure)
// in two steps, so that a failure midway leaves a state the reader can
// retry from, never half of one:
//
//  1. the reader stops: no more mail (Unsubscribed; Suppressed stays) and
//     no feed (the feed secret is cleared, which revokes every feed URL);
//  2. the store deletes the alert history, the follows, and last the
//     record with its address (store.Subscribers.DeleteSubscriber).
//
// If step 2 fails, the reader is still there, unsubscribed and without
// feeds, and the manage link still opens their page: deleting again
// finishes the work. A reader already gone is done.
//
// A notifier run that read the reader before step 1 mails nothing after
// step 2: the stores claim no alert for an id with no subscriber record
// (store.Alerts.ClaimAlert), and the notifier sends only what it
// claimed. One in the instant between its claim and its send still goes.
func (b *Backend) forget(ctx context.Context, s store.Subscriber) error {
	_, err := b.updateReader(ctx, s.ID, func(s *store.Subscriber) bool {
		if s.TokenHash == "" && (s.Status == store.Unsubscribed || s.Status == store.Suppressed) {
			return false
		}
		if s.Status != store.Suppressed {
			s.Status = store.Unsubscribed
		}
		s.TokenHash = ""
		return true
	})
	if errors.Is(err, errGone) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("%w: stop the reader: %w", errForgetIncomplete, err)
	}
	if err := b.cfg.Store.DeleteSubscriber(ctx, s.ID); err != nil {
		return fmt.Errorf("%w: %w", errForgetIncomplete, err)
	}
	return nil
}

// errForgetIncomplete: a deletion stopped midway; the reader may retry.
var errForgetIncomplete = errors.New("deletion incomplete")

// forgetFailed answers a deletion that stopped midway: 503, saying what
// is done already and that trying again finishes it.
func (b *Backend) forgetFailed(w http.ResponseWriter, r *http.Request, err error) {
	if errors.Is(err, context.Canceled) && r.Context().Err() != nil {
		return
	}
	b.cfg.Logger.Error("backend: deletion incomplete, the reader may retry", "route", r.Pattern, "err", err)
	const msg = "Non siamo riusciti a cancellare tutto: non ti scriviamo più e i tuoi feed sono già disattivati, ma i dati ci sono ancora. Riprova tra poco dallo stesso link: la cancellazione riparte da dove si è fermata."
	if isAPI(r) {
		writeAPIError(w, http.StatusServiceUnavailable, "delete_incomplete", msg, "")
		return
	}
	d := errorPage{chrome: b.chrome("", true), Title: "Cancellazione non finita", Message: msg}
	b.page(w, r, http.StatusServiceUnavailable, "error", d)
}
