package source

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"strconv"
	"strings"
	"time"

	"golang.org/x/net/html/atom"

	"github.com/manga-alert-italia/mangaalert/scraper/title"
	"github.com/manga-alert-italia/mangaalert/store"
)

// AnimeClick's manga calendar is a week of cards grouped by day; the page
// names the week in #calendario-pagination-div (data-current-day, -month,
// -year) and the cards sit in #calendario-days-thumbs:
//
//	<div class="calendario-giorno"><h2 class="giorno">Martedì 10 settembre</h2>
//	  <div class="panel panel-evento-calendario">
//	    <a href="/edizione/60123/jujutsu-kaisen-26"><img class="img-evento" src="placeholder" data-original="…"></a>
//	    <h3>Jujutsu Kaisen 26</h3>    the product, with any qualifier ("… Variant MangaYo! 1")
//	    <h4 class="edizione">Panini Comics</h4>   the publisher
//	    <h5>Jujutsu Kaisen</h5>       the series
//	  </div>
//
// The weeks after this one come from an XHR endpoint that answers JSON
// ({"ok":true,"data":{"html":"…"}}): the parser reads both.
type animeClickParser struct {
	base *url.URL
	n    title.Normalizer
	page page

	items    []Item
	calendar bool // saw the calendar's containers or a card

	year, month int // of the week shown, from the pagination div
	heading     textBuf
	day         store.Date

	cardDepth int
	c         card
	aTitle    string
	h3, h4    textBuf
	h5, all   textBuf
}

func parseAnimeClick(r io.Reader, base *url.URL, n title.Normalizer) ([]Item, error) {
	br := bufio.NewReader(r)
	if first, err := firstByte(br); err == nil && first == '{' {
		var doc struct {
			HTML string `json:"html"`
			Data struct {
				HTML  string          `json:"html"`
				Month json.RawMessage `json:"month"` // "12" or 12
				Year  json.RawMessage `json:"year"`
			} `json:"data"`
		}
		if err := json.NewDecoder(io.LimitReader(br, 64<<20)).Decode(&doc); err != nil {
			return nil, fmt.Errorf("%w: JSON that is not a calendar week: %v", ErrUnrecognized, err)
		}
		h := doc.Data.HTML
		if h == "" {
			h = doc.HTML
		}
		if h == "" {
			return nil, fmt.Errorf("%w: JSON without the week's html", ErrUnrecognized)
		}
		p := &animeClickParser{base: base, n: n, year: jsonInt(doc.Data.Year), month: jsonInt(doc.Data.Month)}
		return p.parse(strings.NewReader(h))
	}
	p := &animeClickParser{base: base, n: n}
	return p.parse(br)
}

// jsonInt reads 12 or "12"; 0 when it is neither.
func jsonInt(raw json.RawMessage) int {
	v, err := strconv.Atoi(strings.Trim(string(raw), `"`))
	if err != nil {
		return 0
	}
	return v
}

func firstByte(br *bufio.Reader) (byte, error) {
	for {
		b, err := br.ReadByte()
		if err != nil {
			return 0, err
		}
		if !isSpace(b) && b != 0xEF && b != 0xBB && b != 0xBF { // spaces, a BOM
			return b, br.UnreadByte()
		}
	}
}

func (p *animeClickParser) parse(r io.Reader) ([]Item, error) {
	if err := scan(r, p.event); err != nil {
		return nil, err
	}
	if !p.calendar {
		return nil, p.page.unrecognized("AnimeClick calendar (#calendario-days-thumbs, div.panel-evento-calendario)")
	}
	return p.items, nil
}

func (p *animeClickParser) event(e *event) {
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

func (p *animeClickParser) start(e *event) {
	if e.hasClass("panel-evento-calendario") {
		if p.cardDepth > 0 {
			p.finish()
		}
		p.calendar = true
		p.cardDepth = e.depth
		p.c = card{}
		p.aTitle = ""
		for _, b := range []*textBuf{&p.h3, &p.h4, &p.h5, &p.all} {
			b.reset()
		}
		p.all.begin(e.depth)
		return
	}
	if p.cardDepth == 0 {
		if id, _ := e.get("id"); bytes.HasPrefix(id, []byte("calendario-")) {
			p.calendar = true
			if y, ok := e.get("data-current-year"); ok {
				p.year, _ = strconv.Atoi(strings.TrimSpace(string(y)))
			}
			if m, ok := e.get("data-current-month"); ok {
				p.month, _ = strconv.Atoi(strings.TrimSpace(string(m)))
			}
		}
		if isHeading(e.a) || e.classContains("giorno") || e.classContains("day") {
			p.heading.reset()
			p.heading.begin(e.depth)
		}
		if d, ok := attrDate(e); ok {
			p.day = d
		}
		return
	}
	switch e.a {
	case atom.A:
		if href, ok := e.get("href"); ok {
			h := string(href)
			if p.c.href == "" || (!strings.Contains(p.c.href, "/edizione/") && strings.Contains(h, "/edizione/")) {
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
	case atom.H3:
		p.h3.begin(e.depth)
	case atom.H4:
		p.h4.begin(e.depth)
	case atom.H5:
		p.h5.begin(e.depth)
	}
	if e.hasClass("editore") || e.hasClass("edizione") {
		p.h4.begin(e.depth)
	}
	if e.hasClass("serie") {
		p.h5.begin(e.depth)
	}
	if d, ok := attrDate(e); ok && p.c.date.IsZero() {
		p.c.date = d
	}
}

func (p *animeClickParser) text(e *event) {
	if p.cardDepth == 0 {
		if p.heading.collecting(e.depth) {
			p.heading.add(e.text)
		}
		return
	}
	for _, b := range []*textBuf{&p.h3, &p.h4, &p.h5, &p.all} {
		if b.collecting(e.depth) {
			b.add(e.text)
		}
	}
}

func (p *animeClickParser) end(e *event) {
	if p.cardDepth == 0 {
		if p.heading.end(e.depth) {
			if d, ok := p.dateIn(p.heading.String()); ok {
				p.day = d
			}
		}
		return
	}
	for _, b := range []*textBuf{&p.h3, &p.h4, &p.h5} {
		b.end(e.depth)
	}
	if e.depth == p.cardDepth {
		p.finish()
	}
}

// dateIn reads a day heading: "Martedì 10/09/2024", or "Martedì 10
// settembre" in the year of the week shown.
func (p *animeClickParser) dateIn(s string) (store.Date, bool) {
	if d, ok := findDate(s); ok {
		return d, true
	}
	if p.year == 0 {
		return store.Date{}, false
	}
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) || (i > 0 && isDigit(s[i-1])) {
			continue
		}
		m, ok := dayMonth(s[i:])
		if !ok {
			continue
		}
		y := p.year
		// A week across New Year: December shown, January read, or back.
		if p.month == 12 && m.month == time.January {
			y++
		} else if p.month == 1 && m.month == time.December {
			y--
		}
		return mkDate(y, int(m.month), m.day)
	}
	return store.Date{}, false
}

func (p *animeClickParser) finish() {
	p.cardDepth = 0
	c := p.c
	c.title = p.h3.String()
	if c.title == "" {
		c.title = p.aTitle
	}
	c.seriesHint = p.h5.String()
	c.publisher = Publisher(p.h4.String())
	all := p.all.String()
	if c.date.IsZero() {
		if d, ok := findDate(all); ok {
			c.date = d
		} else {
			c.date = p.day
		}
	}
	c.price, _ = findPrice(all)
	if it, ok := build(c, p.base, p.n); ok {
		p.items = append(p.items, it)
	}
}

// AnimeClickCalendarPath is the calendar's page.
const AnimeClickCalendarPath = "/calendario-manga"

// animeClickCalendar is this week's page and, for each week after it, the
// XHR page that answers the week after a given day.
func animeClickCalendar(site *url.URL, today store.Date, weeks int) []Page {
	pages := []Page{{URL: site.ResolveReference(&url.URL{Path: AnimeClickCalendarPath}).String()}}
	monday := today.AddDays(-weekday(today))
	for w := 1; w <= weeks; w++ {
		prev := monday.AddDays(7 * (w - 1))
		q := url.Values{
			"paging": {"next-week"}, "day": {strconv.Itoa(prev.Day)},
			"month": {strconv.Itoa(int(prev.Month))}, "year": {strconv.Itoa(prev.Year)},
		}
		pages = append(pages, Page{
			URL:    site.ResolveReference(&url.URL{Path: AnimeClickCalendarPath, RawQuery: q.Encode()}).String(),
			Header: map[string]string{"X-Requested-With": "XMLHttpRequest", "Accept": "application/json, */*"},
		})
	}
	return pages
}
