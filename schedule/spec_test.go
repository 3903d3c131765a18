package schedule_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/manga-alert-italia/mangaalert/schedule"
	"github.com/manga-alert-italia/mangaalert/schedule/expr"
)

func validSpec() schedule.Spec {
	return schedule.Spec{
		Stack:            "prod",
		ClusterARN:       "arn:aws:ecs:eu-south-1:123456789012:cluster/manga",
		ExecutionRoleARN: "arn:aws:iam::123456789012:role/manga-execution",
		Jobs: []schedule.Job{
			{Name: "scraper", TaskDefinitionARN: "arn:aws:ecs:eu-south-1:123456789012:task-definition/manga-scraper:3",
				TaskRoleARN: "arn:aws:iam::123456789012:role/manga-task"},
		},
	}
}

func TestSpecValidate(t *testing.T) {
	tests := []struct {
		name   string
		change func(*schedule.Spec)
		want   []string // substrings; none means valid
	}{
		{"the minimal spec", func(*schedule.Spec) {}, nil},
		{"every option", func(s *schedule.Spec) {
			s.DeadLetter = schedule.DeadLetter{Create: true, Retention: 4 * 24 * time.Hour}
			s.Tags = map[string]string{"team": "manga"}
			s.Jobs[0] = schedule.Job{Name: "notifier.daily", TaskDefinitionARN: "arn:aws:ecs:eu-south-1:123456789012:task-definition/n",
				Expression: "cron(0 8 ? * MON-FRI *)", Zone: "UTC", Window: 10 * time.Minute,
				Retry: schedule.Retry{NoRetries: true}, State: schedule.Disabled, End: time.Now().Add(time.Hour),
				Container: "app", Command: []string{"notify"}, Tags: map[string]string{"k": "v"}, Description: "d"}
		}, nil},
		{"a given queue", func(s *schedule.Spec) { s.DeadLetter.ARN = "arn:aws:sqs:eu-south-1:123456789012:dlq" }, nil},
		{"no task role", func(s *schedule.Spec) { s.Jobs[0].TaskRoleARN = "" }, nil},
		{"a task role per job", func(s *schedule.Spec) {
			s.Jobs = append(s.Jobs, schedule.Job{Name: "notifier", TaskDefinitionARN: "arn:aws:ecs:eu-south-1:123456789012:task-definition/manga-notifier:1",
				TaskRoleARN: "arn:aws:iam::123456789012:role/manga-notifier-task"})
		}, nil},

		{"stack", func(s *schedule.Spec) { s.Stack = "my stack" }, []string{`stack "my stack": use 1-48 letters`}},
		{"long stack", func(s *schedule.Spec) { s.Stack = strings.Repeat("s", 49) }, []string{"1-48"}},
		{"cluster", func(s *schedule.Spec) { s.ClusterARN = "manga" }, []string{`cluster ARN "manga": want arn:aws:ecs:REGION:ACCOUNT:cluster/NAME`}},
		{"cluster in every region", func(s *schedule.Spec) { s.ClusterARN = "arn:aws:ecs:*:123456789012:cluster/manga" }, []string{"cluster ARN"}},
		{"cluster service", func(s *schedule.Spec) { s.ClusterARN = "arn:aws:eks:eu-south-1:123456789012:cluster/manga" }, []string{"cluster ARN"}},
		{"execution role missing", func(s *schedule.Spec) { s.ExecutionRoleARN = "" }, []string{`execution role ARN "": want arn:aws:iam::ACCOUNT:role/NAME`}},
		{"task role not a role", func(s *schedule.Spec) { s.Jobs[0].TaskRoleARN = "arn:aws:iam::123456789012:user/me" }, []string{`job "scraper": task role ARN "arn:aws:iam::123456789012:user/me"`}},
		{"role of another account", func(s *schedule.Spec) { s.Jobs[0].TaskRoleARN = "arn:aws:iam::999999999999:role/x" }, []string{"is in account 999999999999, the cluster in 123456789012"}},
		{"execution role of another account", func(s *schedule.Spec) { s.ExecutionRoleARN = "arn:aws:iam::999999999999:role/x" }, []string{`execution role ARN "arn:aws:iam::999999999999:role/x" is in account 999999999999`}},
		{"reserved tag", func(s *schedule.Spec) { s.Tags = map[string]string{"mangaalert:stack": "x"} }, []string{"set by this package"}},
		{"aws tag", func(s *schedule.Spec) { s.Tags = map[string]string{"aws:x": "x"} }, []string{"reserved by AWS"}},
		{"both dead letters", func(s *schedule.Spec) {
			s.DeadLetter = schedule.DeadLetter{Create: true, ARN: "arn:aws:sqs:eu-south-1:123456789012:q"}
		}, []string{"set Create or ARN, not both"}},
		{"retention", func(s *schedule.Spec) {
			s.DeadLetter = schedule.DeadLetter{Create: true, Retention: 15 * 24 * time.Hour}
		}, []string{"1 minute to 14 days"}},
		{"retention of a given queue", func(s *schedule.Spec) {
			s.DeadLetter = schedule.DeadLetter{ARN: "arn:aws:sqs:eu-south-1:123456789012:q", Retention: time.Hour}
		}, []string{"only to a queue this package creates"}},
		{"queue in every region", func(s *schedule.Spec) { s.DeadLetter.ARN = "arn:aws:sqs:*:123456789012:q" }, []string{"want arn:aws:sqs:REGION:ACCOUNT:QUEUE"}},
		{"queue ARN", func(s *schedule.Spec) { s.DeadLetter.ARN = "arn:aws:sns:eu-south-1:123456789012:q" }, []string{"want arn:aws:sqs:REGION:ACCOUNT:QUEUE"}},
		{"no jobs", func(s *schedule.Spec) { s.Jobs = nil }, []string{"no jobs"}},
		{"job name", func(s *schedule.Spec) { s.Jobs[0].Name = "scrape all" }, []string{`job "scrape all": name: use 1-64`}},
		{"unnamed job", func(s *schedule.Spec) { s.Jobs[0].Name = "" }, []string{`job "#1": name`}},
		{"duplicate", func(s *schedule.Spec) { s.Jobs = append(s.Jobs, s.Jobs[0]) }, []string{`job "scraper": two jobs have this name`}},
		{"task definition", func(s *schedule.Spec) { s.Jobs[0].TaskDefinitionARN = "manga-scraper:3" }, []string{"want arn:aws:ecs:REGION:ACCOUNT:task-definition/FAMILY:REVISION"}},
		{"task definition elsewhere", func(s *schedule.Spec) {
			s.Jobs[0].TaskDefinitionARN = "arn:aws:ecs:eu-west-1:123456789012:task-definition/manga-scraper:3"
		}, []string{"not in the cluster's region and account (eu-south-1, 123456789012)"}},
		{"expression", func(s *schedule.Spec) { s.Jobs[0].Expression = "cron(0 6 * * *)" }, []string{`job "scraper": schedule expression "cron(0 6 * * *)"`, "has 5 fields"}},
		{"zone", func(s *schedule.Spec) { s.Jobs[0].Zone = "CET+1" }, []string{`time zone "CET+1"`}},
		{"at in the skipped hour", func(s *schedule.Spec) { s.Jobs[0].Expression = "at(2027-03-28T02:15:00)" }, []string{"does not exist in Europe/Rome", "summer time"}},
		{"window too long", func(s *schedule.Spec) { s.Jobs[0].Window = 25 * time.Hour }, []string{"flexible window 25h0m0s: whole minutes from 1m to 24h"}},
		{"window in seconds", func(s *schedule.Spec) { s.Jobs[0].Window = 90 * time.Second }, []string{"whole minutes"}},
		{"attempts", func(s *schedule.Spec) { s.Jobs[0].Retry.Attempts = 186 }, []string{"retry attempts 186: the Scheduler takes 0-185"}},
		{"no retries and attempts", func(s *schedule.Spec) { s.Jobs[0].Retry = schedule.Retry{NoRetries: true, Attempts: 2} }, []string{"NoRetries with 2 attempts"}},
		{"age", func(s *schedule.Spec) { s.Jobs[0].Retry.MaxAge = 30 * time.Second }, []string{"retry maximum event age 30s: from 1 minute to 24 hours"}},
		{"state", func(s *schedule.Spec) { s.Jobs[0].State = "PAUSED" }, []string{`state "PAUSED"`}},
		{"end before start", func(s *schedule.Spec) {
			s.Jobs[0].Start = time.Now().Add(2 * time.Hour)
			s.Jobs[0].End = time.Now().Add(time.Hour)
		}, []string{"is not after start"}},
		{"end passed", func(s *schedule.Spec) { s.Jobs[0].End = time.Now().Add(-time.Hour) }, []string{"has passed"}},
		{"command without container", func(s *schedule.Spec) { s.Jobs[0].Command = []string{"scrape"} }, []string{"needs Container"}},
		{"container without command", func(s *schedule.Spec) { s.Jobs[0].Container = "app" }, []string{"without a Command"}},
		{"huge command", func(s *schedule.Spec) {
			s.Jobs[0].Container, s.Jobs[0].Command = "app", []string{strings.Repeat("x", 9000)}
		}, []string{"at most 8192"}},
		{"job tag", func(s *schedule.Spec) { s.Jobs[0].Tags = map[string]string{"": "x"} }, []string{"keys are 1-128 characters"}},
		{"too many task tags", func(s *schedule.Spec) {
			s.Jobs[0].Tags = map[string]string{}
			for i := range 50 {
				s.Jobs[0].Tags[strings.Repeat("k", i+1)] = "v"
			}
		}, []string{"ECS takes at most 50"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := validSpec()
			tt.change(&s)
			err := s.Validate()
			if tt.want == nil {
				require.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, schedule.ErrInvalidSpec)
			var se *schedule.SpecError
			require.True(t, errors.As(err, &se))
			require.NotEmpty(t, se.Problems)
			for _, w := range tt.want {
				assert.Contains(t, err.Error(), w)
			}
		})
	}
}

func TestSpecErrorListsEveryProblem(t *testing.T) {
	s := validSpec()
	s.Stack = ""
	s.Jobs[0].Expression = "rate(2 hour)"
	s.Jobs[0].Window = time.Second
	err := s.Validate()
	var se *schedule.SpecError
	require.True(t, errors.As(err, &se))
	assert.Len(t, se.Problems, 3)
	assert.ErrorIs(t, err, expr.ErrInvalid)
	var ee *expr.Error
	require.True(t, errors.As(err, &ee))
	assert.Equal(t, "rate unit", ee.Part)
}

// Job.Next applies the job's defaults and bounds: a rate job counts from
// when it would be created, a cron job is read in DefaultZone.
func TestJobNext(t *testing.T) {
	from := time.Date(2026, 3, 28, 19, 0, 0, 0, time.UTC) // 20:00 in Rome, the eve of spring-forward
	tests := []struct {
		name string
		job  schedule.Job
		want []string
	}{
		{"the default: every 6 hours from creation", schedule.Job{},
			[]string{"2026-03-28T20:00:00+01:00", "2026-03-29T03:00:00+02:00", "2026-03-29T09:00:00+02:00"}},
		{"cron in the default zone", schedule.Job{Expression: "cron(30 2 * * ? *)"},
			[]string{"2026-03-30T02:30:00+02:00", "2026-03-31T02:30:00+02:00", "2026-04-01T02:30:00+02:00"}},
		{"a start anchors the rate", schedule.Job{Start: from.Add(time.Hour)},
			[]string{"2026-03-28T21:00:00+01:00", "2026-03-29T04:00:00+02:00", "2026-03-29T10:00:00+02:00"}},
		{"an end stops it", schedule.Job{Expression: "cron(0 8 * * ? *)", Zone: "UTC", End: from.Add(40 * time.Hour)},
			[]string{"2026-03-29T08:00:00Z", "2026-03-30T08:00:00Z"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.job.Next(from, 3)
			require.NoError(t, err)
			assert.Equal(t, tt.want, formatAll(got))
		})
	}
	_, err := schedule.Job{Expression: "rate(1 hours)"}.Next(from, 3)
	assert.ErrorIs(t, err, expr.ErrInvalid)
	_, err = schedule.Job{Zone: "Europe/Roma"}.Next(from, 3)
	assert.ErrorContains(t, err, `time zone "Europe/Roma"`)
}
