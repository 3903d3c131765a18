package scraper_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/manga-alert-italia/mangaalert/scraper"
	"github.com/manga-alert-italia/mangaalert/store"
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

// runUnits runs the units in order, conc of them at once, into st.
func runUnits(t *testing.T, ss *sites, us [][]scraper.SourceConfig, st scraper.Store, order []int, conc int) {
	t.Helper()
	next := make(chan int)
	errs := make(chan error, len(order))
	var wg sync.WaitGroup
	for range conc {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				cfg := ss.config(st)
				cfg.Sources = us[i]
				rep, err := scraper.Run(context.Background(), cfg)
				if err != nil {
					errs <- fmt.Errorf("unit %d: %w", i, err)
					continue
				}
				for _, s := range rep.Sources {
					for _, e := range s.Errors {
						if !strings.Contains(e.URL, "/not-here") {
							errs <- fmt.Errorf("unit %d: %w", i, e)
						}
					}
				}
			}
		}()
	}
	for _, i := range order {
		next <- i
	}
	close(next)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// TestRunPageOrderConcurrent: the same pages, shuffled, read by 1, 2, 3, 4
// and 8 runs at once into one store, give the records one run after
// another gives: nothing in a record depends on which run got there
// first. On the embedded store and on DynamoDB (the emulator).
func TestRunPageOrderConcurrent(t *testing.T) {
	stores := []struct {
		name string
		open func(t *testing.T) store.Store
	}{
		{"bolt", func(t *testing.T) store.Store { return openBolt(t) }},
		{"dynamo", openDynamo},
	}
	ss := newSites(t)
	us := units(ss)
	rng := rand.New(rand.NewPCG(12, 2026))
	for _, s := range stores {
		t.Run(s.name, func(t *testing.T) {
			ref := s.open(t)
			order := make([]int, len(us))
			for i := range order {
				order[i] = i
			}
			runUnits(t, ss, us, ref, order, 1)
			want := dump(t, ref)
			checkCatalogue(t, ss, ref)
			for _, conc := range []int{1, 2, 3, 4, 8} {
				st := s.open(t)
				o := slices.Clone(order)
				rng.Shuffle(len(o), func(i, j int) { o[i], o[j] = o[j], o[i] })
				runUnits(t, ss, us, st, o, conc)
				got := dump(t, st)
				assert.Len(t, got, len(want))
				for k := range want {
					assert.Equal(t, want[k], got[k], "%d at once, order %v: the records of %s", conc, o, k)
				}
			}
		})
	}
}

// between is a store in which another run stores a record between the
// scraper's read of a volume and its write of it.
type between struct {
	store.Store
	once sync.Once
	put  store.Volume
}

func (b *between) UpsertVolumes(ctx context.Context, vs []store.Volume, now time.Time) ([]store.UpsertResult, error) {
	for _, v := range vs {
		if v.ID == b.put.ID {
			b.once.Do(func() { _, _ = b.Store.UpsertVolumes(ctx, []store.Volume{b.put}, now) })
		}
	}
	return b.Store.UpsertVolumes(ctx, vs, now)
}

// TestRunPublisherWinsRace: AnimeClick's run reads jujutsu-kaisen/26 (not
// there yet), Panini's run stores it, then AnimeClick's write lands: the
// record is still the publisher's, as when the two runs do not overlap.
func TestRunPublisherWinsRace(t *testing.T) {
	ss := newSites(t)
	paniniOnly := openBolt(t)
	cfg := ss.config(paniniOnly)
	cfg.Sources = []scraper.SourceConfig{{Source: "panini", Site: ss.panini.URL, Calendar: true, Weeks: 1}}
	run(t, cfg)
	want, err := paniniOnly.Volume(context.Background(), "jujutsu-kaisen/26")
	require.NoError(t, err)

	st := &between{Store: openBolt(t)}
	st.put = want
	st.put.FirstSeen, st.put.LastSeen, st.put.ChangedAt = time.Time{}, time.Time{}, time.Time{}
	cfg = ss.config(st)
	cfg.Sources = []scraper.SourceConfig{{Source: "animeclick", Site: ss.animeclick.URL, Calendar: true, Weeks: 2}}
	run(t, cfg)
	got, err := st.Volume(context.Background(), "jujutsu-kaisen/26")
	require.NoError(t, err)
	assert.Equal(t, want.SourceURL, got.SourceURL)
	assert.Equal(t, want.Title, got.Title)
	assert.Equal(t, want.ReleaseDate, got.ReleaseDate)
	assert.Equal(t, want.PriceCents, got.PriceCents)
}
