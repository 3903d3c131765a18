package network

import (
	"context"
	"fmt"
	"strings"

	"github.com/manga-alert-italia/mangaalert/change"
	"github.com/manga-alert-italia/mangaalert/internal/engine"
)

// Plan says what Ensure would do with spec, without writing anything: one
// change per resource of the network, kept ones included (Kind "vpc",
// "subnet", "route table", ...; Name the resource's component tag, such
// as "subnet/public/0"), the monthly cost of the result, and notes on the
// layout. Offline (Options.Offline) it reads nothing (see the package
// doc); otherwise it reads the region's zones and the stack's resources,
// and fails as Ensure would on an invalid Spec, a conflict or subnets to
// delete that are still in use.
func (n *Network) Plan(ctx context.Context, spec Spec) (*change.Plan, error) {
	r, err := n.observe(ctx, spec, true)
	if err != nil {
		return nil, err
	}
	steps, err := r.steps()
	if err != nil {
		return nil, err
	}
	return &change.Plan{
		Component: "network",
		Offline:   n.opts.Offline,
		Changes:   engine.Changes(steps),
		Cost:      n.Estimate(r.spec),
		Notes:     notes(r.spec, n.opts.Offline),
	}, nil
}

// notes say what the plan's lines do not: the layout and the host's
// ingress as the Spec (with defaults) asks for them.
func notes(s Spec, offline bool) []string {
	ssh := "closed"
	if len(s.SSHCIDRs) > 0 {
		ssh = "from " + strings.Join(s.SSHCIDRs, ", ")
	}
	out := []string{
		fmt.Sprintf("network %q: %s, %d zones, %s", s.Stack, s.CIDR, s.AZs, s.Topology),
		fmt.Sprintf("host ingress: tcp %s from %s; ssh %s; egress open", joinPorts(s.Ports), strings.Join(s.IngressCIDRs, ", "), ssh),
	}
	if s.LoadBalancer {
		out[1] = fmt.Sprintf("load balancer ingress: tcp %s from %s; host ingress: tcp %d-%d from the load balancer only; ssh %s; egress open",
			joinPorts(s.Ports), strings.Join(s.IngressCIDRs, ", "), DynamicPortFrom, DynamicPortTo, ssh)
		if len(s.TaskPorts) > 0 {
			out[1] = fmt.Sprintf("load balancer ingress: tcp %s from %s; host ingress (the awsvpc tasks' too): tcp %s from the load balancer only; ssh %s; egress open",
				joinPorts(s.Ports), strings.Join(s.IngressCIDRs, ", "), joinPorts(s.TaskPorts), ssh)
		}
	}
	if s.JobsGroup {
		out = append(out, "jobs' security group: no inbound rule; egress open")
	}
	if offline {
		out = append(out, "offline: nothing read from AWS; zone names are placeholders and the region's zone count is not checked")
	}
	return out
}

func joinPorts(ports []int32) string {
	s := make([]string, len(ports))
	for i, p := range ports {
		s[i] = fmt.Sprint(p)
	}
	return strings.Join(s, ", ")
}
