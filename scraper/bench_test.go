package scraper_test

import (
	"bytes"
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/manga-alert-italia/mangaalert/scraper"
	"github.com/manga-alert-italia/mangaalert/scraper/fetch"
	"github.com/manga-alert-italia/mangaalert/store/bolt"
)

// The target: a run over 200 locally served series pages, politeness off,
// in at most 5 s. Reproduce with
//
//	go test -run TestRun200SeriesPages -v ./scraper/
//	go test -run '^$' -bench Run200 -benchtime 3x ./scraper/

const manySeries = 200

// manySites serves 200 Star Comics series pages: the real Solo Leveling
// page (57 KB, 20 cards) renamed for each series, or the testdata page
// when the real one is not there.
func manySites(t testing.TB) (*site, []string, int) {
	page, name, slug, cards := realPage(t, "starcomics-series-solo-leveling-2024-09.html"), "SOLO LEVELING", "solo-leveling", 20
	if page == nil {
		page, name, slug, cards = testdata(t, "starcomics-series-mob-psycho-100.html"), "MOB PSYCHO 100", "mob-psycho-100", 7
	}
	s := newSite(t)
	var paths []string
	for i := range manySeries {
		n := fmt.Sprintf("SERIE NUMERO %03d", i)
		sl := fmt.Sprintf("serie-numero-%03d", i)
		p := bytes.ReplaceAll(bytes.ReplaceAll(page, []byte(name), []byte(n)), []byte(slug), []byte(sl))
		path := "/titoli-fumetti/" + sl
		s.set(path, p)
		paths = append(paths, path)
	}
	return s, paths, cards
}

func manyConfig(st *bolt.Store, s *site, paths []string) scraper.Config {
	return scraper.Config{
		Store:   st,
		Sources: []scraper.SourceConfig{{Source: "starcomics", Site: s.URL, Series: paths}},
		Fetcher: fetch.New(func(f *fetch.Fetcher) { f.Pages = st; f.Delay = -1; f.Retries = -1 }),
		Now:     func() time.Time { return monday },
	}
}

// TestRun200SeriesPages logs how long a first and a second run over 200
// series pages take (no assertion on time: the machine is shared).
func TestRun200SeriesPages(t *testing.T) {
	s, paths, cards := manySites(t)
	st, err := bolt.Open(filepath.Join(t.TempDir(), "db"))
	require.NoError(t, err)
	defer st.Close()

	start := time.Now()
	rep := run(t, manyConfig(st, s, paths))
	first := time.Since(start)
	tot := rep.Totals()
	require.Empty(t, tot.Errors)
	require.Equal(t, manySeries, tot.Fetched)
	require.Equal(t, manySeries*cards, tot.New)

	start = time.Now()
	rep = run(t, manyConfig(st, s, paths))
	second := time.Since(start)
	require.Equal(t, manySeries, rep.Totals().Unchanged)
	t.Logf("%d series pages, %d volumes, politeness off, bolt with fsync: first run %v, second run %v",
		manySeries, tot.New, first.Round(time.Millisecond), second.Round(time.Millisecond))
}

func BenchmarkRun200SeriesPages(b *testing.B) {
	s, paths, cards := manySites(b)
	for b.Loop() {
		b.StopTimer()
		st, err := bolt.Open(filepath.Join(b.TempDir(), "db"))
		require.NoError(b, err)
		b.StartTimer()
		rep, err := scraper.Run(context.Background(), manyConfig(st, s, paths))
		b.StopTimer()
		require.NoError(b, err)
		require.Equal(b, manySeries*cards, rep.Totals().New)
		st.Close()
		b.StartTimer()
	}
}

// BenchmarkRunSampleSites is a full run over the sample sites (and the
// real captures when they are beside the repository), politeness off, into
// a fresh embedded store each time; it reports, per source, the pages read
// and the items parsed in a run. Reproduce with
//
//	go test -run '^$' -bench RunSampleSites -benchtime 20x ./scraper/
func BenchmarkRunSampleSites(b *testing.B) {
	ss := newSites(b)
	var last scraper.Report
	for b.Loop() {
		b.StopTimer()
		st := openBolt(b)
		cfg := ss.config(st)
		b.StartTimer()
		rep, err := scraper.Run(context.Background(), cfg)
		b.StopTimer()
		require.NoError(b, err)
		require.Empty(b, rep.Problems())
		last = rep
		st.Close()
		b.StartTimer()
	}
	for _, s := range last.Sources {
		b.ReportMetric(float64(s.Pages), s.Source+"-pages/run")
		b.ReportMetric(float64(s.Items), s.Source+"-items/run")
	}
}
