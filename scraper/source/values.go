package source

import (
	"strconv"
	"strings"
	"time"

	"github.com/manga-alert-italia/mangaalert/store"
)

// findDate finds the first date in s written dd/mm/yyyy or dd/mm/yy (also
// with "." or "-"), or "10 settembre 2024". Two-digit years are 20yy.
func findDate(s string) (store.Date, bool) {
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) || (i > 0 && isDigit(s[i-1])) {
			continue
		}
		if d, ok := numericDate(s[i:]); ok {
			return d, true
		}
		if d, ok := wordDate(s[i:]); ok {
			return d, true
		}
	}
	return store.Date{}, false
}

// numericDate reads "29/10/2024", "29/10/24", "2.4.2024" at the start of s.
func numericDate(s string) (store.Date, bool) {
	day, s, ok := digits(s, 1, 2)
	if !ok || len(s) == 0 || !isDateSep(s[0]) {
		return store.Date{}, false
	}
	sep := s[0]
	month, s, ok := digits(s[1:], 1, 2)
	if !ok || len(s) == 0 || s[0] != sep {
		return store.Date{}, false
	}
	y := s[1:]
	n := 0
	for n < len(y) && n < 5 && isDigit(y[n]) {
		n++
	}
	var year int
	switch n {
	case 2:
		year = 2000 + atoi(y[:2])
	case 4:
		year = atoi(y[:4])
	default:
		return store.Date{}, false
	}
	return mkDate(year, month, day)
}

func isDateSep(b byte) bool { return b == '/' || b == '.' || b == '-' }

// months are the Italian month names and their usual abbreviations.
var months = []struct {
	name string
	m    time.Month
}{
	{"gennaio", 1}, {"febbraio", 2}, {"marzo", 3}, {"aprile", 4}, {"maggio", 5}, {"giugno", 6},
	{"luglio", 7}, {"agosto", 8}, {"settembre", 9}, {"ottobre", 10}, {"novembre", 11}, {"dicembre", 12},
	{"gen", 1}, {"feb", 2}, {"mar", 3}, {"apr", 4}, {"mag", 5}, {"giu", 6},
	{"lug", 7}, {"ago", 8}, {"set", 9}, {"ott", 10}, {"nov", 11}, {"dic", 12},
}

// wordDate reads "10 settembre 2024" or "10 set. 2024" at the start of s.
func wordDate(s string) (store.Date, bool) {
	m, ok := dayMonth(s)
	if !ok {
		return store.Date{}, false
	}
	rest := strings.TrimLeft(m.rest, ". ")
	n := 0
	for n < len(rest) && n < 5 && isDigit(rest[n]) {
		n++
	}
	if n != 4 {
		return store.Date{}, false
	}
	return mkDate(atoi(rest[:4]), int(m.month), m.day)
}

type dm struct {
	day   int
	month time.Month
	rest  string
}

// dayMonth reads "10 settembre" at the start of s.
func dayMonth(s string) (dm, bool) {
	day, s, ok := digits(s, 1, 2)
	if !ok {
		return dm{}, false
	}
	s = strings.TrimLeft(s, " \u00a0")
	// Only the next word can be a month: lower just that much, so a long
	// text with many digits is read in linear time.
	ls := strings.ToLower(s[:min(len(s), len("settembre")+1)])
	for _, mo := range months {
		if strings.HasPrefix(ls, mo.name) {
			after := ls[len(mo.name):]
			if after != "" && isLetter(after[0]) {
				continue // "mar" must not read "marzo" as March and "zo"
			}
			return dm{day: day, month: mo.m, rest: s[len(mo.name):]}, true
		}
	}
	return dm{}, false
}

func mkDate(y, m, d int) (store.Date, bool) {
	if y < 1950 || y > 2200 || m < 1 || m > 12 || d < 1 || d > 31 {
		return store.Date{}, false
	}
	date := store.NewDate(y, time.Month(m), d)
	if date.Day != d { // 31/02 normalises to March: not a date
		return store.Date{}, false
	}
	return date, true
}

// isoDate reads "2024-10-29" (with anything after it, as in a datetime).
func isoDate(s string) (store.Date, bool) {
	s = strings.TrimSpace(s)
	if len(s) < 10 || s[4] != '-' || s[7] != '-' {
		return store.Date{}, false
	}
	for _, i := range []int{0, 1, 2, 3, 5, 6, 8, 9} {
		if !isDigit(s[i]) {
			return store.Date{}, false
		}
	}
	return mkDate(atoi(s[:4]), atoi(s[5:7]), atoi(s[8:10]))
}

// anyDate reads an attribute value: ISO first, then Italian.
func anyDate(s string) (store.Date, bool) {
	if d, ok := isoDate(s); ok {
		return d, true
	}
	return findDate(s)
}

// findPrice finds a price in euro in s: "€ 9,90", "9,90 €", "EUR 9.90",
// "€1.234,50". Text without a euro sign is not a price.
func findPrice(s string) (int, bool) {
	for _, sign := range []string{"€", "EUR", "&euro;"} {
		i := strings.Index(s, sign)
		if i < 0 {
			continue
		}
		// The amount follows the sign, or precedes it.
		if c, ok := amountAt(strings.TrimLeft(s[i+len(sign):], " \u00a0")); ok {
			return c, true
		}
		if c, ok := amountBefore(strings.TrimRight(s[:i], " \u00a0")); ok {
			return c, true
		}
	}
	return 0, false
}

// amountAt reads an Italian amount at the start of s.
func amountAt(s string) (int, bool) {
	n := 0
	for n < len(s) && (isDigit(s[n]) || s[n] == '.' || s[n] == ',') {
		n++
	}
	return italianAmount(s[:n])
}

// amountBefore reads an Italian amount at the end of s.
func amountBefore(s string) (int, bool) {
	n := len(s)
	for n > 0 && (isDigit(s[n-1]) || s[n-1] == '.' || s[n-1] == ',') {
		n--
	}
	return italianAmount(s[n:])
}

// italianAmount reads "9,90", "1.234,50", "9.90", "13" into cents.
func italianAmount(s string) (int, bool) {
	s = strings.Trim(s, ".,")
	if s == "" {
		return 0, false
	}
	comma := strings.LastIndexByte(s, ',')
	dot := strings.LastIndexByte(s, '.')
	var whole, frac string
	switch {
	case comma >= 0 && comma > dot: // 1.234,50
		whole, frac = strings.ReplaceAll(s[:comma], ".", ""), s[comma+1:]
	case dot >= 0 && len(s)-dot-1 <= 2 && comma < 0: // 9.90
		whole, frac = s[:dot], s[dot+1:]
	case dot >= 0 && comma < 0: // 1.234
		whole = strings.ReplaceAll(s, ".", "")
	case comma >= 0: // 1,234.5: not Italian, read it anyway
		whole, frac = strings.ReplaceAll(s[:dot], ",", ""), s[dot+1:]
	default:
		whole = s
	}
	return cents(whole, frac)
}

// dataAmount reads a data-price-amount: "5.2", "4.94", "13".
func dataAmount(s string) (int, bool) {
	s = strings.TrimSpace(s)
	whole, frac, _ := strings.Cut(s, ".")
	return cents(whole, frac)
}

func cents(whole, frac string) (int, bool) {
	if whole == "" {
		whole = "0"
	}
	if len(whole) > 6 || len(frac) > 4 {
		return 0, false
	}
	for _, part := range []string{whole, frac} {
		for i := 0; i < len(part); i++ {
			if !isDigit(part[i]) {
				return 0, false
			}
		}
	}
	c := atoi(whole) * 100
	switch len(frac) {
	case 0:
	case 1:
		c += atoi(frac) * 10
	default:
		c += atoi(frac[:2])
		if len(frac) > 2 && frac[2] >= '5' { // 4.945 -> 4.95
			c++
		}
	}
	if c <= 0 {
		return 0, false
	}
	return c, true
}

func digits(s string, min, max int) (int, string, bool) {
	n := 0
	for n < len(s) && n < max+1 && isDigit(s[n]) {
		n++
	}
	if n < min || n > max {
		return 0, s, false
	}
	return atoi(s[:n]), s[n:], true
}

func atoi(s string) int {
	v, _ := strconv.Atoi(s)
	return v
}

func isDigit(b byte) bool  { return b >= '0' && b <= '9' }
func isLetter(b byte) bool { return b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b >= 0x80 }
