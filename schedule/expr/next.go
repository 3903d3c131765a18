package expr

import (
	"fmt"
	"slices"
	"time"
)

// LoadZone loads an IANA time zone name as the Scheduler takes it: ""
// means UTC, the Scheduler's default when a schedule names no zone.
// "Local" is refused: it would mean a different zone on every machine.
func LoadZone(name string) (*time.Location, error) {
	if name == "" {
		return time.UTC, nil
	}
	if name == "Local" {
		return nil, fmt.Errorf("time zone %q: name an IANA zone such as Europe/Rome or UTC", name)
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil, fmt.Errorf("time zone %q: %w (an IANA name such as Europe/Rome; a binary without the system's tz database needs import _ \"time/tzdata\")", name, err)
	}
	return loc, nil
}

// Bounds limit when a schedule fires, like the Scheduler's StartDate and
// EndDate. The zero Bounds limit nothing.
type Bounds struct {
	// Start is the first moment the schedule may fire; for a rate
	// expression it is also the first invocation, from which the interval
	// counts ("If you do not provide a StartDate for a rate-based schedule,
	// your schedule starts invoking its target immediately", that is at
	// creation).
	Start time.Time
	// End: the schedule fires only before End.
	End time.Time
}

// Next returns the next n times the expression fires strictly after from,
// in the zone ("" means UTC, as for the Scheduler).
//
// Daylight saving time follows what the Scheduler documents
// (https://repost.aws/knowledge-center/eventbridge-scheduler-adjust-dst and
// the user guide's "Daylight savings time" section): a cron or at time that
// does not exist on the spring-forward day is skipped; a time that occurs
// twice on the fall-back day fires only once. The documentation does not
// say which of the two moments; Next takes the first (the earlier, still in
// summer time), which is what "runs only once and doesn't repeat" means for
// a clock that reaches 02:30 and then reaches it again. A rate interval is a
// fixed duration ("days represents a 24-hour duration"), unaffected by the
// clock change.
//
// A rate schedule counts from its start, which Next cannot know: it
// assumes the schedule started at from, so the first time is from plus one
// interval. For a deployed schedule use Expression.Times with its start
// (schedule's Plan does).
func Next(expr, zone string, from time.Time, n int) ([]time.Time, error) {
	e, err := Parse(expr)
	if err != nil {
		return nil, err
	}
	loc, err := LoadZone(zone)
	if err != nil {
		return nil, err
	}
	if n < 0 {
		return nil, fmt.Errorf("next %d times: n must not be negative", n)
	}
	return e.Times(loc, from, n, Bounds{}), nil
}

// Times returns up to n times the expression fires strictly after from,
// read in loc and bounded by b; fewer when it stops firing (an at time that
// has passed, a cron year that is over, a date that never comes such as 30
// February). A rate expression counts from b.Start, or from from when
// b.Start is zero. See Next for daylight saving time.
func (e *Expression) Times(loc *time.Location, from time.Time, n int, b Bounds) []time.Time {
	if n <= 0 {
		return nil
	}
	if !b.Start.IsZero() && from.Before(b.Start) {
		from = b.Start.Add(-time.Nanosecond) // the start itself may fire
	}
	var out []time.Time
	keep := func(t time.Time) bool {
		if !b.End.IsZero() && !t.Before(b.End) {
			return false
		}
		out = append(out, t.In(loc))
		return len(out) < n
	}
	switch e.kind {
	case Rate:
		start := b.Start
		if start.IsZero() {
			start = from
		}
		t := start
		if !from.Before(start) {
			k := from.Sub(start)/e.every + 1
			t = start.Add(k * e.every)
		}
		for ; keep(t); t = t.Add(e.every) {
		}
	case At:
		// "EventBridge Scheduler ignores StartDate for one-time schedules."
		if t, ok := resolve(loc, e.at); ok && t.After(from) {
			keep(t)
		}
	case Cron:
		e.cron.times(loc, from, keep)
	}
	return out
}

// Resolve returns the instant an at expression names in loc, and false
// when that wall-clock time does not exist there (it falls in the hour
// skipped when clocks go forward). It panics on other kinds.
func (e *Expression) Resolve(loc *time.Location) (time.Time, bool) {
	if e.kind != At {
		panic("expr: Resolve on a " + e.kind.String() + " expression")
	}
	return resolve(loc, e.at)
}

// times calls keep with each firing time after from, in order, until keep
// returns false or the years the cron syntax allows run out.
func (c *cronExpr) times(loc *time.Location, from time.Time, keep func(time.Time) bool) {
	// Start a day early: the wall-clock date of from, read in loc, may be
	// ahead of a candidate that maps to a later instant.
	fy, fm, fd := from.In(loc).AddDate(0, 0, -1).Date()
	first := fy*10000 + int(fm)*100 + fd
	for y := max(fy, cronFields[fYear].min); y <= cronFields[fYear].max; y++ {
		if !c.f[fYear].has(y) {
			continue
		}
		for m := time.January; m <= time.December; m++ {
			if !c.f[fMonth].has(int(m)) || y*10000+int(m)*100+31 < first {
				continue
			}
			for d := 1; d <= daysIn(y, m); d++ {
				if y*10000+int(m)*100+d < first || !c.matchesDay(y, m, d) {
					continue
				}
				for h := 0; h < 24; h++ {
					if !c.f[fHours].has(h) {
						continue
					}
					for mi := 0; mi < 60; mi++ {
						if !c.f[fMinutes].has(mi) {
							continue
						}
						t, ok := resolve(loc, wall{year: y, month: m, day: d, hour: h, minute: mi})
						if !ok || !t.After(from) {
							continue
						}
						if !keep(t) {
							return
						}
					}
				}
			}
		}
	}
}

// resolve maps a wall-clock time in loc to the instant it names: false
// when it does not exist (clocks jumped over it), the earlier instant when
// it exists twice (clocks went back over it).
//
// time.Date does not say which instant it picks in either case, so resolve
// tries each UTC offset loc uses around that time and keeps the ones that
// read back as the same wall clock.
func resolve(loc *time.Location, w wall) (time.Time, bool) {
	naive := time.Date(w.year, w.month, w.day, w.hour, w.minute, w.second, 0, time.UTC).Unix()
	var best time.Time
	found := false
	var seen []int
	for _, probe := range [3]int64{naive - 86400, naive, naive + 86400} {
		_, off := time.Unix(probe, 0).In(loc).Zone()
		if slices.Contains(seen, off) {
			continue
		}
		seen = append(seen, off)
		t := time.Unix(naive-int64(off), 0).In(loc)
		y, m, d := t.Date()
		if y != w.year || m != w.month || d != w.day || t.Hour() != w.hour || t.Minute() != w.minute || t.Second() != w.second {
			continue
		}
		if !found || t.Before(best) {
			best, found = t, true
		}
	}
	return best, found
}
