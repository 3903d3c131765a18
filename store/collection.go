package store

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// Remind is the set of alerts a reader wants of a series: the
// announcement and the reminders 30, 7 and 1 day before the release. The
// zero Remind means "not chosen": a follow's falls back to the reader's,
// the reader's to every alert (the default).
type Remind uint8

// The alerts a Remind may hold.
const (
	RemindAnnounce Remind = 1 << iota // the volume is announced
	Remind30                          // 30 days before the release
	Remind7                           // 7 days before
	Remind1                           // the day before
	// RemindChosen marks an explicit choice, so that a reader who wants
	// none of the four is told apart from one who never chose.
	RemindChosen Remind = 1 << 7

	remindAll = RemindAnnounce | Remind30 | Remind7 | Remind1
)

// RemindNames are the names of a Remind's alerts, in the API and the
// pages' forms, in the order Names lists them.
var RemindNames = []string{"announce", "30", "7", "1"}

var remindBits = []Remind{RemindAnnounce, Remind30, Remind7, Remind1}

// Reminds is the explicit choice of the named alerts (RemindNames); an
// unknown name is an error that lists the known ones.
func Reminds(names ...string) (Remind, error) {
	r := RemindChosen
	for _, n := range names {
		i := slices.Index(RemindNames, strings.TrimSpace(n))
		if i < 0 {
			return 0, fmt.Errorf("reminder %q is not one of %s", n, strings.Join(RemindNames, ", "))
		}
		r |= remindBits[i]
	}
	return r, nil
}

// Chosen reports whether r is an explicit choice.
func (r Remind) Chosen() bool { return r&RemindChosen != 0 }

// Or is r when chosen, else fallback.
func (r Remind) Or(fallback Remind) Remind {
	if r.Chosen() {
		return r
	}
	return fallback
}

// Names lists the alerts r holds (every one when r is not chosen).
func (r Remind) Names() []string {
	if !r.Chosen() {
		r = remindAll
	}
	out := []string{}
	for i, b := range remindBits {
		if r&b != 0 {
			out = append(out, RemindNames[i])
		}
	}
	return out
}

// Wants reports whether an alert of kind k is wanted. Not chosen wants
// everything; a reminder of other days than 30, 7 or 1 (a notifier
// configured so) is wanted by anyone who wants any reminder; a moved-date
// notice is always wanted: it corrects what an earlier alert said.
func (r Remind) Wants(k AlertKind) bool { return r.WantsBits(k.RemindBits()) }

// WantsBits is Wants for a kind's RemindBits, computed once: the
// notifier asks it millions of times.
func (r Remind) WantsBits(bits Remind) bool {
	return !r.Chosen() || bits == 0 || r&bits != 0
}

// RemindBits are the bits of a Remind that want an alert of kind k: any
// of them will do; none (0) means the kind is always wanted.
func (k AlertKind) RemindBits() Remind {
	if k == Announce {
		return RemindAnnounce
	}
	d, ok := k.Base().ReminderDays()
	if !ok {
		return 0
	}
	switch d {
	case 30:
		return Remind30
	case 7:
		return Remind7
	case 1:
		return Remind1
	}
	return Remind30 | Remind7 | Remind1
}

// MaxOwned bounds the single volumes a follow may mark as owned, and
// MaxVolumeNumber the numbers they and OwnedUpTo may take: a record stays
// small whatever a client sends.
const (
	MaxOwned        = 500
	MaxVolumeNumber = 9999
)

// Owns reports whether the reader has volume number n of the series: up
// to OwnedUpTo (0 means none), or marked one by one in Owned.
func (f Follow) Owns(n int) bool {
	if f.OwnedUpTo > 0 && n <= f.OwnedUpTo {
		return true
	}
	_, ok := slices.BinarySearch(f.Owned, n)
	return ok
}

// OwnsVolume reports whether the reader has v: ownership goes by number and
// holds for first editions only, since a variant, reprint or special
// edition of a volume one owns is another thing to buy for whoever asked
// to hear of them.
func (f Follow) OwnsVolume(v Volume) bool {
	return (v.Edition == First || v.Edition == "") && f.Owns(v.Number)
}

// CleanOwned is the owned numbers sorted, once each, without those
// OwnedUpTo covers already; an error names the first number out of range.
func CleanOwned(upTo int, owned []int) ([]int, error) {
	if upTo < 0 || upTo > MaxVolumeNumber {
		return nil, fmt.Errorf("owned up to %d: want a volume number from 0 (none) to %d", upTo, MaxVolumeNumber)
	}
	if len(owned) > MaxOwned {
		return nil, fmt.Errorf("%d owned volumes: at most %d (set \"owned up to\" for a run of them)", len(owned), MaxOwned)
	}
	out := make([]int, 0, len(owned))
	for _, n := range owned {
		if n < 0 || n > MaxVolumeNumber {
			return nil, fmt.Errorf("owned volume %d: want a number from 0 to %d", n, MaxVolumeNumber)
		}
		if upTo > 0 && n <= upTo {
			continue
		}
		out = append(out, n)
	}
	slices.Sort(out)
	out = slices.Compact(out)
	if len(out) == 0 {
		return nil, nil
	}
	return out, nil
}

// FormatOwned writes owned numbers as "3, 5, 8"; ParseOwned reads that
// back (commas or spaces between numbers), for the manage page's field.
func FormatOwned(owned []int) string {
	parts := make([]string, len(owned))
	for i, n := range owned {
		parts[i] = strconv.Itoa(n)
	}
	return strings.Join(parts, ", ")
}

// ParseOwned reads "3, 5, 8" (see FormatOwned).
func ParseOwned(s string) ([]int, error) {
	var out []int
	for _, f := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' || r == ';' }) {
		n, err := strconv.Atoi(f)
		if err != nil {
			return nil, fmt.Errorf("%q is not a volume number", f)
		}
		out = append(out, n)
	}
	return out, nil
}

// Moved is the kind of the notice that a volume's release date moved to
// date: one per new date, so a volume postponed twice tells its followers
// twice, and a date given again is told once.
func Moved(date Date) AlertKind { return AlertKind(movedPrefix + date.String()) }

const movedPrefix = "moved-"

// MovedTo returns the new date of a Moved kind (ok false for others).
func (k AlertKind) MovedTo() (Date, bool) {
	s, ok := strings.CutPrefix(string(k), movedPrefix)
	if !ok {
		return Date{}, false
	}
	d, err := ParseDate(s)
	return d, err == nil
}

// RemindFor is the kind of the reminder of days re-due for a volume that
// moved to date after the reminder of the old date went out
// ("remind-7@2025-04-10"): its own key, so the exactly-once bookkeeping
// lets it through once for the new date.
func RemindFor(days int, date Date) AlertKind {
	return AlertKind(string(Reminder(days)) + "@" + date.String())
}

// Base is k without the date a re-due reminder carries, and "moved" for
// a moved-date notice: what a report counts and an email groups by.
func (k AlertKind) Base() AlertKind {
	if strings.HasPrefix(string(k), movedPrefix) {
		return AlertKind("moved")
	}
	if b, _, ok := strings.Cut(string(k), "@"); ok {
		return AlertKind(b)
	}
	return k
}

// MovedBase is the Base of every Moved kind.
const MovedBase AlertKind = "moved"
