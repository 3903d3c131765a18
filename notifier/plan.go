package notifier

import (
	"context"
	"fmt"
	"math/bits"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
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
	flags  uint8 // flagOptIn, flagInherit
	covers uint8 // bit i: kinds[i] is due too and this message settles it (its claim mode: plan.mode)
	// dated bit i: the reminder kinds[i] went out for an earlier release
	// date, and is due again under its re-dated kind (store.RemindFor).
	dated uint8
}

// The flags of a due.
const (
	flagOptIn   uint8 = 1 << iota // only for readers who opted in (variant editions)
	flagInherit                   // the follow chose no reminders: the reader's choice applies at send time
)

// plan is what is due in one run, per reader.
type plan struct {
	today store.Date
	vols  []store.Volume
	kinds []store.AlertKind // kinds[0] is Announce, then the reminders, ascending, then store.MovedBase
	moved uint8             // the index of store.MovedBase in kinds
	bits  []store.Remind    // kinds[i].RemindBits(), for the reminders chosen
	// want[r] has bit i set when a follow whose Reminders are r wants
	// kinds[i]: one look-up per follow instead of one per kind and volume.
	want [256]uint8
	// subs are the readers with something due (in no useful order: run
	// sorts them). A reader's dues stay where their series put them
	// (series[i].cells), found through refs[refEnd[r-1]:refEnd[r]]:
	// filing millions of them by reader would hold them twice at the peak.
	subs []string
	// names are the readers' ids by number, when the store numbers
	// them (NumberedFollowers); nil otherwise.
	names  *readerNames
	series []seriesDues
	refs   []dueRef
	refEnd []int32
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
	return store.AlertKey{SubscriberID: sub, VolumeID: p.vols[d.vol].ID, Kind: p.kindAt(d, d.kind)}
}

// kindAt is the stored kind of kinds[i] for d's volume: the moved-date
// notice carries the new date, and a re-due reminder the date it is for.
func (p *plan) kindAt(d due, i uint8) store.AlertKind {
	v := &p.vols[d.vol]
	if i == p.moved {
		return store.Moved(v.ReleaseDate)
	}
	if d.dated&(1<<i) != 0 {
		days, _ := p.kinds[i].ReminderDays()
		return store.RemindFor(days, v.ReleaseDate)
	}
	return p.kinds[i]
}

// dueItems counts the alerts in the plan (covered kinds included).
func (p *plan) dueItems() int {
	n := 0
	for si := range p.series {
		for _, e := range p.series[si].cells {
			if e.kc != 0 {
				n += 1 + popcount(e.covers)
			}
		}
	}
	return n
}

// dueRef is where one of a reader's series keeps their dues: the
// follower series[series].dueF[follower].
type dueRef struct{ series, follower int32 }

// duesOf returns reader r's dues, series by series, volume by volume.
func (p *plan) duesOf(r int32) []due {
	start := int32(0)
	if r > 0 {
		start = p.refEnd[r-1]
	}
	var out []due
	for _, ref := range p.refs[start:p.refEnd[r]] {
		res := &p.series[ref.series]
		row := int(res.dueF[ref.follower]) * len(res.vols)
		for ci, vol := range res.vols {
			if e := res.cells[row+ci]; e.kc != 0 {
				out = append(out, e.due(vol))
			}
		}
	}
	return out
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
	mask  uint8   // the same kinds, bit i for kinds[i]
	optIn bool
	first bool // a first edition: the one a collection owns by number
	// moved: the release date changed lately (ChangedAt within
	// AnnounceWithin): followers told the old date may be due a notice.
	moved bool
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
		takeAt:   make(map[store.AlertKey]time.Time),
		owned:    make(map[store.AlertKey]bool),
		prevDate: make(map[store.AlertKey]store.Date),
	}
	for _, d := range c.Reminders {
		p.kinds = append(p.kinds, store.Reminder(d))
	}
	p.moved = uint8(len(p.kinds))
	p.kinds = append(p.kinds, store.MovedBase)
	for _, k := range p.kinds {
		p.bits = append(p.bits, k.RemindBits())
	}
	if _, ok := c.store.(NumberedFollowers); ok {
		p.names = new(readerNames)
	}
	for r := range p.want {
		for i, b := range p.bits {
			if store.Remind(r).WantsBits(b) {
				p.want[r] |= 1 << i
			}
		}
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
		cd := candidate{idx: int32(i), optIn: optIn, first: v.Edition == store.First || v.Edition == ""}
		if (v.ReleaseDate.IsZero() || today.Before(v.ReleaseDate)) && !v.FirstSeen.Before(announceSince) {
			cd.open = append(cd.open, 0)
		}
		if !v.ReleaseDate.IsZero() {
			if w := c.window(today.DaysUntil(v.ReleaseDate)); w > 0 {
				cd.open = append(cd.open, uint8(w))
			}
		}
		for _, k := range cd.open {
			cd.mask |= 1 << k
		}
		// A volume created or changed lately may have moved its date: its
		// followers' alerts tell (the old date is in them). Older changes
		// are not looked for, as old announcements are not.
		if !v.ReleaseDate.IsZero() && !v.LastChanged().Before(announceSince) {
			cd.moved = true
		}
		if len(cd.open) == 0 && !cd.moved {
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
	results := make([]seriesDues, len(series))
	// ReadConcurrency workers take the series in turn, each with one
	// readBuf for the whole plan: a goroutine per series woke and parked
	// a thousand times a plan.
	var next atomic.Int64
	for range min(c.ReadConcurrency, len(series)) {
		buf := new(readBuf)
		g.Go(func() error {
			for {
				si := int(next.Add(1) - 1)
				if si >= len(series) {
					return nil
				}
				sid := series[si]
				follows, res, alertsRead, err := c.dueOfSeries(gctx, p, runID, sid, bySeries[sid], buf)
				if err != nil {
					return err
				}
				mu.Lock()
				p.seriesRead++
				if len(follows) > 0 {
					p.volumesRead += len(res.vols)
					p.followsRead += len(follows)
					p.alertsRead += alertsRead
					results[si] = res
				}
				mu.Unlock()
			}
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	p.gather(results)
	return p, nil
}

// Planning 100,000 readers x 10 follows over 5,000 volumes
// (BenchmarkPlan, cpu-s/op on the embedded store) takes 0.40-0.44 s of
// CPU with one reader, 0.42-0.44 s with eight, where it took 0.59-0.61 s
// and 0.56-0.58 s before the reader numbers (measured side by side, idle
// 2-CPU machine); peak heap 50-67 MB (was 95-106). What is left: the two
// store reads, a third each (bbolt's cursor over the mmapped pages and
// the decoding), dueOfFollowers a sixth, and the kernel faulting in the
// pages of what the plan keeps (sys-s/op).

// seriesDues is what one series adds to the plan: a cell per follower and
// candidate volume, follower-major, the candidates' indexes in plan.vols,
// and the followers with something due, by id, for gather.
type seriesDues struct {
	cells []cell
	vols  []int32
	// dueF are the followers with something due, ascending (so by id),
	// and ids their ids, follower i's at ids[idEnd[i-1]:idEnd[i]]: one
	// string for the series, not one per reader. When the store numbers
	// the readers, nums are their numbers instead (and ids is empty).
	dueF  []int32
	ids   string
	idEnd []int32
	nums  []uint32
	side  volumeDues
}

// id is the id of dueF[i].
func (s *seriesDues) id(i int) string {
	start := int32(0)
	if i > 0 {
		start = s.idEnd[i-1]
	}
	return s.ids[start:s.idEnd[i]]
}

// cell is a due packed in three bytes, without its volume (the series'
// candidate says it): a plan holds one per follow and candidate volume,
// five million in the benchmark. The zero cell is "nothing due".
type cell struct {
	kc     uint8 // kind+1 (bits 0-3, 0: nothing due), claim (4-5), flags (6-7)
	covers uint8
	dated  uint8
}

func packCell(kind, claim, flags, covers, dated uint8) cell {
	return cell{kc: (kind + 1) | claim<<4 | flags<<6, covers: covers, dated: dated}
}

func (e cell) due(vol int32) due {
	return due{vol: vol, kind: e.kc&15 - 1, claim: e.kc >> 4 & 3, flags: e.kc >> 6, covers: e.covers, dated: e.dated}
}

// gather files the series' due followers by reader: the readers (subs)
// and their refs, in series order (fileByNumber when the store numbers
// the readers, fileByReader otherwise); and merges the series' side
// tables.
func (p *plan) gather(results []seriesDues) {
	for si := range results {
		res := &results[si]
		res.side.mergeInto(p)
		res.side = volumeDues{}
	}
	if p.names != nil {
		p.subs, p.refs, p.refEnd = fileByNumber(results, p.names.names)
		p.names = nil
	} else {
		p.subs, p.refs, p.refEnd = fileByReader(results, idHash())
	}
	for si := range results {
		res := &results[si]
		res.ids, res.idEnd, res.nums = "", nil, nil
	}
	p.series = results
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

// dueOfSeries reads a series' followers and the alerts of its candidate
// volumes, and works out a cell per follower and volume. The follows are
// buf's until the worker's next series.
func (c *Notifier) dueOfSeries(ctx context.Context, p *plan, runID, sid string, cands []candidate, buf *readBuf) ([]store.Follow, seriesDues, int, error) {
	var follows []store.Follow
	var nums []uint32 // the followers' reader numbers, when the store numbers them
	var err error
	if p.names != nil { // the store numbers its readers
		follows, nums, err = followersNumbered(ctx, c.store.(NumberedFollowers), sid, buf)
	} else {
		follows, err = c.followersOf(ctx, sid, buf)
	}
	if err != nil {
		return nil, seriesDues{}, 0, fmt.Errorf("followers of %s: %w", sid, err)
	}
	if len(follows) == 0 {
		return nil, seriesDues{}, 0, nil
	}
	// The contract orders followers and alerts by subscriber: the join
	// below walks both at once. Sort anyway if a store did not
	// (followersNumbered has).
	bySub := func(a, b store.Follow) int { return strings.Compare(a.SubscriberID, b.SubscriberID) }
	if !slices.IsSortedFunc(follows, bySub) {
		slices.SortFunc(follows, bySub)
	}
	nf := len(follows)
	res := seriesDues{cells: make([]cell, nf*len(cands)), vols: make([]int32, len(cands))}
	// What a follow wants, once for all the series' volumes.
	want := slices.Grow(buf.want[:0], nf)[:nf]
	buf.want = want
	for fi := range follows {
		want[fi] = p.want[follows[fi].Reminders]
	}
	// The followers' ids, for the alerts' briefs to share.
	known := slices.Grow(buf.known[:0], nf)[:nf]
	buf.known = known
	for fi := range follows {
		known[fi] = follows[fi].SubscriberID
	}
	// Every candidate's alerts at once, for one walk over the followers.
	for len(buf.alerts) < len(cands) {
		buf.alerts = append(buf.alerts, nil)
	}
	alerts := make([][]store.AlertBrief, len(cands))
	alertsRead := 0
	bySubA := func(a, b store.AlertBrief) int { return strings.Compare(a.SubscriberID, b.SubscriberID) }
	for ci, cd := range cands {
		res.vols[ci] = cd.idx
		v := &p.vols[cd.idx]
		as, err := c.alertBriefsOfVolume(ctx, v.ID, known, &buf.alerts[ci], &buf.raw)
		if err != nil {
			return nil, seriesDues{}, 0, fmt.Errorf("alerts of %s: %w", v.ID, err)
		}
		alertsRead += len(as)
		if !slices.IsSortedFunc(as, bySubA) {
			as = slices.Clone(as)
			slices.SortStableFunc(as, bySubA)
		}
		alerts[ci] = as
	}
	due := slices.Grow(buf.due[:0], nf)[:nf]
	buf.due = due
	p.dueOfFollowers(runID, cands, follows, want, alerts, res.cells, due, &res.side)
	// The followers with something due; for gather, their readers'
	// numbers when the store numbers them (and their ids, once a reader,
	// for the plan's names), else their ids.
	n := 0
	for _, d := range due {
		if d {
			n++
		}
	}
	res.dueF = make([]int32, 0, n)
	for fi, d := range due {
		if d {
			res.dueF = append(res.dueF, int32(fi))
		}
	}
	if nums != nil {
		res.nums = make([]uint32, n)
		for i, fi := range res.dueF {
			res.nums[i] = nums[fi]
		}
		p.names.add(follows, nums, res.dueF)
		return follows, res, alertsRead, nil
	}
	size := 0
	for _, fi := range res.dueF {
		size += len(follows[fi].SubscriberID)
	}
	res.idEnd = make([]int32, n)
	var ids strings.Builder
	ids.Grow(size)
	for i, fi := range res.dueF {
		ids.WriteString(follows[fi].SubscriberID)
		res.idEnd[i] = int32(ids.Len())
	}
	res.ids = ids.String()
	return follows, res, alertsRead, nil
}

// dueOfFollowers applies the rules to a series' followers and candidate
// volumes, given the alerts each volume already has (followers and alerts
// ordered by subscriber), one follower at a time over all the volumes:
// cells[fi*len(cands)+ci] is follower fi's due of cands[ci] (zero:
// nothing), due[fi] whether any is. A follower with no alert of a volume,
// the most of them, is due the kinds open and wanted; the others go
// through dueWithAlerts.
func (p *plan) dueOfFollowers(runID string, cands []candidate, follows []store.Follow, want []uint8, alerts [][]store.AlertBrief, cells []cell, due []bool, side *volumeDues) {
	nc := len(cands)
	// What the walk needs of each volume, side by side.
	type walk struct {
		cd   *candidate
		v    *store.Volume
		as   []store.AlertBrief
		next int   // the first alert not yet passed
		fl   uint8 // flagOptIn or 0
	}
	ws := make([]walk, nc)
	for ci := range cands {
		ws[ci] = walk{cd: &cands[ci], v: &p.vols[cands[ci].idx], as: alerts[ci]}
		if cands[ci].optIn {
			ws[ci].fl = flagOptIn
		}
	}
	for fi := range follows {
		f := &follows[fi]
		w := want[fi]
		flags := uint8(0)
		if !f.Reminders.Chosen() {
			flags |= flagInherit
		}
		ownsAny := f.OwnedUpTo > 0 || len(f.Owned) > 0
		row := cells[fi*nc : fi*nc+nc]
		any := false
		for ci := range ws {
			vw := &ws[ci]
			cd, v := vw.cd, vw.v
			if cd.first && ownsAny && owns(f, v.Number) { // f.OwnsVolume, without copying v
				continue // the reader has it: nothing to tell
			}
			as, j := vw.as, vw.next
			for j < len(as) && as[j].SubscriberID < f.SubscriberID {
				j++
			}
			end := j
			for end < len(as) && as[end].SubscriberID == f.SubscriberID {
				end++
			}
			vw.next = end
			var e cell
			if end > j {
				e = p.dueWithAlerts(runID, cd, v, f, w, flags|vw.fl, as[j:end], side)
			} else {
				open := cd.mask & w
				if open&1 != 0 && v.FirstSeen.Before(f.CreatedAt) {
					open &^= 1 // back catalogue: seen before the reader followed
				}
				if open == 0 {
					continue
				}
				// The announce goes first; a reminder due with it is
				// settled by the same message.
				k := uint8(bits.TrailingZeros8(open))
				e = packCell(k, claimNew, flags|vw.fl, open&^(1<<k), 0)
			}
			if e.kc != 0 {
				row[ci] = e
				any = true
			}
		}
		due[fi] = any
	}
}

// owns is store.Follow.Owns on a pointer: Owns takes the follow by value,
// a copy of it per follow and volume, five million a plan.
// TestPlanMatchesReference holds the two to the same answers.
func owns(f *store.Follow, n int) bool {
	if f.OwnedUpTo > 0 && n <= f.OwnedUpTo {
		return true
	}
	if len(f.Owned) == 0 {
		return false
	}
	_, ok := slices.BinarySearch(f.Owned, n)
	return ok
}

// dueWithAlerts is the cell of a follower f who has alerts of v already
// (alerts, in the store's order): they settle kinds, hand over claims, and
// tell the date an earlier alert gave.
func (p *plan) dueWithAlerts(runID string, cd *candidate, v *store.Volume, f *store.Follow, want, flags uint8, alerts []store.AlertBrief, side *volumeDues) cell {
	var claim [8]uint8     // claim mode per open kind (claimNew until an alert says)
	open := cd.mask & want // kinds still due to this reader
	if open&1 != 0 && v.FirstSeen.Before(f.CreatedAt) {
		open &^= 1 // back catalogue: seen before the reader followed
	}
	if cd.moved {
		open |= 1 << p.moved // until the alerts below say otherwise
	}
	var dated uint8 // reminders sent for an earlier date
	var prev store.Date
	var prevAt time.Time
	for i := range alerts {
		a := &alerts[i]
		if a.State == store.Sent && !a.ReleaseDate.IsZero() && a.At.After(prevAt) { // At: UpdatedAt
			prev, prevAt = a.ReleaseDate, a.At
		}
		ki := p.alertIndex(v, a, &dated)
		if ki < 0 || open&(1<<ki) == 0 {
			continue
		}
		switch {
		case a.State == store.Claimed && a.RunID == runID:
			claim[ki] = claimOwned
			if side.owned == nil {
				side.owned = make(map[store.AlertKey]bool)
			}
			side.owned[store.AlertKey{SubscriberID: a.SubscriberID, VolumeID: v.ID, Kind: a.Kind}] = true
		case a.State == store.Claimed && isReleased(a.RunID):
			claim[ki] = claimTake
			if side.takeAt == nil {
				side.takeAt = make(map[store.AlertKey]time.Time)
			}
			side.takeAt[store.AlertKey{SubscriberID: a.SubscriberID, VolumeID: v.ID, Kind: a.Kind}] = a.At // ClaimedAt
		default:
			open &^= 1 << ki // sent, failed, uncertain, or in another run's hands
		}
	}
	// The moved-date notice is due when the latest alert sent gave
	// another date than the volume has now, and none told the new one.
	told := !prev.IsZero() && prev != v.ReleaseDate
	if !told {
		open &^= 1 << p.moved
	}
	if open == 0 {
		return cell{}
	}
	if told {
		if side.prevDate == nil {
			side.prevDate = make(map[store.AlertKey]store.Date)
		}
		side.prevDate[store.AlertKey{SubscriberID: f.SubscriberID, VolumeID: v.ID}] = prev
	}
	// The announce goes first; a reminder due with it is settled by the
	// same message.
	k := uint8(bits.TrailingZeros8(open))
	return packCell(k, claim[k], flags, open&^(1<<k), dated)
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

// alertIndex returns the index in kinds of what alert a settles for volume
// v as it is now, or -1. A moved-date notice settles only the notice of
// v's current date; a reminder sent for another date than v's settles
// nothing, and when it is the plain kind, the reminder is due again under
// its re-dated kind (bit set in dated). Alerts stored before ReleaseDate
// was kept (zero) settle as before.
func (p *plan) alertIndex(v *store.Volume, a *store.AlertBrief, dated *uint8) int {
	if a.Kind == store.Announce { // the most alerts: what the rest says of it
		return 0
	}
	if to, ok := a.Kind.MovedTo(); ok {
		if to == v.ReleaseDate {
			return int(p.moved)
		}
		return -1
	}
	base := a.Kind.Base()
	ki := p.kindIndex(base)
	if ki <= 0 || a.ReleaseDate.IsZero() || a.ReleaseDate == v.ReleaseDate {
		return ki
	}
	if base == a.Kind {
		*dated |= 1 << ki
	}
	return -1
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

// chosen narrows d to the kinds the reader's choice r wants (their follow
// of the series chose none of its own): the first wanted kind becomes the
// message's, the others stay covered. The kinds left out are not claimed:
// they stay due while their window lasts, and go out if the reader wants
// them again in time. ok false: nothing of d is wanted.
func (c *Notifier) chosen(p *plan, sub string, d due, r store.Remind) (due, bool) {
	all := d.covers | 1<<d.kind
	var keep uint8
	for i := range p.kinds {
		if all&(1<<i) != 0 && r.WantsBits(p.bits[i]) {
			keep |= 1 << i
		}
	}
	if keep == 0 {
		return d, false
	}
	if keep&(1<<d.kind) != 0 {
		d.covers &= keep
		return d, true
	}
	for i := range p.kinds {
		if keep&(1<<i) != 0 {
			d.kind = uint8(i)
			d.covers = keep &^ (1 << i)
			break
		}
	}
	d.claim = p.mode(p.key(sub, d))
	return d, true
}

// Appender is a Store that appends its reads to the caller's slice
// (store/bolt): the plan reuses one slice per worker instead of
// allocating a million follows and alerts a run. Optional: other stores
// are read with FollowersOf and AlertsOfVolume.
type Appender interface {
	FollowersOfAppend(ctx context.Context, seriesID string, dst []store.Follow) ([]store.Follow, error)
	AlertsOfVolumeAppend(ctx context.Context, volumeID string, dst []store.Alert) ([]store.Alert, error)
}

// readBuf is one worker's slices, kept between series.
type readBuf struct {
	follows []store.Follow
	alerts  [][]store.AlertBrief // per candidate volume of the series
	raw     []store.Alert        // a volume's alerts from a store that answers no briefs
	nums    []uint32             // per follow of the series: its reader's number (NumberedFollowers)
	known   []string             // per follow of the series: its subscriber id, for the briefs
	want    []uint8              // per follow of the series: plan.want of its Reminders
	due     []bool               // per follow of the series: something is due
}

// followersOf reads a series' follows into buf when the store appends:
// the result lives until the worker's next series.
func (c *Notifier) followersOf(ctx context.Context, seriesID string, buf *readBuf) ([]store.Follow, error) {
	a, ok := c.store.(Appender)
	if !ok {
		return c.store.FollowersOf(ctx, seriesID)
	}
	return reuse(&buf.follows, func(dst []store.Follow) ([]store.Follow, error) {
		return a.FollowersOfAppend(ctx, seriesID, dst)
	})
}

// alertsOfVolume is followersOf for a volume's alerts.
func (c *Notifier) alertsOfVolume(ctx context.Context, volumeID string, buf *[]store.Alert) ([]store.Alert, error) {
	a, ok := c.store.(Appender)
	if !ok {
		return c.store.AlertsOfVolume(ctx, volumeID)
	}
	return reuse(buf, func(dst []store.Alert) ([]store.Alert, error) {
		return a.AlertsOfVolumeAppend(ctx, volumeID, dst)
	})
}

// reuse reads into *buf's array (read appends to the empty slice it is
// given), then clears what is left past the new end of the last read:
// its strings go, while what the new read wrote over is not cleared
// first (clearing the whole buffers before each read cleared some 280 MB
// of follows and alerts per plan in BenchmarkPlan, write barriers and
// all).
func reuse[T any](buf *[]T, read func([]T) ([]T, error)) ([]T, error) {
	old := *buf
	out, err := read(old[:0])
	if len(out) < len(old) {
		clear(old[len(out):])
	}
	*buf = out
	return out, err
}
