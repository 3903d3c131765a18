package ecshost

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/manga-alert-italia/mangaalert/cost"
	"github.com/manga-alert-italia/mangaalert/iampolicy"
)

// Plan is what Ensure would do, without doing it.
type Plan struct {
	Stack string
	// Offline is true when nothing was looked up (a Host without clients):
	// every resource shows as created, and unknown IDs as placeholders.
	Offline bool
	Actions []Action
	// Deployment is the chosen rolling-deployment setting, and why.
	Deployment Deployment
	// Policies are every IAM policy Ensure would write, by role name
	// (trust policies as "<role> (trust)").
	Policies map[string]iampolicy.Document
	// Findings of the least-privilege check over Policies; Ensure refuses
	// to run while there are any.
	Findings []iampolicy.Finding
	Cost     cost.Estimate
	Notes    []string
}

// Changes counts the actions that are not a Keep.
func (p *Plan) Changes() int {
	n := 0
	for _, a := range p.Actions {
		if a.Op != Keep {
			n++
		}
	}
	return n
}

// Plan says what Ensure would do with spec. It reads AWS but never writes.
// A Host without clients (New(Clients{})) plans offline, needing no
// account or credentials: give WithAccount and WithRegion for real ARNs in
// the policies.
func (h *Host) Plan(ctx context.Context, spec Spec) (*Plan, error) {
	offline := !h.c.online()
	r, err := h.start(ctx, spec, false, offline)
	if err != nil {
		return nil, err
	}
	p := &Plan{
		Stack:      r.n.stack,
		Offline:    offline,
		Deployment: r.spec.deployment(),
		Findings:   r.findings(),
		Cost:       estimate(r.spec, h.logGB()),
		Notes:      []string{FreeTierNote},
	}
	if err := r.all(ctx); err != nil {
		return nil, err
	}
	p.Actions = r.st.Actions
	p.Policies = r.policies
	if _, known := taskMemoryMiB(r.spec.InstanceType); !known {
		p.Notes = append(p.Notes, fmt.Sprintf("memory of %s unknown to this package: check that the containers fit next to the agent", r.spec.InstanceType))
	}
	if r.spec.ContainerInsights {
		p.Notes = append(p.Notes, "Container Insights is on: its metrics are billed per metric and not in the estimate")
	}
	return p, nil
}

// findings checks every policy the run would write, before anything is
// written. The instance policy's shape does not depend on the allocation
// ID, so a placeholder stands in for an address not yet allocated.
func (r *run) findings() []iampolicy.Finding {
	saved := r.st.ElasticIPAllocationID
	if r.spec.ElasticIP && saved == "" {
		r.st.ElasticIPAllocationID = "eipalloc-planned"
	}
	defer func() { r.st.ElasticIPAllocationID = saved }()
	var out []iampolicy.Finding
	for _, rs := range r.roleSpecs() {
		out = append(out, iampolicy.Check(rs.name, rs.policy)...)
		out = append(out, iampolicy.Check(rs.name+" (trust)", rs.trust)...)
	}
	return out
}

// Write prints the plan for a person.
func (p *Plan) Write(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "ecshost plan for stack %q", p.Stack)
	if p.Offline {
		b.WriteString(" (offline: nothing looked up, everything shown as created)")
	}
	fmt.Fprintf(&b, "\n\n%d change(s):\n", p.Changes())
	for _, a := range p.Actions {
		fmt.Fprintf(&b, "  %s\n", a)
	}
	fmt.Fprintf(&b, "\ndeployment: %s\n", p.Deployment)
	fmt.Fprintf(&b, "\nIAM policies: %d checked, ", len(p.Policies))
	if len(p.Findings) == 0 {
		b.WriteString("least privilege: no findings\n")
	} else {
		fmt.Fprintf(&b, "%d finding(s), Ensure would refuse:\n", len(p.Findings))
		for _, f := range p.Findings {
			fmt.Fprintf(&b, "  %s\n", f)
		}
	}
	b.WriteString("\nmonthly cost estimate (USD):\n")
	if _, err := io.WriteString(w, b.String()); err != nil {
		return err
	}
	if err := p.Cost.Write(w); err != nil {
		return err
	}
	b.Reset()
	for _, n := range p.Notes {
		fmt.Fprintf(&b, "note: %s\n", n)
	}
	_, err := io.WriteString(w, b.String())
	return err
}
