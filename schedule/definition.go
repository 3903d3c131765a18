package schedule

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/scheduler"
	"github.com/aws/aws-sdk-go-v2/service/scheduler/types"
)

// definition builds the whole schedule of a job, as UpdateSchedule needs
// it ("EventBridge Scheduler uses all values, including empty values,
// specified in the request and overrides the existing schedule"), in the
// given state.
func (r *resolved) definition(j *resolvedJob, state types.ScheduleState) *scheduler.UpdateScheduleInput {
	window := &types.FlexibleTimeWindow{Mode: types.FlexibleTimeWindowModeOff}
	if j.Window > 0 {
		window = &types.FlexibleTimeWindow{Mode: types.FlexibleTimeWindowModeFlexible, MaximumWindowInMinutes: aws.Int32(int32(j.Window / time.Minute))}
	}
	var tags []map[string]string
	for _, k := range sortedKeys(j.taskTags) {
		// RunTask's tag shape, as the Scheduler's ECS templated target
		// passes it on (the CDK's EcsRunTask target sends the same).
		tags = append(tags, map[string]string{"key": k, "value": j.taskTags[k]})
	}
	target := &types.Target{
		Arn:     aws.String(r.ClusterARN),
		RoleArn: aws.String(r.roleARN),
		EcsParameters: &types.EcsParameters{
			TaskDefinitionArn: aws.String(j.TaskDefinitionARN),
			TaskCount:         aws.Int32(1),
			PropagateTags:     types.PropagateTagsTaskDefinition,
			Tags:              tags,
		},
		RetryPolicy: &types.RetryPolicy{
			MaximumRetryAttempts:     aws.Int32(int32(j.Retry.Attempts)),
			MaximumEventAgeInSeconds: aws.Int32(int32(j.Retry.MaxAge / time.Second)),
		},
	}
	placeTarget(j.Placement, target.EcsParameters)
	if r.queueARN != "" {
		target.DeadLetterConfig = &types.DeadLetterConfig{Arn: aws.String(r.queueARN)}
	}
	if j.input != "" {
		target.Input = aws.String(j.input)
	}
	in := &scheduler.UpdateScheduleInput{
		Name:                       aws.String(j.Name),
		GroupName:                  aws.String(r.group),
		Description:                aws.String(j.Description),
		ScheduleExpression:         aws.String(j.Expression),
		ScheduleExpressionTimezone: aws.String(j.Zone),
		FlexibleTimeWindow:         window,
		State:                      state,
		Target:                     target,
	}
	if !j.Start.IsZero() {
		in.StartDate = aws.Time(j.Start)
	}
	if !j.End.IsZero() {
		in.EndDate = aws.Time(j.End)
	}
	return in
}

func createInput(u *scheduler.UpdateScheduleInput) *scheduler.CreateScheduleInput {
	return &scheduler.CreateScheduleInput{
		Name:                       u.Name,
		GroupName:                  u.GroupName,
		Description:                u.Description,
		ScheduleExpression:         u.ScheduleExpression,
		ScheduleExpressionTimezone: u.ScheduleExpressionTimezone,
		FlexibleTimeWindow:         u.FlexibleTimeWindow,
		StartDate:                  u.StartDate,
		EndDate:                    u.EndDate,
		State:                      u.State,
		Target:                     u.Target,
		ActionAfterCompletion:      u.ActionAfterCompletion,
		KmsKeyArn:                  u.KmsKeyArn,
	}
}

// updateFrom is the UpdateSchedule call that rewrites an existing schedule
// unchanged but for its state: Pause and Resume must keep every field.
func updateFrom(g *scheduler.GetScheduleOutput, state types.ScheduleState) *scheduler.UpdateScheduleInput {
	return &scheduler.UpdateScheduleInput{
		Name:                       g.Name,
		GroupName:                  g.GroupName,
		Description:                g.Description,
		ScheduleExpression:         g.ScheduleExpression,
		ScheduleExpressionTimezone: g.ScheduleExpressionTimezone,
		FlexibleTimeWindow:         g.FlexibleTimeWindow,
		StartDate:                  g.StartDate,
		EndDate:                    g.EndDate,
		State:                      state,
		Target:                     g.Target,
		ActionAfterCompletion:      g.ActionAfterCompletion,
		KmsKeyArn:                  g.KmsKeyArn,
	}
}

// field is one compared field of a schedule, in words.
type field struct{ name, value string }

// fieldsOf lists every field of a schedule with the defaults the API fills
// in made explicit, so a schedule read back compares equal to the one
// written: the zone defaults to UTC, the retry policy to 185 attempts over
// 24 hours, the task count to 1, ActionAfterCompletion to NONE, booleans to
// false.
func fieldsOf(u *scheduler.UpdateScheduleInput) []field {
	window := "off"
	if w := u.FlexibleTimeWindow; w != nil && w.Mode == types.FlexibleTimeWindowModeFlexible {
		window = fmt.Sprintf("%d minutes", aws.ToInt32(w.MaximumWindowInMinutes))
	}
	action := string(u.ActionAfterCompletion)
	if action == "" {
		action = string(types.ActionAfterCompletionNone)
	}
	fs := []field{
		{"expression", orNone(u.ScheduleExpression, "")},
		{"time zone", orNone(u.ScheduleExpressionTimezone, "UTC")},
		{"state", string(u.State)},
		{"description", orNone(u.Description, "")},
		{"flexible time window", window},
		{"start date", dateOf(u.StartDate)},
		{"end date", dateOf(u.EndDate)},
		{"action after completion", action},
		{"KMS key", orNone(u.KmsKeyArn, "AWS owned")},
	}
	return append(fs, targetFields(u.Target)...)
}

// targetFields are the fields of a schedule's target.
func targetFields(t *types.Target) []field {
	if t == nil {
		return []field{{"target", "none"}}
	}
	attempts, age := int32(185), int32(86400)
	if rp := t.RetryPolicy; rp != nil {
		if rp.MaximumRetryAttempts != nil {
			attempts = *rp.MaximumRetryAttempts
		}
		if rp.MaximumEventAgeInSeconds != nil {
			age = *rp.MaximumEventAgeInSeconds
		}
	}
	dlq := "none"
	if t.DeadLetterConfig != nil {
		dlq = orNone(t.DeadLetterConfig.Arn, "none")
	}
	fs := []field{
		{"target", orNone(t.Arn, "")},
		{"role", orNone(t.RoleArn, "")},
		{"dead-letter queue", dlq},
		{"retry attempts", strconv.Itoa(int(attempts))},
		{"maximum event age", (time.Duration(age) * time.Second).String()},
		{"input (task overrides)", normalJSON(aws.ToString(t.Input))},
		{"other target parameters", jsonOr(map[string]any{
			"EventBridge": t.EventBridgeParameters, "Kinesis": t.KinesisParameters,
			"SageMaker": t.SageMakerPipelineParameters, "Sqs": t.SqsParameters,
		}, "none")},
	}
	return append(fs, ecsFields(t.EcsParameters)...)
}

// ecsFields are the fields of an ECS target.
func ecsFields(e *types.EcsParameters) []field {
	if e == nil {
		return []field{{"ECS parameters", "none"}}
	}
	count := int32(1)
	if e.TaskCount != nil {
		count = *e.TaskCount
	}
	var tags []string
	for _, m := range e.Tags {
		if k, ok := m["key"]; ok && len(m) <= 2 {
			tags = append(tags, k+"="+m["value"])
			continue
		}
		for k, v := range m {
			tags = append(tags, k+"="+v)
		}
	}
	slices.Sort(tags)
	return []field{
		{"task definition", orNone(e.TaskDefinitionArn, "")},
		{"launch type", string(e.LaunchType)},
		{"task count", strconv.Itoa(int(count))},
		{"propagate tags", string(e.PropagateTags)},
		{"task tags", strings.Join(tags, ", ")},
		{"ECS managed tags", strconv.FormatBool(aws.ToBool(e.EnableECSManagedTags))},
		{"execute command", strconv.FormatBool(aws.ToBool(e.EnableExecuteCommand))},
		{"task group", orNone(e.Group, "none")},
		{"platform version", orNone(e.PlatformVersion, "none")},
		{"reference id", orNone(e.ReferenceId, "none")},
		{"network configuration", jsonOr(e.NetworkConfiguration, "none")},
		{"capacity provider strategy", jsonOr(e.CapacityProviderStrategy, "none")},
		{"placement constraints", jsonOr(e.PlacementConstraints, "none")},
		{"placement strategy", jsonOr(e.PlacementStrategy, "none")},
	}
}

// orNone is *s, or none when it is empty.
func orNone(s *string, none string) string {
	if aws.ToString(s) == "" {
		return none
	}
	return *s
}

// dateOf is a date to the second, in UTC, or "none".
func dateOf(t *time.Time) string {
	if t == nil || t.IsZero() {
		return "none"
	}
	return t.UTC().Truncate(time.Second).Format(time.RFC3339)
}

// diff lists the fields that differ between what is and what should be,
// as "name: is → should".
func diff(is, should *scheduler.UpdateScheduleInput) []string {
	a, b := fieldsOf(is), fieldsOf(should)
	var out []string
	for i := range max(len(a), len(b)) {
		var x, y field
		if i < len(a) {
			x = a[i]
		}
		if i < len(b) {
			y = b[i]
		}
		if x != y {
			name := y.name
			if name == "" {
				name = x.name
			}
			out = append(out, fmt.Sprintf("%s: %s → %s", name, quoteEmpty(x.value), quoteEmpty(y.value)))
		}
	}
	return out
}

func quoteEmpty(s string) string {
	if s == "" {
		return `""`
	}
	return s
}

// normalJSON re-encodes a JSON text with sorted keys and no spaces; text
// that is not JSON is kept as it is.
func normalJSON(s string) string {
	if s == "" {
		return "none"
	}
	var v any
	if json.Unmarshal([]byte(s), &v) != nil {
		return s
	}
	b, _ := json.Marshal(v)
	return string(b)
}

// jsonOr encodes v, or gives none when v holds nothing.
func jsonOr(v any, none string) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	s := string(b)
	switch s {
	case "null", "[]", "{}", `{"EventBridge":null,"Kinesis":null,"SageMaker":null,"Sqs":null}`:
		return none
	}
	return s
}
