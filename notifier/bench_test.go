package notifier_test

import (
	"context"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/manga-alert-italia/mangaalert/internal/heap"
	"github.com/manga-alert-italia/mangaalert/notifier"
	"github.com/manga-alert-italia/mangaalert/store"
	"github.com/manga-alert-italia/mangaalert/store/bolt"
)

// The target: what is due for 100,000 readers x 10 follows over 5,000
// upcoming volumes in <= 2 s and <= 300 MB on the embedded store. The
// fixture: 1,000 series of 5 upcoming volumes (one in ten undated, the
// others over the next 120 days, all first seen yesterday), 100,000
// readers following 10 series each (1,000,000 follows, a month old), and
// 1,000,000 alerts already sent (every follower's announcement of each
// series' first volume). Collections and reminder choices (v2): one
// follow in three owns up to the series' first or second volume, one in
// ten marks a single volume owned, one in five chooses its reminders, and
// one reader in seven chooses reader-wide reminders.
const (
	benchSeries     = 1_000
	benchPerSeries  = 5
	benchReaders    = 100_000
	benchFollowsPer = 10
	// benchVersion names the cached fixture: change it with the fixture.
	benchVersion = "v3"
)

var benchNow = time.Date(2025, time.March, 3, 9, 0, 0, 0, store.Rome)

func benchReaderID(i int) string {
	var b [16]byte
	binary.BigEndian.PutUint64(b[:], uint64(i)*0x9E3779B97F4A7C15)
	binary.BigEndian.PutUint64(b[8:], uint64(i))
	return base64.RawURLEncoding.EncodeToString(b[:])
}

func benchSeriesID(i int) string { return fmt.Sprintf("series-title-number-%04d", i) }

// benchFixture returns the path of the seeded store, built once and kept in
// the temporary directory (writing 2 million records one transaction each
// through the public API takes minutes): $TMPDIR/mangaalert-notifier-bench-v3.db.
func benchFixture(b *testing.B) string {
	b.Helper()
	path := filepath.Join(os.TempDir(), "mangaalert-notifier-bench-"+benchVersion+".db")
	if _, err := os.Stat(path); err == nil {
		return path
	}
	start := time.Now()
	tmp := path + ".building"
	os.Remove(tmp)
	s, err := bolt.Open(tmp, func(o *bolt.Options) { o.NoSync = true }, func(o *bolt.Options) { o.Now = func() time.Time { return benchNow } })
	if err != nil {
		b.Fatal(err)
	}
	if err := seedBench(s); err != nil {
		s.Close()
		b.Fatal(err)
	}
	if err := s.Close(); err != nil {
		b.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		b.Fatal(err)
	}
	fmt.Fprintf(os.Stderr, "notifier bench fixture written to %s in %s\n", path, time.Since(start).Round(time.Second))
	return path
}

func seedBench(s *bolt.Store) error {
	ctx := context.Background()
	today := store.DateOf(benchNow)
	seen := benchNow.Add(-24 * time.Hour)
	var vols []store.Volume
	for i := range benchSeries {
		for n := 1; n <= benchPerSeries; n++ {
			v := store.Volume{SeriesID: benchSeriesID(i), Number: n, Title: fmt.Sprintf("SERIES %d n. %d", i, n),
				Publisher: "Star Comics", PriceCents: 590, SKU: fmt.Sprintf("SKU%06d", i*10+n),
				CoverURL:  fmt.Sprintf("https://www.starcomics.com/covers/%d-%d.jpg", i, n),
				SourceURL: fmt.Sprintf("https://www.starcomics.com/titoli-fumetti/%s", benchSeriesID(i))}
			if (i+n)%10 != 0 {
				v.ReleaseDate = today.AddDays(1 + (i*7+n*13)%120)
			}
			vols = append(vols, v)
		}
	}
	if _, err := s.UpsertVolumes(ctx, vols, seen); err != nil {
		return err
	}
	rng := rand.New(rand.NewPCG(1, 2))
	followed := benchNow.AddDate(0, -1, 0)
	for r := range benchReaders {
		id := benchReaderID(r)
		sub := store.Subscriber{ID: id, Email: fmt.Sprintf("lettore%d@example.it", r),
			Status: store.Active, CreatedAt: followed, UpdatedAt: followed, ConfirmedAt: followed}
		if r%7 == 0 {
			sub.Reminders = benchReminds[r%len(benchReminds)]
		}
		if err := s.CreateSubscriber(ctx, sub); err != nil {
			return err
		}
		picked := map[int]bool{}
		for len(picked) < benchFollowsPer {
			picked[rng.IntN(benchSeries)] = true
		}
		fi := 0
		for si := range picked {
			f := store.Follow{SubscriberID: id, SeriesID: benchSeriesID(si), CreatedAt: followed}
			fi++
			nth := r*benchFollowsPer + fi
			if nth%3 == 0 {
				f.OwnedUpTo = 1 + nth%2
			}
			if nth%10 == 0 {
				f.Owned = []int{4}
			}
			if nth%5 == 0 {
				f.Reminders = benchReminds[nth%len(benchReminds)]
			}
			if err := s.Follow(ctx, f); err != nil {
				return err
			}
			k := store.AlertKey{SubscriberID: id, VolumeID: store.VolumeID(benchSeriesID(si), store.First, 1, ""), Kind: store.Announce}
			if err := s.ClaimAlert(ctx, store.Alert{AlertKey: k, RunID: "run-0", ClaimedAt: seen}); err != nil {
				return err
			}
			if err := s.ResolveAlert(ctx, k, "run-0", store.Sent, "0100018f-msg", "", seen); err != nil {
				return err
			}
		}
	}
	return nil
}

// benchReminds are the reminder choices the fixture's readers make.
var benchReminds = func() []store.Remind {
	var out []store.Remind
	for _, names := range [][]string{{"announce", "7"}, {"1"}, {"announce", "30", "7"}, {}} {
		r, err := store.Reminds(names...)
		if err != nil {
			panic(err)
		}
		out = append(out, r)
	}
	return out
}()

// BenchmarkPlan measures the planning step (what is due, before any send)
// on the fixture: time per op, peak heap, and the store calls by method.
//
//	go test -run '^$' -bench BenchmarkPlan -benchtime 5x ./notifier/
func BenchmarkPlan(b *testing.B) {
	s, err := bolt.Open(benchFixture(b), func(o *bolt.Options) { o.Now = func() time.Time { return benchNow } })
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	ctx := context.Background()
	for _, workers := range []int{1, 8} {
		b.Run(fmt.Sprintf("read-concurrency=%d", workers), func(b *testing.B) {
			b.ReportAllocs()
			var peak uint64
			var stats notifier.PlanStats
			var fs *faultyStore
			var cpu, sys time.Duration
			var faults int64
			for b.Loop() {
				fs = newFaultyStore(s) // counts calls, injects nothing
				n := newNotifier(fs, &recSender{}, notifier.NewFakeClock(benchNow), func(n *notifier.Notifier) { n.ReadConcurrency = workers })
				// Peak collects first: the plan's CPU is counted after.
				p := heap.Peak(func() {
					before := usageNow()
					var err error
					if stats, err = n.Plan(ctx); err != nil {
						b.Fatal(err)
					}
					after := usageNow()
					cpu += after.cpu - before.cpu
					sys += after.sys - before.sys
					faults += after.faults - before.faults
				})
				peak = max(peak, p)
			}
			// CPU time of the process (all threads, GC included): steadier
			// than ns/op on a shared machine.
			b.ReportMetric(cpu.Seconds()/float64(b.N), "cpu-s/op")
			b.ReportMetric(sys.Seconds()/float64(b.N), "sys-s/op")
			b.ReportMetric(float64(faults)/float64(b.N), "page-faults/op")
			b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MB")
			b.ReportMetric(float64(stats.Readers), "readers-due")
			b.ReportMetric(float64(stats.Alerts), "alerts-due")
			b.ReportMetric(float64(stats.Follows), "follows-read")
			b.ReportMetric(float64(stats.AlertsRead), "alerts-read")
			b.ReportMetric(float64(fs.count("FollowersOf")), "FollowersOf-calls")
			b.ReportMetric(float64(fs.count("AlertsOfVolume")), "AlertsOfVolume-calls")
			b.ReportMetric(float64(fs.count("UpcomingVolumes")), "UpcomingVolumes-calls")
			b.ReportMetric(float64(fs.count("Subscriber")), "Subscriber-calls")
		})
	}
}

// usage is what the process has used so far: CPU time (user and system,
// all threads), the kernel's share of it (page faults, madvise), and the
// page faults served without I/O (fresh heap pages, mmapped pages first
// touched).
type usage struct {
	cpu, sys time.Duration
	faults   int64
}

func usageNow() usage {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return usage{}
	}
	return usage{cpu: time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), sys: time.Duration(ru.Stime.Nano()), faults: ru.Minflt}
}
