package backend

import (
	"context"
	"encoding/xml"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/manga-alert-italia/mangaalert/store"
)

// unfold undoes RFC 5545 folding and splits the content lines.
func unfold(t *testing.T, ics string) []string {
	t.Helper()
	require.True(t, strings.HasSuffix(ics, "\r\n"))
	for _, l := range strings.Split(strings.TrimSuffix(ics, "\r\n"), "\r\n") {
		assert.LessOrEqual(t, len(l), 75, "content line over 75 octets: %q", l)
		assert.True(t, utf8.ValidString(l), "fold split a character: %q", l)
	}
	assert.NotContains(t, strings.ReplaceAll(ics, "\r\n", ""), "\n", "bare LF")
	return strings.Split(strings.TrimSuffix(strings.ReplaceAll(ics, "\r\n ", ""), "\r\n"), "\r\n")
}

func TestICalFoldingAndEscaping(t *testing.T) {
	var w icalWriter
	long := strings.Repeat("Città; di, vetro\\ ", 12) + "\nfine"
	w.text("DESCRIPTION", long)
	w.text("SUMMARY", strings.Repeat("ò", 80)) // two octets each: folds between characters
	lines := unfold(t, w.buf.String())
	require.Len(t, lines, 2)
	want := "DESCRIPTION:" + strings.NewReplacer(`\`, `\\`, ";", `\;`, ",", `\,`, "\n", `\n`).Replace(long)
	assert.Equal(t, want, lines[0])
	assert.Equal(t, "SUMMARY:"+strings.Repeat("ò", 80), lines[1])
}

func feedOf(t *testing.T, e *env, s store.Subscriber) (ics string, etag string) {
	w := e.get(pathOf(e.links().CalendarURL(s)))
	require.Equal(t, http.StatusOK, w.Code)
	assert.Equal(t, "text/calendar; charset=utf-8", w.Header().Get("Content-Type"))
	return w.Body.String(), w.Header().Get("ETag")
}

// event returns the unfolded lines of the VEVENT whose UID starts with uid.
func event(t *testing.T, ics, uid string) map[string]string {
	var cur map[string]string
	for _, l := range unfold(t, ics) {
		switch {
		case l == "BEGIN:VEVENT":
			cur = map[string]string{}
		case l == "END:VEVENT":
			if strings.HasPrefix(cur["UID"], uid) {
				return cur
			}
			cur = nil
		case cur != nil:
			k, v, _ := strings.Cut(l, ":")
			cur[k] = v
		}
	}
	return nil
}

func TestCalendarFeed(t *testing.T) {
	e := newEnv(t)
	s := e.confirmed("cal@example.it", "one-piece")
	ics, etag := feedOf(t, e, s)
	lines := unfold(t, ics)
	assert.Equal(t, "BEGIN:VCALENDAR", lines[0])
	assert.Contains(t, lines, "VERSION:2.0")
	assert.Contains(t, lines, "PRODID:-//Manga Alert Italia//Uscite//IT")
	assert.Equal(t, "END:VCALENDAR", lines[len(lines)-1])
	assert.Equal(t, 2, strings.Count(ics, "BEGIN:VEVENT"), "108 and 109; the variant only for readers who ask")

	ev := event(t, ics, "one-piece/108@")
	require.NotNil(t, ev)
	assert.Equal(t, "one-piece/108@mangaalert.test", ev["UID"])
	assert.Equal(t, "20250312", ev["DTSTART;VALUE=DATE"])
	assert.Equal(t, "20250313", ev["DTEND;VALUE=DATE"])
	assert.Equal(t, "ONE PIECE n. 108", ev["SUMMARY"])
	assert.Contains(t, ev["DESCRIPTION"], `Prezzo: 5\,90 €.`)
	assert.Equal(t, "https://mangaalert.test/serie/one-piece", ev["URL;VALUE=URI"])
	seeded := t0.Add(-48 * time.Hour) // when seed stored the catalogue
	assert.Equal(t, icalTime(seeded), ev["DTSTAMP"], "the volume has not changed since first seen")
	assert.Equal(t, icalTime(seeded), ev["LAST-MODIFIED"])
	assert.Equal(t, "0", ev["SEQUENCE"])

	// Same data, same bytes: a polling client gets 304.
	w := e.get(pathOf(e.links().CalendarURL(s)), "If-None-Match", etag)
	assert.Equal(t, http.StatusNotModified, w.Code)

	// A day on, the same scrape finds nothing new: the store refreshes
	// LastSeen, and the feed stays the same to the byte.
	ctx := context.Background()
	e.clock.Advance(24 * time.Hour)
	res, err := e.st.UpsertVolumes(ctx, seedVolumes(), e.clock.Now())
	require.NoError(t, err)
	for _, r := range res {
		require.Equal(t, store.Unchanged, r.Outcome, r.ID)
	}
	got, err := e.st.Volume(ctx, "one-piece/108")
	require.NoError(t, err)
	require.True(t, e.clock.Now().Equal(got.LastSeen), "LastSeen was refreshed, to %s", got.LastSeen)
	icsSeen, etagSeen := feedOf(t, e, s)
	assert.Equal(t, ics, icsSeen, "a LastSeen refresh revises no event")
	assert.Equal(t, etag, etagSeen)
	w = e.get(pathOf(e.links().CalendarURL(s)), "If-None-Match", etag)
	assert.Equal(t, http.StatusNotModified, w.Code)

	// The date of 108 moves a week later, scraped six hours on.
	e.clock.Advance(6 * time.Hour)
	moved := e.clock.Now()
	v := seedVolumes()[0]
	v.ReleaseDate = store.NewDate(2025, 3, 19)
	res, err = e.st.UpsertVolumes(ctx, []store.Volume{v}, moved)
	require.NoError(t, err)
	require.Equal(t, store.Updated, res[0].Outcome)
	ics2, etag2 := feedOf(t, e, s)
	assert.NotEqual(t, etag, etag2)
	ev2 := event(t, ics2, "one-piece/108@")
	assert.Equal(t, ev["UID"], ev2["UID"], "the UID stays")
	assert.Equal(t, "20250319", ev2["DTSTART;VALUE=DATE"])
	assert.Greater(t, seqOf(t, ev2), seqOf(t, ev), "SEQUENCE grows")
	assert.Equal(t, int(moved.Sub(seeded)/time.Minute), seqOf(t, ev2), "minutes from first seen to the change")
	assert.Equal(t, icalTime(moved), ev2["DTSTAMP"])
	assert.Equal(t, icalTime(moved), ev2["LAST-MODIFIED"])
	assert.Equal(t, event(t, ics, "one-piece/109@"), event(t, ics2, "one-piece/109@"), "the other event is untouched")

	// The next day's refresh leaves the moved event as it is.
	e.clock.Advance(24 * time.Hour)
	_, err = e.st.UpsertVolumes(ctx, []store.Volume{v}, e.clock.Now())
	require.NoError(t, err)
	ics3, etag3 := feedOf(t, e, s)
	assert.Equal(t, ics2, ics3)
	assert.Equal(t, etag2, etag3)

	// Variants for a reader who asks; undated volumes never.
	_, err = e.b.updateReader(ctx, s.ID, func(s *store.Subscriber) bool { s.Variants = true; return true })
	require.NoError(t, err)
	require.NoError(t, e.st.Follow(ctx, store.Follow{SubscriberID: s.ID, SeriesID: "citta-di-vetro", CreatedAt: t0}))
	s, err = e.st.Subscriber(ctx, s.ID)
	require.NoError(t, err)
	// The box promises variants, reprints and specials: not box sets.
	var extra []store.Volume
	for _, ed := range []store.Edition{store.Reprint, store.BoxSet} {
		extra = append(extra, store.Volume{ID: store.VolumeID("one-piece", ed, 100, "k"), SeriesID: "one-piece", Number: 100,
			Edition: ed, Key: "k", Title: "ONE PIECE n. 100 " + string(ed), Publisher: "Star Comics", ReleaseDate: store.NewDate(2025, 3, 12)})
	}
	_, err = e.st.UpsertVolumes(ctx, extra, e.clock.Now())
	require.NoError(t, err)
	ics4, _ := feedOf(t, e, s)
	assert.Equal(t, 4, strings.Count(ics4, "BEGIN:VEVENT"))
	assert.NotNil(t, event(t, ics4, "one-piece/108/variant/cover-b@"))
	assert.NotNil(t, event(t, ics4, "one-piece/100/reprint/k@"))
	assert.NotContains(t, ics4, "one-piece/100/boxset/k@")
	assert.NotContains(t, ics4, "Città di vetro 1")

	assert.Equal(t, http.StatusNotFound, e.get("/feed/abc.def/uscite.ics").Code)
	manageTok := e.links().ManageToken(s)
	assert.Equal(t, http.StatusNotFound, e.get("/feed/"+manageTok+"/uscite.ics").Code, "a manage token is not a feed token")
}

func seqOf(t *testing.T, ev map[string]string) int {
	var n int
	_, err := fmt.Sscan(ev["SEQUENCE"], &n)
	require.NoError(t, err)
	return n
}

func TestAtomFeed(t *testing.T) {
	e := newEnv(t)
	s := e.confirmed("atom@example.it", "one-piece")
	u := pathOf(e.links().AtomURL(s))
	w := e.get(u)
	require.Equal(t, http.StatusOK, w.Code)
	assert.Equal(t, "application/atom+xml; charset=utf-8", w.Header().Get("Content-Type"))
	var f atomFeed
	require.NoError(t, xml.Unmarshal(w.Body.Bytes(), &f), w.Body.String())
	assert.Equal(t, "Annunci manga · Manga Alert Italia", f.Title)
	require.Len(t, f.Entries, 2)
	assert.Equal(t, "tag:mangaalert.test,2025:volume:one-piece/108", f.Entries[0].ID)
	assert.Contains(t, f.Entries[0].Summary, "Esce mercoledì 12 marzo 2025.")
	assert.NotContains(t, f.ID, s.ID, "the feed id does not show the reader's id")
	assert.Equal(t, "https://mangaalert.test"+u, f.Links[0].Href)
	_, err := time.Parse(time.RFC3339, f.Updated)
	require.NoError(t, err)

	again := e.get(u, "If-None-Match", w.Header().Get("ETag"))
	assert.Equal(t, http.StatusNotModified, again.Code)
	assert.Equal(t, http.StatusNotFound, e.get("/feed/x/annunci.atom").Code)

	// The daily LastSeen refresh changes no entry; a moved date does.
	ctx := context.Background()
	e.clock.Advance(24 * time.Hour)
	res, err := e.st.UpsertVolumes(ctx, seedVolumes(), e.clock.Now())
	require.NoError(t, err)
	require.Equal(t, store.Unchanged, res[0].Outcome)
	refreshed := e.get(u)
	assert.Equal(t, w.Body.String(), refreshed.Body.String())
	assert.Equal(t, w.Header().Get("ETag"), refreshed.Header().Get("ETag"))
	v := seedVolumes()[0]
	v.ReleaseDate = store.NewDate(2025, 3, 19)
	_, err = e.st.UpsertVolumes(ctx, []store.Volume{v}, e.clock.Now())
	require.NoError(t, err)
	var f2 atomFeed
	require.NoError(t, xml.Unmarshal(e.get(u).Body.Bytes(), &f2))
	assert.Equal(t, atomTime(e.clock.Now()), f2.Updated)
	assert.Equal(t, atomTime(e.clock.Now()), f2.Entries[0].Updated)
	assert.Equal(t, f.Entries[0].Published, f2.Entries[0].Published, "published stays")
}

// A volume stored before ChangedAt was kept is revised as of FirstSeen,
// whatever its LastSeen.
func TestRevisionOfOldRecords(t *testing.T) {
	first := time.Date(2025, 1, 10, 9, 30, 15, 500, time.UTC)
	tests := []struct {
		name string
		v    store.Volume
		rev  time.Time
		seq  int64
	}{
		{"no ChangedAt", store.Volume{FirstSeen: first, LastSeen: first.Add(30 * 24 * time.Hour)}, first.Truncate(time.Second), 0},
		{"changed an hour on", store.Volume{FirstSeen: first, LastSeen: first.Add(48 * time.Hour), ChangedAt: first.Add(time.Hour)},
			first.Add(time.Hour).Truncate(time.Second), 60},
		{"no times at all", store.Volume{ReleaseDate: store.NewDate(2025, 3, 12)}, store.NewDate(2025, 3, 12).Time(), 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.True(t, tt.rev.Equal(revision(tt.v)), "revision %s, want %s", revision(tt.v), tt.rev)
			assert.Equal(t, tt.seq, sequence(tt.v))
		})
	}
}
