package stack_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/manga-alert-italia/mangaalert/stack"
)

// twoJobs is app with a second job, "report", following "fetch".
func twoJobs(fetch string, report stack.Job) stack.Spec {
	s := app("demo")
	s.Jobs[0].Schedule = fetch
	report.Name = "report"
	return withJob(s, report)
}

func withJob(s stack.Spec, j stack.Job) stack.Spec {
	s.Jobs = append(s.Jobs, j)
	return s
}

func TestJobAfter(t *testing.T) {
	tests := []struct {
		name, fetch string
		report      stack.Job
		want        string // report's schedule; "" for a problem on Jobs.report.After
		problem     string
	}{
		{"default: 30 minutes later", "cron(0 0/6 * * ? *)", stack.Job{After: "fetch"}, "cron(30 0/6 * * ? *)", ""},
		{"the default schedule", "", stack.Job{After: "fetch"}, "cron(30 0/6 * * ? *)", ""},
		{"an hour and a half", "cron(45 2,8 ? * MON-FRI *)", stack.Job{After: "fetch", Offset: 90 * time.Minute}, "cron(15 4,10 ? * MON-FRI *)", ""},
		{"minutes carry into hours", "cron(50 0-12/3 * * ? *)", stack.Job{After: "fetch", Offset: 20 * time.Minute}, "cron(10 1-13/3 * * ? *)", ""},
		{"its own schedule matching", "cron(0 8 * * ? *)", stack.Job{After: "fetch", Schedule: "cron(30 8 * * ? *)"}, "cron(30 8 * * ? *)", ""},
		{"a rate cannot be followed", "rate(6 hours)", stack.Job{After: "fetch"}, "", "is not a cron() schedule"},
		{"past midnight", "cron(0 23 * * ? *)", stack.Job{After: "fetch", Offset: time.Hour}, "", "next day"},
		{"split across hours", "cron(0,45 8 * * ? *)", stack.Job{After: "fetch"}, "", "split its runs"},
		{"every hour's minute 50", "cron(50 * * * ? *)", stack.Job{After: "fetch", Offset: 20 * time.Minute}, "", "not a number"},
		{"no such job", "cron(0 8 * * ? *)", stack.Job{After: "nobody"}, "", "not a job of the stack"},
		{"not whole minutes", "cron(0 8 * * ? *)", stack.Job{After: "fetch", Offset: 90 * time.Second}, "", "whole minutes"},
		{"another schedule", "cron(0 8 * * ? *)", stack.Job{After: "fetch", Schedule: "cron(0 8 * * ? *)"}, "", "leave the schedule empty"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := twoJobs(tt.fetch, tt.report)
			err := s.Validate()
			if tt.problem != "" {
				var se *stack.SpecError
				require.ErrorAs(t, err, &se)
				require.Len(t, se.Problems, 1, "%v", err)
				assert.Equal(t, "Jobs.report.After", se.Problems[0].Field)
				assert.Contains(t, se.Problems[0].Problem, tt.problem)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, s.WithDefaults().Jobs[1].Schedule)
		})
	}

	// A job cannot follow a job that follows another.
	s := withJob(twoJobs("cron(0 8 * * ? *)", stack.Job{After: "fetch"}), stack.Job{Container: stack.Container{Name: "third"}, After: "report"})
	err := s.Validate()
	require.Error(t, err)
	assert.Contains(t, err.Error(), "Jobs.third.After: follows report, which follows fetch itself")
}

// The plan says when a following job starts, and its runs are the
// followed job's, 30 minutes later.
func TestPlanShowsOffset(t *testing.T) {
	s := twoJobs("cron(0 0/6 * * ? *)", stack.Job{After: "fetch"})
	p, err := stack.New(aws.Config{Region: "eu-south-1"}, offline).Plan(context.Background(), s)
	require.NoError(t, err)
	notes := strings.Join(p.Notes, "\n")
	assert.Contains(t, notes, "job report: starts 30m after job fetch (cron(30 0/6 * * ? *))")
	assert.Contains(t, notes, "job fetch: cron(0 0/6 * * ? *) in Europe/Rome, next Sat 2026-03-28 18:00 CET")
	assert.Contains(t, notes, "job report: cron(30 0/6 * * ? *) in Europe/Rome, next Sat 2026-03-28 18:30 CET")
}
