package notifier

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/manga-alert-italia/mangaalert/store"
)

// refPlanned is what the reference planner works out: per reader, their
// dues in the order the plan keeps them (series by id, then the series'
// volumes in catalogue order), and the plan's side tables and read counts.
type refPlanned struct {
	dues                                         map[string][]due
	takeAt                                       map[store.AlertKey]time.Time
	owned                                        map[store.AlertKey]bool
	prevDate                                     map[store.AlertKey]store.Date
	seriesRead, volumesRead, followsRead, alerts int
}

// refPlan is the planning rules written as plainly as they read: for every
// series with an open volume, for every follower, for every such volume,
// the follower's alerts of it are looked up one by one. No joins, no
// packing, no reuse: slow, and the yardstick the fast planner is held to
// (TestPlanMatchesReference).
func refPlan(ctx context.Context, c *Notifier, runID string, now time.Time) (*refPlanned, error) {
	today := store.DateOf(now)
	vols, err := c.store.UpcomingVolumes(ctx, today)
	if err != nil {
		return nil, err
	}
	kinds := []store.AlertKind{store.Announce}
	for _, d := range c.Reminders {
		kinds = append(kinds, store.Reminder(d))
	}
	moved := uint8(len(kinds))
	kinds = append(kinds, store.MovedBase)

	out := &refPlanned{dues: map[string][]due{}, takeAt: map[store.AlertKey]time.Time{},
		owned: map[store.AlertKey]bool{}, prevDate: map[store.AlertKey]store.Date{}}
	since := now.Add(-c.AnnounceWithin)
	bySeries := map[string][]candidate{}
	for i, v := range vols {
		ok, optIn := c.edition(v.Edition)
		if !ok {
			continue
		}
		cd := candidate{idx: int32(i), optIn: optIn, first: v.Edition == store.First || v.Edition == ""}
		if (v.ReleaseDate.IsZero() || today.Before(v.ReleaseDate)) && !v.FirstSeen.Before(since) {
			cd.open = append(cd.open, 0)
		}
		if !v.ReleaseDate.IsZero() {
			if w := c.window(today.DaysUntil(v.ReleaseDate)); w > 0 {
				cd.open = append(cd.open, uint8(w))
			}
		}
		cd.moved = !v.ReleaseDate.IsZero() && !v.LastChanged().Before(since)
		if len(cd.open) > 0 || cd.moved {
			bySeries[v.SeriesID] = append(bySeries[v.SeriesID], cd)
		}
	}
	series := make([]string, 0, len(bySeries))
	for s := range bySeries {
		series = append(series, s)
	}
	slices.Sort(series)

	kindOf := func(k store.AlertKind) int { return slices.Index(kinds, k) }
	for _, sid := range series {
		follows, err := c.store.FollowersOf(ctx, sid)
		if err != nil {
			return nil, err
		}
		out.seriesRead++
		if len(follows) == 0 {
			continue
		}
		follows = slices.Clone(follows)
		slices.SortFunc(follows, func(a, b store.Follow) int { return strings.Compare(a.SubscriberID, b.SubscriberID) })
		out.followsRead += len(follows)
		cands := bySeries[sid]
		out.volumesRead += len(cands)
		alertsOf := make([][]store.Alert, len(cands))
		for ci, cd := range cands {
			if alertsOf[ci], err = c.store.AlertsOfVolume(ctx, vols[cd.idx].ID); err != nil {
				return nil, err
			}
			out.alerts += len(alertsOf[ci])
		}
		for _, f := range follows {
			for ci, cd := range cands {
				v := vols[cd.idx]
				if cd.first && f.OwnsVolume(v) {
					continue
				}
				var open [8]uint8
				var isOpen [8]bool
				var dated uint8
				for _, k := range cd.open {
					if k == 0 && v.FirstSeen.Before(f.CreatedAt) {
						continue
					}
					if f.Reminders.Wants(kinds[k]) {
						isOpen[k], open[k] = true, claimNew
					}
				}
				if cd.moved {
					isOpen[moved], open[moved] = true, claimNew
				}
				var prev store.Date
				var prevAt time.Time
				for _, a := range alertsOf[ci] {
					if a.SubscriberID != f.SubscriberID {
						continue
					}
					if a.State == store.Sent && !a.ReleaseDate.IsZero() && a.UpdatedAt.After(prevAt) {
						prev, prevAt = a.ReleaseDate, a.UpdatedAt
					}
					ki := -1
					if to, ok := a.Kind.MovedTo(); ok {
						if to == v.ReleaseDate {
							ki = int(moved)
						}
					} else {
						ki = kindOf(a.Kind.Base())
						if ki > 0 && !a.ReleaseDate.IsZero() && a.ReleaseDate != v.ReleaseDate {
							if a.Kind.Base() == a.Kind {
								dated |= 1 << ki
							}
							ki = -1
						}
					}
					if ki < 0 || !isOpen[ki] {
						continue
					}
					switch {
					case a.State == store.Claimed && a.RunID == runID:
						open[ki] = claimOwned
						out.owned[a.AlertKey] = true
					case a.State == store.Claimed && isReleased(a.RunID):
						open[ki] = claimTake
						out.takeAt[a.AlertKey] = a.ClaimedAt
					default:
						isOpen[ki] = false
					}
				}
				isOpen[moved] = isOpen[moved] && !prev.IsZero() && prev != v.ReleaseDate
				d := due{kind: noKind}
				for k := range kinds {
					if !isOpen[k] {
						continue
					}
					if d.kind == noKind {
						d = due{vol: cd.idx, kind: uint8(k), claim: open[k], dated: dated}
						if cd.optIn {
							d.flags |= flagOptIn
						}
						if !f.Reminders.Chosen() {
							d.flags |= flagInherit
						}
						continue
					}
					d.covers |= 1 << k
				}
				if d.kind == noKind {
					continue
				}
				out.dues[f.SubscriberID] = append(out.dues[f.SubscriberID], d)
				if !prev.IsZero() && prev != v.ReleaseDate {
					out.prevDate[store.AlertKey{SubscriberID: f.SubscriberID, VolumeID: v.ID}] = prev
				}
			}
		}
	}
	return out, nil
}
