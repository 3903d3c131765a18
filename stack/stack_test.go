package stack_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/manga-alert-italia/mangaalert/change"
	"github.com/manga-alert-italia/mangaalert/iampolicy"
	"github.com/manga-alert-italia/mangaalert/secrets"
	"github.com/manga-alert-italia/mangaalert/stack"
)

// app is a small application: a service, one hourly job with a secret
// and the table.
func app(name string) stack.Spec {
	return stack.Spec{
		Stack: name,
		Image: "ghcr.io/example/app:1.0",
		Service: stack.Container{Name: "web", UsesTable: true,
			HealthCheck: &stack.HealthCheck{Command: []string{"CMD", "/app", "healthcheck"}}},
		Jobs: []stack.Job{{
			Container: stack.Container{Name: "fetch", UsesTable: true,
				Secrets:    map[string]string{"API_KEY": name + "/api-key"},
				SecretARNs: map[string]string{"KEYRING_ARN": name + "/api-key"}},
			Schedule: "rate(1 hour)",
		}},
		Secrets: []stack.Secret{{Name: name + "/api-key", Generate: secrets.RandomPassword(16)}},
		Table:   &stack.Table{},
	}
}

func offline(o *stack.Options) {
	o.Offline = true
	o.Now = func() time.Time { return time.Date(2026, 3, 28, 12, 0, 0, 0, time.UTC) }
}

func TestSpecValidate(t *testing.T) {
	tests := []struct {
		name   string
		change func(*stack.Spec)
		fields []string // of the problems; none means valid
	}{
		{"valid", func(*stack.Spec) {}, nil},
		{"stack name", func(s *stack.Spec) { s.Stack = "A" }, []string{"Stack"}},
		{"image", func(s *stack.Spec) { s.Image = "Not An Image" }, []string{"Image"}},
		{"schedule", func(s *stack.Spec) { s.Jobs[0].Schedule = "rate(1 hours)" }, []string{"Jobs.fetch.Schedule"}},
		{"zone", func(s *stack.Spec) { s.Jobs[0].Zone = "Mars" }, []string{"Jobs.fetch.Zone"}},
		{"secret not held", func(s *stack.Spec) { s.Secrets = nil }, []string{"fetch.Secrets", "fetch.Secrets"}},
		{"table not held", func(s *stack.Spec) { s.Table = nil }, []string{"web.UsesTable", "fetch.UsesTable"}},
		{"two containers, one name", func(s *stack.Spec) { s.Jobs[0].Name = "web" }, []string{"Jobs"}},
		{"reserved tag", func(s *stack.Spec) { s.Tags = map[string]string{"mangaalert:stack": "x"} }, []string{"Tags"}},
		{"network", func(s *stack.Spec) { s.Network.CIDR = "10.0.0.0/26" }, []string{"Network.CIDR"}},
		{"log retention", func(s *stack.Spec) { s.Host.LogRetentionDays = 10 }, []string{"Host.LogRetentionDays"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := app("demo")
			tt.change(&s)
			err := s.Validate()
			if tt.fields == nil {
				require.NoError(t, err)
				return
			}
			var se *stack.SpecError
			require.ErrorAs(t, err, &se)
			assert.ErrorIs(t, err, stack.ErrInvalidSpec)
			var got []string
			for _, p := range se.Problems {
				got = append(got, p.Field)
			}
			assert.ElementsMatch(t, tt.fields, got, "%v", err)
		})
	}
}

// Offline, the plan lists every resource of every component in Apply's
// order, each policy checked, the summed cost and the jobs' next runs.
func TestPlanOffline(t *testing.T) {
	p, err := stack.New(aws.Config{Region: "eu-south-1"}, offline).Plan(context.Background(), app("demo"))
	require.NoError(t, err)
	assert.True(t, p.Offline)
	assert.False(t, change.HasChanges(nil))
	assert.Equal(t, len(p.Changes), p.Count(change.Create), "from nothing, everything is created")
	var kinds []string
	for _, c := range p.Changes {
		if len(kinds) == 0 || kinds[len(kinds)-1] != c.Kind {
			kinds = append(kinds, c.Kind)
		}
	}
	order := []string{"vpc", "secret", "dynamodb table", "ECS cluster", "task definition", "ECS service", "schedule group", "schedule"}
	last := -1
	for _, k := range order {
		i := indexOf(kinds, k)
		require.GreaterOrEqual(t, i, 0, "a %s in %v", k, kinds)
		assert.Greater(t, i, last, "%s comes after the one before it in %v", k, order)
		last = i
	}
	for name, doc := range p.Policies {
		assert.Empty(t, iampolicy.Check(name, doc), name)
	}
	task := p.Policies["demo-task-fetch"]
	assert.Contains(t, task.JSON(), "secretsmanager:GetSecretValue", "the job reads the secret whose ARN it is given")
	assert.Contains(t, task.JSON(), "arn:aws:dynamodb:eu-south-1:000000000000:table/demo", "and uses the table")
	assert.Less(t, p.Cost.Total(), 10.0, "the default shape stays under 10 USD a month")
	assert.NoError(t, p.Cost.Check(), "every price says its region and date")
	assert.Contains(t, strings.Join(p.Notes, "\n"), "job fetch: rate(1 hour) in Europe/Rome, next Sat 2026-03-28 13:00 CET, Sat 2026-03-28 14:00 CET")
}

// A policy too broad is refused by Plan, before anything is read.
func TestPlanRefusesAPolicyTooBroad(t *testing.T) {
	s := app("demo")
	s.Service.Policy = func(stack.Outputs) []iampolicy.Statement {
		return []iampolicy.Statement{{Effect: iampolicy.Allow, Action: iampolicy.Strings{"dynamodb:*"}, Resource: iampolicy.Strings{"*"}}}
	}
	_, err := stack.New(aws.Config{Region: "eu-south-1"}, offline).Plan(context.Background(), s)
	assert.ErrorIs(t, err, iampolicy.ErrTooBroad)
}

func TestOfflineDoesNothingElse(t *testing.T) {
	st := stack.New(aws.Config{Region: "eu-south-1"}, offline)
	ctx := context.Background()
	_, err := st.Apply(ctx, app("demo"))
	assert.ErrorIs(t, err, stack.ErrOffline)
	_, err = st.Destroy(ctx, "demo")
	assert.ErrorIs(t, err, stack.ErrOffline)
	_, err = st.Status(ctx, "demo")
	assert.ErrorIs(t, err, stack.ErrOffline)
	_, err = st.DeployImage(ctx, app("demo"), "ghcr.io/example/app:1.1")
	assert.True(t, errors.Is(err, stack.ErrOffline))
}

// The plan prices the jobs' runs in the month after Now, as the
// Scheduler would fire them.
func TestPlanCountsRunsPerMonth(t *testing.T) {
	tests := []struct {
		expr string
		runs int
	}{
		{"rate(6 hours)", 122}, // the first at creation
		{"rate(1 minute)", 43800},
		{"cron(0 8 * * ? *)", 30},
		{"at(2026-04-01T10:00:00)", 1},
	}
	for _, tt := range tests {
		t.Run(tt.expr, func(t *testing.T) {
			s := app("demo")
			s.Jobs[0].Schedule = tt.expr
			p, err := stack.New(aws.Config{Region: "eu-south-1"}, offline).Plan(context.Background(), s)
			require.NoError(t, err)
			var notes []string
			for _, l := range p.Cost {
				notes = append(notes, l.Note)
			}
			assert.Contains(t, strings.Join(notes, "\n"), fmt.Sprintf("%d runs a month", tt.runs))
		})
	}
}

func indexOf(ss []string, s string) int {
	for i, x := range ss {
		if x == s {
			return i
		}
	}
	return -1
}
