package source_test

import (
	"net/url"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/manga-alert-italia/mangaalert/scraper/source"
	"github.com/manga-alert-italia/mangaalert/store"
)

func TestSeriesPage(t *testing.T) {
	local, _ := url.Parse("http://127.0.0.1:8080")
	star := store.Series{ID: "solo-leveling", Title: "Solo Leveling", Publisher: "Star Comics"}
	panini := store.Series{ID: "jujutsu-kaisen", Title: "Jujutsu Kaisen", Publisher: "Panini Comics"}
	tests := []struct {
		name   string
		src    source.Source
		site   *url.URL
		series store.Series
		want   string // "" for no page
	}{
		{"star comics on its site", source.StarComics, nil, star, "https://www.starcomics.com/titoli-fumetti/solo-leveling"},
		{"star comics on a local copy", source.StarComics, local, star, "http://127.0.0.1:8080/titoli-fumetti/solo-leveling"},
		{"panini searches the title", source.Panini, nil, panini, "https://www.panini.it/shp_ita_it/catalogsearch/result/?q=Jujutsu+Kaisen"},
		{"another publisher's series", source.StarComics, nil, panini, ""},
		{"an aggregator has none", source.AnimeClick, nil, star, ""},
		{"no id", source.StarComics, nil, store.Series{Publisher: "Star Comics"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, ok := tt.src.SeriesPage(tt.site, tt.series)
			assert.Equal(t, tt.want != "", ok)
			assert.Equal(t, tt.want, p.URL)
		})
	}
}
