package bolt_test

import (
	"context"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/manga-alert-italia/mangaalert/internal/heap"
	"github.com/manga-alert-italia/mangaalert/store"
	"github.com/manga-alert-italia/mangaalert/store/bolt"
)

// The notifier's target: what is due for 100,000 readers x 10 follows over
// 5,000 upcoming volumes, in <= 2 s and <= 300 MB. The fixture is that
// shape: 1,000 series of 5 upcoming volumes (one in ten undated), 1,000,000
// follows, and 1,000,000 alerts already sent (every follower's announcement
// of each series' first volume).
const (
	benchSeries     = 1_000
	benchPerSeries  = 5
	benchReaders    = 100_000
	benchFollowsPer = 10
)

var (
	benchToday = store.NewDate(2025, time.March, 3)
	benchNow   = time.Date(2025, time.March, 3, 8, 0, 0, 0, time.UTC)

	fixtureOnce sync.Once
	fixtureDir  string
	fixtureErr  error
)

func TestMain(m *testing.M) {
	code := m.Run()
	if fixtureDir != "" {
		os.RemoveAll(fixtureDir)
	}
	os.Exit(code)
}

// readerID is a 22-character id, like the backend's random ones.
func readerID(i int) string {
	var b [16]byte
	binary.BigEndian.PutUint64(b[:], uint64(i)*0x9E3779B97F4A7C15)
	binary.BigEndian.PutUint64(b[8:], uint64(i))
	return base64.RawURLEncoding.EncodeToString(b[:])
}

func seriesID(i int) string { return fmt.Sprintf("series-title-number-%04d", i) }

// fixture builds the big store once per test binary and returns its path.
func fixture(b *testing.B) string {
	b.Helper()
	fixtureOnce.Do(func() {
		fixtureDir, fixtureErr = os.MkdirTemp("", "mangaalert-bench")
		if fixtureErr != nil {
			return
		}
		path := filepath.Join(fixtureDir, "bench.db")
		s, err := bolt.Open(path, func(o *bolt.Options) { o.NoSync = true })
		if err != nil {
			fixtureErr = err
			return
		}
		defer s.Close()
		fixtureErr = buildFixture(s)
	})
	if fixtureErr != nil {
		b.Fatal(fixtureErr)
	}
	return filepath.Join(fixtureDir, "bench.db")
}

func buildFixture(s *bolt.Store) error {
	ctx := context.Background()
	var vols []store.Volume
	for i := range benchSeries {
		for n := 1; n <= benchPerSeries; n++ {
			v := store.Volume{SeriesID: seriesID(i), Number: n, Title: fmt.Sprintf("SERIES %d n. %d", i, n),
				Publisher: "Star Comics", PriceCents: 590, SKU: fmt.Sprintf("SKU%06d", i*10+n),
				CoverURL:  fmt.Sprintf("https://www.starcomics.com/covers/%d-%d.jpg", i, n),
				SourceURL: fmt.Sprintf("https://www.starcomics.com/titoli-fumetti/%s", seriesID(i))}
			if (i+n)%10 != 0 {
				v.ReleaseDate = benchToday.AddDays((i*7 + n*13) % 120)
			}
			vols = append(vols, v)
		}
	}
	if _, err := s.UpsertVolumes(ctx, vols, benchNow.Add(-24*time.Hour)); err != nil {
		return err
	}
	rng := rand.New(rand.NewPCG(1, 2))
	follows := make([]store.Follow, 0, benchReaders*benchFollowsPer)
	var alerts []store.Alert
	for r := range benchReaders {
		seen := map[int]bool{}
		for len(seen) < benchFollowsPer {
			seen[rng.IntN(benchSeries)] = true
		}
		for si := range seen {
			f := store.Follow{SubscriberID: readerID(r), SeriesID: seriesID(si), CreatedAt: benchNow.Add(-30 * 24 * time.Hour)}
			follows = append(follows, f)
			alerts = append(alerts, store.Alert{
				AlertKey: store.AlertKey{SubscriberID: f.SubscriberID, VolumeID: store.VolumeID(f.SeriesID, store.First, 1, ""), Kind: store.Announce},
				State:    store.Sent, RunID: "run-0", MessageID: "0100018f-msg", ClaimedAt: benchNow.Add(-24 * time.Hour), UpdatedAt: benchNow.Add(-24 * time.Hour),
			})
		}
	}
	start := time.Now()
	defer func() {
		fmt.Fprintf(os.Stderr, "bench fixture written in %s\n", time.Since(start).Round(time.Millisecond))
	}()
	return s.LoadForBench(follows, alerts)
}

func openFixture(b *testing.B) *bolt.Store {
	s, err := bolt.Open(fixture(b))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	return s
}

// cpuTime is the process's user and system CPU time so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkDue does the notifier's reads and a minimal due computation:
// upcoming volumes, followers of each series, alerts of each volume, and
// the (reader, volume) pairs whose announcement is not taken yet.
func BenchmarkDue(b *testing.B) {
	s := openFixture(b)
	ctx := context.Background()
	for _, workers := range []int{1, 4} {
		b.Run(fmt.Sprintf("workers=%d", workers), func(b *testing.B) {
			b.ReportAllocs()
			var peak uint64
			var due, follows int64
			var cpu time.Duration
			for b.Loop() {
				b.StopTimer()
				runtime.GC() // start each run from what the store itself keeps
				b.StartTimer()
				before := cpuTime()
				p := heap.Peak(func() {
					due, follows = dueOnce(b, ctx, s, workers)
				})
				cpu += cpuTime() - before
				peak = max(peak, p)
			}
			// CPU time, unlike ns/op, does not grow when other processes
			// share the machine.
			b.ReportMetric(cpu.Seconds()/float64(b.N), "cpu-s/op")
			b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MB")
			b.ReportMetric(float64(follows), "follows")
			b.ReportMetric(float64(due), "due")
		})
	}
}

func dueOnce(b *testing.B, ctx context.Context, s *bolt.Store, workers int) (due, follows int64) {
	vols, err := s.UpcomingVolumes(ctx, benchToday)
	if err != nil {
		b.Fatal(err)
	}
	if len(vols) != benchSeries*benchPerSeries {
		b.Fatalf("%d upcoming volumes", len(vols))
	}
	bySeries := map[string][]int{}
	var series []string
	for i, v := range vols {
		if _, ok := bySeries[v.SeriesID]; !ok {
			series = append(series, v.SeriesID)
		}
		bySeries[v.SeriesID] = append(bySeries[v.SeriesID], i)
	}
	work := make(chan string)
	var wg sync.WaitGroup
	var nDue, nFollows atomic.Int64
	for range workers {
		wg.Go(func() {
			for sid := range work {
				fs, err := s.FollowersOf(ctx, sid)
				if err != nil {
					b.Error(err)
					return
				}
				nFollows.Add(int64(len(fs)))
				for _, vi := range bySeries[sid] {
					as, err := s.AlertsOfVolume(ctx, vols[vi].ID)
					if err != nil {
						b.Error(err)
						return
					}
					taken := make(map[string]bool, len(as))
					for _, a := range as {
						if a.Kind == store.Announce {
							taken[a.SubscriberID] = true
						}
					}
					for _, f := range fs {
						if !taken[f.SubscriberID] {
							nDue.Add(1)
						}
					}
				}
			}
		})
	}
	for _, sid := range series {
		work <- sid
	}
	close(work)
	wg.Wait()
	return nDue.Load(), nFollows.Load()
}

func BenchmarkReads(b *testing.B) {
	s := openFixture(b)
	ctx := context.Background()
	b.Run("UpcomingVolumes/5000", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if vs, err := s.UpcomingVolumes(ctx, benchToday); err != nil || len(vs) != 5000 {
				b.Fatal(len(vs), err)
			}
		}
	})
	b.Run("VolumesReleasing/all-5000", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if vs, err := s.VolumesReleasing(ctx, benchToday, benchToday.AddDays(365)); err != nil || len(vs) == 0 {
				b.Fatal(len(vs), err)
			}
		}
	})
	b.Run("VolumesReleasing/4-weeks", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if vs, err := s.VolumesReleasing(ctx, benchToday, benchToday.AddDays(27)); err != nil || len(vs) == 0 {
				b.Fatal(len(vs), err)
			}
		}
	})
	b.Run("FollowersOf/1000", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if fs, err := s.FollowersOf(ctx, seriesID(7)); err != nil || len(fs) < 500 {
				b.Fatal(len(fs), err)
			}
		}
	})
	b.Run("AlertsOfVolume/1000", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if as, err := s.AlertsOfVolume(ctx, seriesID(7)+"/1"); err != nil || len(as) < 500 {
				b.Fatal(len(as), err)
			}
		}
	})
	b.Run("VolumesOfSeries", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if vs, err := s.VolumesOfSeries(ctx, seriesID(7)); err != nil || len(vs) != benchPerSeries {
				b.Fatal(len(vs), err)
			}
		}
	})
}

// BenchmarkUpsert is the scraper's write path on a small store: 500
// volumes per call, unchanged (no write transaction at all) and all
// changed (one transaction).
func BenchmarkUpsert(b *testing.B) {
	ctx := context.Background()
	mk := func(price int) []store.Volume {
		var vs []store.Volume
		for i := range 500 {
			vs = append(vs, store.Volume{SeriesID: seriesID(i / 5), Number: i%5 + 1, Title: "T", PriceCents: price,
				ReleaseDate: benchToday.AddDays(i % 90)})
		}
		return vs
	}
	for _, sync := range []bool{false, true} {
		var opts []func(*bolt.Options)
		if !sync {
			opts = append(opts, func(o *bolt.Options) { o.NoSync = true })
		}
		b.Run(fmt.Sprintf("unchanged/sync=%t", sync), func(b *testing.B) {
			s := open(b, opts...)
			vs := mk(590)
			if _, err := s.UpsertVolumes(ctx, vs, benchNow); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				if _, err := s.UpsertVolumes(ctx, vs, benchNow); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(fmt.Sprintf("changed/sync=%t", sync), func(b *testing.B) {
			s := open(b, opts...)
			price := 100
			b.ReportAllocs()
			for b.Loop() {
				price++
				if _, err := s.UpsertVolumes(ctx, mk(price), benchNow); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkClaimAlert(b *testing.B) {
	ctx := context.Background()
	for _, sync := range []bool{false, true} {
		b.Run(fmt.Sprintf("sync=%t", sync), func(b *testing.B) {
			var opts []func(*bolt.Options)
			if !sync {
				opts = append(opts, func(o *bolt.Options) { o.NoSync = true })
			}
			s := open(b, opts...)
			// A claim is for a reader who exists: one reader, a new volume
			// each time.
			if err := s.CreateSubscriber(ctx, store.Subscriber{ID: readerID(0), Email: "lettore@example.it", Status: store.Active}); err != nil {
				b.Fatal(err)
			}
			i := 0
			b.ReportAllocs()
			for b.Loop() {
				i++
				k := store.AlertKey{SubscriberID: readerID(0), VolumeID: fmt.Sprintf("series/%d", i), Kind: store.Announce}
				if err := s.ClaimAlert(ctx, store.Alert{AlertKey: k, RunID: "run", ClaimedAt: benchNow}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
