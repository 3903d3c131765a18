package scraper_test

import (
	"context"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/manga-alert-italia/mangaalert/scraper"
)

// units splits a run over the local sites into one run per page: every
// source is configured in each (so each run knows every site's rank), but
// only one reads something; the others ask for a page that is not there.
func units(ss *sites) [][]scraper.SourceConfig {
	all := ss.sources()
	var out [][]scraper.SourceConfig
	one := func(i int, sc scraper.SourceConfig) {
		u := make([]scraper.SourceConfig, len(all))
		for j, other := range all {
			u[j] = scraper.SourceConfig{Source: other.Source, Site: other.Site, Series: []string{"/not-here"}}
		}
		u[i] = sc
		out = append(out, u)
	}
	for i, sc := range all {
		for _, p := range sc.Series {
			one(i, scraper.SourceConfig{Source: sc.Source, Site: sc.Site, Series: []string{p}})
		}
		one(i, scraper.SourceConfig{Source: sc.Source, Site: sc.Site, Calendar: true, Weeks: sc.Weeks})
	}
	return out
}

// TestRunPageOrder: the records are a function of the pages, not of the
// order they are read in. The same pages, one run each, in several orders
// into fresh stores give the same catalogue, series names and aliases
// included; reading them all again, in yet another order, writes nothing.
func TestRunPageOrder(t *testing.T) {
	ss := newSites(t)
	us := units(ss)
	orders := [][]int{make([]int, len(us))}
	for i := range orders[0] {
		orders[0][i] = i
	}
	rev := slices.Clone(orders[0])
	slices.Reverse(rev)
	orders = append(orders, rev)
	rng := rand.New(rand.NewPCG(11, 2024))
	for range 3 {
		o := slices.Clone(orders[0])
		rng.Shuffle(len(o), func(i, j int) { o[i], o[j] = o[j], o[i] })
		orders = append(orders, o)
	}
	runAll := func(st scraper.Store, order []int, force bool) {
		for _, i := range order {
			cfg := ss.config(st)
			cfg.Sources, cfg.Force = us[i], force
			rep, err := scraper.Run(context.Background(), cfg)
			require.NoError(t, err, "unit %d", i)
			for _, s := range rep.Sources {
				for _, e := range s.Errors {
					require.Contains(t, e.URL, "/not-here", "only the pages asked not to be there fail")
				}
			}
		}
	}

	var want map[string]any
	for n, order := range orders {
		st := &counting{Store: openBolt(t)}
		runAll(st, order, false)
		got := dump(t, st)
		if want == nil {
			want = got
			checkCatalogue(t, ss, st)
		} else {
			assert.Len(t, got, len(want))
			for k := range want { // record by record, so a difference reads short
				assert.Equal(t, want[k], got[k], "order %d (%v) gives the records of %s of order 0", n, order, k)
			}
		}

		again := slices.Clone(order)
		slices.Reverse(again)
		calls := st.Writes()
		runAll(st, again, true)
		assert.Equal(t, 0, st.Writes()-calls, "order %d read again in reverse writes nothing", n)
	}
}
