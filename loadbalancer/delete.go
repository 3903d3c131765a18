package loadbalancer

import (
	"context"
	"fmt"
	"maps"
	"slices"

	"github.com/aws/aws-sdk-go-v2/aws"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"

	"github.com/manga-alert-italia/mangaalert/change"
	"github.com/manga-alert-italia/mangaalert/internal/awserr"
	"github.com/manga-alert-italia/mangaalert/internal/engine"
	"github.com/manga-alert-italia/mangaalert/internal/poll"
)

// Delete deletes the stack's listeners, load balancer, target group and
// certificates, in that order, and returns what it deleted: nil, nil when
// nothing is there. What does not carry the stack's tags is left alone.
// The service registered to the target group should be gone or detached
// first (the stack deletes the host before it).
func (lb *LoadBalancer) Delete(ctx context.Context, stack string) ([]change.Change, error) {
	if err := lb.online(); err != nil {
		return nil, err
	}
	steps, err := lb.deleteSteps(ctx, stack)
	if err != nil {
		return nil, err
	}
	return engine.Run(ctx, lb.o.Logger.With("stack", stack), steps, lb.o.OnChange)
}

// PlanDelete lists what Delete would delete, without deleting; offline,
// nothing.
func (lb *LoadBalancer) PlanDelete(ctx context.Context, stack string) (*change.Plan, error) {
	p := &change.Plan{Component: component, Offline: lb.o.Offline}
	if lb.o.Offline {
		return p, nil
	}
	if err := lb.online(); err != nil {
		return nil, err
	}
	steps, err := lb.deleteSteps(ctx, stack)
	if err != nil {
		return nil, err
	}
	p.Changes = engine.Changes(steps)
	return p, nil
}

func (lb *LoadBalancer) deleteSteps(ctx context.Context, stack string) ([]engine.Step, error) {
	r := lb.newRun(Spec{Stack: stack})
	if err := r.observe(ctx); err != nil {
		return nil, err
	}
	var steps []engine.Step
	del := func(kind, name, id string, apply func(context.Context) error) {
		steps = append(steps, engine.Step{Change: change.Change{Action: change.Delete, Kind: kind, Name: name, ID: id}, Apply: apply})
	}
	if r.alb != nil && r.n.ours(r.albTags) {
		arn := aws.ToString(r.alb.LoadBalancerArn)
		for _, port := range slices.Sorted(maps.Keys(r.listeners)) {
			l := r.listeners[port]
			del(kindListener, fmt.Sprintf("%s:%d", l.protocol, port), l.arn, func(ctx context.Context) error {
				_, err := lb.c.ELB.DeleteListener(ctx, &elb.DeleteListenerInput{ListenerArn: aws.String(l.arn)})
				if awserr.Is(err, "ListenerNotFound") {
					return nil
				}
				return wrap(err, "delete listener %s", l.arn)
			})
		}
		del(kindLB, r.n.loadBalancer(), arn, func(ctx context.Context) error { return lb.deleteLoadBalancer(ctx, r.n, arn) })
	}
	if r.tg != nil && r.n.ours(r.tgTags) {
		arn := aws.ToString(r.tg.TargetGroupArn)
		del(kindTG, r.n.targetGroup(), arn, func(ctx context.Context) error { return lb.deleteTargetGroup(ctx, arn) })
	}
	for _, c := range r.stale { // with Spec.Domain "", every certificate of the stack
		del(kindCert, c.domain, c.arn, func(ctx context.Context) error { return lb.deleteCertificate(ctx, c.arn) })
	}
	return steps, nil
}

// deleteLoadBalancer deletes it and waits until AWS no longer lists it, so
// that the target group and the security group can go next.
func (lb *LoadBalancer) deleteLoadBalancer(ctx context.Context, n names, arn string) error {
	_, err := lb.c.ELB.DeleteLoadBalancer(ctx, &elb.DeleteLoadBalancerInput{LoadBalancerArn: aws.String(arn)})
	if err != nil && !awserr.Is(err, "LoadBalancerNotFound") {
		return wrap(err, "delete load balancer %s", arn)
	}
	ctx, cancel := context.WithTimeout(ctx, lb.o.Timeout)
	defer cancel()
	return poll.Until(ctx, "load balancer "+n.loadBalancer()+" to be deleted", lb.delays, func(ctx context.Context) (bool, error) {
		l, _, err := lb.findLoadBalancer(ctx, n)
		return l == nil, err
	})
}

// deleteTargetGroup deletes it, retrying while AWS still sees the deleted
// load balancer's listeners use it.
func (lb *LoadBalancer) deleteTargetGroup(ctx context.Context, arn string) error {
	ctx, cancel := context.WithTimeout(ctx, lb.o.Timeout)
	defer cancel()
	return poll.Until(ctx, "target group "+arn+" to be released", lb.delays, func(ctx context.Context) (bool, error) {
		_, err := lb.c.ELB.DeleteTargetGroup(ctx, &elb.DeleteTargetGroupInput{TargetGroupArn: aws.String(arn)})
		switch {
		case err == nil || awserr.Is(err, "TargetGroupNotFound"):
			return true, nil
		case awserr.Is(err, "ResourceInUse"):
			return false, nil
		}
		return false, wrap(err, "delete target group %s", arn)
	})
}
