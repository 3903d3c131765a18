package alerts

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/budgets"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/ses"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	"github.com/aws/aws-sdk-go-v2/service/sns"
)

// Clients are the service clients Alerts calls. Offline planning needs
// none of them.
type Clients struct {
	SNS        SNSAPI
	Events     EventsAPI
	CloudWatch CloudWatchAPI
	Budgets    BudgetsAPI
	SESv2      SESv2API
	// SES (v1) adds and reads the configuration set's event destination:
	// emulators that model SES v2's configuration sets do not all model
	// its event destinations, and v1's reach the same resource.
	SES SESAPI
}

// ClientsFromConfig builds every client from one config.
func ClientsFromConfig(cfg aws.Config) Clients {
	return Clients{SNS: sns.NewFromConfig(cfg), Events: eventbridge.NewFromConfig(cfg), CloudWatch: cloudwatch.NewFromConfig(cfg),
		Budgets: budgets.NewFromConfig(cfg), SESv2: sesv2.NewFromConfig(cfg), SES: ses.NewFromConfig(cfg)}
}

// SNSAPI is the part of the SNS client this package uses.
type SNSAPI interface {
	CreateTopic(ctx context.Context, params *sns.CreateTopicInput, optFns ...func(*sns.Options)) (*sns.CreateTopicOutput, error)
	GetTopicAttributes(ctx context.Context, params *sns.GetTopicAttributesInput, optFns ...func(*sns.Options)) (*sns.GetTopicAttributesOutput, error)
	SetTopicAttributes(ctx context.Context, params *sns.SetTopicAttributesInput, optFns ...func(*sns.Options)) (*sns.SetTopicAttributesOutput, error)
	Subscribe(ctx context.Context, params *sns.SubscribeInput, optFns ...func(*sns.Options)) (*sns.SubscribeOutput, error)
	Unsubscribe(ctx context.Context, params *sns.UnsubscribeInput, optFns ...func(*sns.Options)) (*sns.UnsubscribeOutput, error)
	ListSubscriptionsByTopic(ctx context.Context, params *sns.ListSubscriptionsByTopicInput, optFns ...func(*sns.Options)) (*sns.ListSubscriptionsByTopicOutput, error)
	ListTagsForResource(ctx context.Context, params *sns.ListTagsForResourceInput, optFns ...func(*sns.Options)) (*sns.ListTagsForResourceOutput, error)
	TagResource(ctx context.Context, params *sns.TagResourceInput, optFns ...func(*sns.Options)) (*sns.TagResourceOutput, error)
	DeleteTopic(ctx context.Context, params *sns.DeleteTopicInput, optFns ...func(*sns.Options)) (*sns.DeleteTopicOutput, error)
}

// EventsAPI is the part of the EventBridge client this package uses.
type EventsAPI interface {
	PutRule(ctx context.Context, params *eventbridge.PutRuleInput, optFns ...func(*eventbridge.Options)) (*eventbridge.PutRuleOutput, error)
	DescribeRule(ctx context.Context, params *eventbridge.DescribeRuleInput, optFns ...func(*eventbridge.Options)) (*eventbridge.DescribeRuleOutput, error)
	PutTargets(ctx context.Context, params *eventbridge.PutTargetsInput, optFns ...func(*eventbridge.Options)) (*eventbridge.PutTargetsOutput, error)
	ListTargetsByRule(ctx context.Context, params *eventbridge.ListTargetsByRuleInput, optFns ...func(*eventbridge.Options)) (*eventbridge.ListTargetsByRuleOutput, error)
	RemoveTargets(ctx context.Context, params *eventbridge.RemoveTargetsInput, optFns ...func(*eventbridge.Options)) (*eventbridge.RemoveTargetsOutput, error)
	DeleteRule(ctx context.Context, params *eventbridge.DeleteRuleInput, optFns ...func(*eventbridge.Options)) (*eventbridge.DeleteRuleOutput, error)
	ListTagsForResource(ctx context.Context, params *eventbridge.ListTagsForResourceInput, optFns ...func(*eventbridge.Options)) (*eventbridge.ListTagsForResourceOutput, error)
	TagResource(ctx context.Context, params *eventbridge.TagResourceInput, optFns ...func(*eventbridge.Options)) (*eventbridge.TagResourceOutput, error)
}

// CloudWatchAPI is the part of the CloudWatch client this package uses.
type CloudWatchAPI interface {
	PutMetricAlarm(ctx context.Context, params *cloudwatch.PutMetricAlarmInput, optFns ...func(*cloudwatch.Options)) (*cloudwatch.PutMetricAlarmOutput, error)
	DescribeAlarms(ctx context.Context, params *cloudwatch.DescribeAlarmsInput, optFns ...func(*cloudwatch.Options)) (*cloudwatch.DescribeAlarmsOutput, error)
	DeleteAlarms(ctx context.Context, params *cloudwatch.DeleteAlarmsInput, optFns ...func(*cloudwatch.Options)) (*cloudwatch.DeleteAlarmsOutput, error)
	ListTagsForResource(ctx context.Context, params *cloudwatch.ListTagsForResourceInput, optFns ...func(*cloudwatch.Options)) (*cloudwatch.ListTagsForResourceOutput, error)
}

// BudgetsAPI is the part of the AWS Budgets client this package uses.
type BudgetsAPI interface {
	CreateBudget(ctx context.Context, params *budgets.CreateBudgetInput, optFns ...func(*budgets.Options)) (*budgets.CreateBudgetOutput, error)
	DescribeBudget(ctx context.Context, params *budgets.DescribeBudgetInput, optFns ...func(*budgets.Options)) (*budgets.DescribeBudgetOutput, error)
	DescribeNotificationsForBudget(ctx context.Context, params *budgets.DescribeNotificationsForBudgetInput, optFns ...func(*budgets.Options)) (*budgets.DescribeNotificationsForBudgetOutput, error)
	UpdateBudget(ctx context.Context, params *budgets.UpdateBudgetInput, optFns ...func(*budgets.Options)) (*budgets.UpdateBudgetOutput, error)
	DeleteBudget(ctx context.Context, params *budgets.DeleteBudgetInput, optFns ...func(*budgets.Options)) (*budgets.DeleteBudgetOutput, error)
}

// SESv2API is the part of the SES v2 client this package uses.
type SESv2API interface {
	CreateConfigurationSet(ctx context.Context, params *sesv2.CreateConfigurationSetInput, optFns ...func(*sesv2.Options)) (*sesv2.CreateConfigurationSetOutput, error)
	DeleteConfigurationSet(ctx context.Context, params *sesv2.DeleteConfigurationSetInput, optFns ...func(*sesv2.Options)) (*sesv2.DeleteConfigurationSetOutput, error)
	ListTagsForResource(ctx context.Context, params *sesv2.ListTagsForResourceInput, optFns ...func(*sesv2.Options)) (*sesv2.ListTagsForResourceOutput, error)
}

// SESAPI is the part of the SES v1 client this package uses.
type SESAPI interface {
	DescribeConfigurationSet(ctx context.Context, params *ses.DescribeConfigurationSetInput, optFns ...func(*ses.Options)) (*ses.DescribeConfigurationSetOutput, error)
	CreateConfigurationSetEventDestination(ctx context.Context, params *ses.CreateConfigurationSetEventDestinationInput, optFns ...func(*ses.Options)) (*ses.CreateConfigurationSetEventDestinationOutput, error)
	GetSendStatistics(ctx context.Context, params *ses.GetSendStatisticsInput, optFns ...func(*ses.Options)) (*ses.GetSendStatisticsOutput, error)
}
