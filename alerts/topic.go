package alerts

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	snstypes "github.com/aws/aws-sdk-go-v2/service/sns/types"

	"github.com/manga-alert-italia/mangaalert/change"
	"github.com/manga-alert-italia/mangaalert/internal/awserr"
	"github.com/manga-alert-italia/mangaalert/internal/engine"
	"github.com/manga-alert-italia/mangaalert/resource"
)

// PendingConfirmation is the SubscriptionArn SNS gives a subscription
// whose endpoint has not confirmed it yet.
const PendingConfirmation = "PendingConfirmation"

// topicWant is one topic the Spec wants (or, with !want, one it must not
// have), with its policy and its one subscription.
type topicWant struct {
	name     string
	want     bool
	policy   map[string]any
	protocol string // "" subscribes nothing
	endpoint string
}

type observedTopic struct {
	exists, ours bool
	arn          string
	tags         map[string]string
	policy       string
	subs         []snstypes.Subscription
}

func (a *Alerts) readTopic(ctx context.Context, name, stack string) (observedTopic, error) {
	t := observedTopic{arn: a.arn("sns", name)}
	if a.o.Offline {
		return t, nil
	}
	attrs, err := a.c.SNS.GetTopicAttributes(ctx, &sns.GetTopicAttributesInput{TopicArn: aws.String(t.arn)})
	switch {
	case awserr.Is(err, "NotFound", "NotFoundException"):
		return t, nil
	case err != nil:
		return t, fmt.Errorf("read SNS topic %s: %w", name, err)
	}
	t.exists, t.policy = true, attrs.Attributes["Policy"]
	tags, err := a.c.SNS.ListTagsForResource(ctx, &sns.ListTagsForResourceInput{ResourceArn: aws.String(t.arn)})
	if err != nil {
		return t, fmt.Errorf("read the tags of SNS topic %s: %w", name, err)
	}
	t.tags = map[string]string{}
	for _, tg := range tags.Tags {
		t.tags[aws.ToString(tg.Key)] = aws.ToString(tg.Value)
	}
	if t.ours = ours(t.tags, stack); !t.ours {
		return t, nil
	}
	pages := sns.NewListSubscriptionsByTopicPaginator(a.c.SNS, &sns.ListSubscriptionsByTopicInput{TopicArn: aws.String(t.arn)})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return t, fmt.Errorf("list the subscriptions of SNS topic %s: %w", name, err)
		}
		t.subs = append(t.subs, page.Subscriptions...)
	}
	return t, nil
}

// sameJSON compares two JSON documents by value.
func sameJSON(have string, want map[string]any) bool {
	var h any
	if json.Unmarshal([]byte(have), &h) != nil {
		return false
	}
	b, _ := json.Marshal(want)
	var w any
	_ = json.Unmarshal(b, &w)
	return reflect.DeepEqual(h, w)
}

func (a *Alerts) topicSteps(ctx context.Context, s Spec, w topicWant) ([]engine.Step, error) {
	t, err := a.readTopic(ctx, w.name, s.Stack)
	if err != nil {
		return nil, err
	}
	switch {
	case t.exists && !t.ours && w.want:
		return nil, notOurs(KindTopic, w.name, s.Stack)
	case t.exists && !t.ours, !t.exists && !w.want:
		return nil, nil
	case !w.want:
		return []engine.Step{newStep(change.Delete, KindTopic, w.name, t.arn, []string{"with its subscriptions"}, func(ctx context.Context) error {
			_, err := a.c.SNS.DeleteTopic(ctx, &sns.DeleteTopicInput{TopicArn: aws.String(t.arn)})
			if awserr.Is(err, "NotFound", "NotFoundException") {
				return nil
			}
			return err
		})}, nil
	}
	policy, _ := json.Marshal(w.policy)
	tags := a.tags(s)
	var steps []engine.Step
	if !t.exists {
		steps = append(steps, newStep(change.Create, KindTopic, w.name, "", []string{"publishers: " + publishers(w.policy)}, func(ctx context.Context) error {
			_, err := a.c.SNS.CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String(w.name), Tags: snsTags(tags),
				Attributes: map[string]string{"Policy": string(policy)}})
			return err
		}))
	} else {
		var details []string
		fixPolicy := !sameJSON(t.policy, w.policy)
		if fixPolicy {
			details = append(details, "policy: publishers → "+publishers(w.policy))
		}
		missing := missingTags(t.tags, tags)
		if len(missing) > 0 {
			details = append(details, fmt.Sprintf("tags: %d to set", len(missing)))
		}
		if len(details) == 0 {
			steps = append(steps, keep(KindTopic, w.name, t.arn))
		} else {
			steps = append(steps, newStep(change.Update, KindTopic, w.name, t.arn, details, func(ctx context.Context) error {
				if fixPolicy {
					if _, err := a.c.SNS.SetTopicAttributes(ctx, &sns.SetTopicAttributesInput{TopicArn: aws.String(t.arn),
						AttributeName: aws.String("Policy"), AttributeValue: aws.String(string(policy))}); err != nil {
						return err
					}
				}
				if len(missing) > 0 {
					_, err := a.c.SNS.TagResource(ctx, &sns.TagResourceInput{ResourceArn: aws.String(t.arn), Tags: snsTags(missing)})
					return err
				}
				return nil
			}))
		}
	}
	return append(steps, a.subscriptionSteps(t, w)...), nil
}

// subscriptionSteps subscribe the wanted endpoint and unsubscribe the
// confirmed subscriptions of other endpoints (a pending one cannot be
// removed: SNS drops it after three days).
func (a *Alerts) subscriptionSteps(t observedTopic, w topicWant) []engine.Step {
	var steps []engine.Step
	found := false
	for _, sub := range t.subs {
		arn := aws.ToString(sub.SubscriptionArn)
		if aws.ToString(sub.Protocol) == w.protocol && aws.ToString(sub.Endpoint) == w.endpoint {
			found = true
			id := arn
			if arn == PendingConfirmation {
				id = "pending confirmation"
			}
			steps = append(steps, keep(KindSubscription, w.name+" → "+w.endpoint, id))
			continue
		}
		if arn == PendingConfirmation || !strings.HasPrefix(arn, "arn:") {
			continue
		}
		steps = append(steps, newStep(change.Delete, KindSubscription, w.name+" → "+aws.ToString(sub.Endpoint), arn, nil, func(ctx context.Context) error {
			_, err := a.c.SNS.Unsubscribe(ctx, &sns.UnsubscribeInput{SubscriptionArn: aws.String(arn)})
			return err
		}))
	}
	if !found && w.protocol != "" {
		details := []string{"protocol " + w.protocol}
		if w.protocol == "email" {
			details = append(details, "AWS mails a confirmation link to the address: alerts arrive once it is followed")
		}
		steps = append(steps, newStep(change.Create, KindSubscription, w.name+" → "+w.endpoint, "", details, func(ctx context.Context) error {
			_, err := a.c.SNS.Subscribe(ctx, &sns.SubscribeInput{TopicArn: aws.String(t.arn), Protocol: aws.String(w.protocol), Endpoint: aws.String(w.endpoint)})
			return err
		}))
	}
	return steps
}

func snsTags(m map[string]string) []snstypes.Tag {
	var out []snstypes.Tag
	for _, k := range sortedKeys(m) {
		out = append(out, snstypes.Tag{Key: aws.String(k), Value: aws.String(m[k])})
	}
	return out
}

// publishers names the services a topic policy lets publish.
func publishers(policy map[string]any) string {
	var out []string
	stmts, _ := policy["Statement"].([]map[string]any)
	for _, st := range stmts {
		if p, ok := st["Principal"].(map[string]any); ok {
			out = append(out, fmt.Sprint(p["Service"]))
		}
	}
	return strings.Join(out, ", ")
}

// publishStatement lets one AWS service publish to topic, only on behalf
// of the one resource source (or, with source "", of the account).
func publishStatement(sid, service, topic, account, source string) map[string]any {
	cond := map[string]any{"StringEquals": map[string]any{"aws:SourceAccount": account}}
	if source != "" {
		cond["ArnLike"] = map[string]any{"aws:SourceArn": source}
	}
	return map[string]any{"Sid": sid, "Effect": "Allow", "Principal": map[string]any{"Service": service},
		"Action": "sns:Publish", "Resource": topic, "Condition": cond}
}

// operatorPolicy lets exactly the stack's rule, alarm and budget publish
// to the operator topic.
func (a *Alerts) operatorPolicy(s Spec) map[string]any {
	topic := a.arn("sns", TopicName(s.Stack))
	var stmts []map[string]any
	if len(s.Families) > 0 {
		stmts = append(stmts, publishStatement("TaskFailedRule", "events.amazonaws.com", topic, a.o.Account, a.arn("events", "rule/"+RuleName(s.Stack))))
	}
	if s.DeadLetterQueue != "" {
		stmts = append(stmts, publishStatement("DeadLetterAlarm", "cloudwatch.amazonaws.com", topic, a.o.Account, a.arn("cloudwatch", "alarm:"+AlarmName(s.Stack))))
	}
	if s.MonthlyBudgetUSD > 0 {
		stmts = append(stmts, publishStatement("Budget", "budgets.amazonaws.com", topic, a.o.Account,
			resource.ARNIn(resource.Partition(a.o.Region), "budgets", "", a.o.Account, "budget/"+BudgetName(s.Stack))))
	}
	return map[string]any{"Version": "2012-10-17", "Statement": stmts}
}

func (a *Alerts) operatorTopicSteps(ctx context.Context, s Spec) ([]engine.Step, error) {
	return a.topicSteps(ctx, s, topicWant{name: TopicName(s.Stack), want: s.OperatorEmail != "",
		policy: a.operatorPolicy(s), protocol: "email", endpoint: s.OperatorEmail})
}
