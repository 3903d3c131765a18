package scraper_test

import (
	"bytes"
	"context"
	"regexp"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/manga-alert-italia/mangaalert/integration"
	"github.com/manga-alert-italia/mangaalert/scraper"
	"github.com/manga-alert-italia/mangaalert/store"
)

// TestRealEditions: the edition rules on the real Panini capture, through
// a run into a store. The capture lists no volume under two codes, so a
// second page is made from it with volume 25's plain code turned into its
// ISBN-suffixed twin: the two pages, read in either order, make one volume
// with both codes.
func TestRealEditions(t *testing.T) {
	jjk := realPage(t, "panini-search-jujutsu-kaisen-2024-09.html")
	if jjk == nil {
		integration.SkipOrFail(t, "real Panini capture not found in ../shared/fixtures/publishers")
	}
	twin := bytes.ReplaceAll(jjk, []byte(`data-product-sku="MAHER060_IT08"`), []byte(`data-product-sku="MAHER060ISBN_IT08"`))
	require.NotEqual(t, jjk, twin)
	const plainPage, twinPage = "/shp_ita_it/catalogsearch/result/?q=jujutsu+kaisen", "/shp_ita_it/catalogsearch/result/?q=jujutsu+kaisen+25"

	var dumps []map[string]any
	for _, order := range [][]string{{plainPage, twinPage}, {twinPage, plainPage}} {
		ss := newSites(t)
		ss.panini.set(plainPage, jjk)
		ss.panini.set(twinPage, twin)
		st := openBolt(t)
		for _, p := range order {
			cfg := ss.config(st)
			cfg.Sources = []scraper.SourceConfig{{Source: "panini", Site: ss.panini.URL, Series: []string{p}}}
			run(t, cfg)
		}
		dumps = append(dumps, dump(t, st))

		vs, err := st.VolumesOfSeries(context.Background(), "jujutsu-kaisen")
		require.NoError(t, err)
		require.Len(t, vs, 24, "24 products, the two codes of volume 25 one volume")
		reprint := regexp.MustCompile(`(I?SBNR\d*|\dR[2-9])_IT08$`)
		var firsts []int
		for _, v := range vs {
			switch {
			case v.Number == 25 && v.Edition == store.First:
				assert.Equal(t, "MAHER060ISBN_IT08 MAHER060_IT08", v.SKU, "both codes of one volume")
			case reprint.MatchString(v.SKU):
				assert.Equal(t, store.Reprint, v.Edition, "%s (%s) is a reprint", v.Title, v.SKU)
			case v.SKU == "MAHER035ISBNC_IT08":
				assert.Equal(t, store.Special, v.Edition, v.Title)
			case v.SKU == "MJUJR001ISBN_IT08":
				assert.Equal(t, store.Other, v.Edition, "%s is a novel, not volume %d", v.Title, v.Number)
				assert.Equal(t, "jujutsu-kaisen/0/other/mjujr001isbn-it08", v.ID)
			default:
				assert.Regexp(t, `^MAHER0(5[3-9]|60)_IT08$`, v.SKU, v.Title)
			}
			if v.Edition == store.First {
				firsts = append(firsts, v.Number)
			}
		}
		assert.Equal(t, []int{18, 19, 20, 21, 22, 23, 24, 25}, firsts, "first editions: volumes 18 to 25 only")
	}
	assert.Equal(t, dumps[0], dumps[1], "the same records whichever page is read first")
}
