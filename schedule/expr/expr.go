package expr

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// The grammar below follows the EventBridge Scheduler documentation:
//
//   - "Schedule types on EventBridge Scheduler",
//     https://docs.aws.amazon.com/scheduler/latest/UserGuide/schedule-types.html
//   - the ScheduleExpression parameter of CreateSchedule,
//     https://docs.aws.amazon.com/scheduler/latest/APIReference/API_CreateSchedule.html:
//     "at(yyyy-mm-ddThh:mm:ss)", "rate(value unit)" with unit
//     minute | minutes | hour | hours | day | days, "cron(fields)" with six
//     fields (minutes hours day_of_month month day_of_week year)
//   - the cron field table, shared with EventBridge rules,
//     https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-cron-expressions.html
//
// Where the documentation is silent and Quartz (whose syntax the AWS cron
// dialect follows) would accept more, this parser refuses: a schedule that
// passes here must not be refused by CreateSchedule half-way through an
// Ensure.

// ErrInvalid is wrapped by every *Error.
var ErrInvalid = errors.New("invalid schedule expression")

// Error says which part of a schedule expression is wrong, where
// it is and what is allowed there.
type Error struct {
	Expr   string // the expression as given
	Part   string // "rate value", "rate unit", "minutes", "day-of-week", "at", ...
	Pos    int    // 1-based character position of the wrong text in Expr; 0 for the whole
	Text   string // the wrong text
	Reason string // what is wrong and what would be right
}

func (e *Error) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "schedule expression %q: ", e.Expr)
	if e.Part != "" {
		b.WriteString(e.Part)
		if e.Pos > 0 {
			fmt.Fprintf(&b, " at character %d", e.Pos)
		}
		if e.Text != "" {
			fmt.Fprintf(&b, " (%q)", e.Text)
		}
		b.WriteString(": ")
	}
	b.WriteString(e.Reason)
	return b.String()
}

// Is makes errors.Is(err, ErrInvalid) true.
func (e *Error) Is(target error) bool { return target == ErrInvalid }

// Kind is the kind of a schedule expression.
type Kind int

// The three kinds the Scheduler knows.
const (
	Rate Kind = iota + 1 // rate(value unit): a fixed interval from the start
	Cron                 // cron(...): calendar times in the schedule's zone
	At                   // at(...): once, at a wall-clock time in the zone
)

func (k Kind) String() string {
	switch k {
	case Rate:
		return "rate"
	case Cron:
		return "cron"
	case At:
		return "at"
	}
	return "unknown"
}

// Expression is a parsed schedule expression.
type Expression struct {
	text  string
	kind  Kind
	every time.Duration // Rate
	at    wall          // At
	cron  *cronExpr     // Cron
}

// wall is a wall-clock time without a zone.
type wall struct {
	year                      int
	month                     time.Month
	day, hour, minute, second int
}

// Parse checks expr exactly as EventBridge Scheduler would and returns it
// parsed. Errors are *Error and wrap ErrInvalid.
func Parse(expr string) (*Expression, error) {
	fail := func(part string, pos int, text, reason string, args ...any) error {
		return &Error{Expr: expr, Part: part, Pos: pos, Text: text, Reason: fmt.Sprintf(reason, args...)}
	}
	open := strings.IndexByte(expr, '(')
	if open < 0 || !strings.HasSuffix(expr, ")") {
		return nil, fail("", 0, "", "write rate(value unit), cron(minutes hours day-of-month month day-of-week year) or at(yyyy-mm-ddThh:mm:ss)")
	}
	body := expr[open+1 : len(expr)-1]
	pos := open + 2 // 1-based position of body's first character
	switch expr[:open] {
	case "rate":
		d, err := parseRate(expr, body, pos)
		if err != nil {
			return nil, err
		}
		return &Expression{text: expr, kind: Rate, every: d}, nil
	case "cron":
		c, err := parseCron(expr, body, pos)
		if err != nil {
			return nil, err
		}
		return &Expression{text: expr, kind: Cron, cron: c}, nil
	case "at":
		w, err := parseAt(expr, body, pos)
		if err != nil {
			return nil, err
		}
		return &Expression{text: expr, kind: At, at: w}, nil
	}
	return nil, fail("kind", 1, expr[:open], "unknown kind: the Scheduler takes rate(...), cron(...) or at(...), in lower case")
}

// MustParse is Parse for expressions known to be valid; it panics otherwise.
func MustParse(expr string) *Expression {
	e, err := Parse(expr)
	if err != nil {
		panic(err)
	}
	return e
}

// String returns the expression as written.
func (e *Expression) String() string { return e.text }

// Kind says whether e is a rate, cron or at expression.
func (e *Expression) Kind() Kind { return e.kind }

// Interval is the interval of a rate expression (0 for the other kinds).
func (e *Expression) Interval() time.Duration { return e.every }

// Recurring reports whether e fires more than once (rate and cron).
func (e *Expression) Recurring() bool { return e.kind != At }

var rateUnits = map[string]time.Duration{
	"minute": time.Minute, "minutes": time.Minute,
	"hour": time.Hour, "hours": time.Hour,
	"day": 24 * time.Hour, "days": 24 * time.Hour,
}

// parseRate reads "value unit". The Scheduler wants the singular unit for 1
// and the plural otherwise: rate(1 hour), rate(6 hours).
func parseRate(expr, body string, pos int) (time.Duration, error) {
	fail := func(part string, at int, text, reason string, args ...any) error {
		return &Error{Expr: expr, Part: part, Pos: at, Text: text, Reason: fmt.Sprintf(reason, args...)}
	}
	value, unit, ok := strings.Cut(body, " ")
	if !ok || value == "" || unit == "" {
		return 0, fail("rate", pos, body, "write rate(value unit) with one space, e.g. rate(6 hours)")
	}
	unitPos := pos + len(value) + 1
	if !allDigits(value) {
		return 0, fail("rate value", pos, value, "must be a positive whole number")
	}
	if value[0] == '0' {
		if strings.Trim(value, "0") == "" {
			return 0, fail("rate value", pos, value, "must be at least 1")
		}
		return 0, fail("rate value", pos, value, "write the number without leading zeros")
	}
	n, err := strconv.ParseInt(value, 10, 64)
	unitLen, known := rateUnits[unit]
	if !known {
		hint := ""
		if s := strings.ToLower(strings.TrimSpace(unit)); rateUnits[s] != 0 && s != unit {
			hint = fmt.Sprintf(" (did you mean %q?)", s)
		}
		return 0, fail("rate unit", unitPos, unit, "must be minute, minutes, hour, hours, day or days%s", hint)
	}
	if err != nil || n > int64(maxDuration/unitLen) {
		return 0, fail("rate value", pos, value, "is too large")
	}
	singular := !strings.HasSuffix(unit, "s")
	switch {
	case n == 1 && !singular:
		return 0, fail("rate unit", unitPos, unit, "1 takes the singular: rate(1 %s)", strings.TrimSuffix(unit, "s"))
	case n != 1 && singular:
		return 0, fail("rate unit", unitPos, unit, "%d takes the plural: rate(%d %ss)", n, n, unit)
	}
	return time.Duration(n) * unitLen, nil
}

const maxDuration = time.Duration(1<<63 - 1)

// parseAt reads yyyy-mm-ddThh:mm:ss, a wall-clock time in the schedule's
// zone.
func parseAt(expr, body string, pos int) (wall, error) {
	fail := func(at int, text, reason string, args ...any) error {
		return &Error{Expr: expr, Part: "at", Pos: at, Text: text, Reason: fmt.Sprintf(reason, args...)}
	}
	const layout = "yyyy-mm-ddThh:mm:ss"
	if len(body) != len(layout) {
		return wall{}, fail(pos, body, "write at(yyyy-mm-ddThh:mm:ss), e.g. at(2026-05-01T09:30:00), with no zone or fraction")
	}
	for i := range len(layout) {
		want, c := layout[i], body[i]
		switch want {
		case '-', ':', 'T':
			if c != want {
				return wall{}, fail(pos+i, string(c), "expected %q here: the format is yyyy-mm-ddThh:mm:ss", want)
			}
		default:
			if c < '0' || c > '9' {
				return wall{}, fail(pos+i, string(c), "expected a digit here: the format is yyyy-mm-ddThh:mm:ss")
			}
		}
	}
	num := func(i, n int) int { v, _ := strconv.Atoi(body[i : i+n]); return v }
	w := wall{year: num(0, 4), month: time.Month(num(5, 2)), day: num(8, 2), hour: num(11, 2), minute: num(14, 2), second: num(17, 2)}
	switch {
	case w.month < 1 || w.month > 12:
		return wall{}, fail(pos+5, body[5:7], "month must be 01-12")
	case w.day < 1 || w.day > daysIn(w.year, w.month):
		return wall{}, fail(pos+8, body[8:10], "day must be 01-%02d in %s %d", daysIn(w.year, w.month), w.month, w.year)
	case w.hour > 23:
		return wall{}, fail(pos+11, body[11:13], "hour must be 00-23")
	case w.minute > 59:
		return wall{}, fail(pos+14, body[14:16], "minutes must be 00-59")
	case w.second > 59:
		return wall{}, fail(pos+17, body[17:19], "seconds must be 00-59")
	}
	return w, nil
}

func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := range len(s) {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func daysIn(year int, m time.Month) int {
	return time.Date(year, m+1, 0, 0, 0, 0, 0, time.UTC).Day()
}
