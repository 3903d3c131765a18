package backend

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/manga-alert-italia/mangaalert/store"
)

// icalWriter writes an iCalendar object (RFC 5545): CRLF line ends, lines
// folded at 75 octets without splitting a UTF-8 sequence, TEXT values
// escaped.
type icalWriter struct {
	buf bytes.Buffer
}

// line writes "name:value", value already in its final form.
func (w *icalWriter) line(name, value string) {
	w.fold(name + ":" + value)
}

// text writes a TEXT property, escaping it (RFC 5545 §3.3.11).
func (w *icalWriter) text(name, value string) {
	w.line(name, icalEscape(value))
}

// fold writes l as content lines of at most 75 octets each (§3.1): a
// continuation starts with one space, which counts toward its 75.
func (w *icalWriter) fold(l string) {
	limit := 75
	for len(l) > limit {
		cut := limit
		for cut > 0 && !utf8.RuneStart(l[cut]) {
			cut--
		}
		w.buf.WriteString(l[:cut])
		w.buf.WriteString("\r\n ")
		l = l[cut:]
		limit = 74
	}
	w.buf.WriteString(l)
	w.buf.WriteString("\r\n")
}

var icalEscaper = strings.NewReplacer(`\`, `\\`, ";", `\;`, ",", `\,`, "\r\n", `\n`, "\n", `\n`, "\r", `\n`)

func icalEscape(s string) string { return icalEscaper.Replace(s) }

func icalDate(d store.Date) string {
	return fmt.Sprintf("%04d%02d%02d", d.Year, int(d.Month), d.Day)
}

func icalTime(t time.Time) string { return t.UTC().Format("20060102T150405Z") }

// calendarEvent is one all-day release.
type calendarEvent struct {
	Volume    store.Volume
	SeriesURL string
}

// writeCalendar renders the releases as a published calendar. It has no
// METHOD, so DTSTAMP is when the event last changed (§3.8.7.2) and the
// same data renders to the same bytes: a polling client gets 304s.
//
// Each event's UID is the volume's ID at our host, so it never changes.
// SEQUENCE, DTSTAMP and LAST-MODIFIED follow the volume's ChangedAt, which
// the store moves only when a field (the date above all) changes: a client
// that already has the event sees a newer revision and moves it, and the
// daily LastSeen refresh of an unchanged volume changes not a byte.
func writeCalendar(host, name string, events []calendarEvent) []byte {
	var w icalWriter
	w.line("BEGIN", "VCALENDAR")
	w.line("VERSION", "2.0")
	w.line("PRODID", "-//Manga Alert Italia//Uscite//IT")
	w.line("CALSCALE", "GREGORIAN")
	w.text("NAME", name)
	w.text("X-WR-CALNAME", name)
	w.line("X-WR-TIMEZONE", "Europe/Rome")
	w.line("REFRESH-INTERVAL;VALUE=DURATION", "PT6H")
	w.line("X-PUBLISHED-TTL", "PT6H")
	for _, e := range events {
		v := e.Volume
		rev := revision(v)
		w.line("BEGIN", "VEVENT")
		w.text("UID", v.ID+"@"+host)
		w.line("DTSTAMP", icalTime(rev))
		w.line("LAST-MODIFIED", icalTime(rev))
		w.line("SEQUENCE", strconv.FormatInt(sequence(v), 10))
		w.line("DTSTART;VALUE=DATE", icalDate(v.ReleaseDate))
		w.line("DTEND;VALUE=DATE", icalDate(v.ReleaseDate.AddDays(1)))
		w.text("SUMMARY", v.Title)
		desc := []string{"Esce in Italia: " + dayLabel(v.ReleaseDate) + " " + strconv.Itoa(v.ReleaseDate.Year) + "."}
		if v.Publisher != "" {
			desc = append(desc, "Editore: "+v.Publisher+".")
		}
		if p := priceLabel(v.PriceCents); p != "" {
			desc = append(desc, "Prezzo: "+p+".")
		}
		if l := editionLabel(v.Edition); l != "" {
			desc = append(desc, "Edizione: "+l+".")
		}
		if v.SourceURL != "" {
			desc = append(desc, v.SourceURL)
		}
		w.text("DESCRIPTION", strings.Join(desc, "\n"))
		if e.SeriesURL != "" {
			w.line("URL;VALUE=URI", e.SeriesURL)
		}
		w.text("CATEGORIES", "Manga")
		w.line("TRANSP", "TRANSPARENT")
		w.line("STATUS", "CONFIRMED")
		w.line("END", "VEVENT")
	}
	w.line("END", "VCALENDAR")
	return w.buf.Bytes()
}

// revision is when the volume last changed as far as the store tells:
// ChangedAt, or FirstSeen for a record stored before ChangedAt was kept
// (store.Volume.LastChanged). Never LastSeen, which moves every day.
func revision(v store.Volume) time.Time {
	t := v.LastChanged()
	if t.Before(v.FirstSeen) {
		t = v.FirstSeen
	}
	if t.IsZero() {
		t = v.ReleaseDate.Time()
	}
	return t.Truncate(time.Second)
}

// sequence grows with the revision (minutes since the volume was first
// seen), so a moved date always carries a higher SEQUENCE than before
// (scrapes are hours apart).
func sequence(v store.Volume) int64 {
	if v.FirstSeen.IsZero() {
		return 0
	}
	return max(0, int64(revision(v).Sub(v.FirstSeen.Truncate(time.Second))/time.Minute))
}
