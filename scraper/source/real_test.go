package source_test

import (
	"net/url"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/manga-alert-italia/mangaalert/integration"
	"github.com/manga-alert-italia/mangaalert/scraper/source"
	"github.com/manga-alert-italia/mangaalert/store"
)

// publisherPages finds the real pages kept beside the repository
// (../shared/fixtures/publishers from its root), walking up from the
// package's directory; the test is skipped when they are not there, and
// fails under CI=true, where they must be.
func publisherPages(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	require.NoError(t, err)
	for {
		p := filepath.Join(dir, "shared", "fixtures", "publishers")
		if st, err := os.Stat(p); err == nil && st.IsDir() {
			return p
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			integration.SkipOrFail(t, "real publisher pages not found: they live in ../shared/fixtures/publishers beside the repository; these tests need them")
		}
		dir = parent
	}
}

func openReal(t testing.TB, name string) *os.File {
	t.Helper()
	f, err := os.Open(filepath.Join(publisherPages(t), name))
	if os.IsNotExist(err) {
		integration.SkipOrFail(t, "real publisher page %s not found in %s", name, publisherPages(t))
	}
	require.NoError(t, err)
	t.Cleanup(func() { f.Close() })
	return f
}

func mustURL(t testing.TB, s string) *url.URL {
	t.Helper()
	u, err := url.Parse(s)
	require.NoError(t, err)
	return u
}

func TestRealStarComicsSeries(t *testing.T) {
	f := openReal(t, "starcomics-series-solo-leveling-2024-09.html")
	items, err := source.StarComics.Parse(f, mustURL(t, "https://www.starcomics.com/titoli-fumetti/solo-leveling"))
	require.NoError(t, err)
	require.Len(t, items, 20, "20 cards")

	firsts := map[int]source.Item{}
	var variants []source.Item
	for _, it := range items {
		assert.Equal(t, "solo-leveling", it.SeriesID)
		assert.Equal(t, "Solo Leveling", it.Series)
		assert.Equal(t, "Star Comics", it.Publisher)
		assert.Equal(t, 990, it.PriceCents, it.Title)
		assert.Empty(t, it.SKU)
		assert.Regexp(t, `^https://www\.starcomics\.com/fumetto/solo-leveling-`, it.URL)
		switch it.Edition {
		case store.First:
			_, dup := firsts[it.Number]
			assert.False(t, dup, "volume %d twice", it.Number)
			firsts[it.Number] = it
		case store.Variant:
			variants = append(variants, it)
		default:
			t.Errorf("%s: edition %s", it.Title, it.Edition)
		}
	}
	require.Len(t, firsts, 19)
	for n := 1; n <= 19; n++ {
		require.Contains(t, firsts, n)
	}
	assert.Equal(t, store.NewDate(2021, time.April, 21), firsts[1].ReleaseDate)
	assert.Equal(t, store.NewDate(2024, time.October, 29), firsts[19].ReleaseDate)
	assert.Equal(t, store.NewDate(2024, time.September, 3), firsts[18].ReleaseDate)
	for n := 2; n <= 19; n++ {
		assert.True(t, firsts[n-1].ReleaseDate.Before(firsts[n].ReleaseDate), "n. %d after n. %d", n, n-1)
	}
	assert.Empty(t, firsts[19].CoverURL, "placeholder cover")
	assert.Equal(t, "https://www.starcomics.com/files/immagini/fumetti-cover/thumbnail/sololeveling-18-1200px", firsts[18].CoverURL)
	assert.Equal(t, "SOLO LEVELING n. 19", firsts[19].Title)
	assert.Equal(t, "solo-leveling/19", firsts[19].VolumeID())

	require.Len(t, variants, 1)
	v := variants[0]
	assert.Equal(t, 1, v.Number)
	assert.Equal(t, "SOLO LEVELING n. 1", v.Title)
	assert.Equal(t, store.NewDate(2024, time.April, 2), v.ReleaseDate)
	assert.Equal(t, "https://www.starcomics.com/fumetto/solo-leveling-1-anime-variant", v.URL)
	assert.Equal(t, "solo-leveling/1/variant/solo-leveling-1-anime-variant", v.VolumeID())
}

func TestRealPaniniSearch(t *testing.T) {
	f := openReal(t, "panini-search-jujutsu-kaisen-2024-09.html")
	items, err := source.Panini.Parse(f, mustURL(t, "https://www.panini.it/shp_ita_it/catalogsearch/result/?q=jujutsu+kaisen"))
	require.NoError(t, err)
	require.Len(t, items, 24)

	by := map[store.Edition][]source.Item{}
	ids := map[string]bool{}
	for _, it := range items {
		by[it.Edition] = append(by[it.Edition], it)
		assert.Equal(t, "jujutsu-kaisen", it.SeriesID, it.Title)
		assert.Equal(t, "Jujutsu Kaisen", it.Series, it.Title)
		assert.Equal(t, "Panini Comics", it.Publisher)
		assert.NotEmpty(t, it.SKU)
		assert.NotEmpty(t, it.CoverURL)
		assert.False(t, it.ReleaseDate.IsZero(), it.Title)
		assert.False(t, ids[it.VolumeID()], "id %s twice", it.VolumeID())
		ids[it.VolumeID()] = true
	}

	var firstNums []int
	for _, it := range by[store.First] {
		firstNums = append(firstNums, it.Number)
		assert.Regexp(t, `^MAHER0(5[3-9]|60)_IT08$`, it.SKU)
		assert.Equal(t, 520, it.PriceCents, "the cover price, not the discounted web price")
		assert.Equal(t, "Jujutsu Kaisen - Sorcery Fight", it.SeriesAlias)
	}
	assert.ElementsMatch(t, []int{18, 19, 20, 21, 22, 23, 24, 25}, firstNums)

	var reprintNums []int
	for _, it := range by[store.Reprint] {
		reprintNums = append(reprintNums, it.Number)
		assert.Regexp(t, `S?BNR2?_IT08$`, it.SKU)
	}
	assert.ElementsMatch(t, []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 15}, reprintNums)

	require.Len(t, by[store.Special], 1)
	sp := by[store.Special][0]
	assert.Equal(t, "Jujutsu Kaisen 1", sp.Title)
	assert.Equal(t, 1, sp.Number)
	assert.Equal(t, "MAHER035ISBNC_IT08", sp.SKU)
	assert.Equal(t, 990, sp.PriceCents)
	assert.Equal(t, "jujutsu-kaisen/1/special/maher035isbnc-it08", sp.VolumeID())

	require.Len(t, by[store.Other], 1)
	novel := by[store.Other][0]
	assert.Equal(t, "Jujutsu Kaisen 0 – The Movie: Il Romanzo", novel.Title)
	assert.Equal(t, 1300, novel.PriceCents)
	assert.Empty(t, by[store.Variant])
	assert.Empty(t, by[store.BoxSet])

	// One entry in full.
	for _, it := range items {
		if it.SKU == "MAHER060_IT08" {
			assert.Equal(t, source.Item{
				Series: "Jujutsu Kaisen", SeriesID: "jujutsu-kaisen", SeriesAlias: "Jujutsu Kaisen - Sorcery Fight",
				Number: 25, Edition: store.First, Title: "Jujutsu Kaisen – Sorcery Fight 25",
				ReleaseDate: store.NewDate(2024, time.June, 6), PriceCents: 520, Publisher: "Panini Comics",
				URL:      "https://www.panini.it/shp_ita_it/jujutsu-kaisen-sorcery-fight-25-maher060-it08.html",
				SKU:      "MAHER060_IT08",
				CoverURL: "https://www.panini.it/media/catalog/product/cache/e60babe66e245861dcdd1290f02aaeda/M/A/MAHER060_0.jpg",
			}, it)
		}
		if it.SKU == "MAHER046SBNR2_IT08" {
			assert.Equal(t, store.Reprint, it.Edition, "misspelt reprint marker")
			assert.Equal(t, 11, it.Number)
		}
	}
}
