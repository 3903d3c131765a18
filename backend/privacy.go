package backend

import (
	"net/http"
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
