package source

import (
	"bytes"
	"io"
	"net/url"
	"strings"

	"golang.org/x/net/html/atom"

	"github.com/manga-alert-italia/mangaalert/scraper/title"
	"github.com/manga-alert-italia/mangaalert/store"
)

// Star Comics cards, on series pages, the weekly release listing and the
// home page's carousels ("ULTIME USCITE", "PROSSIME USCITE") alike:
//
//	<div class="card fumetto-card">
//	  <a href="/fumetto/solo-leveling-19"><img src="/img/no_cover_2021.jpg"></a>
//	  <a href="/fumetto/solo-leveling-19"><div class="card-body">
//	    <h4 class="card-title">SOLO LEVELING n. 19</h4>
//	    <p class="card-text"><span title="ANIME VARIANT"><small>ANIME VARIANT</small></span>
//	      <span class="text-secondary">29/10/2024</span></p></div></a>
//	  <div>€ 9,90</div>
//	</div>
//
// A series page's h1 is the series' name, which keeps digits in names from
// being read as volume numbers; the listing groups cards under headings
// that may carry the date when a card does not.
type starParser struct {
	base *url.URL
	n    title.Normalizer
	page page

	items  []Item
	cards  bool // saw a card: this is a Star Comics listing
	site   bool // the page says it is Star Comics
	h1     textBuf
	series string // the first h1: the series' name on a series page

	heading     textBuf
	headingDate store.Date

	cardDepth int
	c         card
	aTitle    string // the card link's title attribute, if the card has no h4
	titleBuf  textBuf
	textBuf   textBuf // p.card-text: qualifiers and the date
	all       textBuf // the whole card: the price
}

func parseStarComics(r io.Reader, base *url.URL, n title.Normalizer) ([]Item, error) {
	p := &starParser{base: base, n: n}
	if err := scan(r, p.event); err != nil {
		return nil, err
	}
	if !p.cards {
		if p.site {
			return nil, nil // a Star Comics page, but no card on it
		}
		return nil, p.page.unrecognized("Star Comics card (div.fumetto-card)")
	}
	return p.items, nil
}

func (p *starParser) event(e *event) {
	p.page.event(e)
	switch e.kind {
	case evStart:
		p.start(e)
	case evText:
		p.text(e)
	case evEnd:
		p.end(e)
	}
}

func (p *starParser) start(e *event) {
	if e.hasClass("fumetto-card") {
		if p.cardDepth > 0 { // an unclosed card: the next one starts
			p.finish()
		}
		p.cards = true
		p.cardDepth = e.depth
		p.c = card{seriesHint: p.series, publisher: "Star Comics"}
		p.aTitle = ""
		p.titleBuf.reset()
		p.textBuf.reset()
		p.all.reset()
		p.all.begin(e.depth)
		return
	}
	if p.cardDepth == 0 {
		switch {
		case e.a == atom.H1 && p.series == "":
			p.h1.begin(e.depth)
		case isHeading(e.a) || e.classContains("data") || e.classContains("date"):
			p.heading.reset()
			p.heading.begin(e.depth)
		}
		if d, ok := attrDate(e); ok {
			p.headingDate = d
		}
		if e.a == atom.Meta {
			if v, _ := e.get("content"); bytes.Contains(v, []byte("Starcomics")) || bytes.Contains(v, []byte("Star Comics")) {
				p.site = true
			}
		}
		return
	}
	switch e.a {
	case atom.A:
		if href, ok := e.get("href"); ok {
			h := string(href)
			if p.c.href == "" || (!strings.Contains(p.c.href, "/fumetto/") && strings.Contains(h, "/fumetto/")) {
				p.c.href = h
				if t, ok := e.get("title"); ok {
					p.aTitle = string(t)
				}
			}
		}
	case atom.Img:
		if p.c.cover == "" {
			p.c.cover = imgSrc(e)
		}
		if p.aTitle == "" {
			if alt, ok := e.get("alt"); ok {
				p.aTitle = string(alt)
			}
		}
	}
	if e.hasClass("card-title") {
		p.titleBuf.begin(e.depth)
	}
	if e.hasClass("card-text") {
		p.textBuf.begin(e.depth)
	}
	if d, ok := attrDate(e); ok && p.c.date.IsZero() {
		p.c.date = d
	}
	if v, ok := e.get("data-price"); ok && p.c.price == 0 {
		p.c.price, _ = dataAmount(string(v))
	}
}

func (p *starParser) text(e *event) {
	if p.cardDepth == 0 {
		if p.h1.collecting(e.depth) {
			p.h1.add(e.text)
		}
		if p.heading.collecting(e.depth) {
			p.heading.add(e.text)
		}
		if p.page.title.collecting(e.depth) && bytes.Contains(e.text, []byte("Star Comics")) {
			p.site = true
		}
		return
	}
	p.all.add(e.text)
	if p.titleBuf.collecting(e.depth) {
		p.titleBuf.add(e.text)
	}
	if p.textBuf.collecting(e.depth) {
		p.textBuf.add(e.text)
	}
}

func (p *starParser) end(e *event) {
	if p.cardDepth == 0 {
		if p.h1.end(e.depth) {
			p.series = p.h1.String()
		}
		if p.heading.end(e.depth) {
			if d, ok := findDate(p.heading.String()); ok {
				p.headingDate = d
			}
		}
		return
	}
	p.titleBuf.end(e.depth)
	p.textBuf.end(e.depth)
	if e.depth == p.cardDepth && e.kind == evEnd {
		p.finish()
	}
}

func (p *starParser) finish() {
	p.cardDepth = 0
	c := p.c
	c.title = p.titleBuf.String()
	if c.title == "" {
		c.title = p.aTitle
	}
	text := p.textBuf.String()
	all := p.all.String()
	if c.date.IsZero() {
		if d, ok := findDate(text); ok {
			c.date = d
		} else if d, ok := findDate(all); ok {
			c.date = d
		} else {
			c.date = p.headingDate
		}
	}
	if c.price == 0 {
		c.price, _ = findPrice(all)
	}
	if text != "" {
		c.qualifiers = []string{text}
	}
	if it, ok := build(c, p.base, p.n); ok {
		p.items = append(p.items, it)
	}
}

// starComicsCalendar is the week of today and the weeks after it, each
// /uscite?data=<its Monday>: the site shows the week containing the date,
// and the Monday keeps one URL per week, so the page memory works. The
// home page comes last: its "ULTIME USCITE" and "PROSSIME USCITE"
// carousels are the same cards, and may reach past the weeks walked.
func starComicsCalendar(site *url.URL, today store.Date, weeks int) []Page {
	monday := today.AddDays(-weekday(today))
	pages := make([]Page, 0, weeks+2)
	for w := 0; w <= weeks; w++ {
		pages = append(pages, Page{URL: starComicsWeek(site, monday.AddDays(7*w))})
	}
	return append(pages, Page{URL: starComicsHome(site)})
}

// StarComicsHomeURL is the home page, whose carousels list the latest and
// the next releases.
func StarComicsHomeURL(site *url.URL) string {
	if site == nil {
		site, _ = url.Parse(StarComics.Site)
	}
	return starComicsHome(site)
}

func starComicsHome(site *url.URL) string {
	return site.ResolveReference(&url.URL{Path: "/"}).String()
}

// StarComicsCalendarURL is the calendar page of the week containing day.
func StarComicsCalendarURL(site *url.URL, day store.Date) string {
	if site == nil {
		site, _ = url.Parse(StarComics.Site)
	}
	return starComicsWeek(site, day)
}

func starComicsWeek(site *url.URL, day store.Date) string {
	return site.ResolveReference(&url.URL{Path: "/uscite", RawQuery: "data=" + day.String()}).String()
}

// StarComicsSeriesURL is the series page of slug ("solo-leveling").
func StarComicsSeriesURL(site *url.URL, slug string) string {
	if site == nil {
		site, _ = url.Parse(StarComics.Site)
	}
	return starComicsSeries(site, store.Series{ID: slug})
}

func starComicsSeries(site *url.URL, s store.Series) string {
	return site.ResolveReference(&url.URL{Path: "/titoli-fumetti/" + s.ID}).String()
}
