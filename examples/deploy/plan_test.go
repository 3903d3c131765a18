package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/manga-alert-italia/mangaalert/stack"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// testApp is an app on buffers, with no environment (so no credentials:
// plan goes offline) and a fixed clock.
func testApp(env map[string]string) (*app, *bytes.Buffer, *bytes.Buffer) {
	var out, errOut bytes.Buffer
	return &app{
		stdout: &out, stderr: &errOut, stdin: strings.NewReader(""),
		getenv: func(k string) string { return env[k] },
		// The Saturday before summer time starts in Rome.
		now: func() time.Time { return time.Date(2026, 3, 28, 12, 0, 0, 0, time.UTC) },
	}, &out, &errOut
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		require.NoError(t, os.WriteFile(path, got, 0o644))
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "run go test ./examples/deploy -run %s -update to create it", t.Name())
	if string(want) == string(got) {
		return
	}
	w, g := strings.Split(string(want), "\n"), strings.Split(string(got), "\n")
	for i := range max(len(w), len(g)) {
		var wl, gl string
		if i < len(w) {
			wl = w[i]
		}
		if i < len(g) {
			gl = g[i]
		}
		if wl != gl {
			t.Errorf("output differs from %s at line %d (go test -update rewrites it):\nwant: %s\ngot:  %s", path, i+1, wl, gl)
			return
		}
	}
}

// The offline plan of the defaults is the README's first command: it must
// work with no account, no credentials and no network, and say so.
func TestPlanOfflineGolden(t *testing.T) {
	tests := []struct {
		name string
		args []string
		env  map[string]string
	}{
		{"plan-default.golden", []string{"plan"}, nil},
		{"plan-smtp-nat-eip.golden", []string{"plan", "--sender", "smtp", "--smtp-host", "smtp.example.it", "--smtp-username", "app",
			"--nat", "--eip", "--ssh-cidr", "203.0.113.0/24", "--domain", "manga.example.it", "--image", "ghcr.io/owner/mangaalert:1.0",
			"--notify-schedule", "cron(30 2 * * ? *)", "--stack", "manga"}, map[string]string{SMTPPasswordEnv: "hunter2"}},
		// Issue 16: awsvpc behind the load balancer, one NAT, the jobs on Fargate Spot.
		{"plan-awsvpc-fargate-spot.golden", []string{"plan", "--network-mode", "awsvpc", "--nat", "--instances", "2", "--jobs-on", "fargate-spot",
			"--domain", "manga.example.it", "--image", "ghcr.io/owner/mangaalert:1.0"}, nil},
		// Three hosts behind the load balancer, the service scaled up to 6
		// tasks and the hosts up to 5 by a capacity provider.
		{"plan-scaling.golden", []string{"plan", "--instances", "3", "--max-tasks", "6", "--capacity-provider", "--max-instances", "5",
			"--instance-type", "t4g.micro", "--domain", "manga.example.it", "--image", "ghcr.io/owner/mangaalert:1.0"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, out, errOut := testApp(tt.env)
			code := a.run(context.Background(), tt.args)
			require.Equal(t, exitOK, code, "stderr: %s", errOut)
			assert.NotContains(t, out.String(), "hunter2", "no secret in the output")
			golden(t, tt.name, out.Bytes())
		})
	}
}

func TestPlanOfflineContent(t *testing.T) {
	a, out, _ := testApp(nil)
	require.Equal(t, exitOK, a.run(context.Background(), []string{"plan"}))
	s := out.String()
	assert.Contains(t, s, "offline (no AWS credentials found")
	for _, r := range []string{"vpc", "security group", "secret ", "dynamodb table", "IAM role ", "launch template", "auto scaling group",
		"task definition", "ECS service ", "schedule group", "schedule "} {
		assert.Regexp(t, `(?m)^create\s+`+r, s, "the plan creates %s", r)
	}
	assert.NotRegexp(t, `(?m)^(keep|update|delete)\s`, s, "from an empty account everything is created")
	for _, want := range []string{
		"no findings",
		"Fargate: service always on, jobs per run",
		"Fargate, jobs on Fargate Spot",
		"this stack plus a NAT gateway",
		"this stack plus an Application Load Balancer",
		"before apply, set: account_from (or domain), base_url or domain, from (or domain), image",
		// cron reads Rome's clock: after 29 March's change to summer
		// time, 06:00 is CEST. Notify follows scrape half an hour later.
		"job scrape: cron(0 0/6 * * ? *) in Europe/Rome, next Sat 2026-03-28 18:00 CET, Sun 2026-03-29 00:00 CET, Sun 2026-03-29 06:00 CEST",
		"job notify: cron(30 0/6 * * ? *) in Europe/Rome, next Sat 2026-03-28 18:30 CET",
		"job notify: starts 30m after job scrape",
		"one Lightsail instance",
		"memory on t4g.nano: 512 MiB - 64 kernel - 208 agent, Docker and OS = 240 MiB for tasks",
	} {
		assert.True(t, strings.Contains(s, want), "the plan lacks %q", want)
	}
	assert.Regexp(t, `(?m)^public IPv4 address\s+0.005 USD/hour\s+all regions\s+2024-02-01\s+https://aws.amazon.com/vpc/pricing/$`, s, "prices with region, date and source")
	assert.Regexp(t, `(?m)^EC2 t4g.nano on-demand\s+730 hour\s+3.07\s+us-east-1 figure 2020-09-14`, s, "a us-east-1 figure says so on its line")
	assert.Regexp(t, `(?m)^TOTAL\s+8\.04$`, s, "the default stays at or under 10 USD")
}

// Cheaper is the point: among the shapes that run on ECS (Fargate,
// Fargate Spot, a NAT, an ALB), the plan's total stays below every one.
// A Lightsail instance is cheaper and the plan says so: the test holds the
// plan to saying what it takes away (no Milan, long-lived keys, no ECS).
func TestTheDesignIsTheCheapestECSShape(t *testing.T) {
	for _, c := range []Config{{}, {Sender: SenderSMTP}, {ElasticIP: true}, {InstanceType: "t4g.micro"}, {Spot: true}} {
		c = c.WithDefaults()
		spec := c.spec("")
		p, err := stack.New(aws.Config{Region: c.Region}, func(o *stack.Options) { o.Offline = true; o.Logger = discard() }).
			Plan(context.Background(), spec)
		require.NoError(t, err)
		c.addCost(p)
		require.NoError(t, p.Cost.Check())
		for _, alt := range stack.Alternatives(spec, p.Cost) {
			if strings.Contains(alt.Name, "Lightsail") {
				assert.Less(t, alt.Total(p.Cost), p.Cost.Total(), "Lightsail is cheaper, and the table must not hide it")
				for _, why := range []string{"not in Milan", "long-lived access keys", "no ECS"} {
					assert.Contains(t, alt.Takes, why)
				}
				continue
			}
			assert.Greater(t, alt.Total(p.Cost), p.Cost.Total(), "%s vs %+v", alt.Name, c)
			assert.NotEmpty(t, alt.Gives, alt.Name)
			assert.NotEmpty(t, alt.Takes, alt.Name)
		}
	}
}

// The cheapest options switched on: Spot.
func TestTheCheapestOptions(t *testing.T) {
	a, out, _ := testApp(nil)
	require.Equal(t, exitOK, a.run(context.Background(), []string{"plan", "--json"}))
	var def struct {
		TotalUSD     float64 `json:"total_usd"`
		Alternatives []struct {
			Name     string  `json:"name"`
			TotalUSD float64 `json:"total_usd"`
		} `json:"alternatives"`
	}
	require.NoError(t, json.Unmarshal(out.Bytes(), &def), out.String())
	assert.InDelta(t, 8.04, def.TotalUSD, 0.005, "the default stack")
	assert.Len(t, def.Alternatives, 7, "Fargate twice, NAT, 2 and 3 instances, ALB, Lightsail")

	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "c.json"), []byte(`{"spot": true}`), 0o600))
	a, out, _ = testApp(nil)
	require.Equal(t, exitOK, a.run(context.Background(), []string{"plan", "--json", "--config", filepath.Join(dir, "c.json")}))
	require.NoError(t, json.Unmarshal(out.Bytes(), &def), out.String())
	assert.InDelta(t, 6.20, def.TotalUSD, 0.005, "Spot")

	// And the secrets in Parameter Store: the lowest total.
	require.NoError(t, os.WriteFile(filepath.Join(dir, "c.json"), []byte(`{"spot": true, "secret_store": "ssm"}`), 0o600))
	a, out, _ = testApp(nil)
	require.Equal(t, exitOK, a.run(context.Background(), []string{"plan", "--json", "--config", filepath.Join(dir, "c.json")}))
	require.NoError(t, json.Unmarshal(out.Bytes(), &def), out.String())
	assert.InDelta(t, 5.80, def.TotalUSD, 0.005, "Spot and Parameter Store")
	assert.Contains(t, out.String(), `"item": "SSM Parameter Store SecureStrings"`)
}

func TestAnUnknownInstanceTypeExits2(t *testing.T) {
	a, _, errOut := testApp(nil)
	assert.Equal(t, exitUsage, a.run(context.Background(), []string{"plan", "--instance-type", "t3a.xlarge"}))
	assert.Contains(t, errOut.String(), `instance_type: instance type "t3a.xlarge" is not one this package knows the price and memory of: use one of t4g.nano`)
}

func discard() *slog.Logger { return slog.New(slog.DiscardHandler) }

// BenchmarkPlanOffline measures `deploy plan` on a fresh machine (target
// ≤ 3 s for the whole command): every package's offline Plan, the costs
// and the output.
func BenchmarkPlanOffline(b *testing.B) {
	for b.Loop() {
		a, _, _ := testApp(nil)
		if code := a.run(context.Background(), []string{"plan"}); code != exitOK {
			b.Fatalf("exit %d", code)
		}
	}
}
