package store

import (
	"encoding/json"
	"fmt"
	"time"
)

// Rome is the time zone release dates and reminders are reckoned in.
var Rome = mustZone("Europe/Rome")

func mustZone(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		panic(fmt.Sprintf("store: time zone %s: %v (import time/tzdata in the binary)", name, err))
	}
	return loc
}

// Date is a calendar date in Europe/Rome: the day a volume reaches the
// shops. The zero Date means "not known yet".
type Date struct {
	Year  int
	Month time.Month
	Day   int
}

// NewDate returns the date y-m-d, normalising overflow as time.Date does.
func NewDate(y int, m time.Month, d int) Date {
	return DateOf(time.Date(y, m, d, 12, 0, 0, 0, Rome))
}

// DateOf returns the calendar date of t in Europe/Rome.
func DateOf(t time.Time) Date {
	y, m, d := t.In(Rome).Date()
	return Date{y, m, d}
}

// ParseDate reads YYYY-MM-DD; "" gives the zero Date.
func ParseDate(s string) (Date, error) {
	if s == "" {
		return Date{}, nil
	}
	t, err := time.ParseInLocation(time.DateOnly, s, Rome)
	if err != nil {
		return Date{}, fmt.Errorf("date %q: want YYYY-MM-DD", s)
	}
	return DateOf(t), nil
}

// IsZero reports whether the date is unknown.
func (d Date) IsZero() bool { return d == Date{} }

// Time is midnight of the date in Europe/Rome.
func (d Date) Time() time.Time { return time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, Rome) }

// AddDays returns the date n calendar days later (earlier when n < 0),
// whatever daylight saving does to the hours in between.
func (d Date) AddDays(n int) Date { return NewDate(d.Year, d.Month, d.Day+n) }

// DaysUntil returns the number of calendar days from d to e.
func (d Date) DaysUntil(e Date) int {
	a := time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, time.UTC)
	b := time.Date(e.Year, e.Month, e.Day, 0, 0, 0, 0, time.UTC)
	return int(b.Sub(a).Hours() / 24)
}

// Before reports whether d is earlier than e.
func (d Date) Before(e Date) bool { return d.Compare(e) < 0 }

// Compare returns -1, 0 or +1; the zero (unknown) Date sorts after every
// known date, as "some day".
func (d Date) Compare(e Date) int {
	switch {
	case d == e:
		return 0
	case d.IsZero():
		return 1
	case e.IsZero():
		return -1
	}
	for _, p := range [][2]int{{d.Year, e.Year}, {int(d.Month), int(e.Month)}, {d.Day, e.Day}} {
		if p[0] != p[1] {
			if p[0] < p[1] {
				return -1
			}
			return 1
		}
	}
	return 0
}

// String is YYYY-MM-DD, or "" for the zero Date.
func (d Date) String() string {
	if d.IsZero() {
		return ""
	}
	return fmt.Sprintf("%04d-%02d-%02d", d.Year, int(d.Month), d.Day)
}

// MarshalText writes YYYY-MM-DD ("" when unknown).
func (d Date) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// UnmarshalText reads YYYY-MM-DD ("" is the zero Date).
func (d *Date) UnmarshalText(b []byte) error {
	v, err := ParseDate(string(b))
	*d = v
	return err
}

// MarshalJSON writes "YYYY-MM-DD", or null when the date is unknown.
func (d Date) MarshalJSON() ([]byte, error) {
	if d.IsZero() {
		return []byte("null"), nil
	}
	return json.Marshal(d.String())
}

// UnmarshalJSON reads "YYYY-MM-DD" or null.
func (d *Date) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*d = Date{}
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("date: %w", err)
	}
	return d.UnmarshalText([]byte(s))
}
