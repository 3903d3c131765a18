package notifier

import (
	"context"
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/manga-alert-italia/mangaalert/store"
)

// planStore is a hand-written fake of the three reads the plan makes. The
// store's own semantics are not what is tested here (the rules tests run on
// store/bolt): the property test needs states no run sequence reaches
// quickly (claims by this run, released claims, re-dated reminders, moved
// notices, unknown kinds, unsorted answers) and thousands of datasets.
type planStore struct {
	Store // nil: the plan calls nothing else
	vols  []store.Volume
	// follows by series, alerts by volume, in the order they are answered.
	follows map[string][]store.Follow
	alerts  map[string][]store.Alert
}

func (s *planStore) UpcomingVolumes(context.Context, store.Date) ([]store.Volume, error) {
	return slices.Clone(s.vols), nil
}

func (s *planStore) FollowersOf(_ context.Context, seriesID string) ([]store.Follow, error) {
	return slices.Clone(s.follows[seriesID]), nil
}

func (s *planStore) AlertsOfVolume(_ context.Context, volumeID string) ([]store.Alert, error) {
	return slices.Clone(s.alerts[volumeID]), nil
}

// appendingStore is planStore answering through Appender, as store/bolt does.
type appendingStore struct{ *planStore }

func (s appendingStore) FollowersOfAppend(_ context.Context, seriesID string, dst []store.Follow) ([]store.Follow, error) {
	return append(dst, s.follows[seriesID]...), nil
}

func (s appendingStore) AlertsOfVolumeAppend(_ context.Context, volumeID string, dst []store.Alert) ([]store.Alert, error) {
	return append(dst, s.alerts[volumeID]...), nil
}

// briefingStore is appendingStore answering alerts as briefs too, as
// store/bolt does (its briefs are held to Alert.Brief by the store's own
// tests).
type briefingStore struct{ appendingStore }

func (s briefingStore) AlertBriefsOfVolumeAppend(_ context.Context, volumeID string, _ []string, dst []store.AlertBrief) ([]store.AlertBrief, error) {
	for _, a := range s.alerts[volumeID] {
		dst = append(dst, a.Brief())
	}
	return dst, nil
}

// numberingStore is briefingStore numbering the readers too, as
// store/bolt does: spread numbers far apart (past readerNames' bitset
// and fileByNumber's array, into their maps) when spread is set.
type numberingStore struct {
	briefingStore
	num map[string]uint32
}

func newNumberingStore(s *planStore, rng *rand.Rand, spread bool) numberingStore {
	var ids []string
	for _, fs := range s.follows {
		for _, f := range fs {
			ids = append(ids, f.SubscriberID)
		}
	}
	slices.Sort(ids)
	ids = slices.Compact(ids)
	rng.Shuffle(len(ids), func(i, j int) { ids[i], ids[j] = ids[j], ids[i] })
	num := map[string]uint32{}
	for i, id := range ids {
		num[id] = uint32(i + 1)
		if spread {
			num[id] = uint32(i+1) << 24
		}
	}
	return numberingStore{briefingStore{appendingStore{s}}, num}
}

func (s numberingStore) FollowersOfNumberedAppend(_ context.Context, seriesID string, dst []store.Follow, nums []uint32) ([]store.Follow, []uint32, error) {
	for _, f := range s.follows[seriesID] {
		dst = append(dst, f)
		nums = append(nums, s.num[f.SubscriberID])
	}
	return dst, nums, nil
}

var propNow = time.Date(2025, time.March, 3, 9, 0, 0, 0, store.Rome)

const propRun = "run-prop"

// randomPlanStore makes a catalogue, readers and alert history meant to hit
// every branch of the rules: editions, undated volumes, volumes first seen
// before and after their followers, changed dates, collections, reminder
// choices, and alerts in every state, of every kind, for the current and
// older dates, by this run, released runs and others.
func randomPlanStore(rng *rand.Rand) *planStore {
	today := store.DateOf(propNow)
	s := &planStore{follows: map[string][]store.Follow{}, alerts: map[string][]store.Alert{}}
	hoursAgo := func(max int) time.Time { return propNow.Add(-time.Duration(rng.IntN(max*24+1)) * time.Hour) }
	editions := []store.Edition{store.First, store.First, "", store.Variant, store.Reprint, store.Special, store.BoxSet}
	nSeries := 1 + rng.IntN(6)
	for si := range nSeries {
		sid := fmt.Sprintf("serie-%d", si)
		for vi := range rng.IntN(7) {
			v := store.Volume{SeriesID: sid, Number: 1 + rng.IntN(8), Edition: editions[rng.IntN(len(editions))]}
			v.ID = fmt.Sprintf("%s-%d-%s-%d", sid, v.Number, v.Edition, vi)
			if rng.IntN(5) > 0 {
				v.ReleaseDate = today.AddDays(rng.IntN(45))
			}
			v.FirstSeen = hoursAgo(90)
			if rng.IntN(3) == 0 {
				v.ChangedAt = hoursAgo(90)
			}
			s.vols = append(s.vols, v)
		}
	}
	readers := make([]string, 1+rng.IntN(25))
	for i := range readers {
		// Shared prefixes and lengths that differ: the joins compare ids.
		// Some longer than the reader index keeps in its slots.
		readers[i] = fmt.Sprintf("r%s%d", strings.Repeat("x", []int{0, 1, 2, 31, 40}[rng.IntN(5)]), i)
	}
	reminds := []store.Remind{0, 0, 0, store.RemindChosen, store.RemindChosen | store.RemindAnnounce,
		store.RemindChosen | store.Remind7 | store.Remind1, store.RemindChosen | store.Remind30 | store.RemindAnnounce}
	for si := range nSeries {
		sid := fmt.Sprintf("serie-%d", si)
		var fs []store.Follow
		for _, r := range readers {
			if rng.IntN(3) == 0 {
				continue
			}
			f := store.Follow{SubscriberID: r, SeriesID: sid, CreatedAt: hoursAgo(90), Reminders: reminds[rng.IntN(len(reminds))]}
			if rng.IntN(3) == 0 {
				f.OwnedUpTo = rng.IntN(5)
			}
			if rng.IntN(3) == 0 {
				f.Owned, _ = store.CleanOwned(f.OwnedUpTo, []int{rng.IntN(9), rng.IntN(9)})
			}
			fs = append(fs, f)
		}
		if rng.IntN(4) == 0 { // a store that does not sort
			rng.Shuffle(len(fs), func(i, j int) { fs[i], fs[j] = fs[j], fs[i] })
		}
		s.follows[sid] = fs
	}
	states := []store.AlertState{store.Sent, store.Sent, store.Claimed, store.Claimed, store.Failed, store.Uncertain}
	runs := []string{propRun, releasedPrefix + "run-old", "run-other"}
	for _, v := range s.vols {
		var as []store.Alert
		for _, r := range readers {
			for range rng.IntN(4) {
				date := []store.Date{{}, v.ReleaseDate, today.AddDays(rng.IntN(40))}[rng.IntN(3)]
				kinds := []store.AlertKind{store.Announce, store.Reminder(30), store.Reminder(7), store.Reminder(1),
					store.Reminder(14), store.RemindFor(7, date), store.RemindFor(1, v.ReleaseDate),
					store.Moved(v.ReleaseDate), store.Moved(date), "something-else"}
				a := store.Alert{AlertKey: store.AlertKey{SubscriberID: r, VolumeID: v.ID, Kind: kinds[rng.IntN(len(kinds))]},
					State: states[rng.IntN(len(states))], RunID: runs[rng.IntN(len(runs))], ReleaseDate: date,
					ClaimedAt: hoursAgo(60), UpdatedAt: hoursAgo(60)}
				as = append(as, a)
			}
		}
		if rng.IntN(4) == 0 {
			rng.Shuffle(len(as), func(i, j int) { as[i], as[j] = as[j], as[i] })
		}
		s.alerts[v.ID] = as
	}
	return s
}

// TestPlanMatchesReference holds the planner to refPlan, the rules written
// plainly, on random datasets: any change of what is due, to whom, with
// which claim, flags, covered kinds or re-dated reminders, or of the side
// tables and read counts, fails here with the seed to replay it.
func TestPlanMatchesReference(t *testing.T) {
	configs := []func(*Notifier){
		func(*Notifier) {},
		func(n *Notifier) { n.Reminders = []int{7} },
		func(n *Notifier) { n.Reminders = []int{14, 3}; n.AnnounceWithin = 20 * 24 * time.Hour },
		func(n *Notifier) { n.Reminders = []int{30, 7, 2, 1}; n.OptIn = []store.Edition{store.Variant} },
	}
	for seed := range uint64(400) {
		rng := rand.New(rand.NewPCG(seed, 17))
		ps := randomPlanStore(rng)
		for ci, cfg := range configs {
			stores := []Store{ps, appendingStore{ps}, briefingStore{appendingStore{ps}}, newNumberingStore(ps, rng, false)}
			if seed%4 == 0 {
				stores = append(stores, newNumberingStore(ps, rng, true))
			}
			for _, st := range stores {
				for _, workers := range []int{1, 3} {
					n := New(st, nopSender{}, nil, func(n *Notifier) {
						n.From, n.UnsubscribeMailto = "a@example.it", "u@example.it"
						n.ReadConcurrency = workers
					}, cfg)
					n.links = nopLinks{}
					c, err := n.config()
					require.NoError(t, err)
					want, err := refPlan(context.Background(), c, propRun, propNow)
					require.NoError(t, err)
					p, err := c.plan(context.Background(), propRun, propNow)
					require.NoError(t, err)
					got := map[string][]due{}
					for r, sub := range p.subs {
						got[sub] = p.duesOf(int32(r))
					}
					name := fmt.Sprintf("seed %d, config %d, %T, %d workers", seed, ci, st, workers)
					if ns, ok := st.(numberingStore); ok {
						name += fmt.Sprintf(" (numbers up to %d)", slices.Max(append(slices.Collect(maps.Values(ns.num)), 0)))
					}
					require.Equal(t, want.dues, got, name)
					require.Equal(t, len(want.dues), len(p.subs), name)
					require.Equal(t, want.takeAt, p.takeAt, name)
					require.Equal(t, want.owned, p.owned, name)
					require.Equal(t, want.prevDate, p.prevDate, name)
					require.Equal(t, [4]int{want.seriesRead, want.volumesRead, want.followsRead, want.alerts},
						[4]int{p.seriesRead, p.volumesRead, p.followsRead, p.alertsRead}, name)
					items := 0
					for _, ds := range want.dues {
						for _, d := range ds {
							items += 1 + popcount(d.covers)
						}
					}
					require.Equal(t, items, p.dueItems(), name)
				}
			}
		}
	}
}

type nopSender struct{}

func (nopSender) Send(context.Context, *Message) (string, error) { return "", nil }

type nopLinks struct{}

func (nopLinks) UnsubscribeURL(store.Subscriber) string { return "" }
func (nopLinks) ManageURL(store.Subscriber) string      { return "" }
func (nopLinks) SeriesURL(string) string                { return "" }
