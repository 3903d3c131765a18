package integration_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/resourcegroupstaggingapi"
	rgttypes "github.com/aws/aws-sdk-go-v2/service/resourcegroupstaggingapi/types"
	"github.com/aws/aws-sdk-go-v2/service/scheduler"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	smtypes "github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/manga-alert-italia/mangaalert/iampolicy"
	"github.com/manga-alert-italia/mangaalert/integration"
)

// The deployed stack of the end-to-end test, and its configuration as
// the deploy tool reads it.
const (
	e2eStack  = "mangaalert-e2e"
	e2eDomain = "mangaalert.example.test"
	e2eImage  = "ghcr.io/manga-alert-italia/mangaalert:e2e"
	// motoDefaultAccount is the account moto serves requests that name
	// none (no x-moto-account-id header), as the deploy binary's do.
	motoDefaultAccount = "123456789012"
)

// e2eConfig is the deploy tool's configuration file for the test.
var e2eConfig = map[string]any{
	"stack":  e2eStack,
	"image":  e2eImage,
	"domain": e2eDomain,
	"sender": "ses",
	"schedules": map[string]string{
		"scrape": "rate(6 hours)",
		"notify": "cron(0 8 * * ? *)", // a cron one too: both kinds reach the Scheduler
	},
	"tags": map[string]string{"purpose": "e2e"},
}

// deployedStack is what the infrastructure half hands the runtime half:
// where the stack runs and how to reach it.
type deployedStack struct {
	Emulator      *integration.Emulator
	AWS           aws.Config // the default account, as the deploy binary uses it
	Stack         string
	Table         string
	SigningKeyARN string
	From          string // the alerts' sender
	AccountFrom   string
	TaskDefs      map[string]string // container name → task definition ARN
}

// TestDeployEndToEnd drives the deploy binary against the emulator: apply
// the whole stack, check every resource and the wiring with the SDK, run
// the runtime half, apply again (zero writes), destroy (nothing left).
//
// It uses the emulator's DEFAULT account: the binary sends no account
// header, as it would against AWS. Every other test of this package opens a
// random account (integration.Config), so the default one is this test's
// alone and it may run in parallel with them.
func TestDeployEndToEnd(t *testing.T) {
	t.Parallel()
	emu := integration.Env(t)
	emu.Require(t, integration.EC2, integration.ECS, integration.AutoScaling, integration.IAM, integration.SSM,
		integration.STS, integration.Scheduler, integration.SecretsManager, integration.DynamoDB, integration.Logs)
	if emu.Kind != integration.Moto {
		// The default-account isolation above is moto's; elsewhere the
		// test could meet another test's resources.
		t.Skipf("needs moto's default account, not %s", emu.Kind)
	}
	ctx := context.Background()
	d := newDeployer(t, emu)

	// A run against a long-lived emulator may have left a stack behind.
	d.run(t, "destroy", "--yes", "--purge-secrets")
	t.Cleanup(func() {
		if t.Failed() {
			d.tryRun("destroy", "--yes", "--purge-secrets")
		}
	})

	start := time.Now()
	out := d.run(t, "apply")
	took := time.Since(start)
	t.Logf("first apply of the full stack on %s: %s (target ≤ 20 s)\n%s", emu.Kind, took.Round(time.Millisecond), out)
	assert.Contains(t, out, "apply done")
	assert.Greater(t, writesIn(t, out), 0, "a first apply writes")

	st := checkDeployed(t, ctx, d)

	t.Run("runtime", func(t *testing.T) { deployE2ERuntime(t, st) })

	t.Run("a second apply writes nothing", func(t *testing.T) {
		start := time.Now()
		out := d.run(t, "apply")
		t.Logf("second apply on %s: %s", emu.Kind, time.Since(start).Round(time.Millisecond))
		assert.Equal(t, 0, writesIn(t, out), "%s", out)
		assert.Contains(t, out, "apply done: no changes")
	})

	t.Run("status shows what runs", func(t *testing.T) {
		out := d.run(t, "status")
		assert.Contains(t, out, "desired 1, running 1")
		assert.Contains(t, out, e2eStack+"-serve: revision 1, "+e2eImage)
		assert.Regexp(t, `scrape: rate\(6 hours\) in Europe/Rome, ENABLED; runs `+e2eStack+`-scrape:1; next \w{3} `, out)
		assert.Regexp(t, `notify: cron\(0 8 \* \* \? \*\) in Europe/Rome, ENABLED; runs `+e2eStack+`-notify:1; next \w{3} \d{4}-\d\d-\d\d 08:00 CE`, out)
	})

	t.Run("destroy leaves nothing with our tags", func(t *testing.T) {
		out := d.run(t, "destroy", "--yes", "--purge-secrets")
		assert.Contains(t, out, "destroy done")
		checkDestroyed(t, ctx, d)
	})
}

// deployer runs the deploy binary, built once for the test.
type deployer struct {
	bin    string
	config string
	env    []string
	emu    *integration.Emulator
	aws    aws.Config
}

func newDeployer(t *testing.T, emu *integration.Emulator) *deployer {
	t.Helper()
	dir := t.TempDir()
	d := &deployer{bin: filepath.Join(dir, "deploy"), config: filepath.Join(dir, "deploy.json"), emu: emu}
	build := exec.Command("go", "build", "-o", d.bin, "github.com/manga-alert-italia/mangaalert/examples/deploy")
	if b, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build the deploy tool: %v\n%s", err, b)
	}
	b, err := json.MarshalIndent(e2eConfig, "", "  ")
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(d.config, b, 0o600))
	// Dummy keys and no profile, metadata service or shared files: the
	// binary reaches only the emulator, in its default account.
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "AWS_") && !strings.HasPrefix(kv, "HOME=") && !strings.HasPrefix(kv, "MANGAALERT_") {
			d.env = append(d.env, kv)
		}
	}
	d.env = append(d.env, "HOME="+dir, "AWS_ACCESS_KEY_ID=test", "AWS_SECRET_ACCESS_KEY=test", "AWS_EC2_METADATA_DISABLED=true")
	d.aws = aws.Config{
		Region:       integration.Region,
		Credentials:  credentials.NewStaticCredentialsProvider("test", "test", ""),
		BaseEndpoint: aws.String(emu.Endpoint),
		Retryer:      integration.Retryer,
	}
	return d
}

func (d *deployer) command(ctx context.Context, args ...string) *exec.Cmd {
	args = append(args, "--config", d.config, "--endpoint", d.emu.Endpoint, "--poll", "50ms")
	cmd := exec.CommandContext(ctx, d.bin, args...)
	cmd.Env = d.env
	return cmd
}

// run runs a command of the binary and fails t unless it exits 0.
func (d *deployer) run(t *testing.T, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	b, err := d.command(ctx, args...).CombinedOutput()
	require.NoError(t, err, "deploy %s:\n%s", strings.Join(args, " "), b)
	return string(b)
}

// tryRun runs a command for cleanup, whatever comes of it.
func (d *deployer) tryRun(args ...string) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	_ = d.command(ctx, args...).Run()
}

var writesRE = regexp.MustCompile(`AWS calls: \d+, of which writes: (\d+)`)

// writesIn reads the count of mutating calls the binary prints last.
func writesIn(t *testing.T, out string) int {
	t.Helper()
	m := writesRE.FindStringSubmatch(out)
	require.NotNil(t, m, "no call count in:\n%s", out)
	n, err := strconv.Atoi(m[1])
	require.NoError(t, err)
	return n
}

func arn(service, resource string) string {
	return "arn:aws:" + service + ":" + integration.Region + ":" + motoDefaultAccount + ":" + resource
}

func tagMap[T any](tags []T, kv func(T) (*string, *string)) map[string]string {
	m := map[string]string{}
	for _, t := range tags {
		k, v := kv(t)
		m[aws.ToString(k)] = aws.ToString(v)
	}
	return m
}

// checkDeployed checks every resource of the stack and how they are wired,
// and returns what the runtime half needs.
func checkDeployed(t *testing.T, ctx context.Context, d *deployer) *deployedStack {
	t.Helper()
	cfg := d.aws
	st := &deployedStack{Emulator: d.emu, AWS: cfg, Stack: e2eStack, Table: e2eStack,
		From: "Manga Alert Italia <avvisi@" + e2eDomain + ">", AccountFrom: "Manga Alert Italia <account@" + e2eDomain + ">",
		TaskDefs: map[string]string{}}
	ec2c, ecsc, iamc := ec2.NewFromConfig(cfg), ecs.NewFromConfig(cfg), iam.NewFromConfig(cfg)

	// Network: one VPC of ours, two public subnets, the gateway, the host group.
	ours := []ec2types.Filter{{Name: aws.String("tag:mangaalert:stack"), Values: []string{e2eStack}}}
	vpcs, err := ec2c.DescribeVpcs(ctx, &ec2.DescribeVpcsInput{Filters: ours})
	require.NoError(t, err)
	require.Len(t, vpcs.Vpcs, 1)
	vpcID := aws.ToString(vpcs.Vpcs[0].VpcId)
	subnets, err := ec2c.DescribeSubnets(ctx, &ec2.DescribeSubnetsInput{Filters: ours})
	require.NoError(t, err)
	require.Len(t, subnets.Subnets, 2, "PublicOnly in two zones")
	var subnetIDs []string
	for _, s := range subnets.Subnets {
		assert.True(t, aws.ToBool(s.MapPublicIpOnLaunch), "public subnet %s", aws.ToString(s.SubnetId))
		subnetIDs = append(subnetIDs, aws.ToString(s.SubnetId))
	}
	groups, err := ec2c.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{Filters: ours})
	require.NoError(t, err)
	require.Len(t, groups.SecurityGroups, 1)
	sg := groups.SecurityGroups[0]
	var ports []int32
	for _, p := range sg.IpPermissions {
		ports = append(ports, aws.ToInt32(p.FromPort))
	}
	slices.Sort(ports)
	assert.Equal(t, []int32{80, 443}, ports, "only the site's ports; no SSH unless asked")
	nats, err := ec2c.DescribeNatGateways(ctx, &ec2.DescribeNatGatewaysInput{Filter: []ec2types.Filter{{Name: aws.String("vpc-id"), Values: []string{vpcID}}}})
	require.NoError(t, err)
	assert.Empty(t, nats.NatGateways, "no NAT by default")

	// Secrets: the signing key, tagged.
	sec, err := secretsmanager.NewFromConfig(cfg).DescribeSecret(ctx, &secretsmanager.DescribeSecretInput{SecretId: aws.String(e2eStack + "/signing-key")})
	require.NoError(t, err)
	st.SigningKeyARN = aws.ToString(sec.ARN)
	assert.Equal(t, e2eStack, tagMap(sec.Tags, func(t2 smtypes.Tag) (*string, *string) { return t2.Key, t2.Value })["mangaalert:stack"])
	val, err := secretsmanager.NewFromConfig(cfg).GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: sec.ARN})
	require.NoError(t, err)
	assert.Len(t, aws.ToString(val.SecretString), 44, "32 random bytes, base64")

	// Store: the table, on demand, tagged.
	tbl, err := dynamodb.NewFromConfig(cfg).DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(e2eStack)})
	require.NoError(t, err)
	assert.Equal(t, "ACTIVE", string(tbl.Table.TableStatus))
	tableARN := aws.ToString(tbl.Table.TableArn)
	assert.Equal(t, arn("dynamodb", "table/"+e2eStack), tableARN)

	// Host: the cluster, the service, three task definitions in bridge mode
	// with the signing key by ARN.
	svc, err := ecsc.DescribeServices(ctx, &ecs.DescribeServicesInput{Cluster: aws.String(e2eStack), Services: []string{e2eStack + "-serve"}})
	require.NoError(t, err)
	require.Len(t, svc.Services, 1)
	assert.Equal(t, int32(1), svc.Services[0].DesiredCount)
	assert.Equal(t, ecstypes.LaunchTypeEc2, svc.Services[0].LaunchType)
	execRole := "arn:aws:iam::" + motoDefaultAccount + ":role/mangaalert/" + e2eStack + "/" + e2eStack + "-ecs-execution"
	referenced := map[string]bool{}
	for _, name := range []string{"serve", "scrape", "notify"} {
		td, err := ecsc.DescribeTaskDefinition(ctx, &ecs.DescribeTaskDefinitionInput{TaskDefinition: aws.String(e2eStack + "-" + name)})
		require.NoError(t, err, name)
		def := td.TaskDefinition
		st.TaskDefs[name] = aws.ToString(def.TaskDefinitionArn)
		assert.Equal(t, ecstypes.NetworkModeBridge, def.NetworkMode, name)
		assert.Equal(t, execRole, aws.ToString(def.ExecutionRoleArn), name)
		assert.Equal(t, "arn:aws:iam::"+motoDefaultAccount+":role/mangaalert/"+e2eStack+"/"+e2eStack+"-task-"+name, aws.ToString(def.TaskRoleArn), name)
		require.Len(t, def.ContainerDefinitions, 1)
		c := def.ContainerDefinitions[0]
		assert.Equal(t, e2eImage, aws.ToString(c.Image))
		assert.Equal(t, []string{name}, c.Command)
		env := map[string]string{}
		for _, kv := range c.Environment {
			env[aws.ToString(kv.Name)] = aws.ToString(kv.Value)
			assert.NotRegexp(t, `(?i)secret|passw|token`, aws.ToString(kv.Name), "secrets never in plain variables")
		}
		assert.Equal(t, "dynamodb:"+e2eStack, env["MANGAALERT_STORE"], name)
		assert.Equal(t, integration.Region, env["AWS_REGION"], name)
		var secretsOf []string
		for _, s := range c.Secrets {
			secretsOf = append(secretsOf, aws.ToString(s.Name)+"="+aws.ToString(s.ValueFrom))
			referenced[aws.ToString(s.ValueFrom)] = true
		}
		var ports []string
		for _, pm := range c.PortMappings {
			ports = append(ports, fmt.Sprintf("%d->%d", aws.ToInt32(pm.HostPort), aws.ToInt32(pm.ContainerPort)))
		}
		if name == "serve" {
			// No load balancer: the site serves its own TLS, with a
			// certificate for the domain from ACME.
			assert.Equal(t, []string{"80->8080", "443->443"}, ports)
			assert.Equal(t, e2eDomain, env["MANGAALERT_ACME_HOSTS"])
		} else {
			assert.Empty(t, ports, "%s publishes no port", name)
		}
		if name == "scrape" {
			assert.Empty(t, secretsOf, "the scraper needs no secret")
		} else {
			assert.Equal(t, []string{"MANGAALERT_SIGNING_KEY=" + st.SigningKeyARN}, secretsOf, name)
			assert.Equal(t, "https://"+e2eDomain, env["MANGAALERT_BASE_URL"], name)
			assert.Equal(t, st.From, env["MANGAALERT_FROM"], name)
			assert.Equal(t, st.SigningKeyARN, env["MANGAALERT_SIGNING_KEY_ARN"], name)
		}
	}
	assert.Equal(t, aws.ToString(svc.Services[0].TaskDefinition), st.TaskDefs["serve"])

	// The execution role may read exactly the secrets the definitions name.
	execPolicy := rolePolicy(t, ctx, iamc, e2eStack+"-ecs-execution", "ecs-execution")
	assert.ElementsMatch(t, keys(referenced), resourcesOf(execPolicy, "secretsmanager:GetSecretValue"))

	// Task roles: named DynamoDB actions on the table and its indexes,
	// mail from the SES identity; no wildcard action anywhere.
	for _, name := range []string{"serve", "scrape", "notify"} {
		p := rolePolicy(t, ctx, iamc, e2eStack+"-task-"+name, "task")
		assert.ElementsMatch(t, []string{tableARN, tableARN + "/index/*"}, resourcesOf(p, "dynamodb:PutItem"), name)
		assert.Contains(t, actionsOf(p), "dynamodb:Query", name)
		if name == "scrape" {
			assert.Empty(t, resourcesOf(p, "ses:SendEmail"), "the scraper sends no mail")
			assert.Empty(t, resourcesOf(p, "secretsmanager:GetSecretValue"))
		} else {
			assert.Equal(t, []string{arn("ses", "identity/"+e2eDomain)}, resourcesOf(p, "ses:SendEmail"), name)
			assert.Equal(t, []string{st.SigningKeyARN}, resourcesOf(p, "secretsmanager:GetSecretValue"), name)
		}
	}

	// Every policy of every role of the stack passes the least-privilege
	// check: no "*" resource where a narrower one exists.
	checked := 0
	for _, role := range stackRoles(t, ctx, iamc) {
		names, err := iamc.ListRolePolicies(ctx, &iam.ListRolePoliciesInput{RoleName: aws.String(role)})
		require.NoError(t, err)
		for _, pn := range names.PolicyNames {
			doc := rolePolicy(t, ctx, iamc, role, pn)
			assert.Empty(t, iampolicy.Check(role+"/"+pn, doc), "policy %s of %s: %s", pn, role, doc.JSON())
			checked++
		}
	}
	assert.GreaterOrEqual(t, checked, 6, "instance, execution, three task and the scheduler's policies")

	// The instance: launched by the group from our template, whose data
	// requires IMDSv2 with one hop.
	asg, err := autoscaling.NewFromConfig(cfg).DescribeAutoScalingGroups(ctx, &autoscaling.DescribeAutoScalingGroupsInput{
		AutoScalingGroupNames: []string{e2eStack + "-ecs-host"}})
	require.NoError(t, err)
	require.Len(t, asg.AutoScalingGroups, 1)
	g := asg.AutoScalingGroups[0]
	assert.ElementsMatch(t, subnetIDs, strings.Split(aws.ToString(g.VPCZoneIdentifier), ","))
	require.Len(t, g.Instances, 1)
	inst := g.Instances[0]
	require.NotNil(t, inst.LaunchTemplate)
	assert.Equal(t, e2eStack+"-ecs-host", aws.ToString(inst.LaunchTemplate.LaunchTemplateName))
	ltv, err := ec2c.DescribeLaunchTemplateVersions(ctx, &ec2.DescribeLaunchTemplateVersionsInput{
		LaunchTemplateId: inst.LaunchTemplate.LaunchTemplateId, Versions: []string{aws.ToString(inst.LaunchTemplate.Version)}})
	require.NoError(t, err)
	require.Len(t, ltv.LaunchTemplateVersions, 1)
	md := ltv.LaunchTemplateVersions[0].LaunchTemplateData.MetadataOptions
	require.NotNil(t, md)
	assert.Equal(t, ec2types.LaunchTemplateHttpTokensStateRequired, md.HttpTokens)
	assert.Equal(t, int32(1), aws.ToInt32(md.HttpPutResponseHopLimit))
	nis := ltv.LaunchTemplateVersions[0].LaunchTemplateData.NetworkInterfaces
	require.Len(t, nis, 1)
	assert.Equal(t, []string{aws.ToString(sg.GroupId)}, nis[0].Groups, "the host group of the network step")
	ins, err := ec2c.DescribeInstances(ctx, &ec2.DescribeInstancesInput{InstanceIds: []string{aws.ToString(inst.InstanceId)}})
	require.NoError(t, err)
	require.Len(t, ins.Reservations, 1)
	i := ins.Reservations[0].Instances[0]
	itags := tagMap(i.Tags, func(t2 ec2types.Tag) (*string, *string) { return t2.Key, t2.Value })
	assert.Equal(t, aws.ToString(inst.LaunchTemplate.LaunchTemplateId), itags["aws:ec2launchtemplate:id"])
	assert.Equal(t, int32(1), aws.ToInt32(i.MetadataOptions.HttpPutResponseHopLimit))
	// moto does not carry a template's HttpTokens over to the instances a
	// group launches (it reports "optional"); the template above says
	// required, which is what AWS applies.
	t.Logf("instance %s metadata options as the emulator reports them: tokens %s, hop limit %d",
		aws.ToString(i.InstanceId), i.MetadataOptions.HttpTokens, aws.ToInt32(i.MetadataOptions.HttpPutResponseHopLimit))

	// Schedules target the cluster and the right task definitions, in the
	// stack's one group; its one role may pass exactly the execution role
	// and the jobs' task roles.
	sch := scheduler.NewFromConfig(cfg)
	role := e2eStack + "-scheduler"
	passable := []string{execRole}
	for _, job := range []string{"scrape", "notify"} {
		s, err := sch.GetSchedule(ctx, &scheduler.GetScheduleInput{Name: aws.String(job), GroupName: aws.String(e2eStack)})
		require.NoError(t, err, job)
		require.NotNil(t, s.Target)
		assert.Equal(t, arn("ecs", "cluster/"+e2eStack), aws.ToString(s.Target.Arn), job)
		require.NotNil(t, s.Target.EcsParameters)
		assert.Equal(t, st.TaskDefs[job], aws.ToString(s.Target.EcsParameters.TaskDefinitionArn), job)
		assert.Equal(t, ecstypes.LaunchTypeEc2, ecstypes.LaunchType(string(s.Target.EcsParameters.LaunchType)), job)
		assert.Equal(t, "Europe/Rome", aws.ToString(s.ScheduleExpressionTimezone))
		assert.True(t, strings.HasSuffix(aws.ToString(s.Target.RoleArn), ":role/"+role), job)
		passable = append(passable, "arn:aws:iam::"+motoDefaultAccount+":role/mangaalert/"+e2eStack+"/"+e2eStack+"-task-"+job)
	}
	assert.ElementsMatch(t, passable, resourcesOf(rolePolicy(t, ctx, iamc, role, "run-scheduled-tasks"), "iam:PassRole"))
	return st
}

// checkDestroyed looks, service by service and through the tagging API,
// for anything of the stack.
func checkDestroyed(t *testing.T, ctx context.Context, d *deployer) {
	t.Helper()
	cfg := d.aws
	ec2c, ecsc, iamc := ec2.NewFromConfig(cfg), ecs.NewFromConfig(cfg), iam.NewFromConfig(cfg)

	// The tagging API finds EC2, ECS, Logs, Secrets Manager and DynamoDB
	// resources by tag key. AWS keeps the records of a few deleted ones for
	// a while, and so does moto: terminated instances, INACTIVE clusters
	// and services. Those are gone; anything else is a leftover.
	tagged, err := resourcegroupstaggingapi.NewFromConfig(cfg).GetResources(ctx, &resourcegroupstaggingapi.GetResourcesInput{
		TagFilters: []rgttypes.TagFilter{{Key: aws.String("mangaalert:stack")}}})
	require.NoError(t, err)
	for _, r := range tagged.ResourceTagMappingList {
		a := aws.ToString(r.ResourceARN)
		switch {
		case strings.Contains(a, ":instance/"):
			id := a[strings.LastIndex(a, "/")+1:]
			out, err := ec2c.DescribeInstances(ctx, &ec2.DescribeInstancesInput{InstanceIds: []string{id}})
			require.NoError(t, err)
			for _, res := range out.Reservations {
				for _, i := range res.Instances {
					assert.Equal(t, ec2types.InstanceStateNameTerminated, i.State.Name, "instance %s", id)
				}
			}
		case strings.Contains(a, ":cluster/"):
			out, err := ecsc.DescribeClusters(ctx, &ecs.DescribeClustersInput{Clusters: []string{a}})
			require.NoError(t, err)
			for _, c := range out.Clusters {
				assert.Equal(t, "INACTIVE", aws.ToString(c.Status), a)
			}
		case strings.Contains(a, ":service/"):
			parts := strings.Split(a, "/")
			out, err := ecsc.DescribeServices(ctx, &ecs.DescribeServicesInput{Cluster: aws.String(parts[len(parts)-2]), Services: []string{a}})
			require.NoError(t, err)
			for _, s := range out.Services {
				assert.Equal(t, "INACTIVE", aws.ToString(s.Status), a)
			}
		default:
			t.Errorf("left with our tags: %s", a)
		}
	}

	// What the tagging API does not cover, or covers partly on moto.
	vpcs, err := ec2c.DescribeVpcs(ctx, &ec2.DescribeVpcsInput{Filters: []ec2types.Filter{{Name: aws.String("tag-key"), Values: []string{"mangaalert:stack"}}}})
	require.NoError(t, err)
	assert.Empty(t, vpcs.Vpcs)
	enis, err := ec2c.DescribeNetworkInterfaces(ctx, &ec2.DescribeNetworkInterfacesInput{})
	require.NoError(t, err)
	assert.Empty(t, enis.NetworkInterfaces, "no interface left behind")
	lts, err := ec2c.DescribeLaunchTemplates(ctx, &ec2.DescribeLaunchTemplatesInput{})
	require.NoError(t, err)
	assert.Empty(t, lts.LaunchTemplates)
	addrs, err := ec2c.DescribeAddresses(ctx, &ec2.DescribeAddressesInput{})
	require.NoError(t, err)
	assert.Empty(t, addrs.Addresses)
	asg, err := autoscaling.NewFromConfig(cfg).DescribeAutoScalingGroups(ctx, &autoscaling.DescribeAutoScalingGroupsInput{})
	require.NoError(t, err)
	assert.Empty(t, asg.AutoScalingGroups)
	assert.Empty(t, stackRoles(t, ctx, iamc), "roles")
	profiles, err := iamc.ListInstanceProfiles(ctx, &iam.ListInstanceProfilesInput{PathPrefix: aws.String("/mangaalert/")})
	require.NoError(t, err)
	assert.Empty(t, profiles.InstanceProfiles)
	// (moto's ListTaskDefinitionFamilies ignores its status filter.)
	tds, err := ecsc.ListTaskDefinitions(ctx, &ecs.ListTaskDefinitionsInput{FamilyPrefix: aws.String(e2eStack), Status: ecstypes.TaskDefinitionStatusActive})
	require.NoError(t, err)
	assert.Empty(t, tds.TaskDefinitionArns)
	groups, err := scheduler.NewFromConfig(cfg).ListScheduleGroups(ctx, &scheduler.ListScheduleGroupsInput{NamePrefix: aws.String(e2eStack)})
	require.NoError(t, err)
	assert.Empty(t, groups.ScheduleGroups)
	logs, err := cloudwatchlogs.NewFromConfig(cfg).DescribeLogGroups(ctx, &cloudwatchlogs.DescribeLogGroupsInput{LogGroupNamePrefix: aws.String("/ecs/" + e2eStack)})
	require.NoError(t, err)
	assert.Empty(t, logs.LogGroups)
	secs, err := secretsmanager.NewFromConfig(cfg).ListSecrets(ctx, &secretsmanager.ListSecretsInput{IncludePlannedDeletion: aws.Bool(true)})
	require.NoError(t, err)
	assert.Empty(t, secs.SecretList)
	tables, err := dynamodb.NewFromConfig(cfg).ListTables(ctx, &dynamodb.ListTablesInput{})
	require.NoError(t, err)
	assert.NotContains(t, tables.TableNames, e2eStack)
}

// stackRoles are the roles of the stack: the host's (under its path) and
// the scheduler's (named after the stack).
func stackRoles(t *testing.T, ctx context.Context, iamc *iam.Client) []string {
	t.Helper()
	out, err := iamc.ListRoles(ctx, &iam.ListRolesInput{})
	require.NoError(t, err)
	var names []string
	for _, r := range out.Roles {
		if name := aws.ToString(r.RoleName); strings.HasPrefix(name, e2eStack+"-") {
			names = append(names, name)
		}
	}
	return names
}

func rolePolicy(t *testing.T, ctx context.Context, iamc *iam.Client, role, name string) iampolicy.Document {
	t.Helper()
	out, err := iamc.GetRolePolicy(ctx, &iam.GetRolePolicyInput{RoleName: aws.String(role), PolicyName: aws.String(name)})
	require.NoError(t, err, "policy %s of role %s", name, role)
	doc, err := iampolicy.Parse(aws.ToString(out.PolicyDocument))
	require.NoError(t, err)
	return doc
}

// resourcesOf lists the resources an Allow statement grants action on.
func resourcesOf(d iampolicy.Document, action string) []string {
	var out []string
	for _, s := range d.Statement {
		if s.Effect == iampolicy.Allow && slices.Contains(s.Action, action) {
			out = append(out, s.Resource...)
		}
	}
	return out
}

func actionsOf(d iampolicy.Document) []string {
	var out []string
	for _, s := range d.Statement {
		out = append(out, s.Action...)
	}
	return out
}

func keys(m map[string]bool) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}
