// Package source holds the parsers of the publisher pages Manga Alert
// Italia reads, each from an io.Reader and the page's URL to Items:
//
//   - Star Comics: series pages (/titoli-fumetti/<slug>) and the weekly
//     release calendar (/uscite?data=YYYY-MM-DD, the week of that date,
//     walked week by week), both made of div.fumetto-card cards;
//   - Panini / Planet Manga: search results, series listings and the
//     release calendar (Magento product grids of li.product-item);
//   - AnimeClick's manga calendar (/calendario-manga), which covers the
//     other publishers: the publisher comes from each card.
//
// Each parser walks the page once with html.Tokenizer (no tree, no
// regular expressions in the loop) and reads every signal a card gives of
// what the product is: SKU markers, URL slugs, qualifiers and title words.
// A page that is not of the parser's kind (another site, an anti-bot
// challenge, a redesign) is ErrUnrecognized, never zero items.
//
// # What was checked on real pages
//
// The real captures live outside the repository, in
// ../shared/fixtures/publishers (the tests on them skip without it, and
// fail under CI=true); the pages in scraper/sample are written after the
// markup and labelled so.
//
//   - Star Comics: the series page of Solo Leveling as served in
//     September 2024 (20 cards: volumes 1-19 and an anime variant, dates,
//     prices, placeholder covers). The weekly calendar (/uscite?data=) and
//     the home page's carousels were never captured: their URLs and the
//     fact that they carry the same fumetto-card cards come from the live
//     site in 2026, and their sample pages are written.
//   - Panini: the search for "jujutsu kaisen" as served in September 2024
//     (24 products: SKUs with reprint and special markers, a novel, the
//     cover price beside a discounted one); the Queue-it waiting room from
//     its markers as seen in 2026 (its sample page is written). The
//     calendar and series listings were never captured.
//   - AnimeClick: nothing captured; the parser follows the markup as of
//     September 2024. A redesign makes its pages unrecognised, and the
//     run reports the source broken (TestRunAnimeClickRedesign) rather
//     than finding nothing new.
package source

import (
	"errors"
	"fmt"
	"net/url"
	"path"
	"strings"
	"unicode/utf8"

	"github.com/manga-alert-italia/mangaalert/scraper/title"
	"github.com/manga-alert-italia/mangaalert/store"
)

// ErrUnrecognized means the page has none of the marks of the pages the
// parser reads: it is another kind of page, a challenge, or the site
// changed its markup. Parsers wrap it with what they looked for.
var ErrUnrecognized = errors.New("page not recognized")

// ErrChallenge means the page is an anti-bot challenge ("Just a moment...")
// and not the page asked for.
var ErrChallenge = errors.New("anti-bot challenge page")

// Item is one product a page lists.
type Item struct {
	Series      string        // the series' name ("Jujutsu Kaisen")
	SeriesID    string        // its id (a Slug of the normalised name)
	SeriesAlias string        // the name as this page printed it, when it differs and normalises to SeriesID ("Jujutsu Kaisen – Sorcery Fight")
	Number      int           // the volume number; 1 when the title prints none (a one-shot)
	Edition     store.Edition // First, Reprint, Variant, Special, BoxSet, Other
	Title       string        // as the page prints it
	ReleaseDate store.Date    // zero when not announced
	PriceCents  int           // cover price; 0 when unknown
	Publisher   string        // "Star Comics", "Panini Comics", "J-POP"...
	URL         string        // the product's page, absolute
	SKU         string        // publisher SKU or EAN, when the page gives it
	CoverURL    string        // absolute; "" for placeholders
}

// Key tells apart editions of the same number: the SKU when there is one,
// else the last segment of the product's URL. First editions need none.
func (it Item) Key() string {
	if it.Edition == store.First || it.Edition == "" {
		return ""
	}
	if it.SKU != "" {
		return it.SKU
	}
	if k := urlSlug(it.URL); k != "" {
		return k
	}
	return store.Slug(it.Title)
}

// VolumeID is the id of the item's volume record.
func (it Item) VolumeID() string {
	return store.VolumeID(it.SeriesID, it.Edition, it.Number, it.Key())
}

// Volume is the item as a store record: its SourceURL is the product's
// own page, "" when the card links none (see store.Volume.SourceURL);
// FirstSeen and LastSeen are left to the store.
func (it Item) Volume() store.Volume {
	return store.Volume{
		ID:          it.VolumeID(),
		SeriesID:    it.SeriesID,
		Number:      it.Number,
		Edition:     it.Edition,
		Key:         it.Key(),
		Title:       it.Title,
		Publisher:   it.Publisher,
		ReleaseDate: it.ReleaseDate,
		PriceCents:  it.PriceCents,
		CoverURL:    it.CoverURL,
		SourceURL:   it.URL,
		SKU:         it.SKU,
	}
}

// SeriesRecord is the item's series as a store record.
func (it Item) SeriesRecord() store.Series {
	s := store.Series{ID: it.SeriesID, Title: it.Series, Publisher: it.Publisher}
	if it.SeriesAlias != "" {
		s.Aliases = []string{it.SeriesAlias}
	}
	return s
}

// Validate reports what makes an item unusable.
func (it Item) Validate() error {
	switch {
	case it.SeriesID == "":
		return fmt.Errorf("item %q: no series", it.Title)
	case !it.Edition.Valid():
		return fmt.Errorf("item %q: edition %q", it.Title, it.Edition)
	case it.Number < 0:
		return fmt.Errorf("item %q: number %d", it.Title, it.Number)
	}
	return nil
}

// card is what a parser read from one product card, before it is made an
// Item by build.
type card struct {
	title      string   // the product's title
	seriesHint string   // the series' name as the page gives it apart from the title
	qualifiers []string // texts that say what edition it is ("ANIME VARIANT")
	href       string
	date       store.Date
	price      int
	sku        string
	cover      string
	publisher  string
	typology   string // Panini's product type ("Fumetti", "Libri")
}

// build turns a card into an Item: the title taken apart, the series
// normalised, the edition read from every signal.
func build(c card, base *url.URL, n title.Normalizer) (Item, bool) {
	// A title is a line: what is longer is markup gone wrong, and cut.
	c.title, c.seriesHint = cut(c.title, maxTitle), cut(c.seriesHint, maxTitle)
	t := title.Clean(c.title)
	if t == "" {
		return Item{}, false
	}
	p := title.Split(t, c.seriesHint)
	seriesName := p.Series
	if seriesName == "" {
		seriesName = title.Clean(c.seriesHint)
	}
	display, id := n.Series(seriesName)
	if id == "" {
		return Item{}, false
	}
	it := Item{
		Series:      display,
		SeriesID:    id,
		Number:      p.Number,
		Title:       title.Tidy(c.title),
		ReleaseDate: c.date,
		PriceCents:  c.price,
		Publisher:   c.publisher,
		URL:         resolve(base, c.href),
		SKU:         strings.TrimSpace(c.sku),
		CoverURL:    cover(base, c.cover),
	}
	if !p.HasNumber {
		it.Number = 1
	}
	if alias := title.Clean(seriesName); !strings.EqualFold(alias, display) {
		it.SeriesAlias = alias
	}
	it.Edition = edition(it, p, c)
	if it.Edition == store.Other {
		// A novel's or an artbook's subtitle is its own title: it belongs
		// to the series before it ("Jujutsu Kaisen – I fiori appassiti").
		if head := title.Head(seriesName); head != "" {
			if d, id := n.Series(head); id != "" {
				// The whole name ("JUJUTSU KAISEN ARTBOOK") is not a name
				// of the series: an alias is only ever a name that
				// normalises to the series' id.
				it.Series, it.SeriesID, it.SeriesAlias = d, id, ""
			}
		}
	}
	return it, true
}

// maxTitle bounds the titles read from a card, in bytes.
const maxTitle = 300

// cut shortens s to at most n bytes, on a rune boundary.
func cut(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// edition reads the kind of product from every signal, strongest first:
// the product type, the SKU's markers, then the words of the title, the
// card's qualifiers and the URL's slug.
func edition(it Item, p title.Parsed, c card) store.Edition {
	if nonVolumeType(c.typology) {
		return store.Other
	}
	words := title.Edition(append([]string{p.Rest, it.Title, urlSlug(it.URL)}, c.qualifiers...)...)
	if words == store.Other || words == store.BoxSet {
		return words // a novel is a novel, whatever its SKU says
	}
	if e := skuEdition(it.SKU); e != store.First {
		return e
	}
	return words
}

// nonVolumeType reports whether Panini's product type is not a comic.
func nonVolumeType(t string) bool {
	switch store.Slug(t) {
	case "libri", "libro", "narrativa", "romanzi", "gadget", "gadgets", "giochi", "action-figure",
		"figure", "card", "carte", "figurine", "abbigliamento", "accessori":
		return true
	}
	return false
}

// skuEdition reads the edition markers of a Panini SKU: "MAHER043ISBNR2_IT08"
// (a reprint: ISBNR, ISBNR2, the misspelt SBNR2, and a bare R2 or R3 after
// the volume's number, "MAHER047R2_IT08"), "MAHER035ISBNC_IT08" (a special
// edition). A plain code ("MAHER060_IT08") and an ISBN-suffixed one
// ("MAHER060ISBN_IT08") are both the first edition.
func skuEdition(sku string) store.Edition {
	s := strings.ToUpper(strings.TrimSpace(sku))
	if s == "" {
		return store.First
	}
	// Drop the market suffix: "_IT08", "-IT08".
	if i := strings.LastIndexAny(s, "_-"); i > 0 && strings.HasPrefix(s[i+1:], "IT") {
		s = s[:i]
	}
	// Trailing digits count the printing: ISBNR2 is the second reprint.
	bare := strings.TrimRight(s, "0123456789")
	switch {
	case strings.HasSuffix(bare, "SBNR"), strings.HasSuffix(bare, "ISBR"), strings.HasSuffix(bare, "ISNR"):
		return store.Reprint
	case strings.HasSuffix(bare, "SBNC"), strings.HasSuffix(bare, "ISBC"):
		return store.Special
	case strings.HasSuffix(bare, "SBNV"):
		return store.Variant
	case len(s)-len(bare) == 1 && s[len(s)-1] >= '2' && strings.HasSuffix(bare, "R") &&
		len(bare) >= 2 && bare[len(bare)-2] >= '0' && bare[len(bare)-2] <= '9':
		// "…047R2": a printing count right after the volume's number
		// (never the R of a series code, "MJUJR001").
		return store.Reprint
	}
	return store.First
}

// urlSlug is the last segment of a URL's path, without an extension:
// "solo-leveling-1-anime-variant", "jujutsu-kaisen-1-maher035isbnc-it08".
func urlSlug(raw string) string {
	if raw == "" {
		return ""
	}
	u, err := url.Parse(raw)
	if err != nil {
		return ""
	}
	s := path.Base(strings.TrimRight(u.Path, "/"))
	if s == "." || s == "/" {
		return ""
	}
	if ext := path.Ext(s); ext == ".html" || ext == ".htm" || ext == ".php" {
		s = strings.TrimSuffix(s, ext)
	}
	return s
}

func resolve(base *url.URL, ref string) string {
	ref = strings.TrimSpace(ref)
	if ref == "" {
		return ""
	}
	u, err := url.Parse(ref)
	if err != nil {
		return ""
	}
	if base != nil {
		u = base.ResolveReference(u)
	}
	if u.Scheme != "" && u.Scheme != "http" && u.Scheme != "https" {
		return "" // javascript:, data:, mailto:
	}
	u.Fragment = ""
	return u.String()
}

// placeholders are pieces of the paths sites use for "no cover yet".
var placeholders = []string{"no_cover", "nocover", "no-cover", "placeholder", "non_disponibile",
	"non-disponibile", "noimage", "no-image", "no_image", "default-cover", "blank.gif", "spacer.gif"}

// cover resolves a cover URL, "" for placeholders and inline images.
func cover(base *url.URL, src string) string {
	u := resolve(base, src)
	if u == "" {
		return ""
	}
	lu := strings.ToLower(u)
	for _, p := range placeholders {
		if strings.Contains(lu, p) {
			return ""
		}
	}
	return u
}

// publishers maps how sources name publishers to one name each.
var publishers = map[string]string{
	"star-comics": "Star Comics", "edizioni-star-comics": "Star Comics", "star": "Star Comics",
	"panini": "Panini Comics", "panini-comics": "Panini Comics", "planet-manga": "Panini Comics",
	"panini-planet-manga": "Panini Comics", "panini-manga": "Panini Comics",
	"j-pop": "J-POP", "jpop": "J-POP", "j-pop-manga": "J-POP", "edizioni-bd-j-pop": "J-POP",
	"dynit": "Dynit", "dynit-manga": "Dynit", "magic-press": "Magic Press", "magic-press-edizioni": "Magic Press",
	"goen": "Goen", "edizioni-goen": "Goen", "rw-goen": "Goen", "flashbook": "Flashbook",
	"flashbook-edizioni": "Flashbook", "jundo": "Jundo", "mangasenpai": "Mangasenpai",
	"001-edizioni": "001 Edizioni", "coconino-press": "Coconino Press", "saldapress": "Saldapress",
	"bao-publishing": "BAO Publishing", "toshokan": "Toshokan", "hikari": "Hikari",
	"ishi-publishing": "Ishi Publishing", "mangayo": "MangaYo!", "edizioni-dokusho": "Dokusho Edizioni",
}

// Publisher normalises a publisher's name; unknown names are kept, cleaned.
func Publisher(name string) string {
	n := title.Clean(name)
	if p, ok := publishers[store.Slug(n)]; ok {
		return p
	}
	return n
}
