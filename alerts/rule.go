package alerts

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"

	"github.com/manga-alert-italia/mangaalert/change"
	"github.com/manga-alert-italia/mangaalert/internal/awserr"
	"github.com/manga-alert-italia/mangaalert/internal/engine"
)

const targetID = "operator-topic"

// EventPattern is the rule's pattern: ECS task state changes of the
// cluster's tasks of families, stopped with a non-zero exit code or
// failed to start. A task stopped by a deploy or a scale-in exits 0 or
// is stopped by ECS with stopCode ServiceSchedulerInitiated, and matches
// neither.
func EventPattern(clusterARN string, families []string, taskDefPrefix func(string) string) map[string]any {
	var defs []any
	for _, f := range slices.Sorted(slices.Values(families)) {
		defs = append(defs, map[string]any{"prefix": taskDefPrefix(f)})
	}
	return map[string]any{
		"source":      []any{"aws.ecs"},
		"detail-type": []any{"ECS Task State Change"},
		"detail": map[string]any{
			"clusterArn":        []any{clusterARN},
			"lastStatus":        []any{"STOPPED"},
			"taskDefinitionArn": defs,
			"$or": []any{
				map[string]any{"containers": map[string]any{"exitCode": []any{map[string]any{"anything-but": []any{0}}}}},
				map[string]any{"stopCode": []any{"TaskFailedToStart"}},
			},
		},
	}
}

// inputTransformer turns the event into the one line the operator reads.
func inputTransformer(stack string) *ebtypes.InputTransformer {
	return &ebtypes.InputTransformer{
		InputPathsMap: map[string]string{
			"task": "$.detail.taskArn", "definition": "$.detail.taskDefinitionArn", "group": "$.detail.group",
			"exitCode": "$.detail.containers[0].exitCode", "stopCode": "$.detail.stopCode", "reason": "$.detail.stoppedReason",
		},
		InputTemplate: aws.String(fmt.Sprintf(`"mangaalert %s: task <task> of <definition> (<group>) stopped: exit code <exitCode>, <stopCode>: <reason>. Its log is in CloudWatch Logs; deploy status shows the last runs."`, stack)),
	}
}

func (a *Alerts) pattern(s Spec) map[string]any {
	return EventPattern(s.ClusterARN, s.Families, func(f string) string { return a.arn("ecs", "task-definition/"+f+":") })
}

func (a *Alerts) ruleSteps(ctx context.Context, s Spec) ([]engine.Step, error) {
	name, want := RuleName(s.Stack), s.OperatorEmail != "" && len(s.Families) > 0
	arn := a.arn("events", "rule/"+name)
	var rule *eventbridge.DescribeRuleOutput
	var tags map[string]string
	var targets []ebtypes.Target
	if !a.o.Offline {
		var err error
		rule, err = a.c.Events.DescribeRule(ctx, &eventbridge.DescribeRuleInput{Name: aws.String(name)})
		switch {
		case awserr.Is(err, "ResourceNotFoundException"):
			rule = nil
		case err != nil:
			return nil, fmt.Errorf("read EventBridge rule %s: %w", name, err)
		}
		if rule != nil {
			arn = aws.ToString(rule.Arn)
			tg, err := a.c.Events.ListTagsForResource(ctx, &eventbridge.ListTagsForResourceInput{ResourceARN: aws.String(arn)})
			if err != nil {
				return nil, fmt.Errorf("read the tags of EventBridge rule %s: %w", name, err)
			}
			tags = map[string]string{}
			for _, t := range tg.Tags {
				tags[aws.ToString(t.Key)] = aws.ToString(t.Value)
			}
			if ours(tags, s.Stack) {
				tl, err := a.c.Events.ListTargetsByRule(ctx, &eventbridge.ListTargetsByRuleInput{Rule: aws.String(name)})
				if err != nil {
					return nil, fmt.Errorf("list the targets of EventBridge rule %s: %w", name, err)
				}
				targets = tl.Targets
			}
		}
	}
	switch {
	case rule != nil && !ours(tags, s.Stack) && want:
		return nil, notOurs(KindRule, name, s.Stack)
	case rule != nil && !ours(tags, s.Stack), rule == nil && !want:
		return nil, nil
	case !want:
		return []engine.Step{newStep(change.Delete, KindRule, name, arn, nil, func(ctx context.Context) error {
			if len(targets) > 0 {
				ids := []string{}
				for _, t := range targets {
					ids = append(ids, aws.ToString(t.Id))
				}
				if _, err := a.c.Events.RemoveTargets(ctx, &eventbridge.RemoveTargetsInput{Rule: aws.String(name), Ids: ids}); err != nil {
					return err
				}
			}
			_, err := a.c.Events.DeleteRule(ctx, &eventbridge.DeleteRuleInput{Name: aws.String(name)})
			if awserr.Is(err, "ResourceNotFoundException") {
				return nil
			}
			return err
		})}, nil
	}
	pattern, _ := json.Marshal(a.pattern(s))
	wantTags := a.tags(s)
	target := ebtypes.Target{Id: aws.String(targetID), Arn: aws.String(a.arn("sns", TopicName(s.Stack))), InputTransformer: inputTransformer(s.Stack)}
	putRule := func(ctx context.Context) error {
		_, err := a.c.Events.PutRule(ctx, &eventbridge.PutRuleInput{Name: aws.String(name), EventPattern: aws.String(string(pattern)),
			State: ebtypes.RuleStateEnabled, Description: aws.String("mangaalert " + s.Stack + ": a scheduled task failed"), Tags: eventTags(wantTags)})
		return err
	}
	putTarget := func(ctx context.Context) error {
		out, err := a.c.Events.PutTargets(ctx, &eventbridge.PutTargetsInput{Rule: aws.String(name), Targets: []ebtypes.Target{target}})
		if err == nil && out.FailedEntryCount > 0 && len(out.FailedEntries) > 0 {
			return fmt.Errorf("put target: %s", aws.ToString(out.FailedEntries[0].ErrorMessage))
		}
		return err
	}
	if rule == nil {
		return []engine.Step{newStep(change.Create, KindRule, name, "", []string{"ECS tasks of " + fmt.Sprint(s.Families) + " stopped with a non-zero exit code or failed to start → " + TopicName(s.Stack)},
			func(ctx context.Context) error {
				if err := putRule(ctx); err != nil {
					return err
				}
				return putTarget(ctx)
			})}, nil
	}
	var details []string
	var have any
	_ = json.Unmarshal([]byte(aws.ToString(rule.EventPattern)), &have)
	var wantP any
	_ = json.Unmarshal(pattern, &wantP)
	fixRule := !reflect.DeepEqual(have, wantP) || rule.State != ebtypes.RuleStateEnabled
	if fixRule {
		details = append(details, "event pattern or state")
	}
	fixTarget := !sameTarget(targets, target)
	if fixTarget {
		details = append(details, "target: "+TopicName(s.Stack)+" with the failure's task, exit code and stop reason")
	}
	missing := missingTags(tags, wantTags)
	if len(missing) > 0 {
		details = append(details, fmt.Sprintf("tags: %d to set", len(missing)))
	}
	if len(details) == 0 {
		return []engine.Step{keep(KindRule, name, arn)}, nil
	}
	return []engine.Step{newStep(change.Update, KindRule, name, arn, details, func(ctx context.Context) error {
		if fixRule {
			if err := putRule(ctx); err != nil {
				return err
			}
		}
		if fixTarget {
			if err := putTarget(ctx); err != nil {
				return err
			}
		}
		if len(missing) > 0 {
			_, err := a.c.Events.TagResource(ctx, &eventbridge.TagResourceInput{ResourceARN: aws.String(arn), Tags: eventTags(missing)})
			return err
		}
		return nil
	})}, nil
}

func sameTarget(have []ebtypes.Target, want ebtypes.Target) bool {
	if len(have) != 1 {
		return false
	}
	h := have[0]
	if aws.ToString(h.Id) != aws.ToString(want.Id) || aws.ToString(h.Arn) != aws.ToString(want.Arn) || h.InputTransformer == nil {
		return false
	}
	return reflect.DeepEqual(h.InputTransformer.InputPathsMap, want.InputTransformer.InputPathsMap) &&
		aws.ToString(h.InputTransformer.InputTemplate) == aws.ToString(want.InputTransformer.InputTemplate)
}

func eventTags(m map[string]string) []ebtypes.Tag {
	var out []ebtypes.Tag
	for _, k := range sortedKeys(m) {
		out = append(out, ebtypes.Tag{Key: aws.String(k), Value: aws.String(m[k])})
	}
	return out
}
