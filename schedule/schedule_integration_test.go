package schedule_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"
	_ "time/tzdata" // the fire-time tests must not depend on the machine's tz database

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/scheduler"
	"github.com/aws/aws-sdk-go-v2/service/scheduler/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/aws/smithy-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/manga-alert-italia/mangaalert/change"
	"github.com/manga-alert-italia/mangaalert/iampolicy"
	"github.com/manga-alert-italia/mangaalert/integration"
	"github.com/manga-alert-italia/mangaalert/resource"
	"github.com/manga-alert-italia/mangaalert/schedule"
	"github.com/manga-alert-italia/mangaalert/schedule/expr"
)

func TestMain(m *testing.M) { integration.Main(m) }

var (
	_ schedule.SchedulerAPI = (*scheduler.Client)(nil)
	_ schedule.IAMAPI       = (*iam.Client)(nil)
	_ schedule.SQSAPI       = (*sqs.Client)(nil)
)

// env is one test's isolated account on the emulator, its clients, and
// the recorder of their calls.
type env struct {
	account string
	calls   *integration.Calls
	sched   *scheduler.Client
	iam     *iam.Client
	sqs     *sqs.Client
	client  *schedule.Schedules
}

// fast makes the waits of a test short; the tests never wait for time to
// pass, only for the next try.
func fast(o *schedule.Options) {
	o.MinDelay, o.MaxDelay = time.Millisecond, 10*time.Millisecond
}

func newEnv(t *testing.T, opts ...func(*schedule.Options)) *env {
	t.Helper()
	cfg := integration.Config(t, integration.Scheduler, integration.IAM, integration.SQS)
	account, err := integration.AccountOf(cfg)
	require.NoError(t, err)
	e := &env{account: account, calls: integration.Record(&cfg)}
	e.sched, e.iam, e.sqs = scheduler.NewFromConfig(cfg), iam.NewFromConfig(cfg), sqs.NewFromConfig(cfg)
	e.client = schedule.New(e.clients(), append([]func(*schedule.Options){fast}, opts...)...)
	return e
}

func (e *env) clients() schedule.Clients {
	return schedule.Clients{Scheduler: e.sched, IAM: e.iam, SQS: e.sqs}
}

func (e *env) arn(service, resource string) string {
	region := integration.Region
	if service == "iam" {
		region = ""
	}
	return fmt.Sprintf("arn:aws:%s:%s:%s:%s", service, region, e.account, resource)
}

// spec is the service's own: the scraper every 6 hours (the default), the
// notifier at 08:30 in Rome with a window, retries, a command override and
// a created dead-letter queue; each job with its own task role.
func (e *env) spec() schedule.Spec {
	return schedule.Spec{
		Stack:            "manga-test",
		ClusterARN:       e.arn("ecs", "cluster/manga"),
		ExecutionRoleARN: e.arn("iam", "role/manga-execution"),
		DeadLetter:       schedule.DeadLetter{Create: true},
		Tags:             map[string]string{"project": "mangaalert"},
		Jobs: []schedule.Job{
			{Name: "scraper", TaskDefinitionARN: e.arn("ecs", "task-definition/manga-scraper:3"), TaskRoleARN: e.arn("iam", "role/manga-scraper-task")},
			{
				Name:              "notifier",
				TaskDefinitionARN: e.arn("ecs", "task-definition/manga-notifier:7"),
				TaskRoleARN:       e.arn("iam", "role/manga-notifier-task"),
				Expression:        "cron(30 8 * * ? *)",
				Zone:              "Europe/Rome",
				Window:            15 * time.Minute,
				Retry:             schedule.Retry{Attempts: 5, MaxAge: 2 * time.Hour},
				Container:         "app",
				Command:           []string{"notify", "--due"},
				Tags:              map[string]string{"job-kind": "mail"},
			},
		},
	}
}

func (e *env) get(t *testing.T, name string) *scheduler.GetScheduleOutput {
	t.Helper()
	out, err := e.sched.GetSchedule(context.Background(), &scheduler.GetScheduleInput{Name: aws.String(name), GroupName: aws.String("manga-test")})
	require.NoError(t, err)
	return out
}

func taskTags(t *testing.T, g *scheduler.GetScheduleOutput) map[string]string {
	t.Helper()
	m := map[string]string{}
	for _, tag := range g.Target.EcsParameters.Tags {
		m[tag["key"]] = tag["value"]
	}
	return m
}

func TestEnsureRoundTripsEveryField(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	var heard []change.Change
	e := newEnv(t, func(o *schedule.Options) { o.OnChange = func(c change.Change) { heard = append(heard, c) } })
	spec := e.spec()

	st, err := e.client.Ensure(ctx, spec)
	require.NoError(t, err)
	// One group and one role for the stack, whatever the jobs' task roles.
	var made []string
	for _, c := range st.Changes {
		assert.Equal(t, change.Create, c.Action, c.String())
		made = append(made, c.Kind+" "+c.Name)
	}
	assert.Equal(t, []string{"schedule group manga-test", "dead-letter queue manga-test-scheduler-dlq", "IAM role manga-test-scheduler",
		"role policy manga-test-scheduler/run-scheduled-tasks", "schedule scraper", "schedule notifier"}, made)
	assert.Equal(t, st.Changes, heard, "OnChange hears each change as it is made")
	queueARN := e.arn("sqs", "manga-test-scheduler-dlq")
	assert.Equal(t, e.arn("scheduler", "schedule-group/manga-test"), st.GroupARN)
	assert.Equal(t, e.arn("iam", "role/manga-test-scheduler"), st.RoleARN)
	assert.Equal(t, queueARN, st.DeadLetterARN)
	require.Len(t, st.Jobs, 2)
	assert.Equal(t, e.arn("scheduler", "schedule/manga-test/scraper"), st.Jobs[0].ARN)
	assert.Equal(t, schedule.Enabled, st.Jobs[0].State)
	assert.Len(t, st.Jobs[1].Next, 3)

	// The scraper: every default.
	s := e.get(t, "scraper")
	assert.Equal(t, "rate(6 hours)", aws.ToString(s.ScheduleExpression))
	assert.Equal(t, "Europe/Rome", aws.ToString(s.ScheduleExpressionTimezone))
	assert.Equal(t, "mangaalert manga-test: scraper", aws.ToString(s.Description))
	assert.Equal(t, types.ScheduleStateEnabled, s.State)
	assert.Equal(t, types.FlexibleTimeWindowModeOff, s.FlexibleTimeWindow.Mode)
	assert.Nil(t, s.FlexibleTimeWindow.MaximumWindowInMinutes)
	assert.Nil(t, s.StartDate)
	assert.Nil(t, s.EndDate)
	assert.Equal(t, spec.ClusterARN, aws.ToString(s.Target.Arn))
	assert.Equal(t, st.RoleARN, aws.ToString(s.Target.RoleArn))
	assert.Equal(t, queueARN, aws.ToString(s.Target.DeadLetterConfig.Arn))
	assert.Equal(t, int32(schedule.DefaultAttempts), aws.ToInt32(s.Target.RetryPolicy.MaximumRetryAttempts))
	assert.Equal(t, int32(3600), aws.ToInt32(s.Target.RetryPolicy.MaximumEventAgeInSeconds))
	assert.Nil(t, s.Target.Input)
	ecs := s.Target.EcsParameters
	require.NotNil(t, ecs)
	assert.Equal(t, spec.Jobs[0].TaskDefinitionARN, aws.ToString(ecs.TaskDefinitionArn))
	assert.Equal(t, types.LaunchTypeEc2, ecs.LaunchType)
	assert.Equal(t, int32(1), aws.ToInt32(ecs.TaskCount))
	assert.Nil(t, ecs.NetworkConfiguration, "bridge mode: no network configuration")
	assert.Empty(t, ecs.CapacityProviderStrategy)
	assert.Equal(t, types.PropagateTagsTaskDefinition, ecs.PropagateTags)
	assert.Equal(t, map[string]string{"mangaalert:stack": "manga-test", "mangaalert:job": "scraper", "project": "mangaalert"}, taskTags(t, s))

	// The notifier: every option set.
	n := e.get(t, "notifier")
	assert.Equal(t, "cron(30 8 * * ? *)", aws.ToString(n.ScheduleExpression))
	assert.Equal(t, "Europe/Rome", aws.ToString(n.ScheduleExpressionTimezone))
	assert.Equal(t, types.FlexibleTimeWindowModeFlexible, n.FlexibleTimeWindow.Mode)
	assert.Equal(t, int32(15), aws.ToInt32(n.FlexibleTimeWindow.MaximumWindowInMinutes))
	assert.Equal(t, int32(5), aws.ToInt32(n.Target.RetryPolicy.MaximumRetryAttempts))
	assert.Equal(t, int32(7200), aws.ToInt32(n.Target.RetryPolicy.MaximumEventAgeInSeconds))
	assert.JSONEq(t, `{"containerOverrides":[{"name":"app","command":["notify","--due"]}]}`, aws.ToString(n.Target.Input))
	assert.Equal(t, spec.Jobs[1].TaskDefinitionARN, aws.ToString(n.Target.EcsParameters.TaskDefinitionArn))
	assert.Equal(t, "mail", taskTags(t, n)["job-kind"])
	assert.Equal(t, "notifier", taskTags(t, n)["mangaalert:job"])

	// The group and the queue carry the stack's tags.
	tags, err := e.sched.ListTagsForResource(ctx, &scheduler.ListTagsForResourceInput{ResourceArn: aws.String(st.GroupARN)})
	require.NoError(t, err)
	assert.ElementsMatch(t, []types.Tag{
		{Key: aws.String("mangaalert:stack"), Value: aws.String("manga-test")},
		{Key: aws.String("mangaalert:component"), Value: aws.String("schedule")},
		{Key: aws.String("project"), Value: aws.String("mangaalert")},
	}, tags.Tags)
	u, err := e.sqs.GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: aws.String("manga-test-scheduler-dlq")})
	require.NoError(t, err)
	attrs, err := e.sqs.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: u.QueueUrl, AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameAll}})
	require.NoError(t, err)
	assert.Equal(t, "1209600", attrs.Attributes["MessageRetentionPeriod"])
	assert.Equal(t, "true", attrs.Attributes["SqsManagedSseEnabled"])

	// A second Ensure writes nothing and says so, and Plan agrees: every
	// resource kept, with its ARN.
	e.calls.Reset()
	heard = nil
	again, err := e.client.Ensure(ctx, spec)
	require.NoError(t, err)
	assert.Empty(t, e.calls.Mutating(), "a second Ensure must not write")
	assert.Positive(t, e.calls.Count(), "it did read")
	assert.Empty(t, again.Changes)
	assert.Empty(t, heard)
	p, err := e.client.Plan(ctx, spec)
	require.NoError(t, err)
	assert.False(t, p.HasChanges(), "plan: %v", p.Changes)
	assert.Equal(t, schedule.Component, p.Component)
	assert.False(t, p.Offline)
	assert.Equal(t, len(made), p.Count(change.Keep))
	g, ok := p.Find("schedule group", "manga-test")
	require.True(t, ok)
	assert.Equal(t, st.GroupARN, g.ID)
	r, ok := p.Find("IAM role", "manga-test-scheduler")
	require.True(t, ok)
	assert.Equal(t, st.RoleARN, r.ID)
	sc, ok := p.Find("schedule", "notifier")
	require.True(t, ok)
	assert.Equal(t, st.Jobs[1].ARN, sc.ID)
	assert.Empty(t, e.calls.Mutating())
}

func TestRolePolicyNamesExactlyTheGivenARNs(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newEnv(t)
	spec := e.spec()
	// Two jobs of one family: the policy names the family once.
	spec.Jobs = append(spec.Jobs, schedule.Job{Name: "scraper-late", TaskDefinitionARN: e.arn("ecs", "task-definition/manga-scraper:4"),
		TaskRoleARN: e.arn("iam", "role/manga-scraper-task"), Expression: "cron(0 23 ? * SUN *)"})
	_, err := e.client.Ensure(ctx, spec)
	require.NoError(t, err)

	out, err := e.iam.GetRolePolicy(ctx, &iam.GetRolePolicyInput{RoleName: aws.String("manga-test-scheduler"), PolicyName: aws.String(schedule.PolicyName)})
	require.NoError(t, err)
	p, err := iampolicy.Parse(aws.ToString(out.PolicyDocument))
	require.NoError(t, err)
	assert.Empty(t, iampolicy.Check(schedule.PolicyName, p), "the policy IAM holds passes the least-privilege check")
	bySid := map[string]iampolicy.Statement{}
	for _, s := range p.Statement {
		assert.Equal(t, "Allow", s.Effect)
		for _, a := range s.Action {
			assert.NotContains(t, a, "*", "no wildcard action")
		}
		require.NotEmpty(t, s.Resource)
		for _, r := range s.Resource {
			assert.NotEqual(t, "*", r, "no * resource")
		}
		bySid[s.Sid] = s
	}
	require.Len(t, bySid, 4)

	run := bySid["RunTheJobsTasks"]
	assert.Equal(t, iampolicy.Strings{"ecs:RunTask"}, run.Action)
	assert.ElementsMatch(t, []string{e.arn("ecs", "task-definition/manga-scraper:*"), e.arn("ecs", "task-definition/manga-notifier:*")}, run.Resource)
	assert.Equal(t, map[string]map[string]iampolicy.Strings{"ArnEquals": {"ecs:cluster": {spec.ClusterARN}}}, run.Condition)

	pass := bySid["PassTheTaskRoles"]
	assert.Equal(t, iampolicy.Strings{"iam:PassRole"}, pass.Action)
	assert.ElementsMatch(t, []string{spec.ExecutionRoleARN, spec.Jobs[0].TaskRoleARN, spec.Jobs[1].TaskRoleARN}, pass.Resource,
		"the execution role and each job's task role; the third job shares the scraper's")
	assert.Equal(t, map[string]map[string]iampolicy.Strings{"StringEquals": {"iam:PassedToService": {"ecs-tasks.amazonaws.com"}}}, pass.Condition)

	tag := bySid["TagTheNewTasks"]
	assert.Equal(t, iampolicy.Strings{"ecs:TagResource"}, tag.Action)
	assert.Equal(t, iampolicy.Strings{e.arn("ecs", "task/manga/*")}, tag.Resource)
	assert.Equal(t, map[string]map[string]iampolicy.Strings{"StringEquals": {"ecs:CreateAction": {"RunTask"}}}, tag.Condition)

	dlq := bySid["DeadLetters"]
	assert.Equal(t, iampolicy.Strings{"sqs:SendMessage"}, dlq.Action)
	assert.Equal(t, iampolicy.Strings{e.arn("sqs", "manga-test-scheduler-dlq")}, dlq.Resource)

	// The trust policy: only the Scheduler, only for this account's group.
	role, err := e.iam.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("manga-test-scheduler")})
	require.NoError(t, err)
	trust, err := iampolicy.Parse(aws.ToString(role.Role.AssumeRolePolicyDocument))
	require.NoError(t, err)
	assert.Empty(t, iampolicy.Check("trust", trust))
	require.Len(t, trust.Statement, 1)
	assert.Equal(t, map[string]iampolicy.Strings{"Service": {"scheduler.amazonaws.com"}}, trust.Statement[0].Principal)
	assert.Equal(t, iampolicy.Strings{"sts:AssumeRole"}, trust.Statement[0].Action)
	assert.Equal(t, map[string]map[string]iampolicy.Strings{"StringEquals": {
		"aws:SourceAccount": {e.account},
		"aws:SourceArn":     {e.arn("scheduler", "schedule-group/manga-test")},
	}}, trust.Statement[0].Condition)

	// Plan shows the two policies as IAM holds them.
	plan, err := e.client.Plan(ctx, spec)
	require.NoError(t, err)
	require.Len(t, plan.Policies, 2)
	assert.True(t, iampolicy.Equal(p, plan.Policies["manga-test-scheduler"]), plan.Policies["manga-test-scheduler"].JSON())
	assert.True(t, iampolicy.Equal(trust, plan.Policies["manga-test-scheduler (trust)"]), plan.Policies["manga-test-scheduler (trust)"].JSON())

	// Whatever else is put on the role goes at the next Ensure: it would
	// widen what a schedule may do.
	_, err = e.iam.AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{RoleName: aws.String("manga-test-scheduler"), PolicyArn: aws.String("arn:aws:iam::aws:policy/AdministratorAccess")})
	require.NoError(t, err)
	_, err = e.iam.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String("manga-test-scheduler"), PolicyName: aws.String("extra"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"ecs:*","Resource":"*"}]}`)})
	require.NoError(t, err)
	e.calls.Reset()
	_, err = e.client.Ensure(ctx, spec)
	require.NoError(t, err)
	assert.ElementsMatch(t, []string{"DetachRolePolicy", "DeleteRolePolicy"}, callNames(e.calls.Mutating()))
	attached, err := e.iam.ListAttachedRolePolicies(ctx, &iam.ListAttachedRolePoliciesInput{RoleName: aws.String("manga-test-scheduler")})
	require.NoError(t, err)
	assert.Empty(t, attached.AttachedPolicies)
	inline, err := e.iam.ListRolePolicies(ctx, &iam.ListRolePoliciesInput{RoleName: aws.String("manga-test-scheduler")})
	require.NoError(t, err)
	assert.Equal(t, []string{schedule.PolicyName}, inline.PolicyNames)

	// Without a dead-letter queue or task roles, the policy names neither.
	spec.DeadLetter = schedule.DeadLetter{}
	for i := range spec.Jobs {
		spec.Jobs[i].TaskRoleARN = ""
	}
	e.calls.Reset()
	_, err = e.client.Ensure(ctx, spec)
	require.NoError(t, err)
	out, err = e.iam.GetRolePolicy(ctx, &iam.GetRolePolicyInput{RoleName: aws.String("manga-test-scheduler"), PolicyName: aws.String(schedule.PolicyName)})
	require.NoError(t, err)
	p, err = iampolicy.Parse(aws.ToString(out.PolicyDocument))
	require.NoError(t, err)
	require.Len(t, p.Statement, 3)
	assert.Equal(t, iampolicy.Strings{spec.ExecutionRoleARN}, p.Statement[1].Resource)
	assert.Contains(t, callNames(e.calls.Mutating()), "DeleteQueue", "the queue the spec no longer asks for goes")
	assert.Nil(t, e.get(t, "scraper").Target.DeadLetterConfig)
}

// A role whose policies say the same with lists where one string would
// do (as earlier versions of this package wrote them) is left alone.
func TestPoliciesInListFormAreNotRewritten(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newEnv(t)
	spec := e.spec()
	_, err := e.client.Ensure(ctx, spec)
	require.NoError(t, err)
	plan, err := e.client.Plan(ctx, spec)
	require.NoError(t, err)

	role := aws.String("manga-test-scheduler")
	perms, trust := listForm(t, plan.Policies["manga-test-scheduler"]), listForm(t, plan.Policies["manga-test-scheduler (trust)"])
	require.Contains(t, perms, `"Action":["ecs:RunTask"]`)
	require.Contains(t, trust, `"Service":["scheduler.amazonaws.com"]`)
	_, err = e.iam.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: role, PolicyName: aws.String(schedule.PolicyName), PolicyDocument: aws.String(perms)})
	require.NoError(t, err)
	_, err = e.iam.UpdateAssumeRolePolicy(ctx, &iam.UpdateAssumeRolePolicyInput{RoleName: role, PolicyDocument: aws.String(trust)})
	require.NoError(t, err)

	e.calls.Reset()
	_, err = e.client.Ensure(ctx, spec)
	require.NoError(t, err)
	assert.Empty(t, e.calls.Mutating())
}

// listForm writes d with every string of a statement in a list.
func listForm(t *testing.T, d iampolicy.Document) string {
	t.Helper()
	var doc struct {
		Version   string
		Statement []map[string]any
	}
	require.NoError(t, json.Unmarshal([]byte(d.JSON()), &doc))
	list := func(v any) any {
		if s, ok := v.(string); ok {
			return []string{s}
		}
		return v
	}
	for _, st := range doc.Statement {
		for _, k := range []string{"Action", "Resource"} {
			if v, ok := st[k]; ok {
				st[k] = list(v)
			}
		}
		if p, ok := st["Principal"].(map[string]any); ok {
			for k, v := range p {
				p[k] = list(v)
			}
		}
		if c, ok := st["Condition"].(map[string]any); ok {
			for _, kv := range c {
				for k, v := range kv.(map[string]any) {
					kv.(map[string]any)[k] = list(v)
				}
			}
		}
	}
	b, err := json.Marshal(doc)
	require.NoError(t, err)
	return string(b)
}

// callNames lists the operations called. The harness's recorder reads the
// service id too early for the Scheduler client (it records ""), so the
// operation names alone are compared; they are distinct across the three
// services.
func callNames(calls []integration.Call) []string {
	var out []string
	for _, c := range calls {
		out = append(out, c.Operation)
	}
	return out
}

func TestExpressionAndTargetChangeUpdateInPlace(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newEnv(t)
	spec := e.spec()
	_, err := e.client.Ensure(ctx, spec)
	require.NoError(t, err)
	before := e.get(t, "scraper")

	spec.Jobs[0].Expression = "cron(0 3/6 * * ? *)"
	spec.Jobs[0].TaskDefinitionARN = e.arn("ecs", "task-definition/manga-scraper:4") // same family: same policy
	p, err := e.client.Plan(ctx, spec)
	require.NoError(t, err)
	assert.Equal(t, 1, p.Count(change.Update), "plan: %v", p.Changes)
	assert.Zero(t, p.Count(change.Create)+p.Count(change.Delete))
	c, ok := p.Find("schedule", "scraper")
	require.True(t, ok)
	assert.Equal(t, change.Update, c.Action)
	assert.Equal(t, e.arn("scheduler", "schedule/manga-test/scraper"), c.ID)
	assert.Contains(t, c.Details, "expression: rate(6 hours) → cron(0 3/6 * * ? *)")
	assert.Contains(t, c.Details, "task definition: "+e.arn("ecs", "task-definition/manga-scraper:3")+" → "+e.arn("ecs", "task-definition/manga-scraper:4"))

	e.calls.Reset()
	st, err := e.client.Ensure(ctx, spec)
	require.NoError(t, err)
	assert.Equal(t, []string{"UpdateSchedule"}, callNames(e.calls.Mutating()), "updated in place, nothing deleted or created")
	require.Len(t, st.Changes, 1)
	assert.Equal(t, c, st.Changes[0], "Ensure did what Plan said")

	after := e.get(t, "scraper")
	assert.Equal(t, aws.ToString(before.Arn), aws.ToString(after.Arn))
	assert.Equal(t, st.Jobs[0].ARN, aws.ToString(after.Arn))
	assert.Equal(t, before.CreationDate, after.CreationDate)
	assert.Equal(t, "cron(0 3/6 * * ? *)", aws.ToString(after.ScheduleExpression))
	assert.Equal(t, spec.Jobs[0].TaskDefinitionARN, aws.ToString(after.Target.EcsParameters.TaskDefinitionArn))
	// The rest of the definition was sent again whole.
	assert.Equal(t, before.Target.RetryPolicy, after.Target.RetryPolicy)
	assert.Equal(t, before.Target.DeadLetterConfig, after.Target.DeadLetterConfig)
	assert.Equal(t, taskTags(t, before), taskTags(t, after))
	assert.Equal(t, before.Target.EcsParameters.PropagateTags, after.Target.EcsParameters.PropagateTags)

	// A new family widens the policy before the schedule names it.
	spec.Jobs[0].TaskDefinitionARN = e.arn("ecs", "task-definition/manga-scraper-v2:1")
	e.calls.Reset()
	_, err = e.client.Ensure(ctx, spec)
	require.NoError(t, err)
	assert.Equal(t, []string{"PutRolePolicy", "UpdateSchedule"}, callNames(e.calls.Mutating()))

	// A job the spec drops is deleted; the other stays.
	spec.Jobs = spec.Jobs[:1]
	e.calls.Reset()
	_, err = e.client.Ensure(ctx, spec)
	require.NoError(t, err)
	assert.Contains(t, callNames(e.calls.Mutating()), "DeleteSchedule")
	_, err = e.sched.GetSchedule(ctx, &scheduler.GetScheduleInput{Name: aws.String("notifier"), GroupName: aws.String("manga-test")})
	assert.Error(t, err)
	e.get(t, "scraper")
}

func TestPauseAndResume(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newEnv(t)
	spec := e.spec()
	_, err := e.client.Ensure(ctx, spec)
	require.NoError(t, err)
	before := e.get(t, "notifier")

	require.NoError(t, e.client.Pause(ctx, "manga-test", "notifier"))
	paused := e.get(t, "notifier")
	assert.Equal(t, types.ScheduleStateDisabled, paused.State)
	// Everything else was written back as it was.
	assert.Equal(t, before.ScheduleExpression, paused.ScheduleExpression)
	assert.Equal(t, before.ScheduleExpressionTimezone, paused.ScheduleExpressionTimezone)
	assert.Equal(t, before.FlexibleTimeWindow, paused.FlexibleTimeWindow)
	assert.Equal(t, before.Description, paused.Description)
	assert.Equal(t, before.Target, paused.Target)
	assert.Equal(t, types.ScheduleStateEnabled, e.get(t, "scraper").State, "the other job runs on")

	// Pausing again writes nothing; nor does an Ensure whose job keeps its state.
	e.calls.Reset()
	require.NoError(t, e.client.Pause(ctx, "manga-test", "notifier"))
	st, err := e.client.Ensure(ctx, spec)
	require.NoError(t, err)
	assert.Empty(t, e.calls.Mutating())
	assert.Equal(t, schedule.Disabled, st.Jobs[1].State)
	assert.Empty(t, st.Jobs[1].Next, "a paused job does not run")
	p, err := e.client.Plan(ctx, spec)
	require.NoError(t, err)
	assert.Contains(t, p.Notes, "job notifier: cron(30 8 * * ? *) in Europe/Rome, starting within 15 minutes, paused")

	require.NoError(t, e.client.Resume(ctx, "manga-test", "notifier"))
	assert.Equal(t, types.ScheduleStateEnabled, e.get(t, "notifier").State)

	// A spec that says Disabled wins over Keep.
	spec.Jobs[1].State = schedule.Disabled
	e.calls.Reset()
	_, err = e.client.Ensure(ctx, spec)
	require.NoError(t, err)
	assert.Equal(t, []string{"UpdateSchedule"}, callNames(e.calls.Mutating()))
	assert.Equal(t, types.ScheduleStateDisabled, e.get(t, "notifier").State)

	err = e.client.Pause(ctx, "manga-test", "nobody")
	assert.ErrorIs(t, err, schedule.ErrNotFound)
	err = e.client.Resume(ctx, "other-stack", "notifier")
	assert.ErrorIs(t, err, schedule.ErrNotFound)
	err = e.client.Pause(ctx, "manga test", "notifier")
	assert.ErrorIs(t, err, schedule.ErrInvalidSpec)
}

func TestDeleteRemovesEverythingAndTwiceIsNil(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newEnv(t)
	_, err := e.client.Ensure(ctx, e.spec())
	require.NoError(t, err)
	// Something someone attached to our role by hand goes too.
	_, err = e.iam.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String("manga-test-scheduler"), PolicyName: aws.String("extra"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}]}`)})
	require.NoError(t, err)

	e.calls.Reset()
	var heard []change.Change
	e.client = schedule.New(e.clients(), fast, func(o *schedule.Options) { o.OnChange = func(c change.Change) { heard = append(heard, c) } })
	deleted, err := e.client.Delete(ctx, "manga-test")
	require.NoError(t, err)
	assert.Subset(t, callNames(e.calls.Mutating()), []string{"DeleteSchedule", "DeleteScheduleGroup", "DeleteRolePolicy", "DeleteRole", "DeleteQueue"})
	var what []string
	for _, c := range deleted {
		assert.Equal(t, change.Delete, c.Action)
		what = append(what, c.Kind+" "+c.Name)
	}
	assert.ElementsMatch(t, []string{"schedule scraper", "schedule notifier", "schedule group manga-test",
		"role policy manga-test-scheduler/run-scheduled-tasks", "role policy manga-test-scheduler/extra", "IAM role manga-test-scheduler",
		"dead-letter queue manga-test-scheduler-dlq"}, what)
	assert.Equal(t, deleted, heard)

	_, err = e.sched.GetScheduleGroup(ctx, &scheduler.GetScheduleGroupInput{Name: aws.String("manga-test")})
	assert.True(t, isCode(err, "ResourceNotFoundException"), "group: %v", err)
	_, err = e.sched.GetSchedule(ctx, &scheduler.GetScheduleInput{Name: aws.String("scraper"), GroupName: aws.String("manga-test")})
	assert.Error(t, err)
	_, err = e.iam.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("manga-test-scheduler")})
	assert.True(t, isCode(err, "NoSuchEntity"), "role: %v", err)
	_, err = e.sqs.GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: aws.String("manga-test-scheduler-dlq")})
	assert.Error(t, err, "queue")

	e.calls.Reset()
	deleted, err = e.client.Delete(ctx, "manga-test")
	require.NoError(t, err)
	assert.Nil(t, deleted, "nothing left: nil, nil")
	assert.Empty(t, e.calls.Mutating())
}

func isCode(err error, code string) bool {
	var ae smithy.APIError
	return errors.As(err, &ae) && ae.ErrorCode() == code
}

func TestForeignResourcesAreNotTouched(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newEnv(t)
	// A group of the same name, not ours.
	_, err := e.sched.CreateScheduleGroup(ctx, &scheduler.CreateScheduleGroupInput{Name: aws.String("manga-test")})
	require.NoError(t, err)

	e.calls.Reset()
	_, err = e.client.Ensure(ctx, e.spec())
	require.ErrorIs(t, err, resource.ErrNotOurs)
	assert.Contains(t, err.Error(), `schedule group "manga-test"`)
	assert.Empty(t, e.calls.Mutating())
	_, err = e.client.Plan(ctx, e.spec())
	require.ErrorIs(t, err, resource.ErrNotOurs)
	err = e.client.Pause(ctx, "manga-test", "scraper")
	require.ErrorIs(t, err, resource.ErrNotOurs)

	deleted, err := e.client.Delete(ctx, "manga-test")
	require.ErrorIs(t, err, resource.ErrNotOurs)
	assert.Empty(t, deleted)
	assert.Empty(t, e.calls.Mutating())
	_, err = e.sched.GetScheduleGroup(ctx, &scheduler.GetScheduleGroupInput{Name: aws.String("manga-test")})
	assert.NoError(t, err, "still there")
}

func TestInvalidSpecMakesNoCall(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newEnv(t)
	spec := e.spec()
	spec.Jobs[0].Expression = "rate(1 hours)"
	spec.Jobs[1].Zone = "Europe/Roma"
	spec.Jobs = append(spec.Jobs, schedule.Job{Name: "scraper", TaskDefinitionARN: "manga-scraper:3"})

	_, err := e.client.Ensure(ctx, spec)
	require.ErrorIs(t, err, schedule.ErrInvalidSpec)
	assert.ErrorIs(t, err, expr.ErrInvalid)
	for _, want := range []string{`job "scraper": schedule expression "rate(1 hours)"`, `rate(1 hour)`, `time zone "Europe/Roma"`, "two jobs have this name", `task definition ARN "manga-scraper:3"`} {
		assert.Contains(t, err.Error(), want)
	}
	_, err = e.client.Plan(ctx, spec)
	require.ErrorIs(t, err, schedule.ErrInvalidSpec)
	assert.Zero(t, e.calls.Count(), "nothing is called for a bad spec")
}

// Whatever mutating call fails, before or after AWS did it, the next Ensure
// finishes the job and the one after writes nothing.
func TestEnsureConvergesAfterAFailure(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	probe := newEnv(t)
	_, err := probe.client.Ensure(ctx, probe.spec())
	require.NoError(t, err)
	writes := len(probe.calls.Mutating())
	require.Greater(t, writes, 4)

	for n := 1; n <= writes; n++ {
		for _, fault := range []integration.Fault{integration.FailBefore, integration.FailAfter} {
			t.Run(fmt.Sprintf("write %d fault %d", n, fault), func(t *testing.T) {
				t.Parallel()
				e := newEnv(t)
				e.calls.FailAt(n, fault)
				_, err := e.client.Ensure(ctx, e.spec())
				require.ErrorIs(t, err, integration.ErrInjected)
				_, err = e.client.Ensure(ctx, e.spec())
				require.NoError(t, err)
				e.calls.Reset()
				_, err = e.client.Ensure(ctx, e.spec())
				require.NoError(t, err)
				assert.Empty(t, e.calls.Mutating())
			})
		}
	}
}

// Schedules never fire on the emulator: the fire times Plan reports are
// checked against a fixed clock.
func TestPlanShowsNextRunsWithAFixedClock(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	now := at("2026-03-28T20:00:00+01:00") // the eve of spring-forward
	clock := func(o *schedule.Options) { o.Now = func() time.Time { return now } }
	e := newEnv(t, clock)
	spec := e.spec()
	spec.Jobs[1].Expression = "cron(0 2 * * ? *)" // 02:00 does not exist on 2026-03-29

	p, err := e.client.Plan(ctx, spec)
	require.NoError(t, err)
	kinds := map[string]int{}
	for _, c := range p.Changes {
		assert.Equal(t, change.Create, c.Action)
		assert.Empty(t, c.ID, "nothing exists yet")
		kinds[c.Kind]++
	}
	assert.Equal(t, map[string]int{"schedule group": 1, "dead-letter queue": 1, "IAM role": 1, "role policy": 1, "schedule": 2}, kinds,
		"one group and one role for the stack, though each job has its own task role")
	// The rate job runs as soon as it is created, then every 6 hours.
	assert.Equal(t, []string{
		"job scraper: rate(6 hours) in Europe/Rome, next Sat 2026-03-28 20:00 CET, Sun 2026-03-29 03:00 CEST, Sun 2026-03-29 09:00 CEST",
		"job notifier: cron(0 2 * * ? *) in Europe/Rome, starting within 15 minutes, next Mon 2026-03-30 02:00 CEST, Tue 2026-03-31 02:00 CEST, Wed 2026-04-01 02:00 CEST",
	}, p.Notes)
	// In 730 hours: the scraper 122 times (at once, then every 6 hours),
	// the notifier 30 times (from 30 March to 28 April).
	require.Len(t, p.Cost, 1)
	assert.Equal(t, "EventBridge Scheduler invocations", p.Cost[0].Item)
	assert.Contains(t, p.Cost[0].Note, "152 runs a month")
	assert.Zero(t, p.Cost.Total(), "within the free tier")
	assert.Empty(t, e.calls.Mutating(), "Plan writes nothing")

	// Offline, the same plan without a client to call.
	off, err := schedule.New(schedule.Clients{}, clock, func(o *schedule.Options) { o.Offline = true }).Plan(ctx, spec)
	require.NoError(t, err)
	assert.True(t, off.Offline)
	off.Offline = false
	assert.Equal(t, p, off)

	st, err := e.client.Ensure(ctx, spec)
	require.NoError(t, err)
	assert.Equal(t, []string{"2026-03-28T20:00:00+01:00", "2026-03-29T03:00:00+02:00", "2026-03-29T09:00:00+02:00"}, formatAll(st.Jobs[0].Next))
	assert.Equal(t, []string{"2026-03-30T02:00:00+02:00", "2026-03-31T02:00:00+02:00", "2026-04-01T02:00:00+02:00"}, formatAll(st.Jobs[1].Next))

	// Once created, a rate job counts from when it was written; the
	// emulator stamps that with the real clock, so read it back.
	written := aws.ToTime(e.get(t, "scraper").LastModificationDate)
	now = written.Add(7 * time.Hour)
	st, err = e.client.Ensure(ctx, spec)
	require.NoError(t, err)
	assert.Empty(t, st.Changes)
	require.Len(t, st.Jobs[0].Next, 3)
	assert.True(t, st.Jobs[0].Next[0].Equal(written.Add(12*time.Hour)), "next %s, written %s", st.Jobs[0].Next[0], written)
}

// Offline, only Plan works; it reads nothing, so a foreign group of the
// stack's name goes unnoticed until Ensure.
func TestOfflineNeedsNoClients(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newEnv(t)
	off := schedule.New(schedule.Clients{}, func(o *schedule.Options) { o.Offline = true })
	p, err := off.Plan(ctx, e.spec())
	require.NoError(t, err)
	assert.True(t, p.Offline)
	assert.Equal(t, 6, p.Count(change.Create))
	assert.Len(t, p.Policies, 2)
	_, err = off.Plan(ctx, schedule.Spec{Stack: "bad stack"})
	assert.ErrorIs(t, err, schedule.ErrInvalidSpec, "offline plans check the spec too")

	_, err = off.Ensure(ctx, e.spec())
	assert.ErrorIs(t, err, schedule.ErrOffline)
	_, err = off.Delete(ctx, "manga-test")
	assert.ErrorIs(t, err, schedule.ErrOffline)
	assert.ErrorIs(t, off.Pause(ctx, "manga-test", "scraper"), schedule.ErrOffline)
	assert.ErrorIs(t, off.Resume(ctx, "manga-test", "scraper"), schedule.ErrOffline)

	// Online without clients is an error that says how to plan offline,
	// not a nil-pointer panic.
	_, err = schedule.New(schedule.Clients{}).Plan(ctx, e.spec())
	assert.ErrorContains(t, err, "Options.Offline")
	_, err = schedule.New(schedule.Clients{Scheduler: e.sched}).Delete(ctx, "manga-test")
	assert.ErrorContains(t, err, "Clients.IAM")
}

// Options.Region and Account say where the schedules are: a cluster
// elsewhere is refused before any call.
func TestClusterElsewhereIsRefused(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newEnv(t)
	tests := []struct {
		name string
		opt  func(*schedule.Options)
		want string
	}{
		{"region", func(o *schedule.Options) { o.Region = "eu-west-1" }, "is in region " + integration.Region + ", the schedules in eu-west-1"},
		{"account", func(o *schedule.Options) { o.Account = "999999999999" }, "the schedules in 999999999999"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := schedule.New(e.clients(), fast, tt.opt)
			_, err := c.Plan(ctx, e.spec())
			assert.ErrorContains(t, err, tt.want)
			_, err = c.Ensure(ctx, e.spec())
			assert.ErrorContains(t, err, tt.want)
		})
	}
	assert.Zero(t, e.calls.Count())
	c := schedule.New(e.clients(), fast, func(o *schedule.Options) { o.Region, o.Account = integration.Region, e.account })
	_, err := c.Plan(ctx, e.spec())
	assert.NoError(t, err)
}

func TestStartInThePastIsRefusedBeforeAnyWrite(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newEnv(t)
	spec := e.spec()
	spec.Jobs[0].Start = time.Now().Add(-time.Hour)
	_, err := e.client.Ensure(ctx, spec)
	require.ErrorIs(t, err, schedule.ErrInvalidSpec)
	assert.Contains(t, err.Error(), "more than 5 minutes ago")
	assert.Empty(t, e.calls.Mutating())

	// A start ahead anchors the rate: runs at start, start+6h, ...
	start := time.Now().Add(time.Hour).Truncate(time.Second)
	spec.Jobs[0].Start = start
	spec.Jobs[0].End = start.Add(30 * 24 * time.Hour)
	st, err := e.client.Ensure(ctx, spec)
	require.NoError(t, err)
	assert.True(t, st.Jobs[0].Next[0].Equal(start), "first run %s, start %s", st.Jobs[0].Next[0], start)
	assert.True(t, st.Jobs[0].Next[1].Equal(start.Add(6*time.Hour)))
	g := e.get(t, "scraper")
	assert.True(t, start.Equal(aws.ToTime(g.StartDate)))
	assert.True(t, start.Add(30*24*time.Hour).Equal(aws.ToTime(g.EndDate)))
	e.calls.Reset()
	_, err = e.client.Ensure(ctx, spec)
	require.NoError(t, err)
	assert.Empty(t, e.calls.Mutating())
}

func TestGivenDeadLetterQueue(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newEnv(t)
	spec := e.spec()
	spec.DeadLetter = schedule.DeadLetter{ARN: e.arn("sqs", "shared-dlq")}
	st, err := e.client.Ensure(ctx, spec)
	require.NoError(t, err)
	assert.Equal(t, spec.DeadLetter.ARN, st.DeadLetterARN)
	assert.Equal(t, spec.DeadLetter.ARN, aws.ToString(e.get(t, "scraper").Target.DeadLetterConfig.Arn))
	assert.NotContains(t, callNames(e.calls.Mutating()), "CreateQueue", "a given queue is not created")
}

// The emulator does not model IAM's propagation delay; this wrapper around
// the real client refuses CreateSchedule the way the Scheduler refuses a
// role it cannot assume yet. Each refusal takes a minute on the test's
// clock, so the tests count refusals instead of waiting for time to pass.
type slowIAM struct {
	schedule.SchedulerAPI
	refuse   int // how many calls to refuse; -1 for every one
	refused  int
	clock    *fakeClock
	onRefuse func() // called at each refusal, when set
}

func (s *slowIAM) CreateSchedule(ctx context.Context, in *scheduler.CreateScheduleInput, opts ...func(*scheduler.Options)) (*scheduler.CreateScheduleOutput, error) {
	if s.refuse < 0 || s.refused < s.refuse {
		s.refused++
		s.clock.advance(time.Minute)
		if s.onRefuse != nil {
			s.onRefuse()
		}
		return nil, &smithy.GenericAPIError{Code: "ValidationException", Message: "The execution role you provide must allow AWS EventBridge Scheduler to assume the role."}
	}
	return s.SchedulerAPI.CreateSchedule(ctx, in, opts...)
}

// fakeClock is a clock that moves only when told.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// slowEnv is an env whose Scheduler refuses as slow says.
func slowEnv(t *testing.T, refuse int, opts ...func(*schedule.Options)) (*env, *slowIAM) {
	e := newEnv(t)
	slow := &slowIAM{SchedulerAPI: e.sched, refuse: refuse, clock: &fakeClock{t: time.Now()}}
	opts = append([]func(*schedule.Options){fast, func(o *schedule.Options) { o.Now = slow.clock.now }}, opts...)
	e.client = schedule.New(schedule.Clients{Scheduler: slow, IAM: e.iam, SQS: e.sqs}, opts...)
	return e, slow
}

func TestNewRoleIsWaitedFor(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e, slow := slowEnv(t, 2, func(o *schedule.Options) { o.RoleTimeout = 5 * time.Minute })
	_, err := e.client.Ensure(ctx, e.spec())
	require.NoError(t, err)
	assert.Equal(t, 2, slow.refused, "refused twice, a minute each, within RoleTimeout")

	// With no role change in this Ensure, the same refusal is an error at once.
	slow.refuse, slow.refused = 1, 0
	_, err = e.sched.DeleteSchedule(ctx, &scheduler.DeleteScheduleInput{Name: aws.String("scraper"), GroupName: aws.String("manga-test")})
	require.NoError(t, err)
	_, err = e.client.Ensure(ctx, e.spec())
	require.Error(t, err)
	assert.Contains(t, err.Error(), `create schedule "scraper"`)
	assert.Contains(t, err.Error(), "must allow AWS EventBridge Scheduler to assume the role")
	assert.Equal(t, 1, slow.refused)
}

// A refusal that does not end gives up once RoleTimeout has passed on the
// clock (the default 2 minutes: two refusals of a minute each), saying why.
func TestRoleWaitGivesUpAfterRoleTimeout(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e, slow := slowEnv(t, -1)
	_, err := e.client.Ensure(ctx, e.spec())
	require.Error(t, err)
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	assert.Contains(t, err.Error(), `create schedule "scraper"`)
	assert.Contains(t, err.Error(), "wait for the scheduler role to propagate: gave up after 2m0s")
	assert.Contains(t, err.Error(), "must allow AWS EventBridge Scheduler to assume the role")
	assert.Equal(t, 2, slow.refused)

	// A longer RoleTimeout tries longer.
	e, slow = slowEnv(t, -1, func(o *schedule.Options) { o.RoleTimeout = 5 * time.Minute })
	_, err = e.client.Ensure(ctx, e.spec())
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	assert.Equal(t, 5, slow.refused)
}

// The caller's context ends the wait too: here it is cancelled at the
// third refusal, long before RoleTimeout.
func TestRoleWaitEndsWithTheContext(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	e, slow := slowEnv(t, -1, func(o *schedule.Options) { o.RoleTimeout = time.Hour })
	slow.onRefuse = func() {
		if slow.refused == 3 {
			cancel()
		}
	}
	_, err := e.client.Ensure(ctx, e.spec())
	require.ErrorIs(t, err, context.Canceled)
	assert.Contains(t, err.Error(), "must allow AWS EventBridge Scheduler to assume the role", "the last refusal is in the error")
	assert.Equal(t, 3, slow.refused)
}

// at reads a time with an explicit offset, so each expectation says which
// side of the clock change it is on.
func at(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

func formatAll(ts []time.Time) []string {
	var out []string
	for _, t := range ts {
		out = append(out, t.Format(time.RFC3339))
	}
	return out
}
