package stack

// Jobs that follow another job: "notify" runs on "scrape"'s cron schedule
// shifted by an offset, so each notify run reads what the scrape of its
// cycle found, and the two never start at the same instant.

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/manga-alert-italia/mangaalert/schedule/expr"
)

// DefaultOffset is how long after the job it follows a job starts.
const DefaultOffset = 30 * time.Minute

// followed gives the followers' schedules (Schedule "" and After set) the
// schedule of the job they follow, Offset later; a follower whose leader's
// schedule cannot be shifted keeps "" for Validate to report.
func followed(jobs []Job) {
	for i, j := range jobs {
		if j.After == "" || j.Schedule != "" {
			continue
		}
		for _, l := range jobs {
			if l.Name == j.After && l.After == "" {
				if s, err := shiftCron(l.Schedule, j.Offset); err == nil {
					jobs[i].Schedule = s
				}
			}
		}
	}
}

// errLeaderInvalid: the followed job's schedule is wrong, which Validate
// reports once, as that job's.
var errLeaderInvalid = errors.New("the followed job's schedule is invalid")

// checkFollow reports what makes job j unable to follow its leader.
func checkFollow(jobs []Job, j Job) error {
	if j.Offset%time.Minute != 0 || j.Offset <= 0 || j.Offset >= 24*time.Hour {
		return fmt.Errorf("offset %s: use whole minutes from 1m to below 24h", j.Offset)
	}
	for _, l := range jobs {
		if l.Name != j.After {
			continue
		}
		if l.After != "" {
			return fmt.Errorf("follows %s, which follows %s itself: follow %s instead", l.Name, l.After, l.After)
		}
		if _, err := expr.Parse(l.Schedule); err != nil {
			return errLeaderInvalid // reported as the leader's own schedule
		}
		want, err := shiftCron(l.Schedule, j.Offset)
		if err != nil {
			return fmt.Errorf("cannot follow %s %s later: %w", l.Name, offsetText(j.Offset), err)
		}
		if j.Schedule != want {
			return fmt.Errorf("the schedule %s is not %s's %s later (%s): leave the schedule empty to follow %s", j.Schedule, l.Name, offsetText(j.Offset), want, l.Name)
		}
		return nil
	}
	return fmt.Errorf("follows %q, which is not a job of the stack", j.After)
}

// shiftCron is the cron expression s fires at, offset later. It shifts
// the minutes, carrying into the hours, and refuses what it cannot shift
// exactly: rate() and at() schedules (a rate counts from when it was
// written, so nothing can start a fixed time after it), hours that would
// pass midnight, and minute or hour fields other than numbers, lists,
// ranges, steps and *.
func shiftCron(s string, offset time.Duration) (string, error) {
	e, err := expr.Parse(s)
	if err != nil {
		return "", err
	}
	if e.Kind() != expr.Cron {
		return "", fmt.Errorf("%s is not a cron() schedule: a rate counts from when it was written, so no other job can start a fixed time after it; use cron(), such as cron(0 0/6 * * ? *)", s)
	}
	f := strings.Fields(strings.TrimSuffix(strings.TrimPrefix(strings.TrimSpace(s), "cron("), ")"))
	mins := int(offset / time.Minute)
	minutes, carry, err := shiftField(f[0], mins%60, 60)
	if err != nil {
		return "", fmt.Errorf("minutes %q: %w", f[0], err)
	}
	hours, over, err := shiftField(f[1], mins/60+carry, 24)
	if err == nil && over != 0 {
		err = fmt.Errorf("the later run would fall on the next day")
	}
	if err != nil {
		return "", fmt.Errorf("hours %q: %w", f[1], err)
	}
	f[0], f[1] = minutes, hours
	return "cron(" + strings.Join(f, " ") + ")", nil
}

// shiftField adds by to every value of a cron field whose values run
// from 0 below limit: numbers, ranges (a-b) and steps (a/s, a-b/s), in a
// list. carry is 1 when every value passed limit (they all wrap
// together), 0 when none did; a field some of whose values would wrap is
// refused, as is *.
func shiftField(field string, by, limit int) (shifted string, carry int, err error) {
	if by == 0 {
		return field, 0, nil
	}
	parts := strings.Split(field, ",")
	carry = -1
	for i, p := range parts {
		bad := fmt.Errorf("%q is not a number, a range or a step", p)
		span, step, stepped := strings.Cut(p, "/")
		lo, hi, ranged := strings.Cut(span, "-")
		a, err := strconv.Atoi(lo)
		if err != nil {
			return "", 0, bad
		}
		b := a
		switch {
		case ranged:
			if b, err = strconv.Atoi(hi); err != nil || b < a {
				return "", 0, bad
			}
		case stepped:
			n, err := strconv.Atoi(step)
			if err != nil || n <= 0 {
				return "", 0, bad
			}
			b = a + (limit-1-a)/n*n // a/s runs to the field's end
		}
		c := (a + by) / limit
		if (b+by)/limit != c || (carry >= 0 && carry != c) || (stepped && !ranged && c != 0) {
			return "", 0, fmt.Errorf("%q %d later would split its runs across the next %s", field, by,
				map[int]string{60: "hour", 24: "day"}[limit])
		}
		carry = c
		out := strconv.Itoa((a + by) % limit)
		if ranged {
			out += "-" + strconv.Itoa((b+by)%limit)
		}
		if stepped {
			out += "/" + step
		}
		parts[i] = out
	}
	return strings.Join(parts, ","), carry, nil
}

// offsetText is an offset as the plan says it: "30m", "1h30m".
func offsetText(d time.Duration) string {
	return strings.TrimSuffix(strings.TrimSuffix(d.String(), "0s"), "h0m")
}

// followNotes are the plan's lines of the jobs that follow another.
func followNotes(jobs []Job) []string {
	var out []string
	for _, j := range jobs {
		if j.After != "" {
			out = append(out, fmt.Sprintf("job %s: starts %s after job %s (%s), so it reads what that run wrote", j.Name, offsetText(j.Offset), j.After, j.Schedule))
		}
	}
	return out
}
