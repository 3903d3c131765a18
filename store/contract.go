package store

import (
	"context"
	"time"
)

// CatalogWriter writes the catalogue: what the scraper finds.
type CatalogWriter interface {
	// PutSeries creates or updates a series: non-empty fields replace (a
	// replaced title becomes an alias); aliases are merged as a sorted set
	// and never lost, also when two calls race.
	PutSeries(ctx context.Context, s Series) error
	// UpsertVolumes stores volumes idempotently (see Merge) and reports, in
	// input order, whether each was Created, Updated or Unchanged. Unchanged
	// volumes cost no write. Volumes with the same ID in one call are merged
	// in order.
	UpsertVolumes(ctx context.Context, vs []Volume, now time.Time) ([]UpsertResult, error)
}

// CatalogReader reads the catalogue: series and volumes.
type CatalogReader interface {
	Series(ctx context.Context, id string) (Series, error)
	// ListSeries returns every series, ordered by ID.
	ListSeries(ctx context.Context) ([]Series, error)
	Volume(ctx context.Context, id string) (Volume, error)
	// VolumesOfSeries returns a series' volumes ordered by number, then
	// edition (in Editions order), then ID.
	VolumesOfSeries(ctx context.Context, seriesID string) ([]Volume, error)
	// VolumesReleasing returns the volumes whose release date is in
	// [from, to], ordered by date then ID. Both dates must be known.
	VolumesReleasing(ctx context.Context, from, to Date) ([]Volume, error)
	// UpcomingVolumes returns the volumes releasing on or after from, and
	// those whose date is not known yet: what the notifier looks at. Dated
	// ones come first by date then ID, then the undated ones by ID.
	UpcomingVolumes(ctx context.Context, from Date) ([]Volume, error)
}

// Subscribers keeps readers.
type Subscribers interface {
	// CreateSubscriber adds s; ErrExists when its email is taken (the email
	// and the record are written together or not at all). The email is
	// stored NormalizeEmail'd. A sign-up whose ExpiresAt has passed is gone:
	// every read answers ErrNotFound and its email is free again.
	CreateSubscriber(ctx context.Context, s Subscriber) error
	Subscriber(ctx context.Context, id string) (Subscriber, error)
	SubscriberByEmail(ctx context.Context, email string) (Subscriber, error)
	// SubscriberByToken finds the live subscriber whose TokenHash is hash;
	// ErrNotFound for "" or no match. It is for a caller holding a
	// reader's feed secret without the ID: a link that carries the secret
	// itself. Nothing in this module calls it now (the backend's feed
	// tokens carry the ID and bind the secret by MAC, see
	// Subscriber.TokenHash), but both stores keep the index it reads, and
	// the contract suite checks it, so importers may rely on it.
	SubscriberByToken(ctx context.Context, hash string) (Subscriber, error)
	// UpdateSubscriber replaces s if it has not changed since it was read
	// (same UpdatedAt as stored), else ErrConflict. It sets UpdatedAt to now
	// (or just after the stored one, so it always moves) and returns the
	// record as stored. The email and CreatedAt cannot change.
	UpdateSubscriber(ctx context.Context, s Subscriber, now time.Time) (Subscriber, error)
	// DeleteSubscriber forgets s, its follows and its email; nil when absent.
	DeleteSubscriber(ctx context.Context, id string) error
}

// Follows keeps who follows what.
type Follows interface {
	// Follow records it; following again keeps the first CreatedAt and
	// the collection (a zero CreatedAt means now). A new follow stores the
	// collection and reminders f carries.
	Follow(ctx context.Context, f Follow) error
	// UpdateFollow replaces the reader's collection and reminders of a
	// series they follow (OwnedUpTo, Owned, Reminders; CreatedAt stays);
	// ErrNotFound when they do not follow it. Owned is stored CleanOwned.
	UpdateFollow(ctx context.Context, f Follow) error
	// Unfollow removes it; nil when absent.
	Unfollow(ctx context.Context, subscriberID, seriesID string) error
	// FollowsOf returns a subscriber's follows, ordered by series ID.
	FollowsOf(ctx context.Context, subscriberID string) ([]Follow, error)
	// FollowersOf returns a series' follows, ordered by subscriber ID.
	FollowersOf(ctx context.Context, seriesID string) ([]Follow, error)
	// FollowedSeries returns every series that at least one subscriber
	// follows, each once, ordered by ID: the series whose pages the
	// scraper reads. A follow of a series with no record is left out.
	FollowedSeries(ctx context.Context) ([]Series, error)
}

// Alerts is the notifier's exactly-once bookkeeping.
type Alerts interface {
	// ClaimAlert records a as Claimed, conditionally: ErrClaimed when the
	// key exists in any state; ErrNotFound when a.SubscriberID has no
	// subscriber record (a reader deleted while a run was sending: the
	// claim and the mail after it must not outlive the deletion). Exactly
	// one claim of a key ever succeeds. A zero ClaimedAt means now.
	ClaimAlert(ctx context.Context, a Alert) error
	// ResolveAlert moves a claimed alert of run runID to state (Sent with the
	// provider's message id, Failed or Uncertain with a reason);
	// ErrConflict when it is not Claimed by runID any more, ErrNotFound when
	// it was never claimed.
	ResolveAlert(ctx context.Context, k AlertKey, runID string, state AlertState, messageID, reason string, now time.Time) error
	// ReclaimAlert hands a Claimed alert older than before to run runID (for
	// an at-least-once policy); ErrConflict when someone else got there.
	ReclaimAlert(ctx context.Context, k AlertKey, runID string, before, now time.Time) error
	Alert(ctx context.Context, k AlertKey) (Alert, error)
	// AlertsOfVolume returns every alert of a volume, any subscriber,
	// ordered by subscriber ID then kind.
	AlertsOfVolume(ctx context.Context, volumeID string) ([]Alert, error)
	// AlertsOfSubscriber returns every alert of a subscriber, ordered by
	// volume ID then kind.
	AlertsOfSubscriber(ctx context.Context, subscriberID string) ([]Alert, error)
	// StaleClaims returns the alerts still Claimed that were claimed before
	// t, oldest claim first.
	StaleClaims(ctx context.Context, before time.Time) ([]Alert, error)
}

// Pages is the scraper's memory of what it fetched.
type Pages interface {
	Page(ctx context.Context, url string) (Page, error)
	PutPage(ctx context.Context, p Page) error
}

// Blobs is a small key-value store for what has no record of its own (the
// backend's ACME certificate cache).
type Blobs interface {
	GetBlob(ctx context.Context, key string) ([]byte, error)
	// PutBlob stores at most 300 KiB (a DynamoDB item holds 400 KB).
	PutBlob(ctx context.Context, key string, value []byte) error
	DeleteBlob(ctx context.Context, key string) error
}

// Store is everything; each implementation provides it.
type Store interface {
	CatalogWriter
	CatalogReader
	Subscribers
	Follows
	Alerts
	Pages
	Blobs
	Budgets
	CatalogVersioner
	TelegramLinks // issue 17
	// Counts summarises the store.
	Counts(ctx context.Context) (Counts, error)
	// Ping answers when the store can serve (for /readyz).
	Ping(ctx context.Context) error
	Close() error
}
