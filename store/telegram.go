package store

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// Channels are where a reader's alerts go: e-mail, Telegram or both. The
// zero Channels means e-mail only, what every reader had before Telegram.
type Channels uint8

// The channels.
const (
	ChannelEmail Channels = 1 << iota
	ChannelTelegram
	ChannelBoth = ChannelEmail | ChannelTelegram
)

// ChannelNames are the names the API and the manage page use.
var ChannelNames = []string{"email", "telegram", "both"}

// ParseChannels reads a name of ChannelNames; an unknown one is an error
// that lists them.
func ParseChannels(s string) (Channels, error) {
	switch strings.TrimSpace(s) {
	case "email":
		return ChannelEmail, nil
	case "telegram":
		return ChannelTelegram, nil
	case "both":
		return ChannelBoth, nil
	}
	return 0, fmt.Errorf("channels %q: want one of %s", s, strings.Join(ChannelNames, ", "))
}

// String is the channels' name (zero is "email").
func (c Channels) String() string {
	switch c &^ ChannelEmail {
	case ChannelTelegram:
		if c&ChannelEmail != 0 {
			return "both"
		}
		return "telegram"
	}
	return "email"
}

// Valid reports whether c is zero or a set of known channels.
func (c Channels) Valid() bool { return c&^ChannelBoth == 0 }

// AlertChannels says where the subscriber's alerts go now: Telegram when
// it is chosen and a chat is linked, e-mail when it is chosen, and e-mail
// too when Telegram is chosen but no chat is linked (a reader who asked
// for Telegram and never linked it, or whose chat blocked the bot, still
// hears of their volumes).
func (s Subscriber) AlertChannels() (email, telegram bool) {
	c := s.Channels
	if c == 0 {
		c = ChannelEmail
	}
	telegram = c&ChannelTelegram != 0 && s.TelegramChatID != 0
	email = c&ChannelEmail != 0 || !telegram
	return email, telegram
}

// LinkToken is a one-time token that links the Telegram chat presenting it
// (the deep link's /start payload) to a subscriber, until it expires.
// Stores keep only its hash.
type LinkToken struct {
	Hash         string // hex SHA-256 of the token the link carries
	SubscriberID string
	ExpiresAt    time.Time
}

// TelegramLinks keeps the link tokens and finds a subscriber by chat.
type TelegramLinks interface {
	// PutLinkToken stores t (ErrExists when its hash is taken).
	PutLinkToken(ctx context.Context, t LinkToken) error
	// TakeLinkToken consumes a token: it returns the record and deletes
	// it, so exactly one of two concurrent takes succeeds. ErrNotFound
	// when there is none, it was taken, or it expired by now.
	TakeLinkToken(ctx context.Context, hash string, now time.Time) (LinkToken, error)
	// SubscriberByChat finds the live subscriber whose TelegramChatID is
	// chat; ErrNotFound for 0 or no match. The index follows
	// UpdateSubscriber (on DynamoDB eventually: a global secondary index).
	SubscriberByChat(ctx context.Context, chat int64) (Subscriber, error)
}

// TelegramKindPrefix starts the kind of an alert's Telegram delivery: the
// notifier claims (subscriber, volume, "telegram/"+kind) before it sends
// the Telegram message of an alert, so a run repeated, or an alert whose
// e-mail is sent again, never sends it twice on Telegram. The planning
// ignores these kinds: the alert itself is the plain kind.
const TelegramKindPrefix = "telegram/"

// TelegramKind is the kind of k's Telegram delivery.
func TelegramKind(k AlertKind) AlertKind { return AlertKind(TelegramKindPrefix + string(k)) }

// Delivered undoes TelegramKind: the kind of the alert that k, a Telegram
// delivery's kind, delivers, and true; k itself and false for any other.
func (k AlertKind) Delivered() (AlertKind, bool) {
	base, ok := strings.CutPrefix(string(k), TelegramKindPrefix)
	if !ok {
		return k, false
	}
	return AlertKind(base), true
}
