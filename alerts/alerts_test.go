package alerts_test

import (
	"context"
	"encoding/json"
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/manga-alert-italia/mangaalert/alerts"
	"github.com/manga-alert-italia/mangaalert/change"
)

func TestValidate(t *testing.T) {
	ok := fullSpec("123456789012")
	for _, tc := range []struct {
		name  string
		edit  func(*alerts.Spec)
		wants string
	}{
		{"valid", func(*alerts.Spec) {}, ""},
		{"no operator is valid", func(s *alerts.Spec) { s.OperatorEmail, s.MonthlyBudgetUSD = "", 0 }, ""},
		{"bad stack", func(s *alerts.Spec) { s.Stack = "a b" }, `stack "a b"`},
		{"display name", func(s *alerts.Spec) { s.OperatorEmail = "Ops <ops@example.org>" }, "not a plain address"},
		{"no cluster", func(s *alerts.Spec) { s.ClusterARN = "" }, "the cluster's ARN"},
		{"no families, no rule", func(s *alerts.Spec) { s.Families = nil }, ""},
		{"budget without operator", func(s *alerts.Spec) { s.OperatorEmail = "" }, "needs the operator e-mail"},
		{"negative budget", func(s *alerts.Spec) { s.MonthlyBudgetUSD = -1 }, "negative"},
		{"endpoint", func(s *alerts.Spec) { s.MailEvents.Endpoint = "ftp://x" }, "not an http(s) URL"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := ok
			m := *ok.MailEvents
			s.MailEvents = &m
			tc.edit(&s)
			err := s.Validate()
			if tc.wants == "" {
				assert.NoError(t, err)
				return
			}
			require.Error(t, err)
			assert.True(t, errors.Is(err, alerts.ErrInvalid))
			assert.Contains(t, err.Error(), tc.wants)
		})
	}
}

// TestEventPattern: the rule matches only stopped tasks of the stack's
// families in its cluster, with a non-zero exit or a failed start.
func TestEventPattern(t *testing.T) {
	p := alerts.EventPattern("arn:aws:ecs:eu-south-1:1:cluster/ma", []string{"ma-scrape", "ma-notify"},
		func(f string) string { return "arn:aws:ecs:eu-south-1:1:task-definition/" + f + ":" })
	b, err := json.Marshal(p)
	require.NoError(t, err)
	assert.JSONEq(t, `{"source":["aws.ecs"],"detail-type":["ECS Task State Change"],"detail":{
		"clusterArn":["arn:aws:ecs:eu-south-1:1:cluster/ma"],"lastStatus":["STOPPED"],
		"taskDefinitionArn":[{"prefix":"arn:aws:ecs:eu-south-1:1:task-definition/ma-notify:"},{"prefix":"arn:aws:ecs:eu-south-1:1:task-definition/ma-scrape:"}],
		"$or":[{"containers":{"exitCode":[{"anything-but":[0]}]}},{"stopCode":["TaskFailedToStart"]}]}}`, string(b))
}

func TestOfflinePlanCreatesEverything(t *testing.T) {
	a := alerts.New(alerts.Clients{}, func(o *alerts.Options) { o.Offline, o.Account, o.Region = true, "123456789012", "eu-south-1" })
	p, err := a.Plan(context.Background(), fullSpec("123456789012"))
	require.NoError(t, err)
	assert.True(t, p.Offline)
	assert.Equal(t, 9, p.Count(change.Create))
	c, ok := p.Find(alerts.KindBudget, "mangaalert-ma")
	require.True(t, ok)
	assert.Contains(t, c.Details[0], "12.35 USD a month")
	_, err = a.Ensure(context.Background(), fullSpec("123456789012"))
	assert.ErrorIs(t, err, alerts.ErrOffline)
}
