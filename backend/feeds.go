package backend

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/xml"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/manga-alert-italia/mangaalert/store"
)

// feedVolumes gathers the volumes of what s follows that s is told about:
// first editions, and the store.OptIn editions (variant, reprint, special)
// only to readers who ticked the box, as the notifier does; never those
// the reader owns (store.Follow.OwnsVolume).
func (b *Backend) feedVolumes(ctx context.Context, s store.Subscriber) ([]store.Volume, error) {
	fs, err := b.cfg.Store.FollowsOf(ctx, s.ID)
	if err != nil {
		return nil, err
	}
	var out []store.Volume
	for _, f := range fs {
		vs, err := b.cfg.Store.VolumesOfSeries(ctx, f.SeriesID)
		if err != nil {
			return nil, err
		}
		for _, v := range vs {
			// Volumes the reader has are not in their feeds, as they are
			// in no alert.
			if v.Edition.Announced(s.Variants) && !f.OwnsVolume(v) {
				out = append(out, v)
			}
		}
	}
	return out, nil
}

// feedFailed answers a feed request that cannot be served. A bad token is
// a plain 404: calendar apps show no pages.
func (b *Backend) feedFailed(w http.ResponseWriter, r *http.Request, err error) {
	if errors.Is(err, ErrBadToken) {
		http.Error(w, "feed non trovato: copia di nuovo l'indirizzo dalla pagina «Le mie serie»", http.StatusNotFound)
		return
	}
	b.internal(w, r, err)
}

// writeFeed answers body with a strong ETag; a client that has it gets 304.
func writeFeed(w http.ResponseWriter, r *http.Request, ctype string, body []byte) {
	sum := sha256.Sum256(body)
	etag := `"` + base64.RawURLEncoding.EncodeToString(sum[:12]) + `"`
	h := w.Header()
	h.Set("Content-Type", ctype)
	h.Set("ETag", etag)
	h.Set("Cache-Control", "private, max-age=900")
	h.Set("X-Robots-Tag", "noindex")
	if strings.Contains(r.Header.Get("If-None-Match"), etag) {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	h.Set("Content-Length", strconv.Itoa(len(body)))
	if r.Method != http.MethodHead {
		_, _ = w.Write(body)
	}
}

func (b *Backend) host() string {
	u, _ := url.Parse(b.cfg.BaseURL)
	return u.Hostname()
}

// feedCalendar serves the reader's releases as iCalendar.
func (b *Backend) feedCalendar(w http.ResponseWriter, r *http.Request) {
	s, err := b.feedReader(r.Context(), r.PathValue("token"))
	if err != nil {
		b.feedFailed(w, r, err)
		return
	}
	vs, err := b.feedVolumes(r.Context(), s)
	if err != nil {
		b.internal(w, r, err)
		return
	}
	var events []calendarEvent
	for _, v := range vs {
		if !v.ReleaseDate.IsZero() {
			events = append(events, calendarEvent{Volume: v, SeriesURL: b.cfg.BaseURL + "/serie/" + url.PathEscape(v.SeriesID)})
		}
	}
	slices.SortFunc(events, func(a, b calendarEvent) int {
		if c := a.Volume.ReleaseDate.Compare(b.Volume.ReleaseDate); c != 0 {
			return c
		}
		return cmp.Compare(a.Volume.ID, b.Volume.ID)
	})
	writeFeed(w, r, "text/calendar; charset=utf-8", writeCalendar(b.host(), "Uscite manga · Manga Alert Italia", events))
}

// Atom (RFC 4287).
type atomFeed struct {
	XMLName xml.Name    `xml:"http://www.w3.org/2005/Atom feed"`
	Lang    string      `xml:"xml:lang,attr"`
	ID      string      `xml:"id"`
	Title   string      `xml:"title"`
	Updated string      `xml:"updated"`
	Author  atomAuthor  `xml:"author"`
	Links   []atomLink  `xml:"link"`
	Entries []atomEntry `xml:"entry"`
}

type atomAuthor struct {
	Name string `xml:"name"`
}

type atomLink struct {
	Rel  string `xml:"rel,attr,omitempty"`
	Href string `xml:"href,attr"`
	Type string `xml:"type,attr,omitempty"`
}

type atomEntry struct {
	ID        string     `xml:"id"`
	Title     string     `xml:"title"`
	Updated   string     `xml:"updated"`
	Published string     `xml:"published"`
	Links     []atomLink `xml:"link"`
	Summary   string     `xml:"summary"`
}

// Atom entries: the most recent announcements, within a window.
const (
	atomMaxEntries = 100
	atomWindow     = 180 * 24 * time.Hour
)

// feedAtom serves the announcements of what the reader follows: one entry
// per volume, newest first seen first.
func (b *Backend) feedAtom(w http.ResponseWriter, r *http.Request) {
	tok := r.PathValue("token")
	s, err := b.feedReader(r.Context(), tok)
	if err != nil {
		b.feedFailed(w, r, err)
		return
	}
	vs, err := b.feedVolumes(r.Context(), s)
	if err != nil {
		b.internal(w, r, err)
		return
	}
	since := b.cfg.Now().Add(-atomWindow)
	vs = slices.DeleteFunc(vs, func(v store.Volume) bool { return v.FirstSeen.Before(since) })
	slices.SortFunc(vs, func(a, b store.Volume) int {
		if c := b.FirstSeen.Compare(a.FirstSeen); c != 0 {
			return c
		}
		return cmp.Compare(a.ID, b.ID)
	})
	if len(vs) > atomMaxEntries {
		vs = vs[:atomMaxEntries]
	}
	host := b.host()
	// The feed's id names the reader without showing their ID.
	idSum := sha256.Sum256([]byte("atom|" + s.ID))
	f := atomFeed{
		Lang:    "it",
		ID:      "tag:" + host + ",2025:annunci:" + hex.EncodeToString(idSum[:12]),
		Title:   "Annunci manga · Manga Alert Italia",
		Updated: atomTime(s.CreatedAt),
		Author:  atomAuthor{Name: "Manga Alert Italia"},
		Links: []atomLink{
			{Rel: "self", Href: b.cfg.BaseURL + "/feed/" + tok + "/annunci.atom", Type: "application/atom+xml"},
			{Rel: "alternate", Href: b.cfg.BaseURL + "/", Type: "text/html"},
		},
	}
	var newest time.Time
	for _, v := range vs {
		rev := revision(v)
		if rev.After(newest) {
			newest = rev
		}
		sum := []string{}
		if v.ReleaseDate.IsZero() {
			sum = append(sum, "Data di uscita da annunciare.")
		} else {
			sum = append(sum, "Esce "+dayLabel(v.ReleaseDate)+" "+strconv.Itoa(v.ReleaseDate.Year)+".")
		}
		if v.Publisher != "" {
			sum = append(sum, "Editore: "+v.Publisher+".")
		}
		if p := priceLabel(v.PriceCents); p != "" {
			sum = append(sum, "Prezzo: "+p+".")
		}
		if l := editionLabel(v.Edition); l != "" {
			sum = append(sum, "Edizione: "+l+".")
		}
		e := atomEntry{
			ID:        "tag:" + host + ",2025:volume:" + v.ID,
			Title:     v.Title,
			Updated:   atomTime(rev),
			Published: atomTime(cmpTime(v.FirstSeen, rev)),
			Links:     []atomLink{{Rel: "alternate", Href: b.cfg.BaseURL + "/serie/" + url.PathEscape(v.SeriesID), Type: "text/html"}},
			Summary:   strings.Join(sum, " "),
		}
		if v.SourceURL != "" {
			e.Links = append(e.Links, atomLink{Rel: "related", Href: v.SourceURL, Type: "text/html"})
		}
		f.Entries = append(f.Entries, e)
	}
	if !newest.IsZero() {
		f.Updated = atomTime(newest)
	}
	out, err := xml.MarshalIndent(f, "", "  ")
	if err != nil {
		b.internal(w, r, err)
		return
	}
	writeFeed(w, r, "application/atom+xml; charset=utf-8", append([]byte(xml.Header), append(out, '\n')...))
}

func atomTime(t time.Time) string { return t.UTC().Truncate(time.Second).Format(time.RFC3339) }

func cmpTime(t, d time.Time) time.Time {
	if t.IsZero() {
		return d
	}
	return t
}
