package notifier

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/mail"
	"slices"
	"strings"
	"time"

	"github.com/manga-alert-italia/mangaalert/store"
)

// Store is what the notifier reads and writes: the catalogue of upcoming
// volumes, who follows them, the readers, and the alerts bookkeeping.
type Store interface {
	UpcomingVolumes(ctx context.Context, from store.Date) ([]store.Volume, error)
	Volume(ctx context.Context, id string) (store.Volume, error)
	FollowersOf(ctx context.Context, seriesID string) ([]store.Follow, error)
	Subscriber(ctx context.Context, id string) (store.Subscriber, error)
	ClaimAlert(ctx context.Context, a store.Alert) error
	ResolveAlert(ctx context.Context, k store.AlertKey, runID string, state store.AlertState, messageID, reason string, now time.Time) error
	ReclaimAlert(ctx context.Context, k store.AlertKey, runID string, before, now time.Time) error
	Alert(ctx context.Context, k store.AlertKey) (store.Alert, error)
	AlertsOfVolume(ctx context.Context, volumeID string) ([]store.Alert, error)
	StaleClaims(ctx context.Context, before time.Time) ([]store.Alert, error)
}

var _ Store = store.Store(nil)

// Links makes the URLs an alert email carries; the backend implements it.
type Links interface {
	UnsubscribeURL(s store.Subscriber) string // https; GET shows a confirm button, POST is RFC 8058 one-click
	ManageURL(s store.Subscriber) string
	SeriesURL(seriesID string) string
}

// Policy says what a run does with a claim an earlier run left behind (it
// died after claiming and before recording what became of the message).
type Policy int

// The policies.
const (
	// AtMostOnce marks the alert Uncertain and reports it: the reader may
	// have got it, and a duplicate is worse than a miss. The default.
	AtMostOnce Policy = iota
	// AtLeastOnce takes the claim over and sends again: a miss is worse
	// than a duplicate.
	AtLeastOnce
)

func (p Policy) String() string {
	if p == AtLeastOnce {
		return "at-least-once"
	}
	return "at-most-once"
}

// Defaults of the Notifier's fields.
const (
	DefaultRate            = 1.0 // messages a second: SES's sandbox rate
	DefaultConcurrency     = 2
	DefaultLease           = 15 * time.Minute
	DefaultAnnounceWithin  = 60 * 24 * time.Hour
	DefaultSendTimeout     = 60 * time.Second
	DefaultReadConcurrency = 8
)

// DefaultReminders are the days before the release a reminder goes out.
var DefaultReminders = []int{30, 7, 1}

// Notifier works out which alerts are due and sends them, once. Its fields
// are options: zero means the documented default. Set them with the
// functions passed to New, before Run.
type Notifier struct {
	// From is the alerts' sender ("Manga Alert Italia <avvisi@example.it>"),
	// required. It must differ from AccountFrom.
	From string
	// AccountFrom is the sender of account mail (confirmations), when known:
	// Run refuses an equal From, so readers' filters and the domain's
	// reputation tell alerts and account mail apart.
	AccountFrom string
	// ReplyTo, optional.
	ReplyTo string
	// ListID is the List-Id header ("Manga Alert Italia <avvisi.example.it>");
	// default: built from From's domain.
	ListID string
	// UnsubscribeMailto is the address of the mailto List-Unsubscribe link
	// ("unsubscribe@example.it"), required; the message's subject carries
	// "unsubscribe <subscriber id>" for whoever reads that mailbox.
	UnsubscribeMailto string

	// Reminders are the days before the release a reminder is due
	// (default 30, 7, 1).
	Reminders []int
	// OptIn are the editions announced only to readers with Variants set,
	// the sign-up's box "Avvisami anche di variant, ristampe ed edizioni
	// speciali" (default store.OptIn: variant, reprint, special). First
	// editions are announced to everyone; every other edition to nobody.
	OptIn []store.Edition
	// AnnounceWithin bounds how long after a volume was first seen it is
	// still announced (default 60 days): it keeps each run's reads to the
	// recent volumes, and covers a notifier stopped for weeks.
	AnnounceWithin time.Duration

	// Rate is the messages a second (default 1); a Sender with a
	// MaxSendRate (SES) lowers it to the account's quota.
	Rate float64
	// Burst is the token bucket's size (default 1: an even pace).
	Burst int
	// Concurrency bounds the messages in flight (default 2).
	Concurrency int
	// ReadConcurrency bounds the store reads in flight while planning
	// (default 8).
	ReadConcurrency int
	// SendTimeout bounds one Send; a send is never cut short by the run's
	// context, so that a stopped run does not lose a message in flight.
	SendTimeout time.Duration

	// Policy resolves claims older than Lease left by a run that died.
	Policy Policy
	// Lease is how old a claim must be before it is taken as abandoned
	// (default 15 minutes: far longer than one send).
	Lease time.Duration

	Clock  Clock        // default RealClock
	Logger *slog.Logger // default slog.Default().WithGroup("notifier")
	// NewRunID names a run (default: time and random).
	NewRunID func() string

	// Telegram sends the alerts of readers who chose Telegram and linked
	// a chat (telegram.go). Default nil: every alert goes by e-mail.
	Telegram TelegramSender

	store  Store
	sender Sender
	links  Links
}

// New returns a Notifier reading and writing st, sending with s, linking
// with l. Options set its fields.
func New(st Store, s Sender, l Links, opts ...func(*Notifier)) *Notifier {
	n := &Notifier{store: st, sender: s, links: l}
	for _, o := range opts {
		o(n)
	}
	return n
}

// RateSource is a Sender that knows the provider's maximum rate (SES's
// GetAccount SendQuota.MaxSendRate).
type RateSource interface {
	MaxSendRate(ctx context.Context) (float64, error)
}

// config returns n with defaults filled in, or what is wrong.
func (n *Notifier) config() (*Notifier, error) {
	c := *n
	var errs []error
	bad := func(format string, a ...any) { errs = append(errs, fmt.Errorf(format, a...)) }
	if c.store == nil || c.sender == nil || c.links == nil {
		bad("store, sender and links are required: pass them to notifier.New")
	}
	from, err := mail.ParseAddress(c.From)
	if err != nil {
		bad("From %q is not an address: set it to the alerts' sender, like \"Manga Alert Italia <avvisi@example.it>\"", c.From)
	}
	if c.AccountFrom != "" && from != nil {
		if a, err := mail.ParseAddress(c.AccountFrom); err == nil && strings.EqualFold(a.Address, from.Address) {
			bad("From and AccountFrom are both %s: send alerts from another address (avvisi@...) than account mail", a.Address)
		}
	}
	if a, err := mail.ParseAddress(c.UnsubscribeMailto); err != nil || a.Name != "" {
		bad("UnsubscribeMailto %q is not a bare address: set it to the mailbox that takes unsubscribe requests", c.UnsubscribeMailto)
	}
	if c.ListID == "" && from != nil {
		d := domainOf(from.Address)
		c.ListID = "Manga Alert Italia <avvisi." + d + ">"
	}
	if len(c.Reminders) == 0 {
		c.Reminders = DefaultReminders
	}
	c.Reminders = slices.Clone(c.Reminders)
	slices.Sort(c.Reminders)
	c.Reminders = slices.Compact(c.Reminders)
	if c.Reminders[0] < 1 {
		bad("Reminders %v: each must be at least 1 day", n.Reminders)
	}
	if c.OptIn == nil {
		c.OptIn = slices.Clone(store.OptIn)
	}
	if slices.Contains(c.OptIn, store.First) {
		bad("OptIn holds %q: first editions go to every reader already", store.First)
	}
	for _, e := range c.OptIn {
		if !e.Valid() {
			bad("OptIn holds %q: not an edition (want one of %v)", e, store.Editions)
		}
	}
	def := func(d *time.Duration, v time.Duration, name string) {
		if *d == 0 {
			*d = v
		} else if *d < 0 {
			bad("%s %v is negative", name, *d)
		}
	}
	def(&c.AnnounceWithin, DefaultAnnounceWithin, "AnnounceWithin")
	def(&c.SendTimeout, DefaultSendTimeout, "SendTimeout")
	def(&c.Lease, DefaultLease, "Lease")
	if c.Rate == 0 {
		c.Rate = DefaultRate
	}
	if c.Rate < 0 {
		bad("Rate %v: want messages a second, more than 0", c.Rate)
	}
	if c.Burst == 0 {
		c.Burst = 1
	}
	if c.Concurrency == 0 {
		c.Concurrency = DefaultConcurrency
	}
	if c.ReadConcurrency == 0 {
		c.ReadConcurrency = DefaultReadConcurrency
	}
	if c.Burst < 0 || c.Concurrency < 0 || c.ReadConcurrency < 0 {
		bad("Burst, Concurrency and ReadConcurrency must be positive")
	}
	if c.Policy != AtMostOnce && c.Policy != AtLeastOnce {
		bad("Policy %d: want AtMostOnce or AtLeastOnce", c.Policy)
	}
	if c.Clock == nil {
		c.Clock = RealClock{}
	}
	if c.Logger == nil {
		c.Logger = slog.Default().WithGroup("notifier")
	}
	if c.NewRunID == nil {
		clock := c.Clock
		c.NewRunID = func() string {
			var r [4]byte
			_, _ = rand.Read(r[:])
			return clock.Now().UTC().Format("20060102T150405Z") + "-" + hex.EncodeToString(r[:])
		}
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("notifier: %w", errors.Join(errs...))
	}
	return &c, nil
}
