package loadbalancer_test

import (
	"context"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/acm"
	acmtypes "github.com/aws/aws-sdk-go-v2/service/acm/types"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/manga-alert-italia/mangaalert/change"
	"github.com/manga-alert-italia/mangaalert/integration"
	"github.com/manga-alert-italia/mangaalert/loadbalancer"
)

// world is one emulator account with a VPC, two public subnets and the
// load balancer's group, as the network step leaves them.
type world struct {
	cfg   aws.Config
	calls *integration.Calls
	spec  loadbalancer.Spec
	ctx   context.Context
}

func newWorld(t *testing.T) *world {
	t.Helper()
	cfg := integration.Config(t, integration.EC2, integration.ELBv2, integration.ACM)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	t.Cleanup(cancel)
	ec := ec2.NewFromConfig(cfg)
	vpc, err := ec.CreateVpc(ctx, &ec2.CreateVpcInput{CidrBlock: aws.String("10.0.0.0/16")})
	require.NoError(t, err)
	var subnets []string
	for i, az := range []string{"a", "b"} {
		s, err := ec.CreateSubnet(ctx, &ec2.CreateSubnetInput{VpcId: vpc.Vpc.VpcId, CidrBlock: aws.String([]string{"10.0.0.0/24", "10.0.1.0/24"}[i]),
			AvailabilityZone: aws.String(integration.Region + az)})
		require.NoError(t, err)
		subnets = append(subnets, aws.ToString(s.Subnet.SubnetId))
	}
	sg, err := ec.CreateSecurityGroup(ctx, &ec2.CreateSecurityGroupInput{GroupName: aws.String("alb"), Description: aws.String("alb"), VpcId: vpc.Vpc.VpcId})
	require.NoError(t, err)
	calls := integration.Record(&cfg)
	return &world{cfg: cfg, calls: calls, ctx: ctx, spec: loadbalancer.Spec{Stack: "shop", VPCID: aws.ToString(vpc.Vpc.VpcId), SubnetIDs: subnets,
		SecurityGroupID: aws.ToString(sg.GroupId), Domain: "shop.example.test"}}
}

func (w *world) lb(c loadbalancer.Clients) *loadbalancer.LoadBalancer {
	return loadbalancer.New(c, func(o *loadbalancer.Options) { o.MinDelay, o.MaxDelay = time.Millisecond, 10*time.Millisecond })
}

func TestEnsureIsIdempotentAndDeleteRemovesAll(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	lb := w.lb(loadbalancer.ClientsFromConfig(w.cfg))
	st, err := lb.Ensure(w.ctx, w.spec)
	require.NoError(t, err)
	assert.NotEmpty(t, st.DNSName)
	assert.NotEmpty(t, st.TargetGroupARN)
	// moto (MOTO_ACM_VALIDATION_WAIT=0, as the harness starts it) issues
	// the certificate at once, with a fixed dummy record.
	require.Equal(t, "ISSUED", st.CertificateStatus, "the harness starts moto with MOTO_ACM_VALIDATION_WAIT=0")
	assert.NotEmpty(t, st.ValidationRecords)
	assert.NotEmpty(t, st.HTTPSListenerARN)
	assert.NotEmpty(t, st.HTTPListenerARN)
	assert.Len(t, st.Changes, 5, "certificate, load balancer, target group, two listeners: %v", st.Changes)

	w.calls.Reset()
	again, err := lb.Ensure(w.ctx, w.spec)
	require.NoError(t, err)
	assert.Empty(t, w.calls.Mutating(), "a second Ensure writes nothing")
	assert.Empty(t, again.Changes)
	p, err := lb.Plan(w.ctx, w.spec)
	require.NoError(t, err)
	assert.False(t, p.HasChanges(), "%s", p)

	lines, err := lb.Status(w.ctx, "shop")
	require.NoError(t, err)
	assert.Contains(t, lines, "certificate shop.example.test: ISSUED")
	assert.Contains(t, lines, "listener HTTP:80: redirect to HTTPS")

	done, err := lb.Delete(w.ctx, "shop")
	require.NoError(t, err)
	kinds := map[string]int{}
	for _, c := range done {
		assert.Equal(t, change.Delete, c.Action)
		kinds[c.Kind]++
	}
	assert.Equal(t, map[string]int{"listener": 2, "load balancer": 1, "target group": 1, "certificate": 1}, kinds)
	all, err := elb.NewFromConfig(w.cfg).DescribeLoadBalancers(w.ctx, &elb.DescribeLoadBalancersInput{})
	require.NoError(t, err)
	assert.Empty(t, all.LoadBalancers)
	w.calls.Reset()
	done, err = lb.Delete(w.ctx, "shop")
	require.NoError(t, err)
	assert.Empty(t, done)
	assert.Empty(t, w.calls.Mutating(), "deleting nothing writes nothing")
}

// pendingACM reports every certificate as waiting for its DNS record: a
// fake over the real client, for what moto started with
// MOTO_ACM_VALIDATION_WAIT=0 never shows.
type pendingACM struct{ *acm.Client }

func (p pendingACM) DescribeCertificate(ctx context.Context, in *acm.DescribeCertificateInput, optFns ...func(*acm.Options)) (*acm.DescribeCertificateOutput, error) {
	out, err := p.Client.DescribeCertificate(ctx, in, optFns...)
	if err == nil {
		out.Certificate.Status = acmtypes.CertificateStatusPendingValidation
	}
	return out, err
}

// Until the certificate is issued the site is served over HTTP; the first
// Ensure after the issue adds HTTPS and turns HTTP into the redirect.
func TestPendingCertificateServesHTTPUntilIssued(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	real := loadbalancer.ClientsFromConfig(w.cfg)
	pending := real
	pending.ACM = pendingACM{acm.NewFromConfig(w.cfg)}
	st, err := w.lb(pending).Ensure(w.ctx, w.spec)
	require.NoError(t, err)
	assert.Equal(t, "PENDING_VALIDATION", st.CertificateStatus)
	require.NotEmpty(t, st.ValidationRecords)
	assert.Equal(t, "CNAME", st.ValidationRecords[0].Type)
	assert.Empty(t, st.HTTPSListenerARN, "no HTTPS listener without an issued certificate")
	p, err := w.lb(pending).Plan(w.ctx, w.spec)
	require.NoError(t, err)
	assert.False(t, p.HasChanges())
	assert.Contains(t, p.Notes[0], "publish "+st.ValidationRecords[0].String())

	w.calls.Reset()
	st, err = w.lb(real).Ensure(w.ctx, w.spec)
	require.NoError(t, err)
	assert.NotEmpty(t, st.HTTPSListenerARN)
	var ops []string
	for _, c := range w.calls.Mutating() {
		ops = append(ops, c.String())
	}
	assert.Len(t, ops, 2, "create HTTPS, modify HTTP: %v", ops)
}
