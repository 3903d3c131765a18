package source

import (
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/manga-alert-italia/mangaalert/scraper/title"
	"github.com/manga-alert-italia/mangaalert/store"
)

func TestFindDate(t *testing.T) {
	tests := []struct {
		in   string
		want string // "" when no date
	}{
		{"29/10/2024", "2024-10-29"},
		{"  29/10/2024\n", "2024-10-29"},
		{"27/06/24", "2024-06-27"},
		{"1/2/2024", "2024-02-01"},
		{"Uscita: 05.11.2024", "2024-11-05"},
		{"05-11-2024", "2024-11-05"},
		{"Martedì 10 settembre 2024", "2024-09-10"},
		{"10 set. 2024", "2024-09-10"},
		{"1 marzo 2025", "2025-03-01"},
		{"Uscite del 03/09/2024", "2024-09-03"},
		{"31/02/2024", ""},  // no such day
		{"00/10/2024", ""},  // no such day
		{"12/13/2024", ""},  // no such month
		{"29/10/202", ""},   // three-digit year
		{"129/10/2024", ""}, // not a day
		{"10 settembre", ""},
		{"€ 9,90", ""},
		{"P.IVA 03850300546", ""},
		{"", ""},
		{"10 marzolino 2024", ""},
	}
	for _, tt := range tests {
		d, ok := findDate(tt.in)
		assert.Equal(t, tt.want != "", ok, tt.in)
		assert.Equal(t, tt.want, d.String(), tt.in)
	}
}

func TestIsoDate(t *testing.T) {
	d, ok := anyDate("2024-10-29T00:00:00+02:00")
	assert.True(t, ok)
	assert.Equal(t, store.NewDate(2024, time.October, 29), d)
	_, ok = isoDate("2024-1-29")
	assert.False(t, ok)
	d, ok = anyDate("29/10/2024")
	assert.True(t, ok)
	assert.Equal(t, "2024-10-29", d.String())
}

func TestFindPrice(t *testing.T) {
	tests := []struct {
		in   string
		want int
	}{
		{"€ 9,90", 990},
		{"9,90 €", 990},
		{"9,90\u00a0€", 990},
		{"€9,9", 990},
		{"EUR 12.50", 1250},
		{"Prezzo: 1.234,50 €", 123450},
		{"€ 13", 1300},
		{"13,00 €", 1300},
		{"€ 4,945", 495},
		{"9,90", 0}, // no currency: not a price
		{"€", 0},
		{"€ 0,00", 0},
		{"", 0},
		{"€ abc", 0},
	}
	for _, tt := range tests {
		c, ok := findPrice(tt.in)
		assert.Equal(t, tt.want != 0, ok, tt.in)
		assert.Equal(t, tt.want, c, tt.in)
	}
}

func TestDataAmount(t *testing.T) {
	for in, want := range map[string]int{"5.2": 520, "4.94": 494, "13": 1300, " 9.9 ": 990, "0.5": 50, "x": 0, "": 0, "1e3": 0, "-5": 0} {
		c, _ := dataAmount(in)
		assert.Equal(t, want, c, in)
	}
}

func TestSKUEdition(t *testing.T) {
	for sku, want := range map[string]store.Edition{
		"MAHER060_IT08":       store.First,
		"MAHER043ISBNR2_IT08": store.Reprint,
		"MAHER047ISBNR_IT08":  store.Reprint,
		"MAHER046SBNR2_IT08":  store.Reprint, // misspelt
		"MAHER035ISBNC_IT08":  store.Special,
		"MJUJR001ISBN_IT08":   store.First,
		"maher043isbnr2-it08": store.Reprint,
		"MAHER043ISBNR2":      store.Reprint,
		"":                    store.First,
		"9788822640981":       store.First, // an EAN
		"MAHER060ISBN_IT08":   store.First, // the plain code's ISBN twin
		"MCHAI001ISBNR3_IT08": store.Reprint,
		"MAHER047R2_IT08":     store.Reprint,
		"MAHER047R3":          store.Reprint,
		"MJUJR002_IT08":       store.First, // the R of a series code
		"MAHER047R_IT08":      store.First,
	} {
		assert.Equal(t, want, skuEdition(sku), sku)
	}
}

func TestSKUFromSlug(t *testing.T) {
	for slug, want := range map[string]string{
		"jujutsu-kaisen-1-maher035isbnc-it08":           "MAHER035ISBNC_IT08",
		"jujutsu-kaisen-sorcery-fight-25-maher060-it08": "MAHER060_IT08",
		"jujutsu-kaisen-25":                             "",
		"it08":                                          "",
		"chainsaw-man-it":                               "",
		"chainsaw-man-12345-it08":                       "",
	} {
		assert.Equal(t, want, skuFromSlug(slug), slug)
	}
}

func TestCover(t *testing.T) {
	base := mustParse("https://www.starcomics.com/titoli-fumetti/x")
	assert.Equal(t, "", cover(base, "/img/no_cover_2021.jpg"))
	assert.Equal(t, "", cover(base, "https://www.animeclick.it/bundles/accommon/images/non_disponibile.jpg"))
	assert.Equal(t, "", cover(base, "/media/catalog/product/placeholder/default/small.jpg"))
	assert.Equal(t, "", cover(base, "data:image/gif;base64,R0lGOD"))
	assert.Equal(t, "", cover(base, "javascript:void(0)"))
	assert.Equal(t, "", cover(base, ""))
	assert.Equal(t, "https://www.starcomics.com/files/a.jpg", cover(base, " /files/a.jpg "))
	assert.Equal(t, "https://cdn.example/b.jpg", cover(base, "//cdn.example/b.jpg"))
}

func TestScanTolerance(t *testing.T) {
	// Every card must come out whole from pages broken in the ways real
	// pages are: unclosed cards, stray end tags, comments, CDATA, capitals,
	// unquoted attributes, a card in a script.
	const card = `<div class=fumetto-card><A HREF='/fumetto/x-%d'><IMG SRC=/c/%d.jpg></A><h4 class="card-title">X n. %d</h4><p class=card-text><span>01/02/2024</span><div>€ 1,00</div>`
	var b strings.Builder
	b.WriteString(`<html><title>Star Comics</title><script>var s = '<div class="fumetto-card"><h4 class="card-title">FAKE n. 9</h4></div>';</script>`)
	for i := 1; i <= 5; i++ {
		b.WriteString(strings.NewReplacer("%d", string(rune('0'+i))).Replace(card))
		b.WriteString(`</span></li></td><!-- </div> --><![CDATA[ </div> ]]>`)
	}
	items, err := parseStarComics(strings.NewReader(b.String()), mustParse("https://s/"), defaultNormalizer)
	assert.NoError(t, err)
	assert.Len(t, items, 5)
	for i, it := range items {
		assert.Equal(t, i+1, it.Number)
		assert.Equal(t, 100, it.PriceCents)
		assert.Equal(t, "2024-02-01", it.ReleaseDate.String())
		assert.Equal(t, "https://s/c/"+string(rune('1'+i))+".jpg", it.CoverURL)
	}
}

func TestScanDeepNesting(t *testing.T) {
	// Hostile nesting is bounded: the stack stops growing at maxDepth.
	page := strings.Repeat("<div>", 100000) + `<div class="fumetto-card"><h4 class="card-title">X n. 1</h4></div>` + strings.Repeat("</div>", 100000)
	start := time.Now()
	_, err := parseStarComics(strings.NewReader(page), mustParse("https://s/"), defaultNormalizer)
	assert.NoError(t, err)
	t.Log("deep page scanned in", time.Since(start))
}

func TestImpliedEnds(t *testing.T) {
	var events []string
	err := scan(strings.NewReader(`<ul><li>a<li>b</ul><p>x<div>y</div><table><tr><td>1<td>2</table>`), func(e *event) {
		if e.kind == evStart {
			events = append(events, "+"+string(e.name))
		}
	})
	assert.NoError(t, err)
	assert.Equal(t, []string{"+ul", "+li", "+li", "+p", "+div", "+table", "+tr", "+td", "+td"}, events)

	depths := map[string]int{}
	_ = scan(strings.NewReader(`<ul><li>a<li>b</ul><p>x<div>y</div>`), func(e *event) {
		if e.kind == evText {
			depths[string(e.text)] = e.depth
		}
	})
	assert.Equal(t, map[string]int{"a": 2, "b": 2, "x": 1, "y": 1}, depths, "the second li and the div are siblings, not children")
}

var defaultNormalizer = title.Default

func mustParse(s string) *url.URL {
	u, err := url.Parse(s)
	if err != nil {
		panic(err)
	}
	return u
}
