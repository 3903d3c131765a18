package stack

// The load balancer step: package loadbalancer, with the stack's network
// outputs. It runs before the host when the Spec has a load balancer (the
// service registers in its target group), and before the network when it
// has none but one exists (its security group goes with the network step).

import (
	"context"
	"fmt"
	"strings"

	"github.com/manga-alert-italia/mangaalert/change"
	"github.com/manga-alert-italia/mangaalert/cost"
	"github.com/manga-alert-italia/mangaalert/loadbalancer"
	"github.com/manga-alert-italia/mangaalert/resource"
)

// LoadBalancer puts an Application Load Balancer in front of the service
// (package loadbalancer): needed with Host.Instances 2 or more. The
// service then publishes its port on dynamic host ports and serves plain
// HTTP behind it; TLS ends at the load balancer with an ACM certificate.
type LoadBalancer struct {
	// Domain is the certificate's host name (DNS-validated: apply prints
	// the CNAME record to publish).
	Domain string
	// HealthCheckPath is what the target group checks on each task
	// (default loadbalancer.DefaultHealthCheckPath, /readyz).
	HealthCheckPath string
}

func (s Spec) instances() int32 { return max(s.Host.Instances, 1) }

// loadBalancerProblems: several instances need a load balancer, which
// needs a domain and two zones; an Elastic IP is one instance's address.
func loadBalancerProblems(s Spec) []Problem {
	var ps []Problem
	bad := func(field, format string, args ...any) {
		ps = append(ps, Problem{Field: field, Problem: fmt.Sprintf(format, args...)})
	}
	n := s.instances()
	switch {
	case s.Host.Instances < 0:
		bad("Host.Instances", "%d: use 1 (one host, the default) or 2 and more behind a load balancer", s.Host.Instances)
	case n > 1 && s.LoadBalancer == nil:
		bad("Host.Instances", "%d instances need a load balancer in front of them (Spec.LoadBalancer with the site's domain)", n)
	case n > 1 && s.Host.ElasticIP:
		bad("Host.ElasticIP", "the Elastic IP is one instance's address; with %d instances the load balancer is the site's address: turn it off", n)
	}
	if lb := s.LoadBalancer; lb != nil {
		spec := loadBalancerSpec(s, Outputs{SubnetIDs: []string{"subnet-1", "subnet-2"}, VPCID: "vpc-1", LoadBalancerSecurityGroupID: "sg-1"})
		for _, e := range unjoin(spec.Validate()) {
			if se, ok := e.(*loadbalancer.SpecError); ok && se.Field != "Stack" {
				bad("LoadBalancer."+se.Field, "%s", se.Problem)
			}
		}
		if s.Network.AZs == 1 {
			bad("Network.AZs", "1: a load balancer needs subnets in two zones; leave it 0 (2 zones) or set 2 or more")
		}
	}
	return ps
}

func unjoin(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	if err != nil {
		return []error{err}
	}
	return nil
}

func loadBalancerSpec(spec Spec, o Outputs) loadbalancer.Spec {
	ls := loadbalancer.Spec{Stack: spec.Stack, VPCID: o.VPCID, SubnetIDs: o.SubnetIDs, SecurityGroupID: o.LoadBalancerSecurityGroupID, Tags: spec.Tags}
	if lb := spec.LoadBalancer; lb != nil {
		ls.Domain, ls.HealthCheckPath = lb.Domain, lb.HealthCheckPath
	}
	ls.IPTargets = spec.awsvpc() // awsvpc tasks register by their own address
	return ls
}

func (s *Stack) loadBalancer() *loadbalancer.LoadBalancer {
	return loadbalancer.New(s.cl.lb, func(l *loadbalancer.Options) {
		l.Logger, l.MinDelay, l.MaxDelay = s.o.Logger, s.o.MinDelay, s.o.MaxDelay
		l.Offline, l.OnChange = s.o.Offline, s.o.OnChange
	})
}

// plannedTargetGroup is the target group's ARN before it exists (the
// host's plan names it; ELB adds a random suffix).
func plannedTargetGroup(spec Spec, o *Outputs) string {
	return resource.ARNIn(o.Partition, "elasticloadbalancing", o.Region, o.Account, "targetgroup/"+spec.Stack+"-tg/planned")
}

// planLoadBalancer plans the load balancer, or the deletion of one the
// Spec no longer has.
func (s *Stack) planLoadBalancer(ctx context.Context, spec Spec, o *Outputs) (*change.Plan, error) {
	if spec.LoadBalancer == nil {
		p, err := s.loadBalancer().PlanDelete(ctx, spec.Stack)
		if err != nil {
			return nil, fmt.Errorf("plan the load balancer: %w", err)
		}
		if len(p.Changes) > 0 {
			p.Notes = append(p.Notes, "back to one host: the load balancer goes first, then the host serves the site itself: point the domain at the host's address (status shows it)")
		}
		return p, nil
	}
	p, err := s.loadBalancer().Plan(ctx, loadBalancerSpec(spec, *o))
	if err != nil {
		return nil, fmt.Errorf("plan the load balancer: %w", err)
	}
	o.TargetGroupARN = plannedTargetGroup(spec, o)
	if c, ok := p.Find("target group", spec.Stack+"-tg"); ok && c.ID != "" {
		o.TargetGroupARN = c.ID
	}
	o.LoadBalancerARN = resource.ARNIn(o.Partition, "elasticloadbalancing", o.Region, o.Account, "loadbalancer/app/"+spec.Stack+"/planned")
	if c, ok := p.Find("load balancer", spec.Stack); ok && c.ID != "" {
		o.LoadBalancerARN = c.ID
	}
	return p, nil
}

// ensureLoadBalancer makes the load balancer and hands on its target
// group; without one in the Spec it does nothing (removeLoadBalancer ran).
func (s *Stack) ensureLoadBalancer(ctx context.Context, spec Spec, o *Outputs, st *State) ([]change.Change, error) {
	if spec.LoadBalancer == nil {
		return nil, nil
	}
	ls, err := s.loadBalancer().Ensure(ctx, loadBalancerSpec(spec, *o))
	if ls == nil {
		return nil, err
	}
	o.TargetGroupARN, o.LoadBalancerARN = ls.TargetGroupARN, ls.LoadBalancerARN
	st.LoadBalancer = ls
	return ls.Changes, err
}

// removeLoadBalancer deletes the load balancer of a Spec that has none
// (back to one host), before the network deletes its security group.
func (s *Stack) removeLoadBalancer(ctx context.Context, spec Spec, _ *Outputs) ([]change.Change, error) {
	if spec.LoadBalancer != nil {
		return nil, nil
	}
	return s.loadBalancer().Delete(ctx, spec.Stack)
}

func (s *Stack) deleteLoadBalancer(ctx context.Context, stack string) ([]change.Change, error) {
	return s.loadBalancer().Delete(ctx, stack)
}

func (s *Stack) loadBalancerStatus(ctx context.Context, stack string) ([]string, error) {
	return s.loadBalancer().Status(ctx, stack)
}

// loadBalancerAdvice says where the domain points and which records to
// publish, after an Apply that made a load balancer.
func (st *State) loadBalancerAdvice(siteURL string) string {
	lb := st.LoadBalancer
	out := fmt.Sprintf("\nThe site %s is served by the load balancer %s: point the domain at it (CNAME, or a Route 53 alias at a zone apex).\n", siteURL, lb.DNSName)
	if lb.CertificateStatus != "ISSUED" {
		var rs []string
		for _, r := range lb.ValidationRecords {
			rs = append(rs, "  "+r.String())
		}
		out += fmt.Sprintf("The certificate is %s: publish this DNS record, then run apply again to add HTTPS (until then the site answers on plain HTTP):\n%s\n",
			lb.CertificateStatus, strings.Join(rs, "\n"))
	}
	return out
}

// planLoadBalancerNetwork hands on the VPC and the load balancer's group
// from the network's plan: their IDs, or placeholders.
func planLoadBalancerNetwork(spec Spec, p *change.Plan, o *Outputs) {
	if spec.LoadBalancer == nil {
		return
	}
	o.VPCID, o.LoadBalancerSecurityGroupID = "vpc-planned", "sg-planned-alb"
	if c, ok := p.Find("vpc", "vpc"); ok && c.ID != "" {
		o.VPCID = c.ID
	}
	if c, ok := p.Find("security group", "sg/alb"); ok && c.ID != "" {
		o.LoadBalancerSecurityGroupID = c.ID
	}
	if len(o.SubnetIDs) < 2 { // an invalid zone count is reported by Validate
		o.SubnetIDs = append(o.SubnetIDs, "subnet-planned1")
	}
}

// instanceAlternatives price this configuration on 1, 2 and 3 hosts (the
// ones it is not): each host its instance, volume and address, and from 2
// on the load balancer (loadbalancer.Estimate, at its 0.01 LCU).
func instanceAlternatives(spec Spec, estimate cost.Estimate) []Alternative {
	cur := float64(spec.instances())
	perHost := func(l cost.Line) bool {
		return strings.HasPrefix(l.Item, "EC2 ") || l.Item == "EBS gp3 root volume" || l.Item == "public IPv4 address"
	}
	balancer := func(l cost.Line) bool { return l.Price == loadbalancer.HourPrice || strings.HasPrefix(l.Item, "ALB ") }
	var out []Alternative
	for n := int32(1); n <= 3; n++ {
		if n == spec.instances() || (n == 1 && spec.awsvpc()) { // awsvpc tasks are reached through the load balancer only
			continue
		}
		var lines cost.Estimate
		for _, l := range estimate {
			switch {
			case perHost(l):
				l.Quantity = l.Quantity / cur * float64(n)
			case balancer(l):
				continue
			}
			lines = append(lines, l)
		}
		a := Alternative{Name: fmt.Sprintf("this configuration with instances: %d", n), Lines: lines, Full: true}
		if n == 1 {
			a.Gives, a.Takes = "the cheapest shape: one host serves its own TLS", "no second host: a replaced instance means minutes without the site"
		} else {
			a.Lines = append(a.Lines, loadbalancer.Estimate(max(spec.Network.AZs, 2))...)
			a.Gives = fmt.Sprintf("%d hosts behind a load balancer: one can fail or be replaced with the site up", n)
			a.Takes = "the load balancer's hourly price and its public addresses; each host holds two service tasks during a rollout " +
				"(the plan's memory note says which instance types fit)"
		}
		out = append(out, a)
	}
	return out
}
