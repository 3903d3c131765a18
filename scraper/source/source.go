package source

import (
	"bytes"
	"fmt"
	"io"
	"net/url"
	"sort"
	"strings"

	"golang.org/x/net/html/atom"

	"github.com/manga-alert-italia/mangaalert/scraper/title"
	"github.com/manga-alert-italia/mangaalert/store"
)

// Source is one site the scraper reads.
type Source struct {
	Name      string // "starcomics", "panini", "animeclick"
	Site      string // the site's root, for relative links: "https://www.starcomics.com"
	Publisher string // the publisher of every product, "" when each card says
	// Rank orders sources that list the same volume: a publisher's own
	// site (2) is believed over an aggregator (1).
	Rank   int
	parse  func(r io.Reader, base *url.URL, n title.Normalizer) ([]Item, error)
	pages  func(site *url.URL, today store.Date, weeks int) []Page
	series func(site *url.URL, s store.Series) string
}

// Parse reads a page of the source with the default series normaliser.
// base is the page's URL (relative links resolve against it); nil means
// the source's Site.
func (s Source) Parse(r io.Reader, base *url.URL) ([]Item, error) {
	return s.ParseWith(r, base, title.Default)
}

// ParseWith reads a page of the source, naming series with n.
func (s Source) ParseWith(r io.Reader, base *url.URL, n title.Normalizer) ([]Item, error) {
	if base == nil {
		u, err := url.Parse(s.Site)
		if err != nil {
			return nil, fmt.Errorf("%s: site %q: %w", s.Name, s.Site, err)
		}
		base = u
	}
	items, err := s.parse(r, base, n)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", s.Name, err)
	}
	return items, nil
}

// Page is a page to fetch.
type Page struct {
	URL    string
	Header map[string]string // extra request headers (AnimeClick's weeks answer XHR only)
}

// Calendar returns the source's release calendar pages for the week of
// today and the weeks after it, on site (nil: the source's Site).
func (s Source) Calendar(site *url.URL, today store.Date, weeks int) []Page {
	if site == nil {
		site, _ = url.Parse(s.Site)
	}
	if s.pages == nil || site == nil {
		return nil
	}
	return s.pages(site, today, weeks)
}

// SeriesPage returns the page of series sr on site (nil: the source's
// Site), and false when the source has no page of it: a publisher's site
// lists only what that publisher prints, and an aggregator's calendar
// already covers every series.
func (s Source) SeriesPage(site *url.URL, sr store.Series) (Page, bool) {
	if site == nil {
		site, _ = url.Parse(s.Site)
	}
	if s.series == nil || site == nil || sr.ID == "" || (s.Publisher != "" && sr.Publisher != s.Publisher) {
		return Page{}, false
	}
	return Page{URL: s.series(site, sr)}, true
}

// The sources.
var (
	StarComics = Source{Name: "starcomics", Site: "https://www.starcomics.com", Publisher: "Star Comics",
		Rank: 2, parse: parseStarComics, pages: starComicsCalendar,
		series: starComicsSeries}
	Panini = Source{Name: "panini", Site: "https://www.panini.it", Publisher: "Panini Comics",
		Rank: 2, parse: parsePanini, pages: paniniCalendar,
		series: paniniSearch}
	AnimeClick = Source{Name: "animeclick", Site: "https://www.animeclick.it", Rank: 1,
		parse: parseAnimeClick, pages: animeClickCalendar}
)

var sources = map[string]Source{
	StarComics.Name: StarComics, Panini.Name: Panini, AnimeClick.Name: AnimeClick,
}

// Lookup returns the source called name.
func Lookup(name string) (Source, bool) {
	s, ok := sources[strings.ToLower(strings.TrimSpace(name))]
	return s, ok
}

// Names lists the sources' names, sorted.
func Names() []string {
	var ns []string
	for n := range sources {
		ns = append(ns, n)
	}
	sort.Strings(ns)
	return ns
}

// page tracks what every parser needs to know of the page as a whole: its
// <title>, to tell a challenge from a redesign.
type page struct {
	title  textBuf
	titled bool
}

func (p *page) event(e *event) {
	switch e.kind {
	case evStart:
		if e.a == atom.Title && !p.titled {
			p.title.begin(e.depth)
		}
	case evText:
		if p.title.collecting(e.depth) {
			p.title.add(e.text)
		}
	case evEnd:
		if p.title.end(e.depth) {
			p.titled = true
		}
	}
}

// unrecognized is the error for a page without the marks of its kind.
func (p *page) unrecognized(want string) error {
	t := p.title.String()
	if IsChallengeTitle(t) {
		return fmt.Errorf("%w (page title %q)", ErrChallenge, t)
	}
	if t == "" {
		return fmt.Errorf("%w: no %s in it", ErrUnrecognized, want)
	}
	return fmt.Errorf("%w: no %s in it (page title %q)", ErrUnrecognized, want, t)
}

// IsChallengeTitle reports whether a page title is an anti-bot
// challenge's (Cloudflare, DDoS-Guard, Sucuri, Akamai).
func IsChallengeTitle(t string) bool {
	t = strings.ToLower(strings.TrimSpace(t))
	for _, c := range []string{"just a moment", "attention required", "un momento",
		"ddos-guard", "checking your browser", "access denied", "sucuri website firewall",
		"verifica in corso", "please wait", "security check"} {
		if strings.Contains(t, c) {
			return true
		}
	}
	return false
}

// challengeMarks are byte strings only challenge pages carry.
var challengeMarks = [][]byte{
	[]byte("cf-browser-verification"), []byte("challenge-platform"), []byte("cf_chl_opt"),
	[]byte("cf-challenge"), []byte("_cf_chl"), []byte("ddos-guard"), []byte("<title>Just a moment"),
	[]byte("Attention Required! | Cloudflare"), []byte("sucuri_cloudproxy"),
}

// IsChallenge reports whether a body is an anti-bot challenge page.
func IsChallenge(body []byte) bool {
	for _, m := range challengeMarks {
		if bytes.Contains(body, m) {
			return true
		}
	}
	return false
}

// imgSrc picks an image's real URL: lazy-loading pages put it in a data-
// attribute and a placeholder in src.
func imgSrc(e *event) string {
	for _, k := range []string{"data-original", "data-src", "data-lazy", "data-lazy-src"} {
		if v, ok := e.get(k); ok && len(bytes.TrimSpace(v)) > 0 {
			return string(v)
		}
	}
	if v, ok := e.get("src"); ok {
		return string(v)
	}
	return ""
}

func isHeading(a atom.Atom) bool {
	switch a {
	case atom.H1, atom.H2, atom.H3, atom.H4, atom.H5, atom.H6:
		return true
	}
	return false
}

// attrDate reads a date from the attributes that carry one.
func attrDate(e *event) (store.Date, bool) {
	for _, k := range []string{"datetime", "data-date", "data-giorno", "data-day", "content"} {
		if v, ok := e.get(k); ok {
			if k == "content" {
				if ip, _ := e.get("itemprop"); !bytes.EqualFold(ip, []byte("releaseDate")) && !bytes.EqualFold(ip, []byte("datePublished")) {
					continue
				}
			}
			if d, ok := anyDate(string(v)); ok {
				return d, true
			}
		}
	}
	return store.Date{}, false
}
