package main

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
	"github.com/aws/aws-sdk-go-v2/service/budgets"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	dbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/scheduler"
	"github.com/aws/aws-sdk-go-v2/service/ses"
	sestypes "github.com/aws/aws-sdk-go-v2/service/ses/types"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/manga-alert-italia/mangaalert/integration"
	"github.com/manga-alert-italia/mangaalert/jobreport"
	"github.com/manga-alert-italia/mangaalert/stack"
	"github.com/manga-alert-italia/mangaalert/store/dynamo"
)

// TestOperatorAlertsDriftAndDestroy is the operations issue's end-to-end
// test on the emulator: apply with an operator address makes the topic
// and its subscription, the rule that publishes failed runs to it, the
// dead-letter queue on both schedules and the alarm on it, the budget at
// the plan's amount, and the SES configuration set with its event
// destination; a second apply writes nothing; diff exits 0, then 2 once
// the group's maximum size is changed behind the tool's back; destroy
// leaves none of it.
func TestOperatorAlertsDriftAndDestroy(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	integration.Env(t).Require(t, integration.SNS, integration.Events, integration.CloudWatch, integration.Budgets, integration.SES, integration.SESv2)
	ac := newAccount(t)
	account, err := integration.AccountOf(ac.cfg)
	require.NoError(t, err)
	const op = "ops@manga.example.test"

	out := ac.mustRun(t, "apply", "--operator-email", op)
	assert.Contains(t, out, "create SNS subscription mangaalert-operator → "+op)

	// The topic and its e-mail subscription.
	topic := "arn:aws:sns:" + integration.Region + ":" + account + ":mangaalert-operator"
	subs, err := sns.NewFromConfig(ac.cfg).ListSubscriptionsByTopic(ctx, &sns.ListSubscriptionsByTopicInput{TopicArn: aws.String(topic)})
	require.NoError(t, err)
	require.Len(t, subs.Subscriptions, 1)
	assert.Equal(t, op, aws.ToString(subs.Subscriptions[0].Endpoint))

	// The rule, with the topic as its target.
	ev := eventbridge.NewFromConfig(ac.cfg)
	rule, err := ev.DescribeRule(ctx, &eventbridge.DescribeRuleInput{Name: aws.String("mangaalert-task-failed")})
	require.NoError(t, err)
	assert.Contains(t, aws.ToString(rule.EventPattern), ":cluster/mangaalert")
	targets, err := ev.ListTargetsByRule(ctx, &eventbridge.ListTargetsByRuleInput{Rule: aws.String("mangaalert-task-failed")})
	require.NoError(t, err)
	require.Len(t, targets.Targets, 1)
	assert.Equal(t, topic, aws.ToString(targets.Targets[0].Arn))

	// The dead-letter queue on both schedules, and the alarm on its depth.
	for _, job := range []string{"scrape", "notify"} {
		s, err := scheduler.NewFromConfig(ac.cfg).GetSchedule(ctx, &scheduler.GetScheduleInput{Name: aws.String(job), GroupName: aws.String("mangaalert")})
		require.NoError(t, err)
		require.NotNil(t, s.Target.DeadLetterConfig, job)
		assert.True(t, strings.HasSuffix(aws.ToString(s.Target.DeadLetterConfig.Arn), ":mangaalert-scheduler-dlq"), job)
	}
	alarms, err := cloudwatch.NewFromConfig(ac.cfg).DescribeAlarms(ctx, &cloudwatch.DescribeAlarmsInput{AlarmNames: []string{"mangaalert-scheduler-dlq-not-empty"}})
	require.NoError(t, err)
	require.Len(t, alarms.MetricAlarms, 1)
	assert.Equal(t, []string{topic}, alarms.MetricAlarms[0].AlarmActions)

	// The budget, at the stack's planned monthly cost.
	b, err := budgets.NewFromConfig(ac.cfg).DescribeBudget(ctx, &budgets.DescribeBudgetInput{AccountId: aws.String(account), BudgetName: aws.String("mangaalert-mangaalert")})
	require.NoError(t, err)
	c, err := (&options{}).config(false)
	require.NoError(t, err)
	c.Image, c.Domain = "ghcr.io/owner/mangaalert:1.0", "manga.example.test"
	p, err := stack.New(aws.Config{Region: c.Region}, func(o *stack.Options) { o.Offline = true }).Plan(ctx, c.WithDefaults().spec(""))
	require.NoError(t, err)
	amount, err := strconv.ParseFloat(aws.ToString(b.Budget.BudgetLimit.Amount), 64)
	require.NoError(t, err)
	assert.InDelta(t, p.Cost.Total(), amount, 0.01, "the budget is the plan's monthly cost")

	// The configuration set and its event destination.
	d, err := ses.NewFromConfig(ac.cfg).DescribeConfigurationSet(ctx, &ses.DescribeConfigurationSetInput{ConfigurationSetName: aws.String("mangaalert"),
		ConfigurationSetAttributeNames: []sestypes.ConfigurationSetAttribute{sestypes.ConfigurationSetAttributeEventDestinations}})
	require.NoError(t, err)
	require.Len(t, d.EventDestinations, 1)
	assert.True(t, strings.HasSuffix(aws.ToString(d.EventDestinations[0].SNSDestination.TopicARN), ":mangaalert-mail-events"))

	// A second apply writes nothing.
	ac.calls.Reset()
	ac.mustRun(t, "apply", "--operator-email", op)
	assert.Empty(t, operations(ac.calls.Mutating()), "a second apply writes nothing")

	// status shows where alerts go and the dead letters.
	out = ac.mustRun(t, "status", "--operator-email", op)
	assert.Contains(t, out, "alerts to "+op+" (email)")
	assert.Contains(t, out, "dead-letter queue mangaalert-scheduler-dlq: 0 message(s)")
	assert.Contains(t, out, "SES no mail sent through SES in the last two weeks")

	// A job's failed run, as the notifier keeps it, is in status.
	t0 := time.Date(2026, 12, 3, 6, 0, 0, 0, time.UTC)
	require.NoError(t, jobreport.Record(ctx, dynamo.New(dynamodb.NewFromConfig(ac.cfg), "mangaalert"), "notify", jobreport.Run{
		Started: t0, Finished: t0.Add(95 * time.Second), Outcome: jobreport.Failed, Error: "0 alerts failed, 2 uncertain, 0 unresolved",
		Report: []string{"3 emails sent, 0 failed, 2 uncertain, 0 deferred"}}))
	out = ac.mustRun(t, "status", "--operator-email", op)
	assert.Contains(t, out, "notify: 2026-12-03 06:00 UTC, took 1m35s: failed: 0 alerts failed, 2 uncertain, 0 unresolved\n    3 emails sent")
	assert.Contains(t, out, "scrape: no run recorded yet")

	// diff: 0 when the account matches, 2 after an out-of-band change.
	code, out := ac.run(t, "diff", "--operator-email", op)
	require.Equal(t, exitOK, code, "%s", out)
	assert.Contains(t, out, "No drift")
	_, err = autoscaling.NewFromConfig(ac.cfg).UpdateAutoScalingGroup(ctx, &autoscaling.UpdateAutoScalingGroupInput{
		AutoScalingGroupName: aws.String("mangaalert-ecs-host"), MaxSize: aws.Int32(3)})
	require.NoError(t, err)
	code, out = ac.run(t, "diff", "--operator-email", op)
	require.Equal(t, 2, code, "%s", out)
	assert.Contains(t, out, "differs: update auto scaling group mangaalert-ecs-host")
	assert.Contains(t, out, "size 1/1/3 → 1/1/1")
	// A resource tagged as the stack's that nothing plans is listed.
	_, err = dynamodb.NewFromConfig(ac.cfg).CreateTable(ctx, &dynamodb.CreateTableInput{TableName: aws.String("leftover"),
		BillingMode:          dbtypes.BillingModePayPerRequest,
		AttributeDefinitions: []dbtypes.AttributeDefinition{{AttributeName: aws.String("pk"), AttributeType: dbtypes.ScalarAttributeTypeS}},
		KeySchema:            []dbtypes.KeySchemaElement{{AttributeName: aws.String("pk"), KeyType: dbtypes.KeyTypeHash}},
		Tags:                 []dbtypes.Tag{{Key: aws.String("mangaalert:stack"), Value: aws.String("mangaalert")}}})
	require.NoError(t, err)
	code, out = ac.run(t, "diff", "--operator-email", op)
	require.Equal(t, 2, code, "%s", out)
	assert.Contains(t, out, "not in the configuration: arn:aws:dynamodb:"+integration.Region+":"+account+":table/leftover")
	_, err = dynamodb.NewFromConfig(ac.cfg).DeleteTable(ctx, &dynamodb.DeleteTableInput{TableName: aws.String("leftover")})
	require.NoError(t, err)
	// Without the operator address the alerts are no longer configured:
	// diff says they would go.
	code, out = ac.run(t, "diff")
	require.Equal(t, 2, code, "%s", out)
	assert.Contains(t, out, "differs: delete SNS topic mangaalert-operator")

	// deploy-image shows the service's tasks and events while it waits.
	out = ac.mustRun(t, "deploy-image", "--operator-email", op, "ghcr.io/owner/mangaalert:1.1")
	assert.Regexp(t, `deployment: mangaalert-serve:2: \d+ running, \d+ pending, \d+ failed of \d+`, out)
	assert.Contains(t, out, "done: mangaalert-serve:2: 1 running, 0 pending, 0 failed of 1")

	ac.mustRun(t, "destroy", "--yes", "--purge-secrets")
	_, err = sns.NewFromConfig(ac.cfg).GetTopicAttributes(ctx, &sns.GetTopicAttributesInput{TopicArn: aws.String(topic)})
	assert.Error(t, err, "topic deleted")
	_, err = ev.DescribeRule(ctx, &eventbridge.DescribeRuleInput{Name: aws.String("mangaalert-task-failed")})
	assert.Error(t, err, "rule deleted")
	alarms, err = cloudwatch.NewFromConfig(ac.cfg).DescribeAlarms(ctx, &cloudwatch.DescribeAlarmsInput{AlarmNames: []string{"mangaalert-scheduler-dlq-not-empty"}})
	require.NoError(t, err)
	assert.Empty(t, alarms.MetricAlarms, "alarm deleted")
	_, err = budgets.NewFromConfig(ac.cfg).DescribeBudget(ctx, &budgets.DescribeBudgetInput{AccountId: aws.String(account), BudgetName: aws.String("mangaalert-mangaalert")})
	assert.Error(t, err, "budget deleted")
	sets, err := ses.NewFromConfig(ac.cfg).ListConfigurationSets(ctx, &ses.ListConfigurationSetsInput{})
	require.NoError(t, err)
	assert.Empty(t, sets.ConfigurationSets, "configuration set deleted")
}
