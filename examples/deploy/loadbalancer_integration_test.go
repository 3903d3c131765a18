package main

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/acm"
	acmtypes "github.com/aws/aws-sdk-go-v2/service/acm/types"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
	astypes "github.com/aws/aws-sdk-go-v2/service/autoscaling/types"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/manga-alert-italia/mangaalert/integration"
)

// instances: 3 puts the site behind a load balancer and back, on the
// emulator through the tool.
//
// What moto 5.2.1 does not model, so this test cannot show: the ECS
// service registering its tasks in the target group (no targets appear,
// health checks never run), tasks placed on instances at all (the
// service reports MOTO_ECS_SERVICE_RUNNING tasks running), DNS
// validation (the harness starts moto with MOTO_ACM_VALIDATION_WAIT=0, so
// a certificate is ISSUED at once and always carries the same dummy
// CNAME record; against a moto started without it the certificate stays
// PENDING_VALIDATION for 60 s and the first apply makes only the HTTP
// listener, forwarding), a listener refusing a certificate not yet issued,
// and any delay between deleting the load balancer and its target group
// or certificate being free to delete.
func TestInstancesBehindALoadBalancerAndBack(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	cfg := integration.Config(t, append(slices.Clone(stackServices), integration.ELBv2, integration.ACM)...)
	ac := &account{cfg: cfg, calls: integration.Record(&cfg), env: map[string]string{}}
	// Behind the load balancer each host holds a second task during a
	// 100%/200% rollout: more than a t4g.nano's memory (plan says so).
	// Output is read with its columns' spaces squeezed ("create load
	// balancer mangaalert").
	run := func(args ...string) string {
		return strings.Join(strings.Fields(ac.mustRun(t, append(args, "--instance-type", "t4g.micro")...)), " ")
	}
	lbs, certs := elb.NewFromConfig(ac.cfg), acm.NewFromConfig(ac.cfg)
	asg, svc, ec := autoscaling.NewFromConfig(ac.cfg), ecs.NewFromConfig(ac.cfg), ec2.NewFromConfig(ac.cfg)

	plan := run("plan", "--offline", "--instances", "3")
	for _, want := range []string{"create load balancer mangaalert", "create target group mangaalert-tg", "create certificate manga.example.test",
		"create security group sg/alb", "this configuration with instances: 1"} {
		assert.Contains(t, plan, want)
	}

	out := run("apply", "--instances", "3")
	t.Logf("apply with instances 3: %d writes", len(ac.calls.Mutating()))
	lb, err := lbs.DescribeLoadBalancers(ctx, &elb.DescribeLoadBalancersInput{Names: []string{"mangaalert"}})
	require.NoError(t, err)
	require.Len(t, lb.LoadBalancers, 1)
	alb := lb.LoadBalancers[0]
	assert.Equal(t, elbtypes.LoadBalancerSchemeEnumInternetFacing, alb.Scheme)
	assert.Len(t, alb.AvailabilityZones, 2, "in the two public subnets")
	assert.Contains(t, out, aws.ToString(alb.DNSName), "apply says where to point the domain")

	tgs, err := lbs.DescribeTargetGroups(ctx, &elb.DescribeTargetGroupsInput{Names: []string{"mangaalert-tg"}})
	require.NoError(t, err)
	tg := tgs.TargetGroups[0]
	assert.Equal(t, "/readyz", aws.ToString(tg.HealthCheckPath))
	assert.Equal(t, elbtypes.TargetTypeEnumInstance, tg.TargetType)

	cert := onlyCertificate(t, certs)
	listeners, err := lbs.DescribeListeners(ctx, &elb.DescribeListenersInput{LoadBalancerArn: alb.LoadBalancerArn})
	require.NoError(t, err)
	byPort := map[int32]elbtypes.Listener{}
	for _, l := range listeners.Listeners {
		byPort[aws.ToInt32(l.Port)] = l
	}
	if cert.Status == "ISSUED" {
		require.Len(t, byPort, 2)
		https := byPort[443]
		assert.Equal(t, elbtypes.ProtocolEnumHttps, https.Protocol)
		require.Len(t, https.Certificates, 1)
		assert.Equal(t, aws.ToString(cert.CertificateArn), aws.ToString(https.Certificates[0].CertificateArn))
		assert.Equal(t, aws.ToString(tg.TargetGroupArn), aws.ToString(https.DefaultActions[0].TargetGroupArn))
		assert.Equal(t, elbtypes.ActionTypeEnumRedirect, byPort[80].DefaultActions[0].Type, "HTTP redirects to HTTPS")
	} else { // an emulator started without MOTO_ACM_VALIDATION_WAIT=0
		t.Logf("certificate %s: only the HTTP listener, forwarding", cert.Status)
		require.Len(t, byPort, 1)
		assert.Equal(t, elbtypes.ActionTypeEnumForward, byPort[80].DefaultActions[0].Type)
		assert.Contains(t, out, "_d930b28be6c5927595552b219965053e.manga.example.test. CNAME", "the validation record is printed")
	}

	g := group(t, asg)
	assert.Equal(t, int32(3), aws.ToInt32(g.MinSize))
	assert.Equal(t, int32(3), aws.ToInt32(g.DesiredCapacity))
	assert.Len(t, strings.Split(aws.ToString(g.VPCZoneIdentifier), ","), 2, "spread over both zones' subnets")
	s := service(t, svc)
	assert.Equal(t, int32(3), s.DesiredCount)
	require.Len(t, s.LoadBalancers, 1)
	assert.Equal(t, aws.ToString(tg.TargetGroupArn), aws.ToString(s.LoadBalancers[0].TargetGroupArn))
	assert.Equal(t, int32(8080), aws.ToInt32(s.LoadBalancers[0].ContainerPort))
	td := serveDefinition(t, svc, aws.ToString(s.TaskDefinition))
	assert.Equal(t, int32(0), aws.ToInt32(td.PortMappings[0].HostPort), "a dynamic host port")
	assert.Len(t, td.PortMappings, 1, "no 443: TLS ends at the load balancer")
	for _, e := range td.Environment {
		assert.NotEqual(t, "MANGAALERT_ACME_HOSTS", aws.ToString(e.Name), "ACME is off behind the load balancer")
	}
	host, albGroup := groups(t, ec)
	require.NotNil(t, albGroup)
	assert.Equal(t, []string{"tcp 32768-65535 from " + aws.ToString(albGroup.GroupId)}, ingress(host), "the hosts take traffic from the load balancer only")
	assert.ElementsMatch(t, []string{"tcp 80-80 from 0.0.0.0/0", "tcp 443-443 from 0.0.0.0/0"}, ingress(albGroup))

	ac.calls.Reset()
	run("apply", "--instances", "3")
	assert.Empty(t, operations(ac.calls.Mutating()), "a second apply writes nothing")
	ac.calls.Reset()
	plan = run("plan", "--instances", "3")
	assert.Contains(t, plan, "no changes")
	status := run("status", "--instances", "3")
	assert.Contains(t, status, "Load balancer")
	assert.Contains(t, status, aws.ToString(alb.DNSName))
	assert.Contains(t, status, "certificate manga.example.test: "+string(cert.Status))
	assert.Contains(t, run("diff", "--instances", "3"), "No drift")
	assert.Empty(t, operations(ac.calls.Mutating()), "plan, status and diff only read")

	// Back to one host: the load balancer and its pieces go.
	plan = run("plan", "--instances", "1")
	for _, want := range []string{"delete load balancer mangaalert", "delete target group mangaalert-tg", "delete listener HTTP:80",
		"delete certificate manga.example.test", "delete security group sg/alb"} {
		assert.Contains(t, plan, want)
	}
	out = run("apply", "--instances", "1")
	t.Logf("back to instances 1: %d writes", len(ac.calls.Mutating()))
	_, err = lbs.DescribeLoadBalancers(ctx, &elb.DescribeLoadBalancersInput{Names: []string{"mangaalert"}})
	require.Error(t, err, "the load balancer is gone")
	_, err = lbs.DescribeTargetGroups(ctx, &elb.DescribeTargetGroupsInput{Names: []string{"mangaalert-tg"}})
	require.Error(t, err, "the target group is gone")
	list, err := certs.ListCertificates(ctx, &acm.ListCertificatesInput{})
	require.NoError(t, err)
	assert.Empty(t, list.CertificateSummaryList, "the certificate is gone")
	host, albGroup = groups(t, ec)
	assert.Nil(t, albGroup, "the load balancer's security group is gone")
	assert.ElementsMatch(t, []string{"tcp 80-80 from 0.0.0.0/0", "tcp 443-443 from 0.0.0.0/0"}, ingress(host), "the host serves the site itself again")
	assert.Equal(t, int32(1), aws.ToInt32(group(t, asg).DesiredCapacity))
	s = service(t, svc)
	assert.Equal(t, int32(1), s.DesiredCount)
	assert.Empty(t, s.LoadBalancers)
	td = serveDefinition(t, svc, aws.ToString(s.TaskDefinition))
	assert.Equal(t, int32(80), aws.ToInt32(td.PortMappings[0].HostPort))
	assert.Contains(t, out, "served by the host's public address")
	ac.calls.Reset()
	run("apply", "--instances", "1")
	assert.Empty(t, operations(ac.calls.Mutating()), "one host again, and settled")

	run("apply", "--instances", "2")
	run("destroy", "--yes", "--purge-secrets")
	all, err := lbs.DescribeLoadBalancers(ctx, &elb.DescribeLoadBalancersInput{})
	require.NoError(t, err)
	assert.Empty(t, all.LoadBalancers)
	tgAll, err := lbs.DescribeTargetGroups(ctx, &elb.DescribeTargetGroupsInput{})
	require.NoError(t, err)
	assert.Empty(t, tgAll.TargetGroups)
	list, err = certs.ListCertificates(ctx, &acm.ListCertificatesInput{})
	require.NoError(t, err)
	assert.Empty(t, list.CertificateSummaryList)
	vpcs, err := ec.DescribeVpcs(ctx, &ec2.DescribeVpcsInput{Filters: []ec2types.Filter{{Name: aws.String("tag-key"), Values: []string{"mangaalert:stack"}}}})
	require.NoError(t, err)
	assert.Empty(t, vpcs.Vpcs, "destroy leaves nothing")
}

func onlyCertificate(t *testing.T, c *acm.Client) *acmtypes.CertificateDetail {
	t.Helper()
	list, err := c.ListCertificates(context.Background(), &acm.ListCertificatesInput{})
	require.NoError(t, err)
	require.Len(t, list.CertificateSummaryList, 1)
	d, err := c.DescribeCertificate(context.Background(), &acm.DescribeCertificateInput{CertificateArn: list.CertificateSummaryList[0].CertificateArn})
	require.NoError(t, err)
	return d.Certificate
}

func group(t *testing.T, c *autoscaling.Client) *astypes.AutoScalingGroup {
	t.Helper()
	out, err := c.DescribeAutoScalingGroups(context.Background(), &autoscaling.DescribeAutoScalingGroupsInput{AutoScalingGroupNames: []string{"mangaalert-ecs-host"}})
	require.NoError(t, err)
	require.Len(t, out.AutoScalingGroups, 1)
	return &out.AutoScalingGroups[0]
}

func service(t *testing.T, c *ecs.Client) *ecstypes.Service {
	t.Helper()
	out, err := c.DescribeServices(context.Background(), &ecs.DescribeServicesInput{Cluster: aws.String("mangaalert"), Services: []string{"mangaalert-serve"}})
	require.NoError(t, err)
	require.Len(t, out.Services, 1)
	return &out.Services[0]
}

func serveDefinition(t *testing.T, c *ecs.Client, arn string) *ecstypes.ContainerDefinition {
	t.Helper()
	out, err := c.DescribeTaskDefinition(context.Background(), &ecs.DescribeTaskDefinitionInput{TaskDefinition: aws.String(arn)})
	require.NoError(t, err)
	return &out.TaskDefinition.ContainerDefinitions[0]
}

// groups are the host's security group and the load balancer's (nil
// when there is none).
func groups(t *testing.T, c *ec2.Client) (host, alb *ec2types.SecurityGroup) {
	t.Helper()
	out, err := c.DescribeSecurityGroups(context.Background(), &ec2.DescribeSecurityGroupsInput{Filters: []ec2types.Filter{
		{Name: aws.String("tag:mangaalert:stack"), Values: []string{"mangaalert"}}}})
	require.NoError(t, err)
	for _, g := range out.SecurityGroups {
		for _, tag := range g.Tags {
			switch aws.ToString(tag.Key) + "=" + aws.ToString(tag.Value) {
			case "mangaalert:component=sg/host":
				host = &g
			case "mangaalert:component=sg/alb":
				alb = &g
			}
		}
	}
	require.NotNil(t, host)
	return host, alb
}

func ingress(g *ec2types.SecurityGroup) []string {
	var out []string
	for _, p := range g.IpPermissions {
		head := aws.ToString(p.IpProtocol) + " " + fmt.Sprint(aws.ToInt32(p.FromPort)) + "-" + fmt.Sprint(aws.ToInt32(p.ToPort)) + " from "
		for _, r := range p.IpRanges {
			out = append(out, head+aws.ToString(r.CidrIp))
		}
		for _, u := range p.UserIdGroupPairs {
			out = append(out, head+aws.ToString(u.GroupId))
		}
	}
	return out
}
