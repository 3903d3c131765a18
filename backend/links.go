package backend

import (
	"context"
	"fmt"
	"net/url"
	"time"

	"github.com/manga-alert-italia/mangaalert/store"
)

// Links makes the signed URLs of the pages, for the notifier's mails and the
// backend's own. It holds the current signing key it was made with: a
// notifier run is short, and a link it signed stays valid through one
// rotation of the key.
type Links struct {
	base      string
	key       []byte
	manageTTL time.Duration
	now       func() time.Time
}

// LinksOption changes a Links.
type LinksOption func(*Links)

// WithManageTTL sets how long a manage link works (default DefaultManageTTL).
func WithManageTTL(d time.Duration) LinksOption { return func(l *Links) { l.manageTTL = d } }

// WithClock sets the clock the expiry of manage links is counted from.
func WithClock(now func() time.Time) LinksOption { return func(l *Links) { l.now = now } }

// NewLinks reads the current signing key from keys once and returns the
// Links of the site at baseURL ("https://mangaalert.it").
func NewLinks(ctx context.Context, baseURL string, keys Keys, opts ...LinksOption) (*Links, error) {
	base, err := parseBaseURL(baseURL)
	if err != nil {
		return nil, err
	}
	cur, _, err := keys.SigningKeys(ctx)
	if err != nil {
		return nil, fmt.Errorf("links: signing keys: %w", err)
	}
	if len(cur) < MinKeyLen {
		return nil, fmt.Errorf("links: signing key is %d bytes: want at least %d", len(cur), MinKeyLen)
	}
	return newLinks(base, cur, DefaultManageTTL, time.Now, opts...), nil
}

func newLinks(base string, key []byte, manageTTL time.Duration, now func() time.Time, opts ...LinksOption) *Links {
	l := &Links{base: base, key: key, manageTTL: manageTTL, now: now}
	for _, o := range opts {
		o(l)
	}
	return l
}

func (l *Links) token(c claims, bind string) string {
	t, err := sign(l.key, c, bind)
	if err != nil {
		// Only a '|' in an ID of ours gets here: IDs are generated without one.
		panic(fmt.Sprintf("backend: sign token: %v", err))
	}
	return t
}

// UnsubscribeURL is the one-click unsubscribe link of s, for the
// List-Unsubscribe header (RFC 8058) and the mail's footer: GET shows a
// button, POST unsubscribes. It never expires.
func (l *Links) UnsubscribeURL(s store.Subscriber) string {
	return l.base + "/disiscriviti/" + l.token(claims{Purpose: Unsubscribe, Subject: s.ID}, "")
}

// ManageURL opens s's manage page; it expires after the manage TTL.
func (l *Links) ManageURL(s store.Subscriber) string {
	return l.base + "/gestisci/" + l.ManageToken(s)
}

// ManageToken is the token of ManageURL, which the API takes as a bearer
// token.
func (l *Links) ManageToken(s store.Subscriber) string {
	return l.token(claims{Purpose: Manage, Subject: s.ID, Expires: l.now().Add(l.manageTTL)}, "")
}

// SeriesURL is the public page of a series.
func (l *Links) SeriesURL(seriesID string) string {
	return l.base + "/serie/" + url.PathEscape(seriesID)
}

// confirmURL is the link of the confirmation mail: it activates s and
// follows seriesID ("" for none).
func (l *Links) confirmURL(s store.Subscriber, seriesID string, ttl time.Duration) string {
	return l.base + "/conferma/" + l.token(claims{Purpose: Confirm, Subject: s.ID, Extra: seriesID, Expires: l.now().Add(ttl)}, "")
}

// FeedToken is s's feed token: it binds s.TokenHash, so a new feed secret
// revokes every older feed URL. "" while s has no feed secret.
func (l *Links) FeedToken(s store.Subscriber) string {
	if s.TokenHash == "" {
		return ""
	}
	return l.token(claims{Purpose: Feed, Subject: s.ID}, s.TokenHash)
}

// CalendarURL is s's iCalendar feed of the releases of what s follows.
func (l *Links) CalendarURL(s store.Subscriber) string {
	if t := l.FeedToken(s); t != "" {
		return l.base + "/feed/" + t + "/uscite.ics"
	}
	return ""
}

// AtomURL is s's Atom feed of announcements.
func (l *Links) AtomURL(s store.Subscriber) string {
	if t := l.FeedToken(s); t != "" {
		return l.base + "/feed/" + t + "/annunci.atom"
	}
	return ""
}
