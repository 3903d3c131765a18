package ecshost

import (
	"context"
	"fmt"

	"github.com/manga-alert-italia/mangaalert/change"
	"github.com/manga-alert-italia/mangaalert/internal/engine"
)

// Plan says what Ensure would do with spec: every resource of the host
// (Keep lines too), every IAM policy it would write, the monthly cost,
// and notes (the deployment setting chosen and why, the free tier). It
// reads AWS but never writes; with Options.Offline it reads nothing and
// shows every resource as created. A spec whose policies fail
// iampolicy.Check is refused, as Ensure refuses it, with an
// *iampolicy.FindingsError listing every finding.
func (h *Host) Plan(ctx context.Context, spec Spec) (*change.Plan, error) {
	if !h.o.Offline {
		if err := h.online(allClients...); err != nil {
			return nil, err
		}
	}
	r, err := h.prepare(ctx, spec)
	if err != nil {
		return nil, err
	}
	steps, err := r.steps(ctx)
	if err != nil {
		return nil, err
	}
	return &change.Plan{
		Component: component,
		Offline:   r.offline,
		Changes:   engine.Changes(steps),
		Policies:  r.policies,
		Cost:      estimate(r.spec, h.o.LogGBPerMonth),
		Notes:     r.notes(),
	}, nil
}

// notes are what a reader of the plan should know besides the changes.
func (r *run) notes() []string {
	notes := []string{"deployment " + r.st.Deployment.String(), FreeTierNote}
	if b, known := r.spec.budgetOn(r.spec.InstanceType); known {
		notes = append(notes, b.String(), r.spec.fitNote())
		if b.TasksAtOnce > 1 && !b.Fits() {
			notes = append(notes, fmt.Sprintf("WARNING: the %d scheduled tasks may run at once, and then their hard limits do not fit beside the service: "+
				"schedule them apart (e.g. scrape cron(0 0/6 * * ? *), notify cron(30 0/6 * * ? *)) or pick a bigger InstanceType", b.TasksAtOnce))
		}
	}
	notes = append(notes, r.spec.awsvpcNotes()...)
	if r.spec.ContainerInsights {
		notes = append(notes, "Container Insights is on: its metrics are billed per metric and not in the estimate")
	}
	return notes
}
