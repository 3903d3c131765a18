package alerts_test

import (
	"context"
	"encoding/json"
	"errors"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/budgets"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/ses"
	sestypes "github.com/aws/aws-sdk-go-v2/service/ses/types"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/manga-alert-italia/mangaalert/alerts"
	"github.com/manga-alert-italia/mangaalert/change"
	"github.com/manga-alert-italia/mangaalert/integration"
	"github.com/manga-alert-italia/mangaalert/resource"
)

func TestMain(m *testing.M) { integration.Main(m) }

var (
	_ alerts.SNSAPI        = (*sns.Client)(nil)
	_ alerts.EventsAPI     = (*eventbridge.Client)(nil)
	_ alerts.CloudWatchAPI = (*cloudwatch.Client)(nil)
	_ alerts.BudgetsAPI    = (*budgets.Client)(nil)
	_ alerts.SESv2API      = (*sesv2.Client)(nil)
	_ alerts.SESAPI        = (*ses.Client)(nil)
)

func fullSpec(account string) alerts.Spec {
	return alerts.Spec{Stack: "ma", OperatorEmail: "ops@example.org",
		ClusterARN: "arn:aws:ecs:" + integration.Region + ":" + account + ":cluster/ma", Families: []string{"ma-scrape", "ma-notify"},
		DeadLetterQueue: "ma-scheduler-dlq", MonthlyBudgetUSD: 12.341,
		MailEvents: &alerts.MailEvents{Endpoint: "https://manga.example.org/hooks/ses"}, Tags: map[string]string{"team": "ops"}}
}

// TestEnsureOnTheEmulator runs Ensure, Ensure again, and Delete against
// moto through the real SDK clients, and reads each resource back.
func TestEnsureOnTheEmulator(t *testing.T) {
	ctx := context.Background()
	cfg := integration.Config(t, integration.SNS, integration.Events, integration.CloudWatch, integration.Budgets, integration.SES, integration.SESv2)
	account, err := integration.AccountOf(cfg)
	require.NoError(t, err)
	calls := integration.Record(&cfg)
	cl := alerts.ClientsFromConfig(cfg)
	a := alerts.New(cl, func(o *alerts.Options) { o.Account, o.Region = account, integration.Region })
	spec := fullSpec(account)

	st, err := a.Ensure(ctx, spec)
	require.NoError(t, err)
	assert.Equal(t, "arn:aws:sns:"+integration.Region+":"+account+":ma-operator", st.TopicARN)
	assert.Equal(t, "ma", st.ConfigurationSet)
	kinds := map[string]int{}
	for _, c := range st.Changes {
		assert.Equal(t, change.Create, c.Action, c.String())
		kinds[c.Kind]++
	}
	assert.Equal(t, map[string]int{alerts.KindTopic: 2, alerts.KindSubscription: 2, alerts.KindRule: 1, alerts.KindAlarm: 1,
		alerts.KindBudget: 1, alerts.KindConfigSet: 1, alerts.KindDestination: 1}, kinds)

	// The topic, its e-mail subscription and its policy.
	subs, err := cfgSNS(cfg).ListSubscriptionsByTopic(ctx, &sns.ListSubscriptionsByTopicInput{TopicArn: aws.String(st.TopicARN)})
	require.NoError(t, err)
	require.Len(t, subs.Subscriptions, 1)
	assert.Equal(t, "email", aws.ToString(subs.Subscriptions[0].Protocol))
	assert.Equal(t, "ops@example.org", aws.ToString(subs.Subscriptions[0].Endpoint))
	attrs, err := cfgSNS(cfg).GetTopicAttributes(ctx, &sns.GetTopicAttributesInput{TopicArn: aws.String(st.TopicARN)})
	require.NoError(t, err)
	var policy struct {
		Statement []struct{ Principal map[string]string }
	}
	require.NoError(t, json.Unmarshal([]byte(attrs.Attributes["Policy"]), &policy))
	var principals []string
	for _, s := range policy.Statement {
		principals = append(principals, s.Principal["Service"])
	}
	assert.Equal(t, []string{"events.amazonaws.com", "cloudwatch.amazonaws.com", "budgets.amazonaws.com"}, principals)

	// The rule, with the topic as its target.
	ev := eventbridge.NewFromConfig(cfg)
	rule, err := ev.DescribeRule(ctx, &eventbridge.DescribeRuleInput{Name: aws.String("ma-task-failed")})
	require.NoError(t, err)
	assert.Contains(t, aws.ToString(rule.EventPattern), `"ECS Task State Change"`)
	assert.Contains(t, aws.ToString(rule.EventPattern), `task-definition/ma-scrape:`)
	targets, err := ev.ListTargetsByRule(ctx, &eventbridge.ListTargetsByRuleInput{Rule: aws.String("ma-task-failed")})
	require.NoError(t, err)
	require.Len(t, targets.Targets, 1)
	assert.Equal(t, st.TopicARN, aws.ToString(targets.Targets[0].Arn))
	require.NotNil(t, targets.Targets[0].InputTransformer)
	assert.Contains(t, aws.ToString(targets.Targets[0].InputTransformer.InputTemplate), "exit code <exitCode>")

	// The alarm on the dead-letter queue.
	alarms, err := cloudwatch.NewFromConfig(cfg).DescribeAlarms(ctx, &cloudwatch.DescribeAlarmsInput{AlarmNames: []string{"ma-scheduler-dlq-not-empty"}})
	require.NoError(t, err)
	require.Len(t, alarms.MetricAlarms, 1)
	assert.Equal(t, []string{st.TopicARN}, alarms.MetricAlarms[0].AlarmActions)
	assert.Equal(t, "ma-scheduler-dlq", aws.ToString(alarms.MetricAlarms[0].Dimensions[0].Value))

	// The budget, at the amount rounded up to the cent.
	b, err := budgets.NewFromConfig(cfg).DescribeBudget(ctx, &budgets.DescribeBudgetInput{AccountId: aws.String(account), BudgetName: aws.String("mangaalert-ma")})
	require.NoError(t, err)
	assert.Equal(t, "12.35", aws.ToString(b.Budget.BudgetLimit.Amount))
	n, err := budgets.NewFromConfig(cfg).DescribeNotificationsForBudget(ctx, &budgets.DescribeNotificationsForBudgetInput{AccountId: aws.String(account), BudgetName: aws.String("mangaalert-ma")})
	require.NoError(t, err)
	assert.Len(t, n.Notifications, 2)

	// The configuration set, its suppression and its event destination.
	// (moto answers SES v2's GetConfigurationSet in a shape the SDK cannot
	// decode, so the suppression options are not read back here.)
	sets, err := ses.NewFromConfig(cfg).ListConfigurationSets(ctx, &ses.ListConfigurationSetsInput{})
	require.NoError(t, err)
	require.Len(t, sets.ConfigurationSets, 1)
	assert.Equal(t, "ma", aws.ToString(sets.ConfigurationSets[0].Name))
	d, err := ses.NewFromConfig(cfg).DescribeConfigurationSet(ctx, &ses.DescribeConfigurationSetInput{ConfigurationSetName: aws.String("ma"),
		ConfigurationSetAttributeNames: []sestypes.ConfigurationSetAttribute{sestypes.ConfigurationSetAttributeEventDestinations}})
	require.NoError(t, err)
	require.Len(t, d.EventDestinations, 1)
	assert.Equal(t, st.MailTopicARN, aws.ToString(d.EventDestinations[0].SNSDestination.TopicARN))

	// A second Ensure writes nothing; its plan keeps everything.
	calls.Reset()
	st2, err := a.Ensure(ctx, spec)
	require.NoError(t, err)
	assert.Empty(t, st2.Changes)
	assert.Empty(t, calls.Mutating())
	p, err := a.Plan(ctx, spec)
	require.NoError(t, err)
	assert.False(t, p.HasChanges(), "%v", p.Changes)

	// Delete leaves none of them.
	done, err := a.Delete(ctx, "ma")
	require.NoError(t, err)
	assert.NotEmpty(t, done)
	p, err = a.Plan(ctx, alerts.Spec{Stack: "ma"})
	require.NoError(t, err)
	assert.Empty(t, p.Changes)
	_, err = budgets.NewFromConfig(cfg).DescribeBudget(ctx, &budgets.DescribeBudgetInput{AccountId: aws.String(account), BudgetName: aws.String("mangaalert-ma")})
	assert.Error(t, err)
	again, err := a.Delete(ctx, "ma")
	require.NoError(t, err)
	assert.Empty(t, again)
}

// TestSomeoneElsesTopicIsLeftAlone: a topic with the stack's name and no
// tags of ours is an error naming it, before any write.
func TestSomeoneElsesTopicIsLeftAlone(t *testing.T) {
	ctx := context.Background()
	cfg := integration.Config(t, integration.SNS, integration.Events, integration.CloudWatch, integration.Budgets, integration.SES, integration.SESv2)
	account, err := integration.AccountOf(cfg)
	require.NoError(t, err)
	_, err = cfgSNS(cfg).CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String("ma-operator")})
	require.NoError(t, err)
	calls := integration.Record(&cfg)
	a := alerts.New(alerts.ClientsFromConfig(cfg), func(o *alerts.Options) { o.Account, o.Region = account, integration.Region })
	_, err = a.Ensure(ctx, fullSpec(account))
	require.Error(t, err)
	assert.True(t, errors.Is(err, resource.ErrNotOurs), "%v", err)
	assert.Contains(t, err.Error(), "ma-operator")
	assert.Empty(t, calls.Mutating())
	done, err := a.Delete(ctx, "ma")
	require.NoError(t, err)
	assert.Empty(t, done)
}

func cfgSNS(cfg aws.Config) *sns.Client { return sns.NewFromConfig(cfg) }
