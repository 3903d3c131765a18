package schedule

import (
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/manga-alert-italia/mangaalert/iampolicy"
)

// testSpec is a valid spec with two jobs of two families, each with its
// own task role.
func testSpec() Spec {
	return Spec{
		Stack:            "prod",
		ClusterARN:       "arn:aws:ecs:eu-south-1:123456789012:cluster/manga",
		ExecutionRoleARN: "arn:aws:iam::123456789012:role/manga-execution",
		Jobs: []Job{
			{Name: "scraper", TaskDefinitionARN: "arn:aws:ecs:eu-south-1:123456789012:task-definition/manga-scraper:3",
				TaskRoleARN: "arn:aws:iam::123456789012:role/manga-scraper-task"},
			{Name: "notifier", TaskDefinitionARN: "arn:aws:ecs:eu-south-1:123456789012:task-definition/manga-notifier:7",
				TaskRoleARN: "arn:aws:iam::123456789012:role/manga-notifier-task"},
		},
	}
}

// The policies every kind of valid spec gives pass the least-privilege
// check, with the conditions that narrow them in place.
func TestPoliciesPassTheCheck(t *testing.T) {
	const (
		execution = "arn:aws:iam::123456789012:role/manga-execution"
		scraper   = "arn:aws:iam::123456789012:role/manga-scraper-task"
		notifier  = "arn:aws:iam::123456789012:role/manga-notifier-task"
	)
	tests := []struct {
		name       string
		change     func(*Spec)
		statements int
		pass       []string // the roles PassRole names, in order
	}{
		{"a task role per job", func(*Spec) {}, 3, []string{execution, notifier, scraper}},
		{"no task role", func(s *Spec) { s.Jobs[0].TaskRoleARN, s.Jobs[1].TaskRoleARN = "", "" }, 3, []string{execution}},
		{"one job without", func(s *Spec) { s.Jobs[1].TaskRoleARN = "" }, 3, []string{execution, scraper}},
		{"one task role for both jobs", func(s *Spec) { s.Jobs[1].TaskRoleARN = scraper }, 3, []string{execution, scraper}},
		{"the execution role as task role", func(s *Spec) { s.Jobs[0].TaskRoleARN = execution }, 3, []string{execution, notifier}},
		{"a created queue", func(s *Spec) { s.DeadLetter.Create = true }, 4, []string{execution, notifier, scraper}},
		{"a given queue", func(s *Spec) { s.DeadLetter.ARN = "arn:aws:sqs:eu-south-1:123456789012:dlq" }, 4, []string{execution, notifier, scraper}},
		{"a role with a path, another partition", func(s *Spec) {
			s.ClusterARN = "arn:aws-us-gov:ecs:us-gov-west-1:123456789012:cluster/manga"
			s.ExecutionRoleARN = "arn:aws-us-gov:iam::123456789012:role/service/manga-execution"
			for i := range s.Jobs {
				s.Jobs[i].TaskDefinitionARN = "arn:aws-us-gov:ecs:us-gov-west-1:123456789012:task-definition/manga-" + s.Jobs[i].Name
				s.Jobs[i].TaskRoleARN = ""
			}
		}, 3, []string{"arn:aws-us-gov:iam::123456789012:role/service/manga-execution"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := testSpec()
			tt.change(&s)
			r, err := s.resolve(time.Now())
			require.NoError(t, err)
			perms, trust := r.permissions(), r.trustPolicy()
			assert.Empty(t, iampolicy.Check("permissions", perms), perms.JSON())
			assert.Empty(t, iampolicy.Check("trust", trust), trust.JSON())
			require.Len(t, perms.Statement, tt.statements)

			run, pass := perms.Statement[0], perms.Statement[1]
			assert.Equal(t, iampolicy.Strings{"ecs:RunTask"}, run.Action)
			assert.Equal(t, iampolicy.Strings{s.ClusterARN}, run.Condition["ArnEquals"]["ecs:cluster"])
			assert.Len(t, run.Resource, 2, "one per family")
			assert.Equal(t, iampolicy.Strings{"iam:PassRole"}, pass.Action)
			assert.Equal(t, iampolicy.Strings{"ecs-tasks.amazonaws.com"}, pass.Condition["StringEquals"]["iam:PassedToService"])
			assert.Equal(t, iampolicy.Strings(tt.pass), pass.Resource, "exactly the execution role and the jobs' task roles")
			assert.Equal(t, iampolicy.Strings{"scheduler.amazonaws.com"}, trust.Statement[0].Principal["Service"])
			assert.Equal(t, map[string]iampolicy.Document{"prod-scheduler": perms, "prod-scheduler (trust)": trust}, r.policies())
		})
	}
}

// A policy broader than least privilege is refused. No valid Spec gives
// one (resolve refuses wildcards in every ARN it takes), so the resolved
// values are widened here by hand, as a bug in resolve would.
func TestCheckRefusesBroaderPolicies(t *testing.T) {
	tests := []struct {
		name  string
		widen func(*resolved)
		want  string
	}{
		{"pass any role", func(r *resolved) { r.ExecutionRoleARN = "*" }, `policy prod-scheduler, statement 1 (PassTheTaskRoles): resource "*" for iam:PassRole`},
		{"send to every queue", func(r *resolved) { r.queueARN = "arn:aws:sqs:eu-south-1:123456789012:*" }, `statement 3 (DeadLetters): resource "arn:aws:sqs:eu-south-1:123456789012:*" covers every resource of the service`},
		{"pass any role as a job's task role", func(r *resolved) { r.jobs[1].TaskRoleARN = "*" }, `resource "*" for iam:PassRole`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := testSpec()
			s.DeadLetter.Create = true
			r, err := s.resolve(time.Now())
			require.NoError(t, err)
			require.NoError(t, r.checkPolicies())
			tt.widen(r)
			err = r.checkPolicies()
			require.ErrorIs(t, err, iampolicy.ErrTooBroad)
			var fe *iampolicy.FindingsError
			require.True(t, errors.As(err, &fe))
			assert.Contains(t, err.Error(), tt.want)
		})
	}
}
