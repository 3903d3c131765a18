package loadbalancer

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"

	"github.com/manga-alert-italia/mangaalert/change"
	"github.com/manga-alert-italia/mangaalert/internal/awserr"
	"github.com/manga-alert-italia/mangaalert/internal/engine"
)

// run is one Plan or Ensure: what was read, and the ARNs the steps learn
// as they create.
type run struct {
	lb   *LoadBalancer
	spec Spec
	n    names

	alb       *elbtypes.LoadBalancer
	albTags   map[string]string
	tg        *elbtypes.TargetGroup
	tgTags    map[string]string
	listeners map[int32]*listener
	cert      *certificate   // ours, for Spec.Domain
	stale     []*certificate // ours, for another domain
	st        *State
}

type listener struct {
	arn      string
	protocol elbtypes.ProtocolEnum
	actions  []elbtypes.Action
	certARN  string
}

// observe reads the stack's load balancer, target group, listeners and
// certificates, checking they carry the stack's tags.
func (r *run) observe(ctx context.Context) error {
	var err error
	if r.alb, r.albTags, err = r.lb.findLoadBalancer(ctx, r.n); err != nil {
		return err
	}
	if r.alb != nil {
		r.st.LoadBalancerARN, r.st.DNSName = aws.ToString(r.alb.LoadBalancerArn), aws.ToString(r.alb.DNSName)
		if r.listeners, err = r.lb.findListeners(ctx, r.st.LoadBalancerARN); err != nil {
			return err
		}
		r.setListenerState()
	}
	if r.tg, r.tgTags, err = r.lb.findTargetGroup(ctx, r.n); err != nil {
		return err
	}
	if r.tg != nil {
		r.st.TargetGroupARN = aws.ToString(r.tg.TargetGroupArn)
	}
	certs, err := r.lb.certificates(ctx, r.n)
	if err != nil {
		return err
	}
	for _, c := range certs {
		if c.domain == r.spec.Domain && r.cert == nil && c.usable() {
			r.cert = c
			continue
		}
		r.stale = append(r.stale, c)
	}
	if r.cert != nil {
		r.setCertState()
	}
	return nil
}

func (r *run) setListenerState() {
	if l := r.listeners[HTTPPort]; l != nil {
		r.st.HTTPListenerARN = l.arn
	}
	if l := r.listeners[HTTPSPort]; l != nil {
		r.st.HTTPSListenerARN = l.arn
	}
}

func (r *run) setCertState() {
	r.st.CertificateARN, r.st.CertificateStatus, r.st.ValidationRecords = r.cert.arn, r.cert.status, r.cert.records
}

// readCertificate reads the certificate's status and records again, once
// it exists (Ensure, after the request).
func (r *run) readCertificate(ctx context.Context) error {
	if r.st.CertificateARN == "" {
		return nil
	}
	c, err := r.lb.describeCertificate(ctx, r.st.CertificateARN, true)
	if err != nil {
		return err
	}
	r.cert = c
	r.setCertState()
	if !c.usable() {
		return fmt.Errorf("%w: %s is %s; delete it (ACM console) and apply again", ErrCertificate, c.arn, c.status)
	}
	return nil
}

// resourceSteps decides the certificate, the load balancer and the target
// group; the listeners come after, once the certificate's status is known.
func (r *run) resourceSteps() ([]engine.Step, error) {
	steps := []engine.Step{r.certificateStep()}
	lb, err := r.loadBalancerStep()
	if err != nil {
		return nil, err
	}
	tg, err := r.targetGroupStep()
	if err != nil {
		return nil, err
	}
	return append(steps, lb, tg), nil
}

func (r *run) certificateStep() engine.Step {
	if r.cert != nil {
		return engine.Step{Change: change.Change{Action: change.Keep, Kind: kindCert, Name: r.spec.Domain, ID: r.cert.arn,
			Details: []string{r.cert.status}}}
	}
	return engine.Step{Change: change.Change{Action: change.Create, Kind: kindCert, Name: r.spec.Domain,
		Details: []string{"ACM, DNS validation: publish the CNAME record apply prints"}},
		Apply: func(ctx context.Context) error {
			arn, err := r.lb.requestCertificate(ctx, r.n, r.spec)
			r.st.CertificateARN = arn
			return err
		}}
}

func (r *run) loadBalancerStep() (engine.Step, error) {
	name := r.n.loadBalancer()
	detail := fmt.Sprintf("internet-facing application, subnets %s, security group %s", strings.Join(r.spec.SubnetIDs, ","), r.spec.SecurityGroupID)
	if r.alb == nil {
		return engine.Step{Change: change.Change{Action: change.Create, Kind: kindLB, Name: name, Details: []string{detail}},
			Apply: func(ctx context.Context) error { return r.createLoadBalancer(ctx) }}, nil
	}
	if !r.n.ours(r.albTags) {
		return engine.Step{}, notOurs(kindLB, name)
	}
	if r.alb.Type != elbtypes.LoadBalancerTypeEnumApplication || r.alb.Scheme != elbtypes.LoadBalancerSchemeEnumInternetFacing {
		return engine.Step{}, fmt.Errorf("loadbalancer: %s %q is %s %s, not an internet-facing application load balancer: delete it, then apply",
			kindLB, name, r.alb.Scheme, r.alb.Type)
	}
	arn := aws.ToString(r.alb.LoadBalancerArn)
	c := change.Change{Action: change.Keep, Kind: kindLB, Name: name, ID: arn, Details: []string{r.st.DNSName}}
	var calls []func(context.Context) error
	var have []string
	for _, z := range r.alb.AvailabilityZones {
		have = append(have, aws.ToString(z.SubnetId))
	}
	if slices.Sort(have); !slices.Equal(have, r.spec.SubnetIDs) {
		c.Details = append(c.Details, "subnets "+strings.Join(r.spec.SubnetIDs, ","))
		calls = append(calls, func(ctx context.Context) error {
			_, err := r.lb.c.ELB.SetSubnets(ctx, &elb.SetSubnetsInput{LoadBalancerArn: aws.String(arn), Subnets: r.spec.SubnetIDs})
			return wrap(err, "set the subnets of %s", name)
		})
	}
	if !slices.Equal(r.alb.SecurityGroups, []string{r.spec.SecurityGroupID}) {
		c.Details = append(c.Details, "security group "+r.spec.SecurityGroupID)
		calls = append(calls, func(ctx context.Context) error {
			_, err := r.lb.c.ELB.SetSecurityGroups(ctx, &elb.SetSecurityGroupsInput{LoadBalancerArn: aws.String(arn), SecurityGroups: []string{r.spec.SecurityGroupID}})
			return wrap(err, "set the security group of %s", name)
		})
	}
	calls = append(calls, r.tagCalls(arn, r.albTags, &c)...)
	return r.step(c, calls), nil
}

func (r *run) createLoadBalancer(ctx context.Context) error {
	name := r.n.loadBalancer()
	out, err := r.lb.c.ELB.CreateLoadBalancer(ctx, &elb.CreateLoadBalancerInput{
		Name: aws.String(name), Type: elbtypes.LoadBalancerTypeEnumApplication, Scheme: elbtypes.LoadBalancerSchemeEnumInternetFacing,
		IpAddressType: elbtypes.IpAddressTypeIpv4, Subnets: r.spec.SubnetIDs, SecurityGroups: []string{r.spec.SecurityGroupID},
		Tags: elbTags(r.n.tags(r.spec.Tags)),
	})
	if err != nil {
		return wrap(err, "create load balancer %s", name)
	}
	if len(out.LoadBalancers) > 0 {
		r.st.LoadBalancerARN, r.st.DNSName = aws.ToString(out.LoadBalancers[0].LoadBalancerArn), aws.ToString(out.LoadBalancers[0].DNSName)
	}
	return nil
}

func (r *run) targetGroupStep() (engine.Step, error) {
	name := r.n.targetGroup()
	detail := fmt.Sprintf("%s, health check GET %s → 200", r.spec.targetsDetail(), r.spec.HealthCheckPath)
	if r.tg == nil {
		return engine.Step{Change: change.Change{Action: change.Create, Kind: kindTG, Name: name,
			Details: []string{detail, fmt.Sprintf("deregistration delay %s", r.spec.DeregistrationDelay)}},
			Apply: r.createTargetGroup}, nil
	}
	if !r.n.ours(r.tgTags) {
		return engine.Step{}, notOurs(kindTG, name)
	}
	arn := aws.ToString(r.tg.TargetGroupArn)
	if aws.ToString(r.tg.VpcId) != r.spec.VPCID || r.tg.TargetType != r.spec.targetType() {
		return engine.Step{}, fmt.Errorf("loadbalancer: %s %q is in VPC %s with %s targets, not VPC %s with %s targets (a target group cannot change its type): delete the load balancer first (apply once with instances: 1 and the network mode it was made for), then apply again",
			kindTG, name, aws.ToString(r.tg.VpcId), r.tg.TargetType, r.spec.VPCID, r.spec.targetType())
	}
	c := change.Change{Action: change.Keep, Kind: kindTG, Name: name, ID: arn, Details: []string{detail}}
	var calls []func(context.Context) error
	if aws.ToString(r.tg.HealthCheckPath) != r.spec.HealthCheckPath || r.tg.Matcher == nil || aws.ToString(r.tg.Matcher.HttpCode) != "200" {
		c.Details = append(c.Details, "health check GET "+r.spec.HealthCheckPath)
		calls = append(calls, func(ctx context.Context) error {
			_, err := r.lb.c.ELB.ModifyTargetGroup(ctx, &elb.ModifyTargetGroupInput{TargetGroupArn: aws.String(arn),
				HealthCheckPath: aws.String(r.spec.HealthCheckPath), Matcher: &elbtypes.Matcher{HttpCode: aws.String("200")}})
			return wrap(err, "modify target group %s", name)
		})
	}
	calls = append(calls, r.tagCalls(arn, r.tgTags, &c)...)
	return r.step(c, calls), nil
}

// createTargetGroup makes the target group, its targets instances
// (bridge mode) or IP addresses (awsvpc tasks, Spec.IPTargets).
func (r *run) createTargetGroup(ctx context.Context) error {
	name := r.n.targetGroup()
	out, err := r.lb.c.ELB.CreateTargetGroup(ctx, &elb.CreateTargetGroupInput{
		Name: aws.String(name), VpcId: aws.String(r.spec.VPCID), TargetType: r.spec.targetType(),
		Protocol: elbtypes.ProtocolEnumHttp, Port: aws.Int32(TrafficPort), ProtocolVersion: aws.String("HTTP1"),
		HealthCheckEnabled: aws.Bool(true), HealthCheckProtocol: elbtypes.ProtocolEnumHttp, HealthCheckPort: aws.String("traffic-port"),
		HealthCheckPath: aws.String(r.spec.HealthCheckPath), Matcher: &elbtypes.Matcher{HttpCode: aws.String("200")},
		HealthCheckIntervalSeconds: aws.Int32(15), HealthCheckTimeoutSeconds: aws.Int32(5),
		HealthyThresholdCount: aws.Int32(2), UnhealthyThresholdCount: aws.Int32(3),
		Tags: elbTags(r.n.tags(r.spec.Tags)),
	})
	if err != nil {
		return wrap(err, "create target group %s", name)
	}
	if len(out.TargetGroups) == 0 {
		return fmt.Errorf("loadbalancer: create target group %s: no target group in the answer", name)
	}
	r.st.TargetGroupARN = aws.ToString(out.TargetGroups[0].TargetGroupArn)
	// Set once, at creation: the attribute is not read back on every apply.
	_, err = r.lb.c.ELB.ModifyTargetGroupAttributes(ctx, &elb.ModifyTargetGroupAttributesInput{TargetGroupArn: aws.String(r.st.TargetGroupARN),
		Attributes: []elbtypes.TargetGroupAttribute{{Key: aws.String("deregistration_delay.timeout_seconds"),
			Value: aws.String(fmt.Sprint(int(r.spec.DeregistrationDelay.Seconds())))}}})
	return wrap(err, "set the deregistration delay of %s", name)
}

// issued reports whether the HTTPS listener can be made now.
func (r *run) issued() bool { return r.cert != nil && r.cert.status == certIssued }

// listenerSteps decide the two listeners: HTTPS forwarding to the target
// group with the certificate, HTTP redirecting to it; while the
// certificate waits for its DNS record, HTTP forwards instead.
func (r *run) listenerSteps() []engine.Step {
	forward := []elbtypes.Action{{Type: elbtypes.ActionTypeEnumForward, TargetGroupArn: aws.String(r.st.TargetGroupARN)}}
	redirect := []elbtypes.Action{{Type: elbtypes.ActionTypeEnumRedirect, RedirectConfig: &elbtypes.RedirectActionConfig{
		Protocol: aws.String("HTTPS"), Port: aws.String(fmt.Sprint(HTTPSPort)), StatusCode: elbtypes.RedirectActionStatusCodeEnumHttp301}}}
	var steps []engine.Step
	https := r.listeners[HTTPSPort]
	switch {
	case r.issued():
		steps = append(steps, r.listenerStep(HTTPSPort, elbtypes.ProtocolEnumHttps, "forward to "+r.n.targetGroup()+", certificate "+r.spec.Domain+", "+SSLPolicy, forward, true))
	case https != nil:
		steps = append(steps, engine.Step{Change: change.Change{Action: change.Keep, Kind: kindListener, Name: "HTTPS:443", ID: https.arn,
			Details: []string{"keeps its certificate until the one for " + r.spec.Domain + " is issued"}}})
	}
	if r.issued() || https != nil {
		return append(steps, r.listenerStep(HTTPPort, elbtypes.ProtocolEnumHttp, "redirect to HTTPS (301)", redirect, false))
	}
	return append(steps, r.listenerStep(HTTPPort, elbtypes.ProtocolEnumHttp,
		"forward to "+r.n.targetGroup()+" until the certificate is issued, then redirect to HTTPS", forward, false))
}

func (r *run) listenerStep(port int32, proto elbtypes.ProtocolEnum, what string, actions []elbtypes.Action, tls bool) engine.Step {
	name := fmt.Sprintf("%s:%d", proto, port)
	// The ARNs of what the earlier steps create are known only as they run.
	fill := func() []elbtypes.Action {
		out := slices.Clone(actions)
		for i := range out {
			if out[i].Type == elbtypes.ActionTypeEnumForward {
				out[i].TargetGroupArn = aws.String(r.st.TargetGroupARN)
			}
		}
		return out
	}
	var certs func() []elbtypes.Certificate
	if tls {
		certs = func() []elbtypes.Certificate {
			return []elbtypes.Certificate{{CertificateArn: aws.String(r.st.CertificateARN)}}
		}
	}
	l := r.listeners[port]
	if l == nil {
		return engine.Step{Change: change.Change{Action: change.Create, Kind: kindListener, Name: name, Details: []string{what}},
			Apply: func(ctx context.Context) error {
				in := &elb.CreateListenerInput{LoadBalancerArn: aws.String(r.st.LoadBalancerARN), Port: aws.Int32(port), Protocol: proto,
					DefaultActions: fill(), Tags: elbTags(r.n.tags(r.spec.Tags))}
				if tls {
					in.Certificates, in.SslPolicy = certs(), aws.String(SSLPolicy)
				}
				out, err := r.lb.c.ELB.CreateListener(ctx, in)
				if err != nil {
					return wrap(err, "create listener %s", name)
				}
				if len(out.Listeners) > 0 {
					r.listeners[port] = &listener{arn: aws.ToString(out.Listeners[0].ListenerArn)}
					r.setListenerState()
				}
				return nil
			}}
	}
	c := change.Change{Action: change.Keep, Kind: kindListener, Name: name, ID: l.arn, Details: []string{what}}
	if l.protocol != proto || !sameActions(l.actions, fill()) || (tls && l.certARN != r.st.CertificateARN) {
		c.Action = change.Update
		return engine.Step{Change: c, Apply: func(ctx context.Context) error {
			in := &elb.ModifyListenerInput{ListenerArn: aws.String(l.arn), Protocol: proto, Port: aws.Int32(port), DefaultActions: fill()}
			if tls {
				in.Certificates, in.SslPolicy = certs(), aws.String(SSLPolicy)
			}
			_, err := r.lb.c.ELB.ModifyListener(ctx, in)
			return wrap(err, "modify listener %s", name)
		}}
	}
	return engine.Step{Change: c}
}

// sameActions compares the one default action a listener of ours has.
func sameActions(have, want []elbtypes.Action) bool {
	if len(have) != 1 || len(want) != 1 || have[0].Type != want[0].Type {
		return false
	}
	h, w := have[0], want[0]
	switch w.Type {
	case elbtypes.ActionTypeEnumForward:
		tg := aws.ToString(h.TargetGroupArn)
		if tg == "" && h.ForwardConfig != nil && len(h.ForwardConfig.TargetGroups) == 1 {
			tg = aws.ToString(h.ForwardConfig.TargetGroups[0].TargetGroupArn)
		}
		return tg == aws.ToString(w.TargetGroupArn)
	case elbtypes.ActionTypeEnumRedirect:
		hr, wr := h.RedirectConfig, w.RedirectConfig
		return hr != nil && strings.EqualFold(aws.ToString(hr.Protocol), aws.ToString(wr.Protocol)) &&
			aws.ToString(hr.Port) == aws.ToString(wr.Port) && hr.StatusCode == wr.StatusCode
	}
	return false
}

// staleCertificateSteps delete the stack's certificates for another
// domain, once no listener uses them.
func (r *run) staleCertificateSteps() []engine.Step {
	var steps []engine.Step
	for _, c := range r.stale {
		if l := r.listeners[HTTPSPort]; l != nil && l.certARN == c.arn && !r.issued() {
			continue // still serving until the new one is issued
		}
		steps = append(steps, engine.Step{Change: change.Change{Action: change.Delete, Kind: kindCert, Name: c.domain, ID: c.arn,
			Details: []string{"no longer in the Spec (" + c.status + ")"}},
			Apply: func(ctx context.Context) error { return r.lb.deleteCertificate(ctx, c.arn) }})
	}
	return steps
}

// step is a Keep, or an Update making calls.
func (r *run) step(c change.Change, calls []func(context.Context) error) engine.Step {
	if len(calls) == 0 {
		return engine.Step{Change: c}
	}
	c.Action = change.Update
	return engine.Step{Change: c, Apply: func(ctx context.Context) error {
		for _, call := range calls {
			if err := call(ctx); err != nil {
				return err
			}
		}
		return nil
	}}
}

func (r *run) tagCalls(arn string, have map[string]string, c *change.Change) []func(context.Context) error {
	var missing []elbtypes.Tag
	want := r.n.tags(r.spec.Tags)
	for _, k := range slices.Sorted(maps.Keys(want)) {
		if v, ok := have[k]; !ok || v != want[k] {
			missing = append(missing, elbtypes.Tag{Key: aws.String(k), Value: aws.String(want[k])})
		}
	}
	if len(missing) == 0 {
		return nil
	}
	c.Details = append(c.Details, "tags")
	return []func(context.Context) error{func(ctx context.Context) error {
		_, err := r.lb.c.ELB.AddTags(ctx, &elb.AddTagsInput{ResourceArns: []string{arn}, Tags: missing})
		return wrap(err, "tag %s", arn)
	}}
}

// notes say what the operator does: publish the validation record, point
// the domain at the load balancer.
func (r *run) notes() []string {
	var out []string
	switch {
	case r.cert == nil:
		out = append(out, fmt.Sprintf("certificate for %s: apply requests it from ACM and prints the CNAME record to publish at your DNS host; "+
			"until it is issued the load balancer serves plain HTTP, and the apply after that adds HTTPS and the redirect", r.spec.Domain))
	case r.cert.status != certIssued:
		out = append(out, fmt.Sprintf("certificate for %s is %s: publish %s, then apply again", r.spec.Domain, r.cert.status, recordsText(r.cert.records)))
	}
	dns := r.st.DNSName
	if dns == "" {
		dns = "the load balancer's DNS name (apply and status print it)"
	}
	return append(out, fmt.Sprintf("point %s at %s with a CNAME (a Route 53 alias at a zone apex); the hosts take traffic only from the load balancer", r.spec.Domain, dns))
}

func recordsText(rs []Record) string {
	if len(rs) == 0 {
		return "the validation record (ACM has not given it yet; status shows it)"
	}
	var s []string
	for _, r := range rs {
		s = append(s, r.String())
	}
	return strings.Join(s, ", ")
}

func (lb *LoadBalancer) findLoadBalancer(ctx context.Context, n names) (*elbtypes.LoadBalancer, map[string]string, error) {
	out, err := lb.c.ELB.DescribeLoadBalancers(ctx, &elb.DescribeLoadBalancersInput{Names: []string{n.loadBalancer()}})
	if awserr.Is(err, "LoadBalancerNotFound") {
		return nil, nil, nil
	}
	if err != nil {
		return nil, nil, wrap(err, "describe load balancer %s", n.loadBalancer())
	}
	if len(out.LoadBalancers) == 0 {
		return nil, nil, nil
	}
	l := out.LoadBalancers[0]
	tags, err := lb.tags(ctx, aws.ToString(l.LoadBalancerArn))
	return &l, tags, err
}

func (lb *LoadBalancer) findTargetGroup(ctx context.Context, n names) (*elbtypes.TargetGroup, map[string]string, error) {
	out, err := lb.c.ELB.DescribeTargetGroups(ctx, &elb.DescribeTargetGroupsInput{Names: []string{n.targetGroup()}})
	if awserr.Is(err, "TargetGroupNotFound") {
		return nil, nil, nil
	}
	if err != nil {
		return nil, nil, wrap(err, "describe target group %s", n.targetGroup())
	}
	if len(out.TargetGroups) == 0 {
		return nil, nil, nil
	}
	g := out.TargetGroups[0]
	tags, err := lb.tags(ctx, aws.ToString(g.TargetGroupArn))
	return &g, tags, err
}

func (lb *LoadBalancer) findListeners(ctx context.Context, albARN string) (map[int32]*listener, error) {
	out, err := lb.c.ELB.DescribeListeners(ctx, &elb.DescribeListenersInput{LoadBalancerArn: aws.String(albARN)})
	if err != nil {
		return nil, wrap(err, "describe the listeners of %s", albARN)
	}
	m := map[int32]*listener{}
	for _, l := range out.Listeners {
		x := &listener{arn: aws.ToString(l.ListenerArn), protocol: l.Protocol, actions: l.DefaultActions}
		if len(l.Certificates) > 0 {
			x.certARN = aws.ToString(l.Certificates[0].CertificateArn)
		}
		m[aws.ToInt32(l.Port)] = x
	}
	return m, nil
}

func (lb *LoadBalancer) tags(ctx context.Context, arn string) (map[string]string, error) {
	out, err := lb.c.ELB.DescribeTags(ctx, &elb.DescribeTagsInput{ResourceArns: []string{arn}})
	if err != nil {
		return nil, wrap(err, "describe the tags of %s", arn)
	}
	m := map[string]string{}
	for _, d := range out.TagDescriptions {
		for _, t := range d.Tags {
			m[aws.ToString(t.Key)] = aws.ToString(t.Value)
		}
	}
	return m, nil
}

func elbTags(m map[string]string) []elbtypes.Tag {
	var out []elbtypes.Tag
	for _, k := range slices.Sorted(maps.Keys(m)) {
		out = append(out, elbtypes.Tag{Key: aws.String(k), Value: aws.String(m[k])})
	}
	return out
}
