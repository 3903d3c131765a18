package title

import (
	"strings"
	"unicode"

	"github.com/manga-alert-italia/mangaalert/store"
)

// Normalizer turns the series names sources print into one name and one
// id, so "Jujutsu Kaisen – Sorcery Fight" (Panini), "JUJUTSU KAISEN" (a
// listing in capitals) and "Jujutsu Kaisen" (AnimeClick) are one series.
//
// What it does, in order: Clean; drop bracketed notes ("(Light Novel)");
// drop edition words at either end ("ONE PIECE NEW EDITION", "Cofanetto
// Berserk") and a trailing volume marker ("n."); drop a subtitle after " - "
// or ": " when it is a known one (Subtitles) or only edition words; title
// case when the name is all capitals; Slug for the id, then Aliases.
type Normalizer struct {
	// Subtitles are the subtitles (as slugs) one source prints and others
	// omit: dropped after a separator.
	Subtitles []string
	// Aliases maps a series id to the id the series is known by, for
	// series whose names differ beyond a subtitle.
	Aliases map[string]string
}

// Default knows the subtitles of the Italian editions that print one where
// other sources do not.
var Default = Normalizer{
	Subtitles: []string{
		"sorcery-fight",    // Panini: "Jujutsu Kaisen – Sorcery Fight"
		"kimetsu-no-yaiba", // Star Comics: "Demon Slayer - Kimetsu no Yaiba"
	},
}

// Series returns the name readers know a series by and its id (a Slug).
// The id is "" only when name holds no letter or digit.
func (n Normalizer) Series(name string) (display, id string) {
	s := dropBrackets(Clean(name))
	for {
		before := s
		s = trimSep(s)
		s = trimEditionWords(s)
		s = n.dropSubtitle(s)
		if s == before {
			break
		}
	}
	if s == "" { // the name was nothing but edition words: keep it whole
		s = trimSep(Clean(name))
	}
	if !hasLower(s) {
		s = TitleCase(s)
	}
	id = store.Slug(s)
	if a, ok := n.Aliases[id]; ok {
		id = a
	}
	return s, id
}

// ID is the series id of name.
func (n Normalizer) ID(name string) string {
	_, id := n.Series(name)
	return id
}

func dropBrackets(s string) string {
	if !strings.ContainsAny(s, "([") {
		return s
	}
	var b strings.Builder
	depth := 0
	for _, r := range s {
		switch r {
		case '(', '[':
			depth++
			continue
		case ')', ']':
			if depth > 0 {
				depth--
				continue
			}
		}
		if depth == 0 {
			b.WriteRune(r)
		}
	}
	return Clean(b.String())
}

// trimEditionWords drops a run of edition words at the end or the start of
// s, when the run holds a real edition word (not just "nuova" or "anime"),
// and a trailing volume marker.
func trimEditionWords(s string) string {
	toks := fields(s)
	if len(toks) < 2 {
		return s
	}
	// A trailing marker with no number ("Solo Leveling n.") is a leftover.
	if isMarker(toks[len(toks)-1].text) {
		return trimSep(s[:toks[len(toks)-1].start])
	}
	i := len(toks)
	for i > 1 && editionToken(toks[i-1].text) {
		i--
	}
	if i < len(toks) && Edition(s[toks[i].start:]) != store.First {
		return trimSep(s[:toks[i].start])
	}
	// "ONE PIECE NOVEL - HEROINES": the series ends where "novel" begins.
	for k := 1; k < len(toks); k++ {
		if e, ok := phrases[store.Slug(toks[k].text)]; ok && e == store.Other {
			return trimSep(s[:toks[k].start])
		}
	}
	j := 0
	for j < len(toks)-1 && editionToken(toks[j].text) {
		j++
	}
	if j > 0 && Edition(s[:toks[j-1].end]) != store.First {
		return trimSep(s[toks[j].start:])
	}
	return s
}

// editionToken reports whether one word is (part of) an edition phrase.
func editionToken(t string) bool {
	sl := store.Slug(t)
	if sl == "" {
		return false
	}
	if editionPhrase(sl) {
		return true
	}
	// "Collector's" is two slug words: every part must be one.
	for _, p := range strings.Split(sl, "-") {
		if !editionPhrase(p) && p != "s" {
			return false
		}
	}
	return true
}

// dropSubtitle drops what follows the last separator when it is a known
// subtitle or only edition words.
func (n Normalizer) dropSubtitle(s string) string {
	at, size := lastSeparator(s)
	if at <= 0 {
		return s
	}
	head, tail := trimSep(s[:at]), trimSep(s[at+size:])
	if head == "" {
		return s
	}
	ts := store.Slug(tail)
	for _, sub := range n.Subtitles {
		if ts == sub {
			return head
		}
	}
	if ts != "" && allEditionWords(tail) {
		return head
	}
	return s
}

func allEditionWords(s string) bool {
	for _, t := range fields(s) {
		if !editionToken(t.text) {
			return false
		}
	}
	return Edition(s) != store.First
}

// Head is the part of a name before its first " - " or ": ", or "" when
// it has none.
func Head(name string) string {
	s := Clean(name)
	d, c := strings.Index(s, " - "), strings.Index(s, ": ")
	at := d
	if at < 0 || (c >= 0 && c < at) {
		at = c
	}
	if at <= 0 {
		return ""
	}
	return trimSep(s[:at])
}

// lastSeparator finds the last " - " or ": " in s.
func lastSeparator(s string) (at, size int) {
	d := strings.LastIndex(s, " - ")
	c := strings.LastIndex(s, ": ")
	if d >= c && d >= 0 {
		return d, 3
	}
	if c >= 0 {
		return c, 2
	}
	return -1, 0
}

func hasLower(s string) bool {
	for _, r := range s {
		if unicode.IsLower(r) {
			return true
		}
	}
	return false
}

// small words stay lower case inside a title-cased name.
var small = map[string]bool{
	"a": true, "ad": true, "al": true, "alla": true, "alle": true, "agli": true, "ai": true,
	"con": true, "da": true, "dal": true, "dalla": true, "di": true, "del": true, "dello": true,
	"della": true, "dei": true, "degli": true, "delle": true, "e": true, "ed": true, "fra": true,
	"gli": true, "i": true, "il": true, "in": true, "la": true, "le": true, "lo": true,
	"nel": true, "nella": true, "per": true, "su": true, "sul": true, "tra": true, "un": true,
	"una": true, "uno": true, "and": true, "of": true, "the": true, "to": true, "no": true,
	"wa": true, "ga": true, "ni": true, "wo": true, "or": true, "at": true,
}

var roman = map[string]bool{"ii": true, "iii": true, "iv": true, "vi": true, "vii": true, "viii": true, "ix": true, "xi": true, "xii": true}

// TitleCase writes an all-capitals name the way readers write it: "SOLO
// LEVELING" -> "Solo Leveling", "L'ATTACCO DEI GIGANTI" -> "L'Attacco dei
// Giganti". Roman numerals stay capitals.
func TitleCase(s string) string {
	words := strings.Split(strings.ToLower(s), " ")
	for i, w := range words {
		if w == "" {
			continue
		}
		if roman[strings.Trim(w, ".,:;!?")] {
			words[i] = strings.ToUpper(w)
			continue
		}
		if i > 0 && small[w] {
			continue
		}
		words[i] = capitalize(w)
	}
	return strings.Join(words, " ")
}

// capitalize upper-cases the first letter of w and the first letter after
// a hyphen or an elision ("l'attacco" -> "L'Attacco", "punch-man" ->
// "Punch-Man").
func capitalize(w string) string {
	rs := []rune(w)
	up := true
	for i, r := range rs {
		if up && unicode.IsLetter(r) {
			rs[i] = unicode.ToUpper(r)
			up = false
			continue
		}
		if r == '-' || (r == '\'' && i <= 4) {
			up = true
		} else if unicode.IsLetter(r) || unicode.IsDigit(r) {
			up = false
		}
	}
	return string(rs)
}
