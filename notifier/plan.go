package notifier

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/manga-alert-italia/mangaalert/store"
)

// How a due item gets its claim.
const (
	claimNew   uint8 = iota // ClaimAlert: no record yet
	claimTake               // a claim a stopped run released: take it over
	claimOwned              // already claimed by this run (reclaimed at start)
)

// due is one alert due to one reader, packed small: a plan of 100,000
// readers holds millions of them.
type due struct {
	vol    int32 // index in plan.vols
	kind   uint8 // index in plan.kinds
	claim  uint8 // claimNew, claimTake, claimOwned
	optIn  bool  // only for readers who opted in (variant editions)
	covers uint8 // bit i: kinds[i] is due too and this message settles it (its claim mode: plan.mode)
}

// plan is what is due in one run, per reader.
type plan struct {
	today store.Date
	vols  []store.Volume
	kinds []store.AlertKind // kinds[0] is Announce, then the reminders, ascending
	// subs are the readers with something due, dues theirs, index finds a
	// reader's position.
	subs  []string
	dues  [][]due
	index map[string]int32
	// takeAt holds, for claimTake items, the ClaimedAt of the released
	// claim: taking it over is a compare-and-swap on it.
	takeAt map[store.AlertKey]time.Time
	// owned holds the claims this run took over at its start.
	owned map[store.AlertKey]bool
	// prevDate holds, per reader and volume (Kind ""), the release date an
	// earlier alert announced, when the volume has moved since.
	prevDate map[store.AlertKey]store.Date
	// stats of the reads, to show they follow the followed series and the
	// upcoming volumes.
	seriesRead, volumesRead, followsRead, alertsRead int
}

func (p *plan) key(sub string, d due) store.AlertKey {
	return store.AlertKey{SubscriberID: sub, VolumeID: p.vols[d.vol].ID, Kind: p.kinds[d.kind]}
}

// dueItems counts the alerts in the plan (covered kinds included).
func (p *plan) dueItems() int {
	n := 0
	for _, ds := range p.dues {
		for _, d := range ds {
			n += 1 + popcount(d.covers)
		}
	}
	return n
}

func popcount(b uint8) int {
	n := 0
	for ; b != 0; b &= b - 1 {
		n++
	}
	return n
}

// window returns the index in kinds of the reminder whose window holds a
// release n days away, or 0 when none does. The reminder of d days is due
// while the days left are in (the next shorter reminder, d]: a run that
// missed the first day still sends it, and never two reminders at once.
func (c *Notifier) window(n int) int {
	if n < 1 {
		return 0
	}
	for i, d := range c.Reminders { // ascending
		if n <= d {
			return i + 1
		}
	}
	return 0
}

// edition says whether a volume's edition is announced: to all, to readers
// who opted in, or not at all.
func (c *Notifier) edition(e store.Edition) (ok, optIn bool) {
	if e == store.First || e == "" {
		return true, false
	}
	if slices.Contains(c.OptIn, e) {
		return true, true
	}
	return false, false
}

// candidate is an upcoming volume with at least one kind open today.
type candidate struct {
	idx   int32
	open  []uint8 // kinds open for it today
	optIn bool
}

// plan works out what is due at now. Its reads are one UpcomingVolumes, one
// FollowersOf per series with a volume that has something open today, and
// one AlertsOfVolume per such volume: they grow with the followed series and
// the upcoming volumes, never with readers times the catalogue.
func (c *Notifier) plan(ctx context.Context, runID string, now time.Time) (*plan, error) {
	today := store.DateOf(now)
	vols, err := c.store.UpcomingVolumes(ctx, today)
	if err != nil {
		return nil, fmt.Errorf("upcoming volumes: %w", err)
	}
	p := &plan{
		today:    today,
		vols:     vols,
		kinds:    []store.AlertKind{store.Announce},
		index:    make(map[string]int32),
		takeAt:   make(map[store.AlertKey]time.Time),
		owned:    make(map[store.AlertKey]bool),
		prevDate: make(map[store.AlertKey]store.Date),
	}
	for _, d := range c.Reminders {
		p.kinds = append(p.kinds, store.Reminder(d))
	}

	announceSince := now.Add(-c.AnnounceWithin)
	bySeries := make(map[string][]candidate)
	var series []string
	for i := range vols {
		v := &vols[i]
		ok, optIn := c.edition(v.Edition)
		if !ok {
			continue
		}
		cd := candidate{idx: int32(i), optIn: optIn}
		if (v.ReleaseDate.IsZero() || today.Before(v.ReleaseDate)) && !v.FirstSeen.Before(announceSince) {
			cd.open = append(cd.open, 0)
		}
		if !v.ReleaseDate.IsZero() {
			if w := c.window(today.DaysUntil(v.ReleaseDate)); w > 0 {
				cd.open = append(cd.open, uint8(w))
			}
		}
		if len(cd.open) == 0 {
			continue
		}
		if _, seen := bySeries[v.SeriesID]; !seen {
			series = append(series, v.SeriesID)
		}
		bySeries[v.SeriesID] = append(bySeries[v.SeriesID], cd)
	}
	slices.Sort(series)

	var mu sync.Mutex
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(c.ReadConcurrency)
	results := make([]seriesDues, len(series))
	for si, sid := range series {
		g.Go(func() error {
			follows, err := c.store.FollowersOf(gctx, sid)
			if err != nil {
				return fmt.Errorf("followers of %s: %w", sid, err)
			}
			if len(follows) == 0 {
				mu.Lock()
				p.seriesRead++
				mu.Unlock()
				return nil
			}
			// The contract orders followers and alerts by subscriber: the
			// join below walks both at once. Sort anyway if a store did not.
			bySub := func(a, b store.Follow) int { return strings.Compare(a.SubscriberID, b.SubscriberID) }
			if !slices.IsSortedFunc(follows, bySub) {
				slices.SortFunc(follows, bySub)
			}
			cands := bySeries[sid]
			// At most one due per follower and volume (kinds fold into it).
			res := seriesDues{ids: make([]string, len(follows)), dues: make([]due, len(follows)*len(cands)), cands: len(cands)}
			for fi := range follows {
				res.ids[fi] = follows[fi].SubscriberID
			}
			alertsRead := 0
			for ci, cd := range cands {
				v := &vols[cd.idx]
				alerts, err := c.store.AlertsOfVolume(gctx, v.ID)
				if err != nil {
					return fmt.Errorf("alerts of %s: %w", v.ID, err)
				}
				alertsRead += len(alerts)
				c.dueOfVolume(p, runID, cd, follows, alerts, res.dues[ci*len(follows):(ci+1)*len(follows)], &res.side)
			}
			mu.Lock()
			defer mu.Unlock()
			p.seriesRead++
			p.volumesRead += len(cands)
			p.followsRead += len(follows)
			p.alertsRead += alertsRead
			results[si] = res
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	p.gather(results)
	return p, nil
}

// seriesDues is what one series adds to the plan: a due (or noKind) per
// follower and candidate volume, volume-major.
type seriesDues struct {
	ids   []string
	dues  []due
	cands int
	side  volumeDues
}

// gather files the dues by reader, each reader's slice allocated once at
// its size: a first pass counts, a second fills.
func (p *plan) gather(results []seriesDues) {
	pos := make([][]int32, len(results))
	var count []int32
	for si := range results {
		res := &results[si]
		res.side.mergeInto(p)
		nf := len(res.ids)
		pos[si] = make([]int32, nf)
		for fi, id := range res.ids {
			n := int32(0)
			for ci := range res.cands {
				if res.dues[ci*nf+fi].kind != noKind {
					n++
				}
			}
			if n == 0 {
				pos[si][fi] = -1
				continue
			}
			r, ok := p.index[id]
			if !ok {
				r = int32(len(p.subs))
				p.index[id] = r
				p.subs = append(p.subs, id)
				count = append(count, 0)
			}
			pos[si][fi] = r
			count[r] += n
		}
	}
	p.dues = make([][]due, len(p.subs))
	for r, n := range count {
		p.dues[r] = make([]due, 0, n)
	}
	for si := range results {
		res := &results[si]
		nf := len(res.ids)
		for fi, r := range pos[si] {
			if r < 0 {
				continue
			}
			for ci := range res.cands {
				if d := res.dues[ci*nf+fi]; d.kind != noKind {
					p.dues[r] = append(p.dues[r], d)
				}
			}
		}
		results[si] = seriesDues{} // let it go
	}
}

// noKind marks "nothing due" in a due.
const noKind = 255

// volumeDues is what a series adds to the plan's side tables.
type volumeDues struct {
	takeAt   map[store.AlertKey]time.Time
	owned    map[store.AlertKey]bool
	prevDate map[store.AlertKey]store.Date
}

func (l *volumeDues) mergeInto(p *plan) {
	for k, t := range l.takeAt {
		p.takeAt[k] = t
	}
	for k := range l.owned {
		p.owned[k] = true
	}
	for k, d := range l.prevDate {
		p.prevDate[k] = d
	}
}

// dueOfVolume applies the rules to the followers of one volume's series,
// given the alerts the volume already has (both ordered by subscriber),
// writing one due (or noKind) per follower into out.
func (c *Notifier) dueOfVolume(p *plan, runID string, cd candidate, follows []store.Follow, alerts []store.Alert, out []due, side *volumeDues) {
	v := &p.vols[cd.idx]
	if !slices.IsSortedFunc(alerts, func(a, b store.Alert) int { return strings.Compare(a.SubscriberID, b.SubscriberID) }) {
		alerts = slices.Clone(alerts)
		slices.SortStableFunc(alerts, func(a, b store.Alert) int { return strings.Compare(a.SubscriberID, b.SubscriberID) })
	}
	j := 0
	for fi, f := range follows {
		out[fi] = due{kind: noKind}
		var open [8]uint8  // claim mode per open kind
		var isOpen [8]bool // still due to this reader
		any := false
		for _, k := range cd.open {
			if k == 0 && v.FirstSeen.Before(f.CreatedAt) {
				continue // back catalogue: seen before the reader followed
			}
			isOpen[k] = true
			open[k] = claimNew
			any = true
		}
		for j < len(alerts) && alerts[j].SubscriberID < f.SubscriberID {
			j++
		}
		var prev store.Date
		var prevAt time.Time
		for ; j < len(alerts) && alerts[j].SubscriberID == f.SubscriberID; j++ {
			a := &alerts[j]
			if a.State == store.Sent && !a.ReleaseDate.IsZero() && a.UpdatedAt.After(prevAt) {
				prev, prevAt = a.ReleaseDate, a.UpdatedAt
			}
			ki := p.kindIndex(a.Kind)
			if ki < 0 || !isOpen[ki] {
				continue
			}
			switch {
			case a.State == store.Claimed && a.RunID == runID:
				open[ki] = claimOwned
				if side.owned == nil {
					side.owned = make(map[store.AlertKey]bool)
				}
				side.owned[a.AlertKey] = true
			case a.State == store.Claimed && isReleased(a.RunID):
				open[ki] = claimTake
				if side.takeAt == nil {
					side.takeAt = make(map[store.AlertKey]time.Time)
				}
				side.takeAt[a.AlertKey] = a.ClaimedAt
			default:
				isOpen[ki] = false // sent, failed, uncertain, or in another run's hands
			}
		}
		if !any {
			continue
		}
		// The announce goes first; a reminder due with it is settled by the
		// same message.
		found := false
		for _, k := range cd.open {
			if !isOpen[k] {
				continue
			}
			if !found {
				out[fi] = due{vol: cd.idx, kind: k, claim: open[k], optIn: cd.optIn}
				found = true
				continue
			}
			out[fi].covers |= 1 << k
		}
		if found && !prev.IsZero() && prev != v.ReleaseDate {
			if side.prevDate == nil {
				side.prevDate = make(map[store.AlertKey]store.Date)
			}
			side.prevDate[store.AlertKey{SubscriberID: f.SubscriberID, VolumeID: v.ID}] = prev
		}
	}
}

// mode is how the claim of a covered kind is taken.
func (p *plan) mode(k store.AlertKey) uint8 {
	if p.owned[k] {
		return claimOwned
	}
	if _, ok := p.takeAt[k]; ok {
		return claimTake
	}
	return claimNew
}

// kindIndex returns the index of k in kinds, or -1: a few short strings,
// faster to scan than to hash.
func (p *plan) kindIndex(k store.AlertKind) int {
	for i, pk := range p.kinds {
		if pk == k {
			return i
		}
	}
	return -1
}
