package source_test

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/manga-alert-italia/mangaalert/scraper/sample"
	"github.com/manga-alert-italia/mangaalert/scraper/source"
	"github.com/manga-alert-italia/mangaalert/store"
)

func testdata(t testing.TB, name string) []byte {
	t.Helper()
	b := sample.Page(name)
	require.NotNil(t, b, "sample page %s", name)
	return b
}

// want is the part of an item a table checks.
type want struct {
	series  string
	number  int
	edition store.Edition
	date    string // YYYY-MM-DD or ""
	price   int
	pub     string
	sku     string
	cover   bool // a real cover, not a placeholder
}

func got(it source.Item) want {
	return want{it.SeriesID, it.Number, it.Edition, it.ReleaseDate.String(), it.PriceCents, it.Publisher, it.SKU, it.CoverURL != ""}
}

func TestParseTestdata(t *testing.T) {
	tests := []struct {
		file string
		src  source.Source
		base string
		want []want
	}{
		{"starcomics-series-mob-psycho-100.html", source.StarComics, "https://www.starcomics.com/titoli-fumetti/mob-psycho-100", []want{
			{"mob-psycho-100", 16, store.First, "2024-11-05", 650, "Star Comics", "", false},
			{"mob-psycho-100", 15, store.Special, "2024-09-17", 1290, "Star Comics", "", true},
			{"mob-psycho-100", 15, store.First, "2024-09-17", 650, "Star Comics", "", true},
			{"mob-psycho-100", 1, store.Variant, "2024-03-12", 650, "Star Comics", "", true},
			{"mob-psycho-100", 1, store.BoxSet, "2023-12-20", 1950, "Star Comics", "", true},
			{"mob-psycho-100", 2, store.First, "2019-04-16", 650, "Star Comics", "", true},
			{"mob-psycho-100", 1, store.First, "2019-03-19", 650, "Star Comics", "", true},
		}},
		{"starcomics-uscite.html", source.StarComics, "https://www.starcomics.com/uscite", []want{
			{"solo-leveling", 18, store.First, "2024-09-03", 990, "Star Comics", "", true},
			{"demon-slayer", 23, store.First, "2024-09-03", 490, "Star Comics", "", true},
			{"one-piece", 50, store.Reprint, "2024-09-03", 450, "Star Comics", "", true},
			{"one-piece", 109, store.First, "2024-09-10", 490, "Star Comics", "", false},
			{"one-piece", 1, store.Other, "2024-09-10", 1200, "Star Comics", "", true},
			{"jujutsu-kaisen", 1, store.Other, "2024-09-10", 2500, "Star Comics", "", true},
			{"dragon-ball", 3, store.Reprint, "2024-09-10", 430, "Star Comics", "", true},
		}},
		{"panini-calendar-2024-09-09.html", source.Panini, "https://www.panini.it/shp_ita_it/calendario-uscite", []want{
			{"jujutsu-kaisen", 26, store.First, "2024-09-12", 520, "Panini Comics", "MAHER061_IT08", true},
			{"chainsaw-man", 1, store.Reprint, "2024-09-12", 520, "Panini Comics", "MCHAI001ISBNR3_IT08", true},
			{"chainsaw-man", 17, store.Variant, "2024-09-12", 750, "Panini Comics", "MCHAI017V_IT08", false},
			{"berserk-collection-serie-nera", 1, store.BoxSet, "2024-09-19", 3500, "Panini Comics", "MBERC901_IT08", true},
			{"jujutsu-kaisen", 1, store.Other, "2024-09-19", 1300, "Panini Comics", "MJUJR002ISBN_IT08", true},
			{"blue-lock", 1, store.Special, "2024-09-19", 990, "Panini Comics", "MBLUE001ISBNC_IT08", true},
		}},
		{"panini-series-chainsaw-man.html", source.Panini, "https://www.panini.it/shp_ita_it/chainsaw-man.html", []want{
			{"chainsaw-man", 18, store.First, "2024-11-28", 520, "Panini Comics", "MCHAI018_IT08", true},
			{"chainsaw-man", 17, store.First, "2024-05-30", 520, "Panini Comics", "MCHAI017_IT08", true},
			{"chainsaw-man", 1, store.Other, "2024-03-07", 1200, "Panini Comics", "MCHAI901_IT08", true},
		}},
		{"animeclick-calendario-manga-2024-09-09.html", source.AnimeClick, "https://www.animeclick.it/calendario-manga", []want{
			{"jujutsu-kaisen", 26, store.First, "2024-09-10", 520, "Panini Comics", "", true},
			{"100-metres-hyakuemu", 1, store.Variant, "2024-09-10", 850, "J-POP", "", true},
			{"frieren-oltre-la-fine-del-viaggio", 13, store.First, "2024-09-10", 0, "J-POP", "", false},
			{"solo-leveling", 19, store.First, "2024-09-12", 0, "Star Comics", "", true},
			{"lupin-iii", 1, store.BoxSet, "2024-09-12", 2990, "Goen", "", true},
			{"vinland-saga", 7, store.Special, "2024-09-12", 0, "Star Comics", "", true},
			{"dungeon-food", 1, store.Other, "2024-09-13", 0, "Dynit", "", true},
			{"berserk", 12, store.Reprint, "2024-09-13", 0, "Panini Comics", "", true},
			{"takamine-rimettiti-le-mutandine", 5, store.First, "2024-09-13", 690, "Magic Press", "", true},
		}},
		{"animeclick-week-2024-12-30-written.json", source.AnimeClick, "https://www.animeclick.it/calendario-manga", []want{
			{"chainsaw-man", 19, store.First, "2025-01-02", 0, "Panini Comics", "", true},
			{"dandadan", 14, store.First, "2024-12-30", 0, "J-POP", "", true},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			items, err := tt.src.Parse(bytes.NewReader(testdata(t, tt.file)), mustURL(t, tt.base))
			require.NoError(t, err)
			var gots []want
			for _, it := range items {
				gots = append(gots, got(it))
				require.NoError(t, it.Validate())
				assert.True(t, strings.HasPrefix(it.URL, "https://"), it.URL)
				if it.CoverURL != "" {
					assert.True(t, strings.HasPrefix(it.CoverURL, "https://"), it.CoverURL)
				}
			}
			assert.Equal(t, tt.want, gots)
			ids := map[string]bool{}
			for _, it := range items {
				assert.False(t, ids[it.VolumeID()], "two items are %s", it.VolumeID())
				ids[it.VolumeID()] = true
			}
		})
	}
}

func TestParseDetails(t *testing.T) {
	items, err := source.StarComics.Parse(bytes.NewReader(testdata(t, "starcomics-series-mob-psycho-100.html")), nil)
	require.NoError(t, err)
	require.NotEmpty(t, items)
	assert.Equal(t, "MOB PSYCHO 100 n. 16", items[0].Title, "spaces and &nbsp; collapsed")
	assert.Equal(t, "Mob Psycho 100", items[0].Series)
	assert.Equal(t, "https://www.starcomics.com/fumetto/mob-psycho-100-16", items[0].URL, "resolved against the site")
	assert.Equal(t, "https://www.starcomics.com/files/immagini/fumetti-cover/thumbnail/mob1-variant-1200px", items[3].CoverURL,
		"the lazy-loaded image, not the inline placeholder")
	assert.Equal(t, "mob-psycho-100/1/variant/mob-psycho-100-1-variant", items[3].VolumeID())
	assert.Equal(t, "mob-psycho-100/15/special/mob-psycho-100-15-limited", items[1].VolumeID())

	items, err = source.AnimeClick.Parse(bytes.NewReader(testdata(t, "animeclick-calendario-manga-2024-09-09.html")), nil)
	require.NoError(t, err)
	assert.Equal(t, "https://www.animeclick.it/edizione/61001/jujutsu-kaisen-26", items[0].URL)
	assert.Equal(t, "https://www.animeclick.it/immagini/manga/Jujutsu_Kaisen/edizione/61001/jujutsu-kaisen-26.jpg", items[0].CoverURL)
	assert.Equal(t, "100 Metres - Hyakuemu Variant MangaYo! 1", items[1].Title)
	assert.Equal(t, "100-metres-hyakuemu/1/variant/100-metres-hyakuemu-variant-mangayo-1", items[1].VolumeID())

	items, err = source.Panini.Parse(bytes.NewReader(testdata(t, "panini-calendar-2024-09-09.html")), nil)
	require.NoError(t, err)
	assert.Equal(t, "https://www.panini.it/shp_ita_it/chainsaw-man-1-mchai001isbnr3-it08.html", items[1].URL)
	assert.Equal(t, "Jujutsu Kaisen – Sorcery Fight 26", items[0].Title, "entities decoded")
	assert.Equal(t, "Jujutsu Kaisen - Sorcery Fight", items[0].SeriesAlias)
}

func TestParseWrongPage(t *testing.T) {
	star := testdata(t, "starcomics-uscite.html")
	panini := testdata(t, "panini-calendar-2024-09-09.html")
	ac := testdata(t, "animeclick-calendario-manga-2024-09-09.html")
	challenge := testdata(t, "challenge-cloudflare.html")
	tests := []struct {
		name string
		src  source.Source
		page []byte
		want error
	}{
		{"panini page as star comics", source.StarComics, panini, source.ErrUnrecognized},
		{"star comics page as panini", source.Panini, star, source.ErrUnrecognized},
		{"star comics page as animeclick", source.AnimeClick, star, source.ErrUnrecognized},
		{"animeclick page as panini", source.Panini, ac, source.ErrUnrecognized},
		{"empty", source.StarComics, nil, source.ErrUnrecognized},
		{"plain text", source.Panini, []byte("hello"), source.ErrUnrecognized},
		{"json that is not a week", source.AnimeClick, []byte(`{"ok":false}`), source.ErrUnrecognized},
		{"broken json", source.AnimeClick, []byte(`{"ok":`), source.ErrUnrecognized},
		{"challenge as star comics", source.StarComics, challenge, source.ErrChallenge},
		{"challenge as panini", source.Panini, challenge, source.ErrChallenge},
		{"challenge as animeclick", source.AnimeClick, challenge, source.ErrChallenge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			items, err := tt.src.Parse(bytes.NewReader(tt.page), nil)
			require.ErrorIs(t, err, tt.want)
			assert.Nil(t, items)
			assert.Contains(t, err.Error(), tt.src.Name)
		})
	}
	assert.True(t, source.IsChallenge(challenge))
	assert.False(t, source.IsChallenge(star))
}

func TestParseEmptyListing(t *testing.T) {
	// A Panini search with no result is a Panini page with no product: no
	// error, no items; the caller decides whether items were expected.
	items, err := source.Panini.Parse(bytes.NewReader(testdata(t, "panini-search-empty.html")), nil)
	require.NoError(t, err)
	assert.Empty(t, items)
}

func TestLookup(t *testing.T) {
	for _, n := range []string{"starcomics", "panini", "animeclick", " Panini "} {
		s, ok := source.Lookup(n)
		require.True(t, ok, n)
		assert.NotEmpty(t, s.Site)
	}
	_, ok := source.Lookup("mangaworld")
	assert.False(t, ok)
	assert.Equal(t, []string{"animeclick", "panini", "starcomics"}, source.Names())
}

func TestCalendarPages(t *testing.T) {
	thursday := store.NewDate(2024, time.September, 12)
	pages := source.Panini.Calendar(nil, thursday, 8)
	require.Len(t, pages, 9, "this week and the next 8")
	assert.Equal(t, "https://www.panini.it/shp_ita_it/calendario-uscite?data_da=2024-09-09&data_a=2024-09-15", pages[0].URL)
	assert.Equal(t, "https://www.panini.it/shp_ita_it/calendario-uscite?data_da=2024-11-04&data_a=2024-11-10", pages[8].URL)

	// Across the end of daylight saving and the new year, weeks stay Monday to Sunday.
	pages = source.Panini.Calendar(mustURL(t, "http://127.0.0.1:8080"), store.NewDate(2024, time.December, 29), 1)
	assert.Equal(t, "http://127.0.0.1:8080/shp_ita_it/calendario-uscite?data_da=2024-12-23&data_a=2024-12-29", pages[0].URL)
	assert.Equal(t, "http://127.0.0.1:8080/shp_ita_it/calendario-uscite?data_da=2024-12-30&data_a=2025-01-05", pages[1].URL)

	pages = source.AnimeClick.Calendar(nil, thursday, 2)
	require.Len(t, pages, 3)
	assert.Equal(t, "https://www.animeclick.it/calendario-manga", pages[0].URL)
	assert.Equal(t, "https://www.animeclick.it/calendario-manga?day=9&month=9&paging=next-week&year=2024", pages[1].URL)
	assert.Equal(t, "XMLHttpRequest", pages[1].Header["X-Requested-With"])
	assert.Equal(t, "https://www.animeclick.it/calendario-manga?day=16&month=9&paging=next-week&year=2024", pages[2].URL)

	pages = source.StarComics.Calendar(nil, thursday, 8)
	require.Len(t, pages, 10, "this week, the next 8 and the home page's carousels")
	assert.Equal(t, "https://www.starcomics.com/", pages[9].URL)
	assert.Equal(t, "https://www.starcomics.com/uscite?data=2024-09-09", pages[0].URL)
	assert.Equal(t, "https://www.starcomics.com/uscite?data=2024-09-16", pages[1].URL)
	assert.Equal(t, "https://www.starcomics.com/uscite?data=2024-11-04", pages[8].URL)
	pages = source.StarComics.Calendar(mustURL(t, "http://127.0.0.1:8080"), store.NewDate(2024, time.December, 29), 1)
	assert.Equal(t, []source.Page{{URL: "http://127.0.0.1:8080/uscite?data=2024-12-23"}, {URL: "http://127.0.0.1:8080/uscite?data=2024-12-30"},
		{URL: "http://127.0.0.1:8080/"}}, pages)
}

func TestVolume(t *testing.T) {
	it := source.Item{Series: "Solo Leveling", SeriesID: "solo-leveling", Number: 1, Edition: store.Variant,
		Title: "SOLO LEVELING n. 1", URL: "https://www.starcomics.com/fumetto/solo-leveling-1-anime-variant",
		Publisher: "Star Comics", PriceCents: 990, ReleaseDate: store.NewDate(2024, 4, 2)}
	v := it.Volume()
	assert.Equal(t, store.Volume{ID: "solo-leveling/1/variant/solo-leveling-1-anime-variant", SeriesID: "solo-leveling",
		Number: 1, Edition: store.Variant, Key: "solo-leveling-1-anime-variant", Title: "SOLO LEVELING n. 1",
		Publisher: "Star Comics", ReleaseDate: store.NewDate(2024, 4, 2), PriceCents: 990,
		SourceURL: it.URL}, v)
	it.SKU = "SKU1"
	assert.Equal(t, "SKU1", it.Volume().Key, "the SKU when there is one")
	it.Edition = store.First
	assert.Equal(t, "solo-leveling/1", it.Volume().ID)
	assert.Empty(t, it.Volume().Key)
	assert.Equal(t, store.Series{ID: "solo-leveling", Title: "Solo Leveling", Publisher: "Star Comics"}, it.SeriesRecord())
	it.SeriesAlias = "SOLO LEVELING - Ragnarok"
	assert.Equal(t, []string{"SOLO LEVELING - Ragnarok"}, it.SeriesRecord().Aliases)
	assert.Error(t, source.Item{Title: "x", Edition: store.First}.Validate())
	assert.Error(t, source.Item{SeriesID: "x", Edition: "odd"}.Validate())
}

func TestPublisher(t *testing.T) {
	for in, want := range map[string]string{
		"Planet Manga": "Panini Comics", " J-POP Manga ": "J-POP", "JPOP": "J-POP", "Star Comics": "Star Comics",
		"Edizioni BD / J-POP": "J-POP", "Nuovo Editore": "Nuovo Editore", "": "",
	} {
		assert.Equal(t, want, source.Publisher(in), in)
	}
}

func Example() {
	page := `<html><head><title>Star Comics | SOLO LEVELING</title></head><body><h1>SOLO LEVELING</h1>
	<div class="card fumetto-card"><a href="/fumetto/solo-leveling-19"><img src="/img/no_cover_2021.jpg"></a>
	<h4 class="card-title">SOLO LEVELING n. 19</h4><p class="card-text"><span>29/10/2024</span></p><div>€ 9,90</div></div>
	<div class="card fumetto-card"><a href="/fumetto/solo-leveling-1-anime-variant"><img src="/files/sl1v"></a>
	<h4 class="card-title">SOLO LEVELING n. 1</h4><p class="card-text"><span>02/04/2024</span></p><div>€ 9,90</div></div>`
	items, err := source.StarComics.Parse(strings.NewReader(page), nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, it := range items {
		fmt.Println(it.VolumeID(), it.Edition, it.ReleaseDate, it.PriceCents, it.CoverURL == "")
	}
	_, err = source.Panini.Parse(strings.NewReader(page), nil)
	fmt.Println(errors.Is(err, source.ErrUnrecognized))
	// Output:
	// solo-leveling/19 first 2024-10-29 990 true
	// solo-leveling/1/variant/solo-leveling-1-anime-variant variant 2024-04-02 990 false
	// true
}
