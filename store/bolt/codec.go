package bolt

import (
	"encoding/binary"
	"errors"
	"time"

	"github.com/manga-alert-italia/mangaalert/store"
)

// Records are stored in a small binary form, not JSON: the notifier and the
// backend decode thousands of volumes and alerts per request, and a
// varint-and-bytes record decodes in a fraction of the time with no
// reflection. Each record starts with a version byte; fields are only ever
// appended, and a reader treats missing trailing fields as zero, so an old
// file stays readable by newer code.

const codecVersion = 1

var errCorrupt = errors.New("bolt: corrupt record")

type encoder struct{ b []byte }

func newEncoder(size int) *encoder {
	e := &encoder{b: make([]byte, 0, size)}
	e.b = append(e.b, codecVersion)
	return e
}

func (e *encoder) str(s string) {
	e.b = binary.AppendUvarint(e.b, uint64(len(s)))
	e.b = append(e.b, s...)
}

func (e *encoder) int(v int64) { e.b = binary.AppendVarint(e.b, v) }

func (e *encoder) bool(v bool) {
	if v {
		e.b = append(e.b, 1)
	} else {
		e.b = append(e.b, 0)
	}
}

// time keeps the instant to the nanosecond; the zone is dropped (reads
// answer in UTC).
func (e *encoder) time(t time.Time) {
	if t.IsZero() {
		e.b = append(e.b, 0)
		return
	}
	e.b = append(e.b, 1)
	e.int(t.Unix())
	e.b = binary.AppendUvarint(e.b, uint64(t.Nanosecond()))
}

func (e *encoder) date(d store.Date) { e.int(int64(dateNum(d))) }

func (e *encoder) strs(ss []string) {
	e.b = binary.AppendUvarint(e.b, uint64(len(ss)))
	for _, s := range ss {
		e.str(s)
	}
}

// decoder reads a record from one string copy of its bytes: every string
// field is a slice of it, so a record costs one allocation however many
// fields it has (the bytes of a bbolt value live only as long as its
// transaction, so they must be copied once anyway).
type decoder struct {
	b   string
	err error
}

func newDecoder(b []byte) *decoder {
	d := &decoder{}
	if len(b) == 0 || b[0] != codecVersion {
		d.err = errCorrupt
		return d
	}
	d.b = string(b[1:])
	return d
}

// stringDecoder reads a record already copied into s (see AlertsOfVolume,
// which copies key and value in one allocation).
func stringDecoder(s string) *decoder {
	if len(s) == 0 || s[0] != codecVersion {
		return &decoder{err: errCorrupt}
	}
	return &decoder{b: s[1:]}
}

func (d *decoder) fail() { d.err, d.b = errCorrupt, "" }

func (d *decoder) uvarint() uint64 {
	var v uint64
	for i := 0; i < len(d.b) && i < binary.MaxVarintLen64; i++ {
		c := d.b[i]
		v |= uint64(c&0x7f) << (7 * i)
		if c < 0x80 {
			d.b = d.b[i+1:]
			return v
		}
	}
	if len(d.b) > 0 {
		d.fail()
	}
	return 0 // no bytes left: a field appended after this record was written
}

func (d *decoder) int() int64 {
	u := d.uvarint()
	v := int64(u >> 1)
	if u&1 != 0 {
		v = ^v
	}
	return v
}

func (d *decoder) str() string {
	n := d.uvarint()
	if n > uint64(len(d.b)) {
		d.fail()
		return ""
	}
	s := d.b[:n]
	d.b = d.b[n:]
	return s
}

// skipStr passes over a string.
func (d *decoder) skipStr() { d.str() }

func (d *decoder) bool() bool {
	if len(d.b) == 0 {
		return false
	}
	v := d.b[0]
	d.b = d.b[1:]
	return v == 1
}

func (d *decoder) time() time.Time {
	if len(d.b) == 0 {
		return time.Time{}
	}
	set := d.b[0]
	d.b = d.b[1:]
	if set == 0 {
		return time.Time{}
	}
	sec := d.int()
	nsec := d.uvarint()
	return time.Unix(sec, int64(nsec)).UTC()
}

func (d *decoder) date() store.Date { return numDate(uint32(d.int())) }

func (d *decoder) strs() []string {
	n := d.uvarint()
	if n > uint64(len(d.b)) {
		d.fail()
		return nil
	}
	if n == 0 {
		return nil
	}
	out := make([]string, n)
	for i := range out {
		out[i] = d.str()
	}
	return out
}

// dateNum packs a date as yyyymmdd (0 for the zero Date).
func dateNum(d store.Date) uint32 {
	if d.IsZero() {
		return 0
	}
	return uint32(d.Year*10000 + int(d.Month)*100 + d.Day)
}

func numDate(n uint32) store.Date {
	if n == 0 {
		return store.Date{}
	}
	return store.Date{Year: int(n / 10000), Month: time.Month(n / 100 % 100), Day: int(n % 100)}
}

func encodeSeries(s store.Series) []byte {
	e := newEncoder(64)
	e.str(s.ID)
	e.str(s.Title)
	e.strs(s.Aliases)
	e.str(s.Publisher)
	return e.b
}

func decodeSeries(b []byte) (store.Series, error) {
	d := newDecoder(b)
	s := store.Series{ID: d.str(), Title: d.str(), Aliases: d.strs(), Publisher: d.str()}
	return s, d.err
}

func encodeVolume(v store.Volume) []byte {
	e := newEncoder(256)
	e.str(v.ID)
	e.str(v.SeriesID)
	e.int(int64(v.Number))
	e.str(string(v.Edition))
	e.str(v.Key)
	e.str(v.Title)
	e.str(v.Publisher)
	e.date(v.ReleaseDate)
	e.int(int64(v.PriceCents))
	e.str(v.CoverURL)
	e.str(v.SourceURL)
	e.str(v.SKU)
	e.time(v.FirstSeen)
	e.time(v.LastSeen)
	e.time(v.ChangedAt) // appended later: older records end before it
	return e.b
}

func decodeVolume(b []byte) (store.Volume, error) { return decodeVolumeFrom(newDecoder(b)) }

func decodeVolumeFrom(d *decoder) (store.Volume, error) {
	v := store.Volume{
		ID:       d.str(),
		SeriesID: d.str(),
		Number:   int(d.int()),
		Edition:  edition(d.str()),
		Key:      d.str(),
	}
	v.Title = d.str()
	v.Publisher = d.str()
	v.ReleaseDate = d.date()
	v.PriceCents = int(d.int())
	v.CoverURL = d.str()
	v.SourceURL = d.str()
	v.SKU = d.str()
	v.FirstSeen = d.time()
	v.LastSeen = d.time()
	v.ChangedAt = d.time()
	return v, d.err
}

// edition returns the package's own constant for a known edition, so
// decoding thousands of volumes does not allocate the same few strings.
func edition(s string) store.Edition {
	for _, e := range store.Editions {
		if string(e) == s {
			return e
		}
	}
	return store.Edition(s)
}

// The subscriber's status comes first, so Counts reads it without decoding
// the rest.
func encodeSubscriber(s store.Subscriber) []byte {
	e := newEncoder(128)
	e.str(string(s.Status))
	e.str(s.ID)
	e.str(s.Email)
	e.bool(s.Variants)
	e.str(s.TokenHash)
	e.time(s.CreatedAt)
	e.time(s.UpdatedAt)
	e.time(s.ConfirmedAt)
	e.time(s.ExpiresAt)
	e.int(int64(s.Reminders)) // appended later: older records end before it
	// Consent (privacy): appended later, older records end before it.
	e.time(s.ConsentAt)
	e.str(s.ConsentVersion)
	// Telegram (issue 17), appended later still: older records end
	// before it and read as no chat, e-mail only.
	e.int(s.TelegramChatID)
	e.int(int64(s.Channels))
	return e.b
}

func decodeSubscriber(b []byte) (store.Subscriber, error) {
	d := newDecoder(b)
	s := store.Subscriber{Status: store.Status(d.str())}
	s.ID = d.str()
	s.Email = d.str()
	s.Variants = d.bool()
	s.TokenHash = d.str()
	s.CreatedAt = d.time()
	s.UpdatedAt = d.time()
	s.ConfirmedAt = d.time()
	s.ExpiresAt = d.time()
	s.Reminders = store.Remind(d.int())
	// Consent (privacy).
	s.ConsentAt = d.time()
	s.ConsentVersion = d.str()
	// Telegram (issue 17).
	s.TelegramChatID = d.int()
	s.Channels = store.Channels(d.int())
	return s, d.err
}

// subscriberHead reads only the status and the expiry, for Counts.
func subscriberHead(b []byte) (store.Status, time.Time, error) {
	d := newDecoder(b)
	st := status(d.str())
	d.skipStr()     // ID
	d.skipStr()     // Email
	d.bool()        // Variants
	d.skipStr()     // TokenHash
	d.time()        // CreatedAt
	d.time()        // UpdatedAt
	d.time()        // ConfirmedAt
	exp := d.time() // ExpiresAt
	return st, exp, d.err
}

func status(s string) store.Status {
	for _, st := range []store.Status{store.Pending, store.Active, store.Unsubscribed, store.Suppressed} {
		if string(st) == s {
			return st
		}
	}
	return store.Status(s)
}

// The alert's state comes first, for Counts. The key is not stored in the
// value: it is the record's key.
func encodeAlert(a store.Alert) []byte {
	e := newEncoder(96)
	e.str(string(a.State))
	e.str(a.RunID)
	e.str(a.MessageID)
	e.str(a.Error)
	e.date(a.ReleaseDate)
	e.time(a.ClaimedAt)
	e.time(a.UpdatedAt)
	return e.b
}

func decodeAlert(k store.AlertKey, b []byte) (store.Alert, error) {
	return decodeAlertFrom(k, newDecoder(b))
}

func decodeAlertFrom(k store.AlertKey, d *decoder) (store.Alert, error) {
	a := store.Alert{AlertKey: k, State: alertState(d.str())}
	a.RunID = d.str()
	a.MessageID = d.str()
	a.Error = d.str()
	a.ReleaseDate = d.date()
	a.ClaimedAt = d.time()
	a.UpdatedAt = d.time()
	return a, d.err
}

func alertHead(b []byte) (store.AlertState, error) {
	d := newDecoder(b)
	st := alertState(d.str())
	return st, d.err
}

func alertState(s string) store.AlertState {
	for _, st := range []store.AlertState{store.Claimed, store.Sent, store.Failed, store.Uncertain} {
		if string(st) == s {
			return st
		}
	}
	return store.AlertState(s)
}

func encodePage(p store.Page) []byte {
	e := newEncoder(128)
	e.str(p.URL)
	e.str(p.ETag)
	e.str(p.LastModified)
	e.str(p.ContentHash)
	e.time(p.FetchedAt)
	return e.b
}

func decodePage(b []byte) (store.Page, error) {
	d := newDecoder(b)
	p := store.Page{URL: d.str(), ETag: d.str(), LastModified: d.str(), ContentHash: d.str(), FetchedAt: d.time()}
	return p, d.err
}
