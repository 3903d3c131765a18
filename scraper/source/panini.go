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

// Panini's shop is Magento: search results, category listings and the
// release calendar are the same product grid.
//
//	<li class="item product product-item"><div class="product-item-info">
//	  <a class="product-item-link" href="…-maher043isbnr2-it08.html"><img class="product-image-photo" src="…"></a>
//	  <h3 class="product-item-name"><a class="product-item-link" href="…">Jujutsu Kaisen – Sorcery Fight 8</a></h3>
//	  <div class="product-item-attribute-typology"><small>Fumetti</small></div>
//	  <div class="product-item-attribute-release-date"><small>27/06/24</small></div>
//	  <span data-price-amount="5.2" data-price-type="oldPrice">5,20 €</span>
//	  <span data-price-amount="4.94" data-price-type="finalPrice">4,94 €</span>
//	  <form data-product-sku="MAHER043ISBNR2_IT08">…</form>
//	</div></li>
//
// The shop shows a discounted web price as finalPrice and the cover price
// as oldPrice: the cover price is what a reader pays in a shop, so oldPrice
// wins when both are there.
type paniniParser struct {
	base *url.URL
	n    title.Normalizer
	page page

	items []Item
	grid  bool // saw a product: this is a Panini product grid
	site  bool // the page says it is Panini's, products or not

	heading     textBuf
	headingDate store.Date

	itemDepth  int
	c          card
	oldPrice   int
	finalPrice int
	alt        string
	name       textBuf
	date       textBuf
	typology   textBuf
	priceText  textBuf
}

func parsePanini(r io.Reader, base *url.URL, n title.Normalizer) ([]Item, error) {
	p := &paniniParser{base: base, n: n}
	if err := scan(r, p.event); err != nil {
		return nil, err
	}
	if !p.grid {
		if p.site {
			return nil, nil // a Panini listing with no product (an empty search)
		}
		return nil, p.page.unrecognized("Panini product (li.product-item / div.product-item-info)")
	}
	return p.items, nil
}

func (p *paniniParser) event(e *event) {
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

func isProduct(e *event) bool {
	return e.hasClass("product-item-info") || (e.a == atom.Li && e.hasClass("product-item"))
}

func (p *paniniParser) start(e *event) {
	if p.itemDepth == 0 && (e.hasClass("products-grid") || e.hasClass("product-items") ||
		e.hasClass("catalogsearch-result-index") || e.hasClass("catalog-category-view")) {
		p.site = true
	}
	if isProduct(e) {
		if p.itemDepth > 0 && e.a == atom.Li {
			p.finish() // an unclosed li: the next product starts
		}
		if p.itemDepth == 0 {
			p.grid = true
			p.itemDepth = e.depth
			p.c = card{publisher: "Panini Comics"}
			p.oldPrice, p.finalPrice, p.alt = 0, 0, ""
			p.name.reset()
			p.date.reset()
			p.typology.reset()
			p.priceText.reset()
		}
		return
	}
	if p.itemDepth == 0 {
		if isHeading(e.a) || e.classContains("date") || e.classContains("giorno") {
			p.heading.reset()
			p.heading.begin(e.depth)
		}
		if d, ok := attrDate(e); ok {
			p.headingDate = d
		}
		return
	}
	switch e.a {
	case atom.A:
		if href, ok := e.get("href"); ok && p.c.href == "" && (e.hasClass("product-item-link") || p.name.collecting(e.depth)) {
			p.c.href = string(href)
		}
	case atom.Img:
		if p.c.cover == "" && !e.hasClass("label") { // labels are badges ("18app")
			p.c.cover = imgSrc(e)
			if alt, ok := e.get("alt"); ok {
				p.alt = string(alt)
			}
		}
	}
	if e.hasClass("product-item-name") {
		p.name.begin(e.depth)
	}
	if e.classContains("release-date") {
		p.date.begin(e.depth)
	}
	if e.classContains("typology") {
		p.typology.begin(e.depth)
	}
	if e.hasClass("price") && p.priceText.depth == 0 && len(p.priceText.buf) == 0 {
		p.priceText.begin(e.depth)
	}
	if v, ok := e.get("data-price-amount"); ok {
		c, _ := dataAmount(string(v))
		typ, _ := e.get("data-price-type")
		switch {
		case bytes.Equal(typ, []byte("oldPrice")):
			p.oldPrice = c
		case bytes.Equal(typ, []byte("finalPrice")) || len(typ) == 0:
			if p.finalPrice == 0 {
				p.finalPrice = c
			}
		}
	}
	if v, ok := e.get("data-product-sku"); ok && p.c.sku == "" {
		p.c.sku = string(bytes.TrimSpace(v))
	}
	if d, ok := attrDate(e); ok && p.c.date.IsZero() {
		p.c.date = d
	}
}

func (p *paniniParser) text(e *event) {
	if p.itemDepth == 0 {
		if p.heading.collecting(e.depth) {
			p.heading.add(e.text)
		}
		if p.page.title.collecting(e.depth) && bytes.Contains(e.text, []byte("Panini")) {
			p.site = true
		}
		return
	}
	for _, b := range []*textBuf{&p.name, &p.date, &p.typology, &p.priceText} {
		if b.collecting(e.depth) {
			b.add(e.text)
		}
	}
}

func (p *paniniParser) end(e *event) {
	if p.itemDepth == 0 {
		if p.heading.end(e.depth) {
			if d, ok := findDate(p.heading.String()); ok {
				p.headingDate = d
			}
		}
		return
	}
	p.name.end(e.depth)
	p.date.end(e.depth)
	p.typology.end(e.depth)
	p.priceText.end(e.depth)
	if e.depth == p.itemDepth {
		p.finish()
	}
}

func (p *paniniParser) finish() {
	p.itemDepth = 0
	c := p.c
	c.title = p.name.String()
	if c.title == "" {
		// The image's alt reads "Panini: Fumetti_<title>".
		c.title = p.alt
		if i := strings.IndexByte(c.title, '_'); i >= 0 && strings.HasPrefix(c.title, "Panini") {
			c.title = c.title[i+1:]
		}
	}
	if c.date.IsZero() {
		if d, ok := findDate(p.date.String()); ok {
			c.date = d
		} else {
			c.date = p.headingDate
		}
	}
	switch {
	case p.oldPrice > 0:
		c.price = p.oldPrice
	case p.finalPrice > 0:
		c.price = p.finalPrice
	default:
		c.price, _ = findPrice(p.priceText.String())
	}
	c.typology = p.typology.String()
	if c.sku == "" {
		c.sku = skuFromSlug(urlSlug(resolve(p.base, c.href)))
	}
	if it, ok := build(c, p.base, p.n); ok {
		p.items = append(p.items, it)
	}
}

// skuFromSlug reads the SKU Panini puts at the end of product URLs:
// "jujutsu-kaisen-1-maher035isbnc-it08" -> "MAHER035ISBNC_IT08".
func skuFromSlug(slug string) string {
	i := strings.LastIndexByte(slug, '-')
	if i <= 0 || !strings.HasPrefix(slug[i+1:], "it") || len(slug[i+1:]) < 3 {
		return ""
	}
	market := slug[i+1:]
	rest := slug[:i]
	j := strings.LastIndexByte(rest, '-')
	code := rest[j+1:]
	letters, numbers := false, false
	for k := 0; k < len(code); k++ {
		switch c := code[k]; {
		case c >= 'a' && c <= 'z':
			letters = true
		case c >= '0' && c <= '9':
			numbers = true
		default:
			return ""
		}
	}
	if !letters || !numbers || len(code) < 5 {
		return ""
	}
	return strings.ToUpper(code + "_" + market)
}

// PaniniCalendarPath is the release calendar's path; {from} and {to} are
// the week's first and last day (YYYY-MM-DD).
//
// TODO: verify against the live shop (no network from here); the parser
// reads any Magento product grid, so only this path may need changing.
const PaniniCalendarPath = "/shp_ita_it/calendario-uscite?data_da={from}&data_a={to}"

// paniniCalendar is this week's calendar and the next weeks', Monday to
// Sunday, in Europe/Rome.
func paniniCalendar(site *url.URL, today store.Date, weeks int) []Page {
	monday := today.AddDays(-weekday(today))
	var pages []Page
	for w := 0; w <= weeks; w++ {
		from := monday.AddDays(7 * w)
		pages = append(pages, Page{URL: PaniniCalendarURL(site, from)})
	}
	return pages
}

// PaniniCalendarURL is the calendar page of the week starting from.
func PaniniCalendarURL(site *url.URL, from store.Date) string {
	p := strings.NewReplacer("{from}", from.String(), "{to}", from.AddDays(6).String()).Replace(PaniniCalendarPath)
	ref, _ := url.Parse(p)
	return site.ResolveReference(ref).String()
}

// PaniniSearchURL is the shop's search for q ("jujutsu kaisen").
func PaniniSearchURL(site *url.URL, q string) string {
	if site == nil {
		site, _ = url.Parse(Panini.Site)
	}
	return paniniSearch(site, store.Series{Title: q})
}

// paniniSearch is the search for the series' title: Panini's product
// pages have no series page to link to.
func paniniSearch(site *url.URL, s store.Series) string {
	return site.ResolveReference(&url.URL{Path: "/shp_ita_it/catalogsearch/result/", RawQuery: url.Values{"q": {s.Title}}.Encode()}).String()
}

// weekday counts days from Monday (0) to Sunday (6).
func weekday(d store.Date) int {
	return (int(d.Time().Weekday()) + 6) % 7
}
