// Package check holds the input rules and small decisions both store
// implementations share, so bbolt and DynamoDB refuse the same bad input
// with the same words and agree on every edge the contract leaves to them.
package check

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/manga-alert-italia/mangaalert/store"
)

// MaxBlob is the largest blob either store takes: a DynamoDB item holds at
// most 400 KB with its keys.
const MaxBlob = 300 << 10

// ID refuses ids that are empty or hold a NUL byte (the embedded store
// joins ids with NUL in its keys).
func ID(what, id string) error {
	if id == "" {
		return fmt.Errorf("%s is empty", what)
	}
	if strings.IndexByte(id, 0) >= 0 {
		return fmt.Errorf("%s %q contains a NUL byte", what, id)
	}
	return nil
}

// Series checks a series before it is written.
func Series(s store.Series) error {
	if err := ID("series id", s.ID); err != nil {
		return fmt.Errorf("put series: %w", err)
	}
	return nil
}

// Volume checks a scraped volume and fills what can be derived: the
// edition defaults to First, the id to store.VolumeID.
func Volume(v store.Volume) (store.Volume, error) {
	if err := ID("series id", v.SeriesID); err != nil {
		return v, fmt.Errorf("volume %q: %w", v.ID, err)
	}
	if v.Edition == "" {
		v.Edition = store.First
	}
	if !v.Edition.Valid() {
		return v, fmt.Errorf("volume %q: unknown edition %q (want one of %v)", v.ID, v.Edition, store.Editions)
	}
	if v.Number < 0 {
		return v, fmt.Errorf("volume %q: negative number %d", v.ID, v.Number)
	}
	if v.PriceCents < 0 {
		return v, fmt.Errorf("volume %q: negative price %d", v.ID, v.PriceCents)
	}
	if v.ID == "" {
		v.ID = store.VolumeID(v.SeriesID, v.Edition, v.Number, v.Key)
	}
	if err := ID("volume id", v.ID); err != nil {
		return v, err
	}
	if d := v.ReleaseDate; !d.IsZero() && store.NewDate(d.Year, d.Month, d.Day) != d {
		return v, fmt.Errorf("volume %q: release date %d-%d-%d does not exist", v.ID, d.Year, d.Month, d.Day)
	}
	return v, nil
}

// New is the record of a volume seen for the first time: whatever times
// the caller set, it was first seen, last seen and last changed now.
func New(v store.Volume, now time.Time) store.Volume {
	v.FirstSeen, v.LastSeen, v.ChangedAt = now, now, now
	return v
}

// Statuses are the valid subscriber statuses.
var Statuses = []store.Status{store.Pending, store.Active, store.Unsubscribed, store.Suppressed}

// Subscriber checks a subscriber before it is created and normalises its
// email.
func Subscriber(s store.Subscriber) (store.Subscriber, error) {
	if err := ID("subscriber id", s.ID); err != nil {
		return s, fmt.Errorf("subscriber: %w", err)
	}
	s.Email = store.NormalizeEmail(s.Email)
	if s.Email == "" || !strings.Contains(s.Email, "@") {
		return s, fmt.Errorf("subscriber %s: email %q is not an address", s.ID, s.Email)
	}
	if !slices.Contains(Statuses, s.Status) {
		return s, fmt.Errorf("subscriber %s: unknown status %q (want one of %v)", s.ID, s.Status, Statuses)
	}
	if !s.Channels.Valid() {
		return s, fmt.Errorf("subscriber %s: unknown channels %d (want store.ChannelEmail, ChannelTelegram or both)", s.ID, s.Channels)
	}
	return s, nil
}

// Expired reports whether a record with this expiry is gone at now (a zero
// expiry never expires).
func Expired(expires, now time.Time) bool {
	return !expires.IsZero() && !now.Before(expires)
}

// UpdatedAt is the UpdatedAt an update at now writes: now, or just after
// the stored one when the clock has not moved past it, so a stale copy can
// never match again.
func UpdatedAt(stored, now time.Time) time.Time {
	if now.After(stored) {
		return now
	}
	return stored.Add(time.Nanosecond)
}

// Aliases merges aliases as a set: sorted, without duplicates, "" or the
// title itself. The union is commutative, so the aliases of a series do
// not depend on the order its pages were read in.
func Aliases(title string, old, add []string) []string {
	var out []string
	for _, a := range slices.Concat(old, add) {
		if a != "" && a != title {
			out = append(out, a)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// AlertKey checks the three parts of an alert's key.
func AlertKey(k store.AlertKey) error {
	if err := ID("alert subscriber id", k.SubscriberID); err != nil {
		return err
	}
	if err := ID("alert volume id", k.VolumeID); err != nil {
		return err
	}
	return ID("alert kind", string(k.Kind))
}

// Resolution checks the state ResolveAlert moves an alert to.
func Resolution(state store.AlertState) error {
	switch state {
	case store.Sent, store.Failed, store.Uncertain:
		return nil
	}
	return fmt.Errorf("resolve alert: state %q is not sent, failed or uncertain", state)
}

// Blob checks a blob before it is written.
func Blob(key string, value []byte) error {
	if err := ID("blob key", key); err != nil {
		return err
	}
	if len(value) > MaxBlob {
		return fmt.Errorf("blob %q: %d bytes, more than the %d a store item holds", key, len(value), MaxBlob)
	}
	return nil
}

// MergeSeries lays s over the stored old: non-empty fields replace, aliases
// accumulate as a sorted set (a replaced title becomes an alias). write is false when
// nothing changed.
func MergeSeries(old, s store.Series) (merged store.Series, write bool) {
	m := old
	m.ID = s.ID
	if s.Title != "" {
		m.Title = s.Title
	}
	if s.Publisher != "" {
		m.Publisher = s.Publisher
	}
	var add []string
	if old.Title != "" && old.Title != m.Title {
		add = append(add, old.Title)
	}
	m.Aliases = Aliases(m.Title, old.Aliases, append(add, s.Aliases...))
	write = m.Title != old.Title || m.Publisher != old.Publisher || !slices.Equal(m.Aliases, old.Aliases) || old.ID == ""
	return m, write
}
