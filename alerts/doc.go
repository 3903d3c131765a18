// Package alerts gives the operator of a stack eyes, with the AWS services
// made for it: failures reach an e-mail address through SNS, the bill is
// guarded by AWS Budgets, and mail reputation by an SES configuration set.
//
// It is shaped as the other infrastructure packages (network, secrets,
// ecshost, schedule):
//
//	a := alerts.New(alerts.ClientsFromConfig(cfg), func(o *alerts.Options) { o.Account = "123456789012" })
//	plan, err := a.Plan(ctx, spec)         // *change.Plan: one change per resource, kept ones too
//	state, err := a.Ensure(ctx, spec)      // the topic's ARN, and state.Changes (none the second time)
//	changes, err := a.Delete(ctx, "stack") // everything it made for the stack
//
// For a Spec with Stack S and an OperatorEmail it makes:
//
//   - the SNS topic S-operator, with the address subscribed (AWS mails a
//     confirmation link: until it is followed the subscription is pending,
//     and Status says so), and a topic policy that lets exactly the rule,
//     the alarm and the budget below publish;
//   - the EventBridge rule S-task-failed on ECS "Task State Change" events
//     of the Spec's cluster and task families that stopped with a non-zero
//     exit code or failed to start, publishing the task, its exit code and
//     its stop reason to the topic;
//   - with DeadLetterQueue, the CloudWatch alarm S-scheduler-dlq-not-empty
//     on that queue's visible messages, notifying the topic;
//   - with MonthlyBudgetUSD, the AWS Budget mangaalert-S for that monthly
//     cost, alerting the topic at 80 % of the actual and 100 % of the
//     forecast cost.
//
// With MailEvents it makes, operator address or not, the SES configuration
// set S (bounces and complaints put addresses on the account's
// suppression list) with an event destination publishing bounces,
// complaints and rejects to the SNS topic S-mail-events, and subscribes
// MailEvents.Endpoint (the backend's signed hook) to that topic.
//
// Everything but the budget carries the stack's tags (mangaalert:stack,
// mangaalert:component=alerts) and is changed or deleted only when it
// does; the budget is found by its name, mangaalert-S.
//
// # Permissions
//
// sns:CreateTopic, GetTopicAttributes, SetTopicAttributes, Subscribe,
// ListSubscriptionsByTopic, Unsubscribe, TagResource, ListTagsForResource,
// DeleteTopic; events:PutRule, DescribeRule, PutTargets, ListTargetsByRule,
// RemoveTargets, DeleteRule, TagResource, ListTagsForResource;
// cloudwatch:PutMetricAlarm, DescribeAlarms, DeleteAlarms,
// ListTagsForResource; budgets:ViewBudget, ModifyBudget; ses:
// CreateConfigurationSet, DescribeConfigurationSet, ListTagsForResource,
// CreateConfigurationSetEventDestination, DeleteConfigurationSet; and for
// Status, sns:ListSubscriptionsByTopic and ses:GetSendStatistics.
package alerts
