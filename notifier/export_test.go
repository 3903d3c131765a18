package notifier

import "context"

// PlanStats is what a plan holds, for the benchmark.
type PlanStats struct {
	Readers, Alerts                      int
	Series, Volumes, Follows, AlertsRead int
}

// Plan works out what is due now without sending: the benchmark's step.
func (n *Notifier) Plan(ctx context.Context) (PlanStats, error) {
	c, err := n.config()
	if err != nil {
		return PlanStats{}, err
	}
	p, err := c.plan(ctx, "bench", c.Clock.Now())
	if err != nil {
		return PlanStats{}, err
	}
	return PlanStats{Readers: len(p.subs), Alerts: p.dueItems(), Series: p.seriesRead,
		Volumes: p.volumesRead, Follows: p.followsRead, AlertsRead: p.alertsRead}, nil
}
