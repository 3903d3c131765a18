// Package title reads manga product titles as Italian publishers print
// them: it finds the series and the volume number ("SOLO LEVELING n. 19",
// "Jujutsu Kaisen – Sorcery Fight 8", "Jujutsu Kaisen 0 – The Movie: Il
// Romanzo"), normalises series names so every source's spelling of one
// series gives one id, and tells from a title's words what kind of edition
// a product is.
//
// It works on words, not on markup, and uses no regular expressions: it
// runs once per product of every scraped page.
package title

import (
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// Parsed is a product title taken apart.
type Parsed struct {
	// Series is the series part as printed, cleaned of separators and
	// surrounding space ("Jujutsu Kaisen - Sorcery Fight"); Normalizer.Series
	// turns it into the series' name and id.
	Series string
	// Number is the volume number; 0 is a real number ("Jujutsu Kaisen 0").
	Number int
	// HasNumber is false when the title prints no volume number (a one-shot,
	// an artbook).
	HasNumber bool
	// Rest is what the title says after the number: a subtitle or the
	// edition's qualifiers ("The Movie: Il Romanzo", "Variant MangaYo!").
	Rest string
}

// Split takes a product title apart. hint, when not empty, is the series
// name the page gives elsewhere (a series page's heading, a calendar card's
// series line): when the title starts with it, the rest of the title is
// searched for the number, so digits in the series' own name ("Mob Psycho
// 100") are never taken for the volume.
func Split(raw, hint string) Parsed {
	s := Clean(raw)
	if h := Clean(hint); h != "" {
		if n, ok := prefixFold(s, h); ok {
			p := splitNumber(s[n:], false)
			p.Series = h
			return p
		}
	}
	return splitNumber(s, true)
}

// splitNumber finds the volume number in s. When series is true the text
// before the number is the series (and must not be empty); otherwise all
// of s is after the series and what is not the number is Rest.
func splitNumber(s string, series bool) Parsed {
	toks := fields(s)
	at, n, ok := explicitNumber(toks)
	if !ok {
		at, n, ok = lastNumber(toks, series)
	}
	if !ok {
		if series {
			return Parsed{Series: trimSep(s)}
		}
		return Parsed{Rest: trimSep(s)}
	}
	start, end := toks[at].start, toks[at].end
	if at > 0 && isMarker(toks[at-1].text) {
		start = toks[at-1].start
	}
	p := Parsed{Number: n, HasNumber: true}
	before, after := trimSep(s[:start]), trimSep(s[end:])
	if series {
		p.Series, p.Rest = before, after
	} else {
		p.Rest = strings.TrimSpace(before + " " + after)
	}
	return p
}

type token struct {
	text       string
	start, end int
}

func fields(s string) []token {
	var toks []token
	start := -1
	for i, r := range s {
		if r == ' ' {
			if start >= 0 {
				toks = append(toks, token{s[start:i], start, i})
				start = -1
			}
			continue
		}
		if start < 0 {
			start = i
		}
	}
	if start >= 0 {
		toks = append(toks, token{s[start:], start, len(s)})
	}
	return toks
}

// markers are the words Italian publishers put before a volume number.
var markers = []string{"n.", "n°", "nº", "n", "vol.", "vol", "volume", "num.", "numero", "#"}

func isMarker(t string) bool {
	t = strings.ToLower(t)
	for _, m := range markers {
		if t == m {
			return true
		}
	}
	return false
}

// explicitNumber finds "n. 19", "n.19", "Vol. 3", "#4": the last one wins.
func explicitNumber(toks []token) (at, n int, ok bool) {
	for i := len(toks) - 1; i >= 0; i-- {
		t := toks[i].text
		if i > 0 && isMarker(toks[i-1].text) {
			if v, good := volumeNumber(t); good {
				return i, v, true
			}
		}
		lt := strings.ToLower(t)
		for _, m := range markers {
			if len(m) > 1 || m == "#" {
				if strings.HasPrefix(lt, m) && len(lt) > len(m) {
					if v, good := volumeNumber(t[len(m):]); good {
						return i, v, true
					}
				}
			}
		}
	}
	return 0, 0, false
}

// lastNumber finds the last bare number of the title ("Sorcery Fight 8",
// "Jujutsu Kaisen 0 – The Movie"). With series set, the first word is never
// the number: a series has a name.
func lastNumber(toks []token, series bool) (at, n int, ok bool) {
	first := 0
	if series {
		first = 1
	}
	for i := len(toks) - 1; i >= first; i-- {
		if v, good := volumeNumber(toks[i].text); good {
			return i, v, true
		}
	}
	return 0, 0, false
}

// volumeNumber reads "19", "19,", "1-3" (a box's range: its first volume).
// Numbers of more than three digits are years or codes, not volumes.
func volumeNumber(t string) (int, bool) {
	t = strings.TrimRight(t, ".,;:!)")
	t = strings.TrimLeft(t, "(")
	if i := strings.IndexByte(t, '-'); i > 0 {
		if _, err := strconv.Atoi(t[i+1:]); err != nil {
			return 0, false
		}
		t = t[:i]
	}
	if t == "" || len(t) > 3 {
		return 0, false
	}
	for i := 0; i < len(t); i++ {
		if t[i] < '0' || t[i] > '9' {
			return 0, false
		}
	}
	v, err := strconv.Atoi(t)
	return v, err == nil
}

// Tidy puts a title as printed in Unicode NFC with its spaces collapsed,
// and changes nothing else: what a volume record keeps as its title.
func Tidy(s string) string {
	return strings.Join(strings.FieldsFunc(norm.NFC.String(s), func(r rune) bool {
		return unicode.IsSpace(r) || r == '\u00a0' || r == '\u200b' || unicode.IsControl(r) || r == utf8.RuneError
	}), " ")
}

// Clean puts a title in one shape: Unicode NFC, every kind of space one
// ASCII space, every kind of dash "-", separators spaced (" - "), no space
// at either end.
func Clean(s string) string {
	if s == "" {
		return ""
	}
	s = norm.NFC.String(s)
	var b strings.Builder
	b.Grow(len(s))
	space := false
	for _, r := range s {
		switch {
		case r == utf8.RuneError:
			continue
		case unicode.IsSpace(r) || r == '\u00a0' || r == '\u200b' || unicode.IsControl(r):
			space = true
			continue
		case isDash(r):
			r = '-'
		case r == '’' || r == '‘' || r == '`' || r == '´':
			r = '\''
		}
		if space && b.Len() > 0 {
			b.WriteByte(' ')
		}
		space = false
		b.WriteRune(r)
	}
	return b.String()
}

func isDash(r rune) bool {
	switch r {
	case '‐', '‑', '‒', '–', '—', '―', '−', '﹘', '﹣', '－':
		return true
	}
	return false
}

// trimSep trims spaces and the separators a series name or subtitle is
// never made of at either end.
func trimSep(s string) string {
	return strings.TrimFunc(s, func(r rune) bool {
		return r == ' ' || r == '-' || r == ':' || r == ',' || r == ';' || r == '|' || r == '/' || r == '·'
	})
}

// prefixFold reports whether s starts with the word(s) p, ignoring case,
// and returns the byte length of the prefix in s.
func prefixFold(s, p string) (int, bool) {
	i := 0
	for _, pr := range p {
		if i >= len(s) {
			return 0, false
		}
		sr, size := utf8.DecodeRuneInString(s[i:])
		if !equalFold(sr, pr) {
			return 0, false
		}
		i += size
	}
	if i < len(s) {
		next, _ := utf8.DecodeRuneInString(s[i:])
		if unicode.IsLetter(next) || unicode.IsDigit(next) {
			return 0, false
		}
	}
	return i, true
}

func equalFold(a, b rune) bool {
	if a == b {
		return true
	}
	return unicode.ToLower(a) == unicode.ToLower(b)
}
