package expr

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// fieldDef is one of the six cron fields as the EventBridge cron table
// documents it: values, names and the wildcards it takes.
type fieldDef struct {
	name     string
	min, max int
	names    []string // names[i] names the value min+i
	wild     string   // wildcards the field takes, besides plain values
}

var (
	monthNames = []string{"JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"}
	dayNames   = []string{"SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"} // 1 = SUN
)

// The table of eb-cron-expressions.html. Note that day-of-week takes no
// "/" and only day-of-month takes W.
var cronFields = [6]fieldDef{
	{"minutes", 0, 59, nil, ",-*/"},
	{"hours", 0, 23, nil, ",-*/"},
	{"day-of-month", 1, 31, nil, ",-*?/LW"},
	{"month", 1, 12, monthNames, ",-*/"},
	{"day-of-week", 1, 7, dayNames, ",-*?L#"},
	{"year", 1970, 2199, nil, ",-*/"},
}

const (
	fMinutes = iota
	fHours
	fDayOfMonth
	fMonth
	fDayOfWeek
	fYear
)

func (f *fieldDef) allowed() string {
	var parts []string
	values := fmt.Sprintf("%d-%d", f.min, f.max)
	if f.names != nil {
		values += fmt.Sprintf(" or %s-%s", f.names[0], f.names[len(f.names)-1])
	}
	parts = append(parts, values)
	for _, c := range f.wild {
		parts = append(parts, string(c))
	}
	return strings.Join(parts, " ")
}

// valueSet holds the values of one field, offset by the field's minimum.
type valueSet [4]uint64

func (s *valueSet) add(v int)      { s[v/64] |= 1 << (v % 64) }
func (s *valueSet) has(v int) bool { return v >= 0 && v < 256 && s[v/64]&(1<<(v%64)) != 0 }

// cronField is one parsed field.
type cronField struct {
	def      *fieldDef
	question bool     // ?: no value (day-of-month or day-of-week)
	all      bool     // *: every value
	values   valueSet // value-min for each listed value
	last     bool     // L in day-of-month: the month's last day
	nearest  int      // nW in day-of-month: the weekday nearest day n
	lastOf   int      // dL in day-of-week: the month's last day d
	nth      int      // d#n in day-of-week: the nth day d of the month ...
	nthDay   int      // ... whose day is nthDay
}

func (f *cronField) has(v int) bool { return f.all || f.values.has(v-f.def.min) }

// cronExpr is a parsed cron(...) expression.
type cronExpr struct {
	f [6]cronField
}

// parseCron reads the six fields of a cron expression; pos is the 1-based
// position of body in expr.
func parseCron(expr, body string, pos int) (*cronExpr, error) {
	fail := func(part string, at int, text, reason string, args ...any) error {
		return &Error{Expr: expr, Part: part, Pos: at, Text: text, Reason: fmt.Sprintf(reason, args...)}
	}
	const want = "six fields separated by spaces: minutes hours day-of-month month day-of-week year, e.g. cron(0 6 * * ? *)"
	if strings.TrimSpace(body) != body || strings.Contains(body, "  ") || strings.ContainsAny(body, "\t\n") {
		return nil, fail("cron", pos, body, "separate the fields with single spaces, with none before or after: %s", want)
	}
	parts := strings.Split(body, " ")
	if len(parts) != 6 {
		hint := ""
		if len(parts) == 5 {
			hint = " (five fields is Unix cron: add the year, e.g. *, and use ? in day-of-month or day-of-week)"
		}
		return nil, fail("cron", pos, body, "has %d fields; the Scheduler wants %s%s", len(parts), want, hint)
	}
	c := &cronExpr{}
	at := pos
	for i, p := range parts {
		f, err := parseField(expr, &cronFields[i], i, p, at)
		if err != nil {
			return nil, err
		}
		c.f[i] = f
		at += len(p) + 1
	}
	dom, dow := &c.f[fDayOfMonth], &c.f[fDayOfWeek]
	domPos := pos + len(parts[0]) + len(parts[1]) + 2
	switch {
	case dom.question && dow.question:
		return nil, fail("day-of-month and day-of-week", domPos, parts[2]+" "+parts[3]+" "+parts[4],
			"both are ?: set one of them, e.g. cron(0 6 * * ? *) for every day or cron(0 6 ? * MON *) for Mondays")
	case !dom.question && !dow.question:
		return nil, fail("day-of-month and day-of-week", domPos, parts[2]+" "+parts[3]+" "+parts[4],
			"both are set: the Scheduler takes one of them and ? in the other, e.g. cron(%s %s %s %s ? %s) or cron(%s %s ? %s %s %s)",
			parts[0], parts[1], parts[2], parts[3], parts[5], parts[0], parts[1], parts[3], parts[4], parts[5])
	}
	return c, nil
}

// parseField reads one field of a cron expression: a list of items, each
// a value, a range, a step or one of the field's wildcards. pos is the
// 1-based position of text in expr.
func parseField(expr string, def *fieldDef, index int, text string, pos int) (cronField, error) {
	p := &fieldParser{expr: expr, def: def, index: index}
	f := cronField{def: def}
	items := strings.Split(text, ",")
	at := pos
	for _, item := range items {
		if item == "" {
			return cronField{}, p.fail(pos, text, "empty list item: remove the extra comma")
		}
		if err := p.item(&f, item, at, len(items) > 1); err != nil {
			return cronField{}, err
		}
		at += len(item) + 1
	}
	return f, nil
}

// fieldParser reads the items of one field into a cronField.
type fieldParser struct {
	expr  string
	def   *fieldDef
	index int // which of the six fields
}

// fail makes the error for bad text at position at, ending with what the
// field allows.
func (p *fieldParser) fail(at int, bad, reason string, args ...any) error {
	return &Error{Expr: p.expr, Part: fmt.Sprintf("%s (field %d)", p.def.name, p.index+1), Pos: at, Text: bad,
		Reason: fmt.Sprintf(reason, args...) + "; allowed: " + p.def.allowed()}
}

// alone refuses a wildcard that must be the whole field.
func (p *fieldParser) alone(what string, at int, item string) error {
	return p.fail(at, item, "%s must be the whole field, not one item of a list", what)
}

// item reads one item of the field's list, at position at; inList says
// whether the field has other items.
func (p *fieldParser) item(f *cronField, item string, at int, inList bool) error {
	// Names become digits of the same length, so the checks below see
	// only the wildcards and positions stay right.
	masked := maskNames(p.def, item)
	if err := p.checkCharacters(item, masked, at); err != nil {
		return err
	}
	done, err := p.wildcard(f, item, masked, at, inList)
	if done || err != nil {
		return err
	}
	return p.values(f, item, at)
}

// checkCharacters refuses unknown names and characters the field does not
// take.
func (p *fieldParser) checkCharacters(item, masked string, at int) error {
	def := p.def
	if def.names != nil {
		for i := 0; i+1 < len(masked); i++ {
			if isLetter(masked[i]) && isLetter(masked[i+1]) {
				return p.fail(at, item, "unknown name %s (names are %s)", item, strings.Join(def.names, " "))
			}
		}
	}
	for i := range len(masked) {
		c := masked[i]
		switch {
		case c >= '0' && c <= '9' || strings.IndexByte(def.wild, c) >= 0:
			continue
		case c == 'L' || c == 'W' || c == '#' || c == '?' || c == '*' || c == '/' || c == ',' || c == '-':
			return p.fail(at+i, string(c), "%s does not take %q", def.name, c)
		case isLetter(c) && def.names != nil:
			return p.fail(at, item, "unknown name %s (names are %s)", item, strings.Join(def.names, " "))
		}
		return p.fail(at+i, string(c), "unexpected %q", c)
	}
	return nil
}

// wildcard reads the items that stand alone (?, *, L, nW, dL, d#n); done
// is false for a value, range or step, which values reads.
func (p *fieldParser) wildcard(f *cronField, item, masked string, at int, inList bool) (done bool, err error) {
	switch {
	case item == "?" || item == "*":
		if inList {
			return true, p.alone(item, at, item)
		}
		f.question, f.all = item == "?", item == "*"
		return true, nil
	case p.index == fDayOfMonth:
		return p.dayOfMonth(f, item, masked, at, inList)
	case p.index == fDayOfWeek:
		return p.dayOfWeek(f, item, masked, at, inList)
	}
	return false, p.combined(item, masked, at)
}

// dayOfMonth reads day-of-month's own wildcards: L, the month's last day,
// and nW, the weekday nearest day n.
func (p *fieldParser) dayOfMonth(f *cronField, item, masked string, at int, inList bool) (bool, error) {
	switch {
	case item == "L":
		if inList {
			return true, p.alone("L", at, item)
		}
		f.last = true
		return true, nil
	case strings.HasPrefix(item, "L"):
		// Quartz's LW and L-n are not in the EventBridge table.
		return true, p.fail(at, item, "L stands alone in day-of-month (the last day); LW and L-n are not documented for EventBridge")
	case strings.HasSuffix(masked, "W"):
		if inList {
			return true, p.alone("nW", at, item)
		}
		n, err := fieldValue(p.def, item[:len(item)-1])
		if err != nil || strings.ContainsAny(item[:len(item)-1], "-/*") {
			return true, p.fail(at, item, "W follows one day of the month: 15W is the weekday nearest the 15th")
		}
		f.nearest = n
		return true, nil
	}
	return false, p.combined(item, masked, at)
}

// dayOfWeek reads day-of-week's own wildcards: L (Saturday), dL, the
// month's last day d, and d#n, its nth day d.
func (p *fieldParser) dayOfWeek(f *cronField, item, masked string, at int, inList bool) (bool, error) {
	switch {
	case item == "L":
		if inList {
			return true, p.alone("L", at, item)
		}
		f.values.add(7 - p.def.min) // L alone is the last day of the week: Saturday
		return true, nil
	case strings.HasSuffix(masked, "L"):
		if inList {
			return true, p.alone("dL", at, item)
		}
		d, err := fieldValue(p.def, item[:len(item)-1])
		if err != nil || strings.ContainsAny(item[:len(item)-1], "-/*") {
			return true, p.fail(at, item, "L follows one day of the week: 6L or FRIL is the last Friday of the month")
		}
		f.lastOf = d
		return true, nil
	case strings.Contains(item, "#"):
		// "If you use the '#' character, you can define only one
		// expression in the day-of-week field."
		if inList {
			return true, p.alone("d#n", at, item)
		}
		d, n, _ := strings.Cut(item, "#")
		day, err := fieldValue(p.def, d)
		if err != nil || strings.ContainsAny(d, "-*") {
			return true, p.fail(at, item, "write day#n with one day: 2#1 or MON#1 is the first Monday of the month")
		}
		k, err := strconv.Atoi(n)
		if err != nil || !allDigits(n) || k < 1 || k > 5 {
			return true, p.fail(at+len(d)+1, n, "the n of day#n must be 1-5 (no month has a sixth Monday)")
		}
		f.nthDay, f.nth = day, k
		return true, nil
	}
	return false, p.combined(item, masked, at)
}

// combined refuses L, W, # or ? mixed into a value, range or step.
func (p *fieldParser) combined(item, masked string, at int) error {
	if strings.ContainsAny(masked, "LW#?") {
		return p.fail(at, item, "L, W, # and ? stand alone; they cannot be combined with ranges or steps")
	}
	return nil
}

// values reads a value, a range lo-hi or a step base/n into f's values.
func (p *fieldParser) values(f *cronField, item string, at int) error {
	def := p.def
	base, stepText, hasStep := strings.Cut(item, "/")
	lo, hi := def.min, def.max
	switch {
	case base == "*":
		if !hasStep {
			return p.alone("*", at, item)
		}
	case strings.Contains(base, "-"):
		a, b, _ := strings.Cut(base, "-")
		var err error
		if lo, err = fieldValue(def, a); err != nil {
			return p.fail(at, a, "%v", err)
		}
		if hi, err = fieldValue(def, b); err != nil {
			return p.fail(at+len(a)+1, b, "%v", err)
		}
		if lo > hi {
			return p.fail(at, base, "the range runs backwards: write it as two ranges, e.g. %s-%d,%d-%s", a, def.max, def.min, b)
		}
	default:
		v, err := fieldValue(def, base)
		if err != nil {
			return p.fail(at, base, "%v", err)
		}
		lo = v
		if !hasStep {
			hi = v
		}
	}
	step := 1
	if hasStep {
		stepPos := at + len(base) + 1
		n, err := strconv.Atoi(stepText)
		if err != nil || !allDigits(stepText) {
			return p.fail(stepPos, stepText, "the step after / must be a whole number: 0/15 is every 15 starting at 0")
		}
		if n < 1 || n > def.max-def.min {
			return p.fail(stepPos, stepText, "the step must be 1-%d", def.max-def.min)
		}
		step = n
	}
	for v := lo; v <= hi; v += step {
		f.values.add(v - def.min)
	}
	return nil
}

// fieldValue reads a number or (for month and day-of-week) a name.
func fieldValue(def *fieldDef, s string) (int, error) {
	if s == "" {
		return 0, fmt.Errorf("missing value")
	}
	if allDigits(s) {
		v, err := strconv.Atoi(s)
		if err != nil || v < def.min || v > def.max {
			return 0, fmt.Errorf("%s is outside %d-%d", s, def.min, def.max)
		}
		return v, nil
	}
	if def.names == nil {
		return 0, fmt.Errorf("%s takes numbers only", def.name)
	}
	for i, n := range def.names {
		if s == n {
			return def.min + i, nil
		}
		if strings.EqualFold(s, n) {
			return 0, fmt.Errorf("write names in capitals: %s", n)
		}
	}
	return 0, fmt.Errorf("unknown name %s (names are %s)", s, strings.Join(def.names, " "))
}

// matchesDay reports whether the cron expression runs on the given date.
func (c *cronExpr) matchesDay(y int, m time.Month, d int) bool {
	if !c.f[fYear].has(y) || !c.f[fMonth].has(int(m)) {
		return false
	}
	last := daysIn(y, m)
	if dom := &c.f[fDayOfMonth]; !dom.question {
		switch {
		case dom.all:
			return true
		case dom.last:
			return d == last
		case dom.nearest > 0:
			return d == nearestWeekday(y, m, dom.nearest)
		}
		return dom.has(d)
	}
	dow := &c.f[fDayOfWeek]
	wd := int(time.Date(y, m, d, 12, 0, 0, 0, time.UTC).Weekday()) + 1 // 1 = Sunday
	switch {
	case dow.all:
		return true
	case dow.lastOf > 0:
		return wd == dow.lastOf && d+7 > last
	case dow.nth > 0:
		return wd == dow.nthDay && (d-1)/7+1 == dow.nth
	}
	return dow.has(wd)
}

// nearestWeekday is Quartz's W: the Monday-to-Friday day nearest day n of
// the month, never crossing into another month; 0 when the month has no
// day n (31W in April).
func nearestWeekday(y int, m time.Month, n int) int {
	last := daysIn(y, m)
	if n > last {
		return 0
	}
	switch time.Date(y, m, n, 12, 0, 0, 0, time.UTC).Weekday() {
	case time.Saturday:
		if n == 1 {
			return 3 // Monday the 3rd
		}
		return n - 1
	case time.Sunday:
		if n == last {
			return n - 2 // Friday
		}
		return n + 1
	}
	return n
}

func isLetter(c byte) bool { return c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' }

// maskNames replaces each month or day name in item (in any case) by
// digits of the same length.
func maskNames(def *fieldDef, item string) string {
	if def.names == nil {
		return item
	}
	b := []byte(item)
	for i := 0; i+3 <= len(b); i++ {
		for _, n := range def.names {
			if strings.EqualFold(string(b[i:i+3]), n) {
				copy(b[i:i+3], "000")
				i += 2
				break
			}
		}
	}
	return string(b)
}
