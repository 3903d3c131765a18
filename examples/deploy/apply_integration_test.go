package main

import (
	"bytes"
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/scheduler"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/manga-alert-italia/mangaalert/integration"
)

func TestMain(m *testing.M) { integration.Main(m) }

var stackServices = []integration.Service{integration.EC2, integration.ECS, integration.AutoScaling, integration.IAM,
	integration.SSM, integration.STS, integration.Scheduler, integration.SecretsManager, integration.DynamoDB, integration.Logs}

// account is the tool, run in-process against an account of its own on
// the emulator: the harness's middleware (account header, recorded calls,
// injected faults) rides on every client the tool builds.
type account struct {
	cfg   aws.Config
	calls *integration.Calls
	env   map[string]string
}

func newAccount(t *testing.T) *account {
	t.Helper()
	cfg := integration.Config(t, stackServices...)
	calls := integration.Record(&cfg)
	return &account{cfg: cfg, calls: calls, env: map[string]string{}}
}

// run runs the tool with the flags every test needs; it returns the exit
// code and what it printed.
func (ac *account) run(t *testing.T, args ...string) (int, string) {
	t.Helper()
	var out bytes.Buffer
	a := &app{stdout: &out, stderr: &out, stdin: strings.NewReader(""), now: time.Now,
		getenv: func(k string) string { return ac.env[k] }, apiOptions: ac.cfg.APIOptions}
	// The test's own flags come last, so they win.
	all := append([]string{args[0], "--endpoint", aws.ToString(ac.cfg.BaseEndpoint), "--poll", "10ms",
		"--image", "ghcr.io/owner/mangaalert:1.0", "--domain", "manga.example.test"}, args[1:]...)
	code := a.run(context.Background(), all)
	return code, out.String()
}

func (ac *account) mustRun(t *testing.T, args ...string) string {
	t.Helper()
	code, out := ac.run(t, args...)
	require.Equal(t, exitOK, code, "deploy %s:\n%s", strings.Join(args, " "), out)
	return out
}

func operations(calls []integration.Call) []string {
	var out []string
	for _, c := range calls {
		out = append(out, c.String())
	}
	return out
}

func TestApplyIsIdempotentAndDestroyRemovesIt(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	ac := newAccount(t)

	out := ac.mustRun(t, "status")
	assert.Contains(t, out, "not deployed (run apply)", "status before apply")

	code, out := ac.run(t, "apply", "--image", "")
	assert.Equal(t, exitUsage, code, "%s", out)
	assert.Contains(t, out, "image: needed by the first apply")
	assert.Empty(t, operations(ac.calls.Mutating()), "refused before any write")

	out = ac.mustRun(t, "apply")
	assert.Contains(t, out, "apply done: 31 created")
	writes := len(ac.calls.Mutating())
	t.Logf("first apply: %d calls, %d writes", ac.calls.Count(), writes)

	ac.calls.Reset()
	out = ac.mustRun(t, "apply")
	assert.Empty(t, operations(ac.calls.Mutating()), "a second apply writes nothing")
	assert.Contains(t, out, "AWS calls: "+fmt.Sprint(ac.calls.Count())+", of which writes: 0", "the tool counts what the harness saw")
	t.Logf("second apply: %d calls", ac.calls.Count())

	ac.calls.Reset()
	out = ac.mustRun(t, "plan")
	assert.Empty(t, operations(ac.calls.Mutating()), "plan only reads")
	assert.Contains(t, out, "no changes, 31 unchanged")

	t.Run("deploy-image rolls out and moves the schedules", func(t *testing.T) {
		ac.mustRun(t, "deploy-image", "ghcr.io/owner/mangaalert:1.1")
		s, err := scheduler.NewFromConfig(ac.cfg).GetSchedule(ctx, &scheduler.GetScheduleInput{Name: aws.String("scrape"), GroupName: aws.String("mangaalert")})
		require.NoError(t, err)
		assert.True(t, strings.HasSuffix(aws.ToString(s.Target.EcsParameters.TaskDefinitionArn), ":task-definition/mangaalert-scrape:2"))
		// apply with the new image in the configuration agrees with what
		// deploy-image made.
		ac.calls.Reset()
		ac.mustRun(t, "apply", "--image", "ghcr.io/owner/mangaalert:1.1")
		assert.Empty(t, operations(ac.calls.Mutating()))
	})

	out = ac.mustRun(t, "destroy", "--yes", "--purge-secrets")
	assert.Contains(t, out, "destroy done")
	vpcs, err := ec2.NewFromConfig(ac.cfg).DescribeVpcs(ctx, &ec2.DescribeVpcsInput{Filters: []ec2types.Filter{
		{Name: aws.String("tag-key"), Values: []string{"mangaalert:stack"}}}})
	require.NoError(t, err)
	assert.Empty(t, vpcs.Vpcs)
	roles, err := iam.NewFromConfig(ac.cfg).ListRoles(ctx, &iam.ListRolesInput{})
	require.NoError(t, err)
	assert.Empty(t, roles.Roles)

	ac.calls.Reset()
	ac.mustRun(t, "destroy", "--yes")
	assert.Empty(t, operations(ac.calls.Mutating()), "destroying nothing writes nothing")
}

// An apply that fails at any write, before AWS saw it or after AWS did it
// and the answer was lost, is finished by the next apply: the stack ends
// as an uninterrupted apply leaves it, with nothing made twice.
func TestApplyFinishesAfterAFault(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	clean := newAccount(t)
	clean.mustRun(t, "apply")
	total := len(clean.calls.Mutating())
	require.Greater(t, total, 20)

	var mu sync.Mutex
	var failed []injected
	// Every other write, alternating the two kinds of fault: every step
	// and most kinds of write, few enough runs for a shared machine.
	for n := 1; n <= total; n += 2 {
		when, kind := integration.FailBefore, "before"
		if n%4 == 3 {
			when, kind = integration.FailAfter, "after"
		}
		t.Run(fmt.Sprintf("write %d fails %s", n, kind), func(t *testing.T) {
			t.Parallel()
			ac := newAccount(t)
			ac.calls.FailAt(n, when)
			code, out := ac.run(t, "apply")
			require.Equal(t, exitFailure, code, "%s", out)
			assert.Contains(t, out, "stopped by an error; run it again to finish")
			assert.Contains(t, out, integration.ErrInjected.Error())
			mu.Lock()
			failed = append(failed, injected{n, ac.calls.Mutating()[len(ac.calls.Mutating())-1].String()})
			mu.Unlock()

			ac.mustRun(t, "apply")
			ac.calls.Reset()
			ac.mustRun(t, "apply")
			assert.Empty(t, operations(ac.calls.Mutating()), "the stack is complete")

			// Nothing twice: one VPC, three task definitions of one revision,
			// one instance.
			vpcs, err := ec2.NewFromConfig(ac.cfg).DescribeVpcs(ctx, &ec2.DescribeVpcsInput{Filters: []ec2types.Filter{
				{Name: aws.String("tag:mangaalert:stack"), Values: []string{"mangaalert"}}}})
			require.NoError(t, err)
			assert.Len(t, vpcs.Vpcs, 1)
			tds, err := ecs.NewFromConfig(ac.cfg).ListTaskDefinitions(ctx, &ecs.ListTaskDefinitionsInput{Status: ecstypes.TaskDefinitionStatusActive})
			require.NoError(t, err)
			assert.Len(t, tds.TaskDefinitionArns, 3, "%v", tds.TaskDefinitionArns)
			ins, err := ec2.NewFromConfig(ac.cfg).DescribeInstances(ctx, &ec2.DescribeInstancesInput{Filters: []ec2types.Filter{
				{Name: aws.String("instance-state-name"), Values: []string{"pending", "running"}}}})
			require.NoError(t, err)
			n := 0
			for _, r := range ins.Reservations {
				n += len(r.Instances)
			}
			assert.Equal(t, 1, n, "one host")
		})
	}
	t.Cleanup(func() {
		mu.Lock()
		defer mu.Unlock()
		slices.SortFunc(failed, func(a, b injected) int { return cmp.Compare(a.n, b.n) })
		var s []string
		for _, f := range failed {
			s = append(s, fmt.Sprintf("%d %s", f.n, f.op))
		}
		t.Logf("faults injected at %d of %d writes: %s", len(failed), total, strings.Join(s, ", "))
	})
}

// injected is a write that failed on purpose, and which one it was.
type injected struct {
	n  int
	op string
}
