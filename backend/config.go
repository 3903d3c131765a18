package backend

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"time"

	"github.com/manga-alert-italia/mangaalert/store"
)

// Store is what the backend reads and writes: the catalogue (and its
// version, for the page caches), readers and their follows, the mail
// budgets, and Ping for /readyz. Both store implementations provide
// it.
type Store interface {
	store.CatalogReader
	store.CatalogVersioner
	store.Budgets
	store.Subscribers
	store.Follows
	store.TelegramLinks // issue 17: link tokens, chats
	Ping(ctx context.Context) error

	// The reader's alert history, for their export (export.go).
	AlertsOfSubscriber(ctx context.Context, subscriberID string) ([]store.Alert, error)
}

// Mail is one message the backend sends: the confirmation of a sign-up or
// a fresh link to the manage page.
type Mail struct {
	To      string
	Subject string
	Text    string // plain-text body
	HTML    string // HTML body; "" for text only
}

// Mailer sends a Mail. The binary adapts the notifier's sender to it.
type Mailer interface {
	Send(ctx context.Context, m Mail) error
}

// MailerFunc adapts a function to Mailer.
type MailerFunc func(ctx context.Context, m Mail) error

// Send calls f.
func (f MailerFunc) Send(ctx context.Context, m Mail) error { return f(ctx, m) }

// Keys gives the HMAC keys that sign tokens: current signs, and a token
// signed with previous is still accepted while a rotation settles
// (previous is nil when there is none). The binary adapts the secrets
// package (the AWSCURRENT and AWSPREVIOUS versions of a secret).
type Keys interface {
	SigningKeys(ctx context.Context) (current, previous []byte, err error)
}

// StaticKeys is a Keys that never changes: for tests and a laptop.
type StaticKeys struct {
	Current  []byte
	Previous []byte
}

// SigningKeys returns k's keys.
func (k StaticKeys) SigningKeys(context.Context) (current, previous []byte, err error) {
	return k.Current, k.Previous, nil
}

// MinKeyLen is the shortest signing key accepted: 256 bits.
const MinKeyLen = 32

// Limit is a rate: Burst events at once, then one every Every. The zero
// Limit means the default of the field it sets; Off disables it.
type Limit struct {
	Every time.Duration
	Burst int
}

// Off is the Limit that disables a rate limit (a load generator on
// loopback, tests).
var Off = Limit{Every: -1}

func (l Limit) off() bool { return l.Every < 0 }

func (l Limit) or(d Limit) Limit {
	if l == (Limit{}) {
		return d
	}
	return l
}

// Config is what New needs. Store, Keys, Mailer and BaseURL are required;
// every other zero field means the default its comment names.
type Config struct {
	Store  Store
	Keys   Keys
	Mailer Mailer
	// BaseURL is the public address readers reach ("https://mangaalert.it"):
	// links in mails and feeds start with it, and its origin is the one
	// trusted for form posts.
	BaseURL string

	// Logger gets the backend's own logs (Debug), and Warn/Error for what
	// no caller sees (a confirmation mail that could not be sent). Default
	// slog.Default().
	Logger *slog.Logger
	// AccessLog gets one record per request, with no email address and no
	// token in it: at Info, but at Debug for /healthz and /readyz when
	// they answer 2xx (the container checks them every few seconds).
	// Default Logger.
	AccessLog *slog.Logger
	// AccessLogRate is the access log's budget of Info records, whatever
	// the traffic: past it records are counted (Stats) and the next one
	// written says how many were left out. A client's 429s are logged at
	// most once a minute besides. Default a burst of 1000, then 100 a
	// second.
	AccessLogRate Limit

	// TrustedProxies are the addresses whose X-Forwarded-For is believed.
	// Default none: the client is the peer of the connection (there is no
	// load balancer in front).
	TrustedProxies []netip.Prefix
	// PerIP limits the requests of one client address (an IPv6 client is
	// its /64). Default a burst of 60, then 20 a second.
	PerIP Limit
	// FormsPerIP limits the posts that may send mail (sign-up, link
	// requests) from one address. Default a burst of 10, then one a minute.
	FormsPerIP Limit
	// The mail budgets of the forms (sign-up, manage link), kept in the
	// Store so that restarts and replicas share them; the answer to a
	// post is the same whatever their state. A negative value turns one
	// off.
	//
	// MailsPerAddress is how many mails may go to one inbox (see Inbox:
	// "+tags" and Gmail's dots do not make another) in 24 hours. Default 3.
	MailsPerAddress int
	// MailsPerIP is how many mails the posts of one client address (an
	// IPv6 client is its /64) may cause in an hour. Default 10.
	MailsPerIP int
	// MailsPerHour is how many mails the forms may send in an hour in
	// all: a flood from many addresses to many inboxes stops there, not
	// at the provider's quota. Default 300.
	MailsPerHour int

	// MaxBodyBytes caps a request body. Default 16 KiB.
	MaxBodyBytes int64

	// Hooks are handlers served at exact paths ("/hooks/ses") inside the
	// same middleware as the site: access log, security headers and the
	// per-address rate limit. Their bodies are capped at HookBodyBytes
	// instead of MaxBodyBytes (an SNS message is up to 256 KiB); a path the
	// site uses is refused.
	Hooks map[string]http.Handler
	// HookBodyBytes caps a hook's request body. Default 256 KiB.
	HookBodyBytes int64
	// CacheTTL is how long a rendered list of releases or series is served
	// before the store is asked again. Default 30 s.
	CacheTTL time.Duration
	// KeysTTL is how long the signing keys are kept before Keys is asked
	// again. Default 5 min.
	KeysTTL time.Duration
	// ConfirmTTL is how long a confirmation link works, and how long an
	// unconfirmed sign-up is kept. Default 7 days.
	ConfirmTTL time.Duration
	// ManageTTL is how long a link to the manage page works. Default 30 days.
	ManageTTL time.Duration
	// PrivacyContact names who is responsible for the readers' data (the
	// GDPR's controller) and how to reach them, as the privacy page shows
	// it: "Mario Rossi, privacy@example.it". The GDPR asks the page to say
	// it; without it the page says the operator has not, and New logs a
	// warning.
	PrivacyContact string
	// MailTimeout bounds one attempt to send a mail. Default 20 s.
	MailTimeout time.Duration

	// Now is the clock. Default time.Now.
	Now func() time.Time

	// Telegram turns on Telegram as a second channel (telegram.go):
	// the manage page's "Collega Telegram", the webhook at
	// TelegramHookPath and the channels' choice. Default nil: off.
	Telegram *TelegramConfig
}

// Defaults.
const (
	DefaultMailsPerAddress = 3
	DefaultMailsPerIP      = 10
	DefaultMailsPerHour    = 300
	DefaultMaxBodyBytes    = 16 << 10
	DefaultHookBodyBytes   = 256 << 10
	DefaultCacheTTL        = 30 * time.Second
	DefaultKeysTTL         = 5 * time.Minute
	DefaultConfirmTTL      = 7 * 24 * time.Hour
	DefaultManageTTL       = 30 * 24 * time.Hour
	DefaultMailTimeout     = 20 * time.Second
)

// Default rate limits.
var (
	DefaultPerIP      = Limit{Every: time.Second / 20, Burst: 60}
	DefaultFormsPerIP = Limit{Every: time.Minute, Burst: 10}
	// DefaultAccessLogRate keeps the access log under about 30 KB/s.
	DefaultAccessLogRate = Limit{Every: time.Second / 100, Burst: 1000}
)

// ErrConfig is wrapped by every error New returns for a bad Config.
var ErrConfig = errors.New("backend: bad config")

func (c Config) withDefaults() (Config, error) {
	var missing []string
	if c.Store == nil {
		missing = append(missing, "Store")
	}
	if c.Keys == nil {
		missing = append(missing, "Keys")
	}
	if c.Mailer == nil {
		missing = append(missing, "Mailer")
	}
	if c.BaseURL == "" {
		missing = append(missing, "BaseURL")
	}
	if len(missing) > 0 {
		return c, fmt.Errorf("%w: %s required", ErrConfig, strings.Join(missing, ", "))
	}
	base, err := parseBaseURL(c.BaseURL)
	if err != nil {
		return c, err
	}
	c.BaseURL = base
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.AccessLog == nil {
		c.AccessLog = c.Logger
	}
	c.PerIP = c.PerIP.or(DefaultPerIP)
	c.FormsPerIP = c.FormsPerIP.or(DefaultFormsPerIP)
	c.AccessLogRate = c.AccessLogRate.or(DefaultAccessLogRate)
	if c.MailsPerAddress == 0 {
		c.MailsPerAddress = DefaultMailsPerAddress
	}
	if c.MailsPerIP == 0 {
		c.MailsPerIP = DefaultMailsPerIP
	}
	if c.MailsPerHour == 0 {
		c.MailsPerHour = DefaultMailsPerHour
	}
	if c.MaxBodyBytes <= 0 {
		c.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if c.HookBodyBytes <= 0 {
		c.HookBodyBytes = DefaultHookBodyBytes
	}
	for path := range c.Hooks {
		if !strings.HasPrefix(path, "/hooks/") || strings.ContainsAny(path, " {}") {
			return c, fmt.Errorf("%w: hook path %q: want an exact path under /hooks/", ErrConfig, path)
		}
	}
	if c.Telegram != nil {
		tg := *c.Telegram // the caller's value stays as given
		if err := tg.check(c.Hooks); err != nil {
			return c, err
		}
		c.Telegram = &tg
	}
	if c.CacheTTL == 0 {
		c.CacheTTL = DefaultCacheTTL
	}
	if c.KeysTTL <= 0 {
		c.KeysTTL = DefaultKeysTTL
	}
	if c.ConfirmTTL <= 0 {
		c.ConfirmTTL = DefaultConfirmTTL
	}
	if c.ManageTTL <= 0 {
		c.ManageTTL = DefaultManageTTL
	}
	if c.MailTimeout <= 0 {
		c.MailTimeout = DefaultMailTimeout
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	return c, nil
}

// parseBaseURL checks that s is an absolute http(s) URL with no query and
// returns it without a trailing slash.
func parseBaseURL(s string) (string, error) {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		return "", fmt.Errorf("%w: BaseURL %q: want an absolute http(s) URL such as https://mangaalert.it", ErrConfig, s)
	}
	return strings.TrimSuffix(u.String(), "/"), nil
}
