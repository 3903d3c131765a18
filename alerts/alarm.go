package alerts

import (
	"context"
	"fmt"
	"slices"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"

	"github.com/manga-alert-italia/mangaalert/change"
	"github.com/manga-alert-italia/mangaalert/internal/engine"
)

// alarmInput is the alarm the Spec wants: any message visible in the
// dead-letter queue over five minutes (a schedule that could not start
// its task after the retries) notifies the operator, once.
func (a *Alerts) alarmInput(s Spec) *cloudwatch.PutMetricAlarmInput {
	return &cloudwatch.PutMetricAlarmInput{
		AlarmName:          aws.String(AlarmName(s.Stack)),
		AlarmDescription:   aws.String("mangaalert " + s.Stack + ": a schedule could not start its task; the event waits in SQS queue " + s.DeadLetterQueue),
		Namespace:          aws.String("AWS/SQS"),
		MetricName:         aws.String("ApproximateNumberOfMessagesVisible"),
		Dimensions:         []cwtypes.Dimension{{Name: aws.String("QueueName"), Value: aws.String(s.DeadLetterQueue)}},
		Statistic:          cwtypes.StatisticMaximum,
		Period:             aws.Int32(300),
		EvaluationPeriods:  aws.Int32(1),
		Threshold:          aws.Float64(0),
		ComparisonOperator: cwtypes.ComparisonOperatorGreaterThanThreshold,
		TreatMissingData:   aws.String("notBreaching"),
		AlarmActions:       []string{a.arn("sns", TopicName(s.Stack))},
		Tags:               cwTags(a.tags(s)),
	}
}

func (a *Alerts) alarmSteps(ctx context.Context, s Spec) ([]engine.Step, error) {
	name, want := AlarmName(s.Stack), s.OperatorEmail != "" && s.DeadLetterQueue != ""
	in := a.alarmInput(s)
	put := func(ctx context.Context) error { _, err := a.c.CloudWatch.PutMetricAlarm(ctx, in); return err }
	if a.o.Offline {
		if !want {
			return nil, nil
		}
		return []engine.Step{newStep(change.Create, KindAlarm, name, "", []string{"messages in " + s.DeadLetterQueue + " → " + TopicName(s.Stack)}, put)}, nil
	}
	out, err := a.c.CloudWatch.DescribeAlarms(ctx, &cloudwatch.DescribeAlarmsInput{AlarmNames: []string{name}})
	if err != nil {
		return nil, fmt.Errorf("read CloudWatch alarm %s: %w", name, err)
	}
	if len(out.MetricAlarms) == 0 {
		if !want {
			return nil, nil
		}
		return []engine.Step{newStep(change.Create, KindAlarm, name, "", []string{"messages in " + s.DeadLetterQueue + " → " + TopicName(s.Stack)}, put)}, nil
	}
	al := out.MetricAlarms[0]
	arn := aws.ToString(al.AlarmArn)
	tl, err := a.c.CloudWatch.ListTagsForResource(ctx, &cloudwatch.ListTagsForResourceInput{ResourceARN: aws.String(arn)})
	if err != nil {
		return nil, fmt.Errorf("read the tags of CloudWatch alarm %s: %w", name, err)
	}
	tags := map[string]string{}
	for _, t := range tl.Tags {
		tags[aws.ToString(t.Key)] = aws.ToString(t.Value)
	}
	switch {
	case !ours(tags, s.Stack) && want:
		return nil, notOurs(KindAlarm, name, s.Stack)
	case !ours(tags, s.Stack):
		return nil, nil
	case !want:
		return []engine.Step{newStep(change.Delete, KindAlarm, name, arn, nil, func(ctx context.Context) error {
			_, err := a.c.CloudWatch.DeleteAlarms(ctx, &cloudwatch.DeleteAlarmsInput{AlarmNames: []string{name}})
			return err
		})}, nil
	}
	var details []string
	if aws.ToString(al.MetricName) != aws.ToString(in.MetricName) || aws.ToString(al.Namespace) != aws.ToString(in.Namespace) ||
		len(al.Dimensions) != 1 || aws.ToString(al.Dimensions[0].Value) != s.DeadLetterQueue {
		details = append(details, "metric: visible messages in "+s.DeadLetterQueue)
	}
	if aws.ToFloat64(al.Threshold) != 0 || al.ComparisonOperator != in.ComparisonOperator || aws.ToInt32(al.Period) != 300 ||
		aws.ToInt32(al.EvaluationPeriods) != 1 || al.Statistic != in.Statistic {
		details = append(details, "threshold: more than 0 over 5 minutes")
	}
	if !slices.Equal(al.AlarmActions, in.AlarmActions) {
		details = append(details, "action: notify "+TopicName(s.Stack))
	}
	if m := missingTags(tags, a.tags(s)); len(m) > 0 {
		details = append(details, fmt.Sprintf("tags: %d to set", len(m)))
	}
	if len(details) == 0 {
		return []engine.Step{keep(KindAlarm, name, arn)}, nil
	}
	return []engine.Step{newStep(change.Update, KindAlarm, name, arn, details, put)}, nil
}

func cwTags(m map[string]string) []cwtypes.Tag {
	var out []cwtypes.Tag
	for _, k := range sortedKeys(m) {
		out = append(out, cwtypes.Tag{Key: aws.String(k), Value: aws.String(m[k])})
	}
	return out
}
