// Package sample holds sample publisher pages and serves them as local
// stand-ins for the publishers' sites: the scraper's tests read them, and
// `mangaalert local` scrapes them so the whole service runs offline.
//
// The pages are the project's own, written after the sites' markup as of
// September 2024 (Star Comics, Panini / Planet Manga, AnimeClick), not
// saved from the sites: each says so in its file name ("-written") or in
// its first line ("<!-- Written after ..."), and Saved lists the pages
// that were saved from a site (none). Their "today" is Captured. The real
// pages the parsers were checked on live outside the repository, in
// ../shared/fixtures/publishers (see scraper/source).
package sample

import (
	"embed"
	"net/http"
	"path"
	"strings"
	"time"
)

//go:embed pages
var pages embed.FS

// Captured is the moment the pages describe: the Monday their calendars
// start on. A scrape of them should run with this clock.
var Captured = time.Date(2024, time.September, 9, 10, 0, 0, 0, rome())

func rome() *time.Location {
	loc, err := time.LoadLocation("Europe/Rome")
	if err != nil {
		panic("sample: Europe/Rome: " + err.Error() + " (import time/tzdata)")
	}
	return loc
}

// Saved are the pages saved from a site as it served them, by file name,
// with where and when: none, so far. Every other page is written, and
// labelled so (TestEveryPageLabelled).
var Saved = map[string]string{}

// Written reports whether the page named name is labelled as written
// after a site's markup: in its file name or its first line.
func Written(name string) bool {
	return strings.Contains(name, "-written.") || strings.HasPrefix(string(Page(name)), "<!-- Written after ")
}

// Names lists every page, in file name order.
func Names() []string {
	es, _ := pages.ReadDir("pages")
	out := make([]string, 0, len(es))
	for _, e := range es {
		out = append(out, e.Name())
	}
	return out
}

// Page returns the sample page of that file name (nil when there is none).
func Page(name string) []byte {
	b, err := pages.ReadFile(path.Join("pages", name))
	if err != nil {
		return nil
	}
	return b
}

// Site is one publisher's sample pages, by request path (or path?query as
// the scraper asks for it on Captured's day).
type Site struct {
	Source string            // the scraper's source name
	Pages  map[string]string // request -> file name
	Series []string          // the followed series' pages among them
	Weeks  int               // how many weeks after this one the sample calendar covers
}

// Sites returns the three sites and their pages.
func Sites() []Site {
	return []Site{
		{
			Source: "starcomics",
			Pages: map[string]string{
				"/titoli-fumetti/mob-psycho-100": "starcomics-series-mob-psycho-100.html",
				"/uscite?data=2024-09-09":        "starcomics-uscite.html",
				// The later weeks announce nothing yet.
				"/uscite": "starcomics-uscite-empty-written.html",
				"/":       "starcomics-home-written.html",
			},
			Weeks:  2,
			Series: []string{"/titoli-fumetti/mob-psycho-100"},
		},
		{
			Source: "panini",
			Pages: map[string]string{
				"/shp_ita_it/chainsaw-man.html":                                      "panini-series-chainsaw-man.html",
				"/shp_ita_it/calendario-uscite?data_da=2024-09-09&data_a=2024-09-15": "panini-calendar-2024-09-09.html",
				// The later weeks announce nothing yet.
				"/shp_ita_it/calendario-uscite": "panini-search-empty.html",
			},
			Series: []string{"/shp_ita_it/chainsaw-man.html"},
			Weeks:  2,
		},
		{
			Source: "animeclick",
			Pages: map[string]string{
				"/calendario-manga": "animeclick-calendario-manga-2024-09-09.html",
				"/calendario-manga?day=9&month=9&paging=next-week&year=2024":  "animeclick-week-2024-12-30-written.json",
				"/calendario-manga?day=16&month=9&paging=next-week&year=2024": "animeclick-week-empty-written.json",
			},
			Weeks: 2,
		},
	}
}

// ServeHTTP answers as the site would: its sample page for the path and
// query (or the path alone), a robots.txt that lets the scraper in, and
// 404 for anything else.
func (s Site) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == "/robots.txt" {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = w.Write([]byte("User-agent: *\nDisallow: /accedi\n"))
		return
	}
	name, ok := s.Pages[r.URL.Path+"?"+r.URL.RawQuery]
	if !ok {
		name, ok = s.Pages[r.URL.Path]
	}
	body := Page(name)
	if !ok || body == nil {
		http.NotFound(w, r)
		return
	}
	if strings.HasSuffix(name, ".json") {
		w.Header().Set("Content-Type", "application/json")
	} else {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
	}
	// Sample pages never change: a conditional GET gets a 304.
	http.ServeContent(w, r, name, Captured, strings.NewReader(string(body)))
}
