package loadbalancer

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
)

// Status describes the stack's load balancer as an operator reads it: its
// DNS name and state, the listeners, the targets' health, and the
// certificate with the DNS records still to publish. It only reads; with
// no load balancer it says so.
func (lb *LoadBalancer) Status(ctx context.Context, stack string) ([]string, error) {
	if err := lb.online(); err != nil {
		return nil, err
	}
	r := lb.newRun(Spec{Stack: stack})
	if err := r.observe(ctx); err != nil {
		return nil, err
	}
	var out []string
	if r.alb == nil {
		out = append(out, "none (one host serves the site itself; instances 2 or more put a load balancer in front)")
	} else {
		state := ""
		if r.alb.State != nil {
			state = string(r.alb.State.Code)
		}
		out = append(out, fmt.Sprintf("%s: %s (%s)", r.n.loadBalancer(), r.st.DNSName, state))
		for _, port := range slices.Sorted(maps.Keys(r.listeners)) {
			l := r.listeners[port]
			what := "no action"
			if len(l.actions) > 0 {
				what = string(l.actions[0].Type)
			}
			if len(l.actions) > 0 && l.actions[0].RedirectConfig != nil {
				what = "redirect to " + aws.ToString(l.actions[0].RedirectConfig.Protocol)
			}
			out = append(out, fmt.Sprintf("listener %s:%d: %s", l.protocol, port, what))
		}
	}
	if r.tg != nil {
		h, err := lb.c.ELB.DescribeTargetHealth(ctx, &elb.DescribeTargetHealthInput{TargetGroupArn: r.tg.TargetGroupArn})
		if err != nil {
			return out, wrap(err, "describe the targets of %s", r.n.targetGroup())
		}
		counts := map[string]int{}
		for _, d := range h.TargetHealthDescriptions {
			if d.TargetHealth != nil {
				counts[string(d.TargetHealth.State)]++
			}
		}
		var parts []string
		for _, s := range slices.Sorted(maps.Keys(counts)) {
			parts = append(parts, fmt.Sprintf("%d %s", counts[s], s))
		}
		if len(parts) == 0 {
			parts = []string{"none registered"}
		}
		out = append(out, fmt.Sprintf("target group %s (GET %s): %s", r.n.targetGroup(), aws.ToString(r.tg.HealthCheckPath), strings.Join(parts, ", ")))
	}
	for _, c := range r.stale { // every certificate of the stack
		line := fmt.Sprintf("certificate %s: %s", c.domain, c.status)
		if c.status != certIssued {
			line += "; publish " + recordsText(c.records) + " at your DNS host, then apply again"
		}
		out = append(out, line)
	}
	return out, nil
}
