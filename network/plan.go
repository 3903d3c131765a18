package network

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"regexp"
	"strings"
	"text/tabwriter"

	"github.com/manga-alert-italia/mangaalert/cost"
)

// Action is what Ensure does to one resource.
type Action string

// The actions of a plan.
const (
	Create Action = "create"
	Update Action = "update" // exists, and something that drifted is fixed in place
	Keep   Action = "keep"
	Delete Action = "delete" // ours, and no longer wanted by the Spec
)

// Change is the plan for one resource.
type Change struct {
	Component string // the mangaalert:component tag: "vpc", "subnet/public/0", ...
	ID        string // the AWS id, "" when it does not exist yet
	Action    Action
	Details   []string // what is created or fixed: "route 0.0.0.0/0 -> igw", ...
}

// Plan is what Ensure would do with a Spec, and what the result costs.
type Plan struct {
	Spec    Spec // with defaults
	Offline bool // nothing was read from AWS: every resource shows as created
	Changes []Change
	Cost    cost.Estimate
}

// Plan says what Ensure would do with spec, without writing anything, and
// estimates the monthly cost of the result. Offline it reads nothing (see
// the package doc); otherwise it reads the region's zones and the stack's
// resources and fails as Ensure would on an invalid Spec or a conflict.
func (n *Network) Plan(ctx context.Context, spec Spec) (*Plan, error) {
	r, err := n.newRun(ctx, spec, true)
	if err != nil {
		return nil, err
	}
	if err := r.reconcile(ctx); err != nil {
		return nil, err
	}
	r.plan.Cost = n.Estimate(r.spec)
	return r.plan, nil
}

// Changed reports whether applying the plan writes anything.
func (p *Plan) Changed() bool {
	for _, c := range p.Changes {
		if c.Action != Keep {
			return true
		}
	}
	return false
}

// Count returns how many resources get action a.
func (p *Plan) Count(a Action) int {
	k := 0
	for _, c := range p.Changes {
		if c.Action == a {
			k++
		}
	}
	return k
}

// Change returns the change of a component, and whether there is one.
func (p *Plan) Change(component string) (Change, bool) {
	for _, c := range p.Changes {
		if c.Component == component {
			return c, true
		}
	}
	return Change{}, false
}

var trailingSpace = regexp.MustCompile(`(?m)[ \t]+$`)

// Write prints the plan: a header, one line per resource, a summary and
// the monthly cost.
func (p *Plan) Write(w io.Writer) error {
	var buf bytes.Buffer
	s := p.Spec
	fmt.Fprintf(&buf, "network %q: %s, %d zones, %s\n", s.Stack, s.CIDR, s.AZs, s.Topology)
	ssh := "closed"
	if len(s.SSHCIDRs) > 0 {
		ssh = "from " + strings.Join(s.SSHCIDRs, ", ")
	}
	fmt.Fprintf(&buf, "host ingress: tcp %s from %s; ssh %s; egress open\n", joinPorts(s.Ports), strings.Join(s.IngressCIDRs, ", "), ssh)
	if p.Offline {
		fmt.Fprintln(&buf, "offline: nothing read from AWS; zone names are placeholders and the region's zone count is not checked")
	}
	fmt.Fprintln(&buf)
	tw := tabwriter.NewWriter(&buf, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ACTION\tCOMPONENT\tID\tDETAILS")
	for _, c := range p.Changes {
		id := c.ID
		if id == "" {
			id = "-"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", c.Action, c.Component, id, strings.Join(c.Details, "; "))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(&buf, "\n%d to create, %d to update, %d to delete, %d unchanged\n\nmonthly cost (USD):\n",
		p.Count(Create), p.Count(Update), p.Count(Delete), p.Count(Keep))
	if _, err := w.Write(trailingSpace.ReplaceAll(buf.Bytes(), nil)); err != nil {
		return err
	}
	return p.Cost.Write(w)
}

// String is Write into a string.
func (p *Plan) String() string {
	var b strings.Builder
	_ = p.Write(&b)
	return b.String()
}

func joinPorts(ports []int32) string {
	s := make([]string, len(ports))
	for i, p := range ports {
		s[i] = fmt.Sprint(p)
	}
	return strings.Join(s, ", ")
}
