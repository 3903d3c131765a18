package scraper_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// redesigned is AnimeClick's calendar as a redesign might serve it: the
// site's title and its releases, in markup the parser does not know.
const redesigned = `<!DOCTYPE html><html lang="it"><head><title>Calendario uscite manga - AnimeClick.it</title></head>
<body><main class="ac-calendar"><section class="ac-day"><h2>Lunedì 9 settembre</h2>
<article class="release-tile"><a href="/edizione/61001/jujutsu-kaisen-26"><span class="release-tile__title">Jujutsu Kaisen 26</span></a>
<span class="release-tile__publisher">Panini Comics</span></article></section></main></body></html>`

// TestRunAnimeClickRedesign: AnimeClick stays on, and when its live markup
// differs from what the parser reads it fails loudly: the source is
// broken (the command exits non-zero), whether the redesign comes on the
// first run or after runs that read it well; never "nothing new".
func TestRunAnimeClickRedesign(t *testing.T) {
	for _, first := range []bool{true, false} {
		ss := newSites(t)
		st := openBolt(t)
		cfg := ss.config(st)
		cfg.Sources = cfg.Sources[2:] // AnimeClick
		require.Equal(t, "animeclick", cfg.Sources[0].Source)
		if !first {
			rep := run(t, cfg)
			require.Empty(t, rep.Problems(), "the sample pages read well")
		}
		ss.animeclick.set("/calendario-manga", []byte(redesigned))
		ss.animeclick.set("/calendario-manga?day=9&month=9&paging=next-week&year=2024", []byte(`{"ok":true,"data":{"days":[]}}`))
		for range 2 { // and still the run after
			rep := run(t, cfg)
			ac := rep.Sources[0]
			assert.NotEmpty(t, ac.Broken, "redesign on the first run: %t", first)
			require.NotEmpty(t, rep.Problems())
			assert.Contains(t, rep.Problems()[0], "source animeclick broken")
			t.Log(ac.Broken)
		}
	}
}
