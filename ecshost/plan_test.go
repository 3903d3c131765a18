package ecshost_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/manga-alert-italia/mangaalert/change"
	"github.com/manga-alert-italia/mangaalert/ecshost"
	"github.com/manga-alert-italia/mangaalert/iampolicy"
)

const (
	region  = "eu-south-1"
	account = "123456789012"
)

// offline is a Host that plans without AWS: no clients, no credentials.
func offline() *ecshost.Host {
	return ecshost.New(ecshost.Clients{}, func(o *ecshost.Options) {
		o.Offline, o.Region, o.Account = true, region, account
	})
}

// changed counts the changes that are not a Keep.
func changed(cs []change.Change) int {
	n := 0
	for _, c := range cs {
		if c.Action != change.Keep {
			n++
		}
	}
	return n
}

// note returns the plan's note that starts with prefix.
func note(p *change.Plan, prefix string) string {
	for _, n := range p.Notes {
		if strings.HasPrefix(n, prefix) {
			return n
		}
	}
	return ""
}

func baseSpec() ecshost.Spec {
	return testSpec(region, account, "subnet-0a", "sg-0b")
}

func TestPlanOffline(t *testing.T) {
	p, err := offline().Plan(context.Background(), baseSpec())
	require.NoError(t, err)
	assert.True(t, p.Offline)
	assert.Equal(t, "ecshost", p.Component)
	var kinds []string
	for _, c := range p.Changes {
		assert.Equal(t, change.Create, c.Action, c.String())
		assert.Empty(t, c.ID, "offline: no IDs")
		kinds = append(kinds, c.Kind+" "+c.Name)
	}
	assert.Equal(t, []string{
		"log group /ecs/manga",
		"IAM role manga-ecs-instance", "IAM role manga-ecs-execution", "IAM role manga-task-serve",
		"instance profile manga-ecs-instance",
		"ECS cluster manga",
		"launch template manga-ecs-host",
		"auto scaling group manga-ecs-host",
		"task definition manga-serve", "task definition manga-scrape", "task definition manga-notify",
		"ECS service manga-serve",
	}, kinds)
	assert.Contains(t, note(p, "deployment "), "deployment 0%/100%: static host port 80")
	assert.Contains(t, note(p, "Free tier"), "t3.micro")
	assert.Contains(t, note(p, "memory on t4g.nano"), "512 MiB - 64 kernel - 208 agent, Docker and OS = 240 MiB for tasks")
	assert.Contains(t, note(p, "arm64 sizes"), "fit on: t4g.micro, t4g.small, t4g.medium; too small: t4g.nano (240 MiB for tasks < 288)",
		"the jobs may run at once: the budget counts both")

	var b strings.Builder
	require.NoError(t, p.Write(&b))
	require.NoError(t, p.Cost.Write(&b))
	out := b.String()
	for _, want := range []string{"create ECS service manga-serve", "deployment 0%/100%",
		"EC2 t4g.nano on-demand", "EBS gp3 root volume", "public IPv4 address", "CloudWatch Logs ingestion", "TOTAL", "Free tier",
		"ecs-init installed at boot", "within the 5 GB always free", "us-east-1 figure 2020-09-14"} {
		assert.Contains(t, out, want)
	}
	// t4g.nano 730 h × 0.0042 + 8 GB × 0.08 + 730 h × 0.005; logs within the free tier
	assert.InDelta(t, 3.066+0.64+3.65, p.Cost.Total(), 1e-9)
	require.NoError(t, p.Cost.Check(), "every price says its region, date and source")
	for _, l := range p.Cost {
		assert.Regexp(t, `^\d{4}-\d{2}-\d{2}$`, l.Price.Date, l.Item)
	}
}

func TestSpotCostsLessAndSaysWhy(t *testing.T) {
	s := baseSpec()
	s.Spot = true
	p, err := offline().Plan(context.Background(), s)
	require.NoError(t, err)
	assert.Equal(t, "EC2 t4g.nano Spot", p.Cost[0].Item)
	assert.InDelta(t, 0.0042*0.4*730, p.Cost[0].USD(), 1e-9)
	assert.Contains(t, p.Cost[0].Note, "60% below on-demand")
	c, ok := p.Find("auto scaling group", "manga-ecs-host")
	require.True(t, ok)
	assert.Contains(t, c.String(), "1 Spot instance (capacity rebalancing)")
}

func TestTheImageMustBeBuiltForTheInstance(t *testing.T) {
	s := baseSpec()
	s.ImageArch = []string{"amd64"}
	_, err := offline().Plan(context.Background(), s)
	require.ErrorIs(t, err, ecshost.ErrInvalidSpec)
	assert.Contains(t, err.Error(), "instance type t4g.nano is arm64 but the image is built for amd64 only: build the arm64 image too")
	assert.Contains(t, err.Error(), "build-image.sh")

	s.InstanceType = "t3.nano"
	_, err = offline().Plan(context.Background(), s)
	assert.NoError(t, err, "an amd64 image on an x86_64 instance")
}

func TestMemoryBudget(t *testing.T) {
	tests := []struct {
		name        string
		typ         string
		atOnce      int
		hard, tasks int32
		fits        bool
	}{
		{"nano, jobs apart", "t4g.nano", 1, 96 + 96, 240, true},
		{"nano, jobs may overlap", "t4g.nano", 0, 96 + 96 + 96, 240, false},
		{"micro, jobs may overlap", "t3.micro", 0, 96 + 96 + 96, 1024 - 128 - 208, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := baseSpec()
			s.InstanceType, s.ImageArch, s.TasksAtOnce = tt.typ, []string{"arm64", "amd64"}, tt.atOnce
			b, ok := s.MemoryBudget()
			require.True(t, ok)
			assert.Equal(t, tt.hard, b.HardMiB)
			assert.Equal(t, tt.tasks, b.TasksMiB)
			assert.Equal(t, tt.fits, b.Fits())
			p, err := offline().Plan(context.Background(), s)
			require.NoError(t, err, "overlapping jobs are a warning, not a refusal")
			if tt.fits {
				assert.Empty(t, note(p, "WARNING"))
			} else {
				assert.Contains(t, note(p, "WARNING"), "schedule them apart")
			}
		})
	}
}

func TestPlanCostsTheInstanceTypes(t *testing.T) {
	for typ, hourly := range map[string]float64{"t3.micro": 0.0104, "t3.small": 0.0208, "t4g.nano": 0.0042, "t4g.micro": 0.0084, "t4g.small": 0.0168} {
		s := baseSpec()
		s.InstanceType = typ
		p, err := offline().Plan(context.Background(), s)
		require.NoError(t, err, typ)
		assert.Equal(t, "EC2 "+typ+" on-demand", p.Cost[0].Item)
		assert.InDelta(t, hourly*730, p.Cost[0].USD(), 1e-9, typ)
	}
}

func TestAnUnknownInstanceTypeIsRefusedNotPricedAtZero(t *testing.T) {
	s := baseSpec()
	s.InstanceType = "t3a.xlarge"
	_, err := offline().Plan(context.Background(), s)
	require.ErrorIs(t, err, ecshost.ErrInvalidSpec)
	assert.Contains(t, err.Error(), `InstanceType "t3a.xlarge" is not one this package knows the price and memory of: use one of t4g.nano, t3a.nano, t3.nano, t4g.micro`)
	for _, typ := range ecshost.KnownInstanceTypes() {
		assert.Contains(t, err.Error(), typ)
	}
}

func TestDeploymentFollowsThePorts(t *testing.T) {
	tests := []struct {
		name     string
		ports    []ecshost.PortMapping
		min, max int32
		why      string
	}{
		{"default static port", nil, 0, 100, "static host port 80"},
		{"static port", []ecshost.PortMapping{{ContainerPort: 8080, HostPort: 8080}}, 0, 100, "stop the old task"},
		{"dynamic port", []ecshost.PortMapping{{ContainerPort: 8080}}, 100, 200, "dynamic host ports"},
		{"no port", []ecshost.PortMapping{}, 100, 200, "no gap"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := baseSpec()
			s.Service.PortMappings = tt.ports
			s.InstanceType = "t4g.micro" // two service tasks during a rollout do not fit a nano
			p, err := offline().Plan(context.Background(), s)
			require.NoError(t, err)
			setting := fmt.Sprintf("deployment %d%%/%d%%: ", tt.min, tt.max)
			assert.Contains(t, note(p, "deployment "), setting)
			assert.Contains(t, note(p, "deployment "), tt.why)
			svc, ok := p.Find("ECS service", "manga-serve")
			require.True(t, ok)
			assert.Contains(t, strings.Join(svc.Details, "; "), fmt.Sprintf("deployment %d%%/%d%%", tt.min, tt.max))
		})
	}
}

func TestEveryPolicyPassesTheCheck(t *testing.T) {
	s := baseSpec()
	s.ElasticIP = true
	s.SessionManager = true
	s.KMSKeyARN = "arn:aws:kms:" + region + ":" + account + ":key/1234abcd-12ab-34cd-56ef-1234567890ab"
	s.Tasks = []ecshost.Container{
		{Name: "scrape", TaskPolicy: iampolicy.New(iampolicy.Statement{Effect: iampolicy.Allow,
			Action: []string{"dynamodb:PutItem"}, Resource: []string{"arn:aws:dynamodb:" + region + ":" + account + ":table/mangaalert"}})},
		{Name: "notify", TaskPolicy: iampolicy.New(iampolicy.Statement{Effect: iampolicy.Allow,
			Action: []string{"ses:SendEmail", "ses:SendRawEmail"}, Resource: []string{"arn:aws:ses:" + region + ":" + account + ":identity/example.com"}})},
	}
	p, err := offline().Plan(context.Background(), s)
	require.NoError(t, err)
	// instance, execution and three task roles, each with a trust policy
	assert.Len(t, p.Policies, 10)
	for name, doc := range p.Policies {
		assert.Empty(t, iampolicy.Check(name, doc), name)
		assert.NotContains(t, doc.JSON(), `"*:*"`)
	}
	for _, name := range []string{"manga-ecs-execution (trust)", "manga-task-notify (trust)"} {
		trust := p.Policies[name]
		require.Len(t, trust.Statement, 1)
		assert.Equal(t, iampolicy.Strings{account}, trust.Statement[0].Condition["StringEquals"]["aws:SourceAccount"], name)
		assert.Equal(t, iampolicy.Strings{"ecs-tasks.amazonaws.com"}, trust.Statement[0].Principal["Service"], name)
	}
	assert.Equal(t, iampolicy.Strings{"ec2.amazonaws.com"}, p.Policies["manga-ecs-instance (trust)"].Statement[0].Principal["Service"])

	inst := p.Policies["manga-ecs-instance"].JSON()
	assert.Contains(t, inst, `"arn:aws:ecs:eu-south-1:123456789012:cluster/manga"`)
	assert.Contains(t, inst, `"ec2:AssociateAddress"`)
	assert.Contains(t, inst, "elastic-ip/<new allocation>")
	exec := p.Policies["manga-ecs-execution"]
	assert.Contains(t, exec.JSON(), `"kms:Decrypt"`)
	assert.Contains(t, exec.JSON(), `"arn:aws:ecr:eu-south-1:123456789012:repository/mangaalert"`)
}

func TestExecutionRoleNamesOnlyTheGivenSecrets(t *testing.T) {
	arn := func(name string) string {
		return "arn:aws:secretsmanager:" + region + ":" + account + ":secret:" + name
	}
	s := baseSpec()
	s.Secrets = []ecshost.Secret{
		{Name: "SMTP_PASSWORD", ValueFrom: arn("mangaalert/smtp-AbCdEf") + ":password::"},
		{Name: "SMTP_USER", ValueFrom: arn("mangaalert/smtp-AbCdEf") + ":user::"},
	}
	s.Tasks = []ecshost.Container{
		{Name: "scrape"},
		{Name: "notify", Secrets: []ecshost.Secret{{Name: "UNSUBSCRIBE_KEY", ValueFrom: arn("mangaalert/links-Zz9Yy8")}}},
	}
	p, err := offline().Plan(context.Background(), s)
	require.NoError(t, err)
	var granted []string
	for _, st := range p.Policies["manga-ecs-execution"].Statement {
		if slices.Contains(st.Action, "secretsmanager:GetSecretValue") {
			granted = append(granted, st.Resource...)
		}
		assert.NotContains(t, st.Action, "kms:Decrypt", "no customer key, no kms grant")
	}
	assert.Equal(t, []string{arn("mangaalert/links-Zz9Yy8"), arn("mangaalert/smtp-AbCdEf")}, granted,
		"exactly the referenced secrets, without their JSON keys, deduplicated and sorted")
}

func TestTooBroadTaskPolicyIsRefused(t *testing.T) {
	s := baseSpec()
	s.Service.TaskPolicy = iampolicy.New(iampolicy.Statement{Effect: iampolicy.Allow, Action: []string{"dynamodb:*"}, Resource: []string{"*"}})
	p, err := offline().Plan(context.Background(), s)
	require.Error(t, err)
	assert.Nil(t, p)
	assert.ErrorIs(t, err, iampolicy.ErrTooBroad)
	var fe *iampolicy.FindingsError
	require.True(t, errors.As(err, &fe))
	require.Len(t, fe.Findings, 2, "the wildcard action and the wildcard resource")
	assert.Contains(t, fe.Findings[0].String(), "manga-task-serve")
	assert.Contains(t, err.Error(), "manga-task-serve")
}

func TestSpecValidation(t *testing.T) {
	tests := []struct {
		name   string
		modify func(*ecshost.Spec)
		want   string
	}{
		{"no stack", func(s *ecshost.Spec) { s.Stack = "" }, `Stack ""`},
		{"upper-case stack", func(s *ecshost.Spec) { s.Stack = "Manga" }, "lower-case"},
		{"no subnets", func(s *ecshost.Spec) { s.SubnetIDs = nil }, "SubnetIDs is empty"},
		{"not a security group", func(s *ecshost.Spec) { s.SecurityGroupID = "vpc-1" }, "SecurityGroupID"},
		{"small root volume", func(s *ecshost.Spec) { s.RootVolumeGiB = 4 }, "the standard AL2023 AMI needs at least 8 GiB"},
		{"small root volume, ECS-optimized AMI", func(s *ecshost.Spec) { s.RootVolumeGiB, s.ECSOptimizedAMI = 8, true }, "the ECS-optimized AL2023 AMI needs at least 30 GiB"},
		{"unknown architecture", func(s *ecshost.Spec) { s.ImageArch = []string{"riscv64"} }, `ImageArch "riscv64"`},
		{"odd retention", func(s *ecshost.Spec) { s.LogRetentionDays = 10 }, "CloudWatch Logs accepts only"},
		{"secret in the environment", func(s *ecshost.Spec) { s.Environment["SMTP_PASSWORD"] = "hunter2" }, `"SMTP_PASSWORD" looks like a secret`},
		{"partial secret ARN", func(s *ecshost.Spec) {
			s.Secrets = []ecshost.Secret{{Name: "X", ValueFrom: "arn:aws:secretsmanager:eu-south-1:123456789012:secret:smtp"}}
		}, "not a complete Secrets Manager secret ARN"},
		{"SSM parameter by name, not ARN", func(s *ecshost.Spec) {
			s.Secrets = []ecshost.Secret{{Name: "X", ValueFrom: "/manga/x"}}
		}, "nor an SSM parameter ARN"},
		{"shell health check", func(s *ecshost.Spec) {
			s.Service.HealthCheck = &ecshost.HealthCheck{Command: []string{"curl", "-f", "localhost"}}
		}, `start with "CMD"`},
		{"scheduled task with a port", func(s *ecshost.Spec) {
			s.Tasks = []ecshost.Container{{Name: "scrape", PortMappings: []ecshost.PortMapping{{ContainerPort: 1}}}}
		}, "a scheduled task publishes no port"},
		{"duplicate container", func(s *ecshost.Spec) { s.Tasks = []ecshost.Container{{Name: "serve"}} }, "used twice"},
		{"does not fit a t4g.nano", func(s *ecshost.Spec) {
			s.Tasks = []ecshost.Container{{Name: "scrape", MemoryMiB: 200}}
		}, "the service (×1 during a rollout) and the largest task need 296 MiB by their hard limits, a t4g.nano offers about 240 MiB"},
		{"cannot be placed", func(s *ecshost.Spec) {
			s.Tasks = []ecshost.Container{{Name: "scrape", MemoryMiB: 96, MemoryReservationMiB: 96}, {Name: "notify", MemoryMiB: 96, MemoryReservationMiB: 96}}
			s.Service.MemoryReservationMiB = 96
		}, "ECS cannot place the containers: their soft limits need 288 MiB"},
		{"long stop timeout", func(s *ecshost.Spec) { s.Service.StopTimeout = 5 * time.Minute }, "1s to 120s"},
		{"reserved tag", func(s *ecshost.Spec) { s.Tags = map[string]string{"mangaalert:stack": "x"} }, "reserved"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := baseSpec()
			s.Environment = map[string]string{"MANGAALERT_TABLE": "mangaalert"}
			tt.modify(&s)
			_, err := offline().Plan(context.Background(), s)
			require.Error(t, err)
			assert.ErrorIs(t, err, ecshost.ErrInvalidSpec)
			var se *ecshost.SpecError
			require.True(t, errors.As(err, &se))
			assert.Contains(t, err.Error(), tt.want)
		})
	}
}

func TestParametersAreReadWithGetParametersOnTheirARNsOnly(t *testing.T) {
	const param = "arn:aws:ssm:eu-south-1:123456789012:parameter/manga/signing-key"
	s := baseSpec()
	s.Secrets = []ecshost.Secret{{Name: "SIGNING_KEY", ValueFrom: param}}
	s.KMSKeyARN = "arn:aws:kms:eu-south-1:123456789012:key/0f1e2d3c-aaaa-bbbb-cccc-0123456789ab"
	p, err := offline().Plan(context.Background(), s)
	require.NoError(t, err)
	doc := p.Policies["manga-ecs-execution"]
	var params, secretsRead []string
	var via []string
	for _, st := range doc.Statement {
		switch st.Sid {
		case "ReferencedParameters":
			assert.Equal(t, []string{"ssm:GetParameters"}, []string(st.Action))
			params = st.Resource
		case "ReferencedSecrets":
			secretsRead = st.Resource
		case "SecretsKey":
			via = st.Condition["StringEquals"]["kms:ViaService"]
		}
	}
	assert.Equal(t, []string{param}, params)
	assert.Empty(t, secretsRead, "no Secrets Manager grant without a secret")
	assert.Equal(t, []string{"ssm.eu-south-1.amazonaws.com"}, via, "the customer key only through Parameter Store")
}

func TestSecretARN(t *testing.T) {
	const arn = "arn:aws:secretsmanager:eu-south-1:123456789012:secret:app/smtp-AbCdEf"
	for in, want := range map[string]string{
		arn:                           arn,
		arn + ":password::":           arn,
		arn + ":password:AWSCURRENT:": arn,
	} {
		got, err := ecshost.SecretARN(in)
		require.NoError(t, err, in)
		assert.Equal(t, want, got)
	}
	_, err := ecshost.SecretARN("plain-value")
	assert.Error(t, err)
}

func TestArmInstanceTypesReadTheArmAMI(t *testing.T) {
	assert.Equal(t, "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64", ecshost.AMIParameter("t3.micro", false))
	assert.Equal(t, "/aws/service/ecs/optimized-ami/amazon-linux-2023/recommended/image_id", ecshost.AMIParameter("t3.micro", true))
	for _, typ := range []string{"t4g.nano", "t4g.small", "m7g.large", "c6gn.medium"} {
		assert.Equal(t, "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-arm64", ecshost.AMIParameter(typ, false), typ)
		assert.Equal(t, "/aws/service/ecs/optimized-ami/amazon-linux-2023/arm64/recommended/image_id", ecshost.AMIParameter(typ, true), typ)
	}
}

func TestOfflineIsAnOption(t *testing.T) {
	ctx := context.Background()
	_, err := offline().Ensure(ctx, baseSpec())
	assert.ErrorIs(t, err, ecshost.ErrOffline)
	_, err = offline().Delete(ctx, "manga")
	assert.ErrorIs(t, err, ecshost.ErrOffline)

	// No clients is not offline: it says what is missing instead of
	// planning an empty account.
	_, err = ecshost.New(ecshost.Clients{}, func(o *ecshost.Options) { o.Region, o.Account = region, account }).Plan(ctx, baseSpec())
	require.Error(t, err)
	assert.Contains(t, err.Error(), "no EC2, ECS, AutoScaling, IAM, SSM, Logs client")
	assert.Contains(t, err.Error(), "Options.Offline")

	// Offline without an account or region still plans, with placeholders.
	p, err := ecshost.New(ecshost.Clients{}, func(o *ecshost.Options) { o.Offline = true }).Plan(ctx, baseSpec())
	require.NoError(t, err)
	assert.Contains(t, p.Policies["manga-ecs-instance"].JSON(), "arn:aws:ecs:<region>:<account>:cluster/manga")
}
