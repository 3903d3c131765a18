// Package store holds the domain of Manga Alert Italia (series, volumes,
// subscribers, follows, alerts) and the storage contract every backend
// implements: small interfaces by use, so the scraper, the notifier and the
// backend each ask for only what they need.
//
// Implementations live in subpackages: store/dynamo (DynamoDB, on AWS) and
// store/bolt (bbolt, on a laptop). One contract suite, store/storetest, runs
// against both.
package store

import (
	"errors"
	"fmt"
	"io/fs"
	"slices"
	"strings"
	"time"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// Errors every implementation returns (wrapped, so test with errors.Is).
var (
	// ErrNotFound: no such record. It matches fs.ErrNotExist too.
	ErrNotFound = fmt.Errorf("store: not found: %w", fs.ErrNotExist)
	// ErrExists: the record (a subscriber's email) is already there.
	ErrExists = fmt.Errorf("store: already exists: %w", fs.ErrExist)
	// ErrClaimed: the alert was claimed before; it must not be sent again.
	ErrClaimed = errors.New("store: alert already claimed")
	// ErrConflict: the record changed since it was read; read it again.
	ErrConflict = errors.New("store: record changed concurrently")
)

// Edition is what kind of product a volume is. Only first editions are new
// volumes; the OptIn editions are announced only to readers who ask for
// them, and the rest to nobody.
type Edition string

// The editions.
const (
	First   Edition = "first"   // the first printing of a numbered volume
	Reprint Edition = "reprint" // a new printing (ristampa) of a volume already out
	Variant Edition = "variant" // the same volume with another cover or gadget
	Special Edition = "special" // a special or limited edition of a volume
	BoxSet  Edition = "boxset"  // a box or cofanetto of several volumes
	Other   Edition = "other"   // novels, artbooks, guides: not a volume
)

// Editions lists every edition kind, in a stable order.
var Editions = []Edition{First, Reprint, Variant, Special, BoxSet, Other}

// OptIn are the editions a reader may ask to hear of besides first
// editions: the sign-up's "Avvisami anche di variant, ristampe ed edizioni
// speciali" (Subscriber.Variants). Box sets and Other (novels, artbooks,
// guides) are announced to nobody: the box promises none of them.
var OptIn = []Edition{Variant, Reprint, Special}

// Announced reports whether a volume of edition e is told to a reader who
// did (optIn) or did not tick the box: first editions to everyone, the
// OptIn editions to those who asked.
func (e Edition) Announced(optIn bool) bool {
	return e == First || e == "" || (optIn && slices.Contains(OptIn, e))
}

// Valid reports whether e is one of Editions.
func (e Edition) Valid() bool { return slices.Contains(Editions, e) }

// Series is a manga series as readers know it, whoever publishes it.
type Series struct {
	ID        string   // stable: Slug of the normalised title ("jujutsu-kaisen")
	Title     string   // the title readers know ("Jujutsu Kaisen")
	Aliases   []string // other titles sources use ("Jujutsu Kaisen - Sorcery Fight")
	Publisher string   // "Star Comics", "Panini Comics", "J-POP"
}

// Volume is one product of a series: a numbered first edition, or a
// reprint, variant or other edition of it.
type Volume struct {
	ID          string  // VolumeID(SeriesID, Edition, Number, Key)
	SeriesID    string  // Series.ID
	Number      int     // the volume number (0 is a real number: "Jujutsu Kaisen 0")
	Edition     Edition // First, Reprint, ...
	Key         string  // tells apart editions of the same number: SKU or URL slug; "" for first editions
	Title       string  // as the publisher prints it ("SOLO LEVELING n. 19")
	Publisher   string
	ReleaseDate Date   // in Europe/Rome; zero when not announced
	PriceCents  int    // cover price in euro cents; 0 when unknown
	CoverURL    string // absolute; "" for placeholders
	// SourceURL is absolute: the product's own page, from the card's link.
	// A card without a link gives "" rather than the listing it was read
	// on: an empty field erases nothing in Merge, so the volume keeps the
	// link another source gave, where a listing URL would overwrite it on
	// every run and the two sources would take turns changing it.
	SourceURL string
	// SKU is the publisher's codes of the volume (SKU or EAN), when
	// given: one, or several joined by a space in byte order when pages
	// list the same volume under more than one (a plain "MAHER060_IT08"
	// and an ISBN-suffixed "MAHER060ISBN_IT08" are one volume). Merge adds
	// codes with AddSKUs and never drops one.
	SKU       string
	FirstSeen time.Time
	LastSeen  time.Time // refreshed at most once per LastSeenEvery
	// ChangedAt is when a field Merge compares last changed: set when the
	// volume is created and when a merge changes something, never by the
	// daily LastSeen refresh. Records written before it existed read it
	// as zero: see LastChanged.
	ChangedAt time.Time
}

// LastChanged is when the volume last changed: ChangedAt, or FirstSeen for
// a record stored before ChangedAt was kept.
func (v Volume) LastChanged() time.Time {
	if v.ChangedAt.IsZero() {
		return v.FirstSeen
	}
	return v.ChangedAt
}

// LastSeenEvery bounds how often an unchanged volume's LastSeen is written:
// a scrape repeated within it writes nothing.
const LastSeenEvery = 24 * time.Hour

// VolumeID is the stable id of a volume: "series/number" for first editions,
// so two sources of the same volume meet on one record, and
// "series/number/edition/key" for the others.
func VolumeID(seriesID string, e Edition, number int, key string) string {
	if e == First || e == "" {
		return fmt.Sprintf("%s/%d", seriesID, number)
	}
	return fmt.Sprintf("%s/%d/%s/%s", seriesID, number, e, Slug(key))
}

// Fields a volume upsert compares, by name, for UpsertResult.Changed.
const (
	FieldTitle       = "title"
	FieldPublisher   = "publisher"
	FieldReleaseDate = "release_date"
	FieldPrice       = "price_cents"
	FieldCover       = "cover_url"
	FieldSource      = "source_url"
	FieldSKU         = "sku"
	FieldEdition     = "edition"
)

// Merge lays an incoming scrape of v over the stored record old and
// reports which fields changed. Empty incoming fields never erase known
// values: a source that does not print the price does not unknow it.
// FirstSeen stays; ChangedAt moves to now only when something changed;
// LastSeen moves when something changed or it is older than LastSeenEvery.
// The incoming times are ignored. The result's write flag says whether
// the record must be written at all.
func Merge(old, v Volume, now time.Time) (merged Volume, changed []string, write bool) {
	m := old
	set := func(field string, dst *string, src string) {
		if src != "" && *dst != src {
			*dst = src
			changed = append(changed, field)
		}
	}
	set(FieldTitle, &m.Title, v.Title)
	set(FieldPublisher, &m.Publisher, v.Publisher)
	set(FieldCover, &m.CoverURL, v.CoverURL)
	set(FieldSource, &m.SourceURL, v.SourceURL)
	if skus := AddSKUs(m.SKU, v.SKU); skus != m.SKU {
		m.SKU = skus
		changed = append(changed, FieldSKU)
	}
	if v.Edition != "" && m.Edition != v.Edition {
		m.Edition = v.Edition
		changed = append(changed, FieldEdition)
	}
	if !v.ReleaseDate.IsZero() && m.ReleaseDate != v.ReleaseDate {
		m.ReleaseDate = v.ReleaseDate
		changed = append(changed, FieldReleaseDate)
	}
	if v.PriceCents > 0 && m.PriceCents != v.PriceCents {
		m.PriceCents = v.PriceCents
		changed = append(changed, FieldPrice)
	}
	if len(changed) > 0 {
		m.ChangedAt = now
	}
	stale := now.Sub(m.LastSeen) >= LastSeenEvery
	if len(changed) > 0 || stale {
		m.LastSeen = now
	}
	return m, changed, len(changed) > 0 || stale
}

// AddSKUs is the SKU field holding the codes of a and b: every code of
// either, once, in byte order, joined by a space. It is commutative and
// idempotent, so two pages listing one volume under two codes give the
// same record whichever is read first, and reading them again changes
// nothing.
func AddSKUs(a, b string) string {
	codes := slices.Concat(strings.Fields(a), strings.Fields(b))
	if len(codes) == 0 {
		return ""
	}
	slices.Sort(codes)
	return strings.Join(slices.Compact(codes), " ")
}

// Outcome is what an upsert did to one volume.
type Outcome string

// The outcomes.
const (
	Created   Outcome = "created"   // the volume was not stored before
	Updated   Outcome = "updated"   // a field Merge compares changed
	Unchanged Outcome = "unchanged" // nothing to write but, at most, LastSeen
)

// UpsertResult reports the upsert of one volume.
type UpsertResult struct {
	ID      string
	Outcome Outcome
	Changed []string // the Field* names that changed, for Updated
	Before  Volume   // the stored record before, for Updated
}

// Status is where a subscriber stands.
type Status string

// The subscriber statuses.
const (
	Pending      Status = "pending"      // signed up, has not confirmed the address
	Active       Status = "active"       // confirmed: gets mail
	Unsubscribed Status = "unsubscribed" // asked for no more mail
	Suppressed   Status = "suppressed"   // bounced or complained: never mailed again
)

// Subscriber is a reader with an email address.
type Subscriber struct {
	ID     string // random, opaque
	Email  string // NormalizeEmail'd
	Status Status
	// Variants is the sign-up's box "Avvisami anche di variant, ristampe
	// ed edizioni speciali": also announce the OptIn editions.
	Variants bool
	// TokenHash is the reader's feed secret, despite its name not the
	// hash of any token: the backend sets it when the reader confirms
	// (64 hex digits, the SHA-256 of 256 random bits) and leaves it ""
	// while the sign-up is pending, which means no feeds. A feed token
	// carries the subscriber's ID, and its MAC mixes this secret in
	// without carrying it; the backend reads the reader by ID and checks
	// the MAC against the stored secret. Replacing the secret (the manage
	// page's "Crea nuovi indirizzi" button) revokes every feed URL given
	// out before. Stores keep it opaque and indexed for SubscriberByToken.
	TokenHash string
	CreatedAt time.Time
	UpdatedAt time.Time
	// ConfirmedAt is when the address was confirmed (zero while pending).
	ConfirmedAt time.Time
	// ExpiresAt is when an unconfirmed sign-up is forgotten (zero once
	// confirmed): DynamoDB's TTL, swept by the embedded store.
	ExpiresAt time.Time
	// Reminders are the alerts the reader wants of every series, unless a
	// follow chooses its own (zero: all of them).
	Reminders Remind

	// Consent (GDPR, privacy.go in the backend): when the reader
	// confirmed the address, and which version of the privacy page
	// (backend.PrivacyVersion) was the one linked then. Zero and "" for
	// a pending sign-up and for records confirmed before consent was kept.
	ConsentAt      time.Time
	ConsentVersion string
	// Telegram (issue 17, see telegram.go). TelegramChatID is the chat
	// linked through the bot's deep link (0: none); Channels where the
	// alerts go (zero: e-mail), see AlertChannels.
	TelegramChatID int64
	Channels       Channels
}

// Mailable reports whether the subscriber may be sent alerts.
func (s Subscriber) Mailable() bool { return s.Status == Active }

// NormalizeEmail trims an address, lower-cases it and puts it in Unicode
// NFC, so one mailbox is one subscriber. It does not validate.
func NormalizeEmail(s string) string {
	return norm.NFC.String(strings.ToLower(strings.TrimSpace(s)))
}

// Follow says a subscriber follows a series.
type Follow struct {
	SubscriberID string
	SeriesID     string
	CreatedAt    time.Time // volumes first seen before it are back catalogue
	// The reader's collection ("Ho fino al n. N"): the first editions
	// numbered up to OwnedUpTo (0: none), and those in Owned (sorted,
	// once each, see CleanOwned), are had already and never alerted.
	OwnedUpTo int
	Owned     []int
	// Reminders are the alerts wanted of this series (zero: the reader's).
	Reminders Remind
}

// AlertKind is why an alert is sent: the announcement or a reminder.
type AlertKind string

// Announce is the alert for a newly announced volume.
const Announce AlertKind = "announce"

// Reminder is the kind of the reminder sent days before the release.
func Reminder(days int) AlertKind { return AlertKind(fmt.Sprintf("remind-%d", days)) }

// ReminderDays returns the days of a reminder kind (ok false for Announce).
func (k AlertKind) ReminderDays() (int, bool) {
	var d int
	if _, err := fmt.Sscanf(string(k), "remind-%d", &d); err != nil {
		return 0, false
	}
	return d, true
}

// AlertState is where an alert stands. Claimed is the only state a run may
// leave behind by dying; the notifier resolves old claims by its policy.
type AlertState string

// The alert states.
const (
	Claimed   AlertState = "claimed"   // a run took it and may have sent it
	Sent      AlertState = "sent"      // the provider accepted it
	Failed    AlertState = "failed"    // the provider refused it for good
	Uncertain AlertState = "uncertain" // a run died between claim and send: maybe sent
)

// AlertKey names one alert: at most one claim of it ever succeeds.
type AlertKey struct {
	SubscriberID string
	VolumeID     string
	Kind         AlertKind
}

func (k AlertKey) String() string { return k.SubscriberID + "|" + k.VolumeID + "|" + string(k.Kind) }

// Alert is one (subscriber, volume, kind) and what became of it.
type Alert struct {
	AlertKey
	State       AlertState
	RunID       string // the notifier run that claimed it
	MessageID   string // the provider's, once sent
	Error       string // why it failed, for Failed and Uncertain
	ReleaseDate Date   // the release date the alert spoke of
	ClaimedAt   time.Time
	UpdatedAt   time.Time
}

// Page is what the scraper remembers of a URL, to fetch it conditionally.
type Page struct {
	URL          string
	ETag         string
	LastModified string
	ContentHash  string // SHA-256 (hex) of the last body
	FetchedAt    time.Time
}

// Counts summarises the store, for /readyz, reports and tests.
type Counts struct {
	Series      int
	Volumes     int
	Subscribers map[Status]int
	Follows     int
	Alerts      map[AlertState]int
}

// Slug turns a title into an id: lower case, ASCII letters and digits,
// words joined by "-", accents removed ("Città" -> "citta").
func Slug(s string) string {
	var b strings.Builder
	dash := false
	for _, r := range norm.NFD.String(strings.ToLower(s)) {
		switch {
		case unicode.Is(unicode.Mn, r): // combining accent: drop
		case r < unicode.MaxASCII && (unicode.IsLetter(r) || unicode.IsDigit(r)):
			if dash && b.Len() > 0 {
				b.WriteByte('-')
			}
			dash = false
			b.WriteRune(r)
		default:
			dash = true
		}
	}
	return b.String()
}
