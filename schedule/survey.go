package schedule

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/scheduler"
	"github.com/aws/aws-sdk-go-v2/service/scheduler/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/manga-alert-italia/mangaalert/iampolicy"
	"github.com/manga-alert-italia/mangaalert/internal/awserr"
	"github.com/manga-alert-italia/mangaalert/internal/poll"
)

// survey is everything Ensure and Plan read before deciding: the stack's
// group, queue, role and schedules as they are.
type survey struct {
	c   *Client
	r   *resolved
	now time.Time

	group struct {
		exists, deleting bool
		arn              string
		tags             map[string]string
	}
	queue struct {
		exists bool
		url    string
		arn    string
		attrs  map[string]string
		tags   map[string]string
	}
	orphanQueue string // URL of a queue this stack created and no longer wants
	role        struct {
		exists   bool
		tags     map[string]string
		trust    iampolicy.Document // zero when unreadable: rewritten
		policy   iampolicy.Document // zero when unreadable: rewritten
		inlined  bool               // the inline policy PolicyName exists
		inline   []string
		attached []iamtypes.AttachedPolicy
	}
	schedules map[string]*observedSchedule // by name, in the group
	rewritten map[string]bool              // jobs whose schedule Ensure writes
}

// survey reads the stack as it is, making no change.
func (c *Client) survey(ctx context.Context, r *resolved) (*survey, error) {
	sv := &survey{c: c, r: r, now: c.Now(), schedules: map[string]*observedSchedule{}, rewritten: map[string]bool{}}
	if err := sv.readGroup(ctx); err != nil {
		return nil, err
	}
	if err := sv.readQueue(ctx); err != nil {
		return nil, err
	}
	if err := sv.readRole(ctx); err != nil {
		return nil, err
	}
	if err := sv.readSchedules(ctx); err != nil {
		return nil, err
	}
	return sv, nil
}

func (sv *survey) readGroup(ctx context.Context) error {
	g, err := sv.c.Scheduler.GetScheduleGroup(ctx, &scheduler.GetScheduleGroupInput{Name: aws.String(sv.r.group)})
	switch {
	case groupNotFound(err):
		return nil
	case err != nil:
		return fmt.Errorf("get schedule group %q: %w", sv.r.group, err)
	}
	sv.group.exists = true
	sv.group.arn = aws.ToString(g.Arn)
	sv.group.deleting = g.State == types.ScheduleGroupStateDeleting
	tags, err := sv.c.Scheduler.ListTagsForResource(ctx, &scheduler.ListTagsForResourceInput{ResourceArn: g.Arn})
	if err != nil {
		return fmt.Errorf("list tags of schedule group %q: %w", sv.r.group, err)
	}
	sv.group.tags = tagsOf(tags.Tags)
	if !ours(sv.group.tags, sv.r.Stack) {
		return notOurs("schedule group", sv.r.group, sv.r.Stack)
	}
	if sv.group.arn != sv.r.groupARN {
		return fmt.Errorf("schedule group %q has ARN %s, not %s: the Scheduler client works in another region or account than the cluster", sv.r.group, sv.group.arn, sv.r.groupARN)
	}
	return nil
}

func queueMissing(err error) bool {
	var nf *sqstypes.QueueDoesNotExist
	return errors.As(err, &nf) || awserr.Is(err, "AWS.SimpleQueueService.NonExistentQueue", "QueueDoesNotExist")
}

var queueAttributes = []sqstypes.QueueAttributeName{
	sqstypes.QueueAttributeNameQueueArn,
	sqstypes.QueueAttributeNameMessageRetentionPeriod,
	sqstypes.QueueAttributeNameSqsManagedSseEnabled,
}

// readQueue looks for the queue this stack creates: the one the spec wants,
// or one left from an earlier spec.
func (sv *survey) readQueue(ctx context.Context) error {
	name := sv.r.Stack + "-scheduler-dlq"
	if sv.c.SQS == nil {
		if sv.r.queue != "" {
			return fmt.Errorf("dead letter: creating queue %q needs an SQS client (New's third argument)", name)
		}
		return nil
	}
	u, err := sv.c.SQS.GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: aws.String(name)})
	switch {
	case queueMissing(err):
		return nil
	case err != nil:
		return fmt.Errorf("get queue %q: %w", name, err)
	}
	tags, err := sv.c.SQS.ListQueueTags(ctx, &sqs.ListQueueTagsInput{QueueUrl: u.QueueUrl})
	if err != nil {
		return fmt.Errorf("list tags of queue %q: %w", name, err)
	}
	if !ours(tags.Tags, sv.r.Stack) {
		if sv.r.queue == "" {
			return nil // someone else's queue that happens to have the name; not wanted, not touched
		}
		return notOurs("SQS queue", name, sv.r.Stack)
	}
	if sv.r.queue == "" {
		sv.orphanQueue = aws.ToString(u.QueueUrl)
		return nil
	}
	attrs, err := sv.c.SQS.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: u.QueueUrl, AttributeNames: queueAttributes})
	if err != nil {
		return fmt.Errorf("get attributes of queue %q: %w", name, err)
	}
	sv.queue.exists, sv.queue.url, sv.queue.tags, sv.queue.attrs = true, aws.ToString(u.QueueUrl), tags.Tags, attrs.Attributes
	sv.queue.arn = attrs.Attributes[string(sqstypes.QueueAttributeNameQueueArn)]
	if sv.queue.arn != sv.r.queueARN {
		return fmt.Errorf("queue %q has ARN %s, not %s: the SQS client works in another region or account than the cluster", name, sv.queue.arn, sv.r.queueARN)
	}
	return nil
}

// wantQueueAttributes are the created queue's attributes: how long dead
// letters are kept, and encryption at rest with SQS-owned keys.
func (r *resolved) wantQueueAttributes() map[string]string {
	return map[string]string{
		string(sqstypes.QueueAttributeNameMessageRetentionPeriod): strconv.Itoa(int(r.DeadLetter.Retention / time.Second)),
		string(sqstypes.QueueAttributeNameSqsManagedSseEnabled):   "true",
	}
}

func (sv *survey) readRole(ctx context.Context) error {
	name := sv.r.role
	g, err := sv.c.IAM.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String(name)})
	switch {
	case awserr.Is(err, "NoSuchEntity"):
		return nil
	case err != nil:
		return fmt.Errorf("get role %q: %w", name, err)
	}
	sv.role.exists = true
	sv.role.tags = map[string]string{}
	for _, t := range g.Role.Tags {
		sv.role.tags[aws.ToString(t.Key)] = aws.ToString(t.Value)
	}
	if !ours(sv.role.tags, sv.r.Stack) {
		return notOurs("IAM role", name, sv.r.Stack)
	}
	// A document we cannot read stays zero, so it differs and is rewritten.
	sv.role.trust, _ = iampolicy.Parse(aws.ToString(g.Role.AssumeRolePolicyDocument))
	p, err := sv.c.IAM.GetRolePolicy(ctx, &iam.GetRolePolicyInput{RoleName: aws.String(name), PolicyName: aws.String(PolicyName)})
	switch {
	case awserr.Is(err, "NoSuchEntity"):
	case err != nil:
		return fmt.Errorf("get policy %s of role %q: %w", PolicyName, name, err)
	default:
		sv.role.inlined = true
		sv.role.policy, _ = iampolicy.Parse(aws.ToString(p.PolicyDocument))
	}
	for pager := iam.NewListRolePoliciesPaginator(sv.c.IAM, &iam.ListRolePoliciesInput{RoleName: aws.String(name)}); pager.HasMorePages(); {
		page, err := pager.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("list policies of role %q: %w", name, err)
		}
		sv.role.inline = append(sv.role.inline, page.PolicyNames...)
	}
	for pager := iam.NewListAttachedRolePoliciesPaginator(sv.c.IAM, &iam.ListAttachedRolePoliciesInput{RoleName: aws.String(name)}); pager.HasMorePages(); {
		page, err := pager.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("list attached policies of role %q: %w", name, err)
		}
		sv.role.attached = append(sv.role.attached, page.AttachedPolicies...)
	}
	return nil
}

func (sv *survey) readSchedules(ctx context.Context) error {
	if !sv.group.exists || sv.group.deleting {
		return nil
	}
	for pager := scheduler.NewListSchedulesPaginator(sv.c.Scheduler, &scheduler.ListSchedulesInput{GroupName: aws.String(sv.r.group)}); pager.HasMorePages(); {
		page, err := pager.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("list schedules of group %q: %w", sv.r.group, err)
		}
		for _, s := range page.Schedules {
			if aws.ToString(s.GroupName) != "" && aws.ToString(s.GroupName) != sv.r.group {
				continue
			}
			name := aws.ToString(s.Name)
			g, err := sv.c.Scheduler.GetSchedule(ctx, &scheduler.GetScheduleInput{Name: s.Name, GroupName: aws.String(sv.r.group)})
			if err != nil {
				return fmt.Errorf("get schedule %q: %w", name, err)
			}
			sv.schedules[name] = &observedSchedule{get: g}
		}
	}
	return nil
}

// steps decides what Ensure does, in order: the group, the queue, the
// role and its policy (all before the schedules that need them), the
// schedules, and last what is no longer wanted.
func (sv *survey) steps() ([]step, error) {
	r := sv.r
	var steps []step
	add := func(a Action, kind, name string, details []string, apply func(context.Context, *executor) error) {
		steps = append(steps, step{Change: Change{Action: a, Kind: kind, Name: name, Details: details}, apply: apply})
	}

	// The group.
	switch {
	case !sv.group.exists || sv.group.deleting:
		details := []string{"tags: " + formatTags(r.tags)}
		if sv.group.deleting {
			details = append(details, "after the group being deleted is gone")
		}
		add(Create, "schedule group", r.group, details, func(ctx context.Context, ex *executor) error {
			if sv.group.deleting {
				if err := sv.waitGroupGone(ctx); err != nil {
					return err
				}
			}
			out, err := sv.c.Scheduler.CreateScheduleGroup(ctx, &scheduler.CreateScheduleGroupInput{Name: aws.String(r.group), Tags: schedulerTags(r.tags)})
			if err != nil {
				return err
			}
			if got := aws.ToString(out.ScheduleGroupArn); got != r.groupARN {
				return fmt.Errorf("created with ARN %s, not %s: the Scheduler client works in another region or account than the cluster", got, r.groupARN)
			}
			return nil
		})
	default:
		if m := missingTags(sv.group.tags, r.tags); len(m) > 0 {
			add(Update, "schedule group", r.group, []string{"tags: " + formatTags(m)}, func(ctx context.Context, ex *executor) error {
				_, err := sv.c.Scheduler.TagResource(ctx, &scheduler.TagResourceInput{ResourceArn: aws.String(r.groupARN), Tags: schedulerTags(m)})
				return err
			})
		}
	}

	// The dead-letter queue.
	if r.queue != "" {
		want := r.wantQueueAttributes()
		if !sv.queue.exists {
			add(Create, "dead-letter queue", r.queue, []string{"attributes: " + formatTags(want), "tags: " + formatTags(r.tags)}, func(ctx context.Context, ex *executor) error {
				out, err := sv.c.SQS.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(r.queue), Attributes: want, Tags: r.tags})
				if awserr.Is(err, "AWS.SimpleQueueService.QueueDeletedRecently", "QueueDeletedRecently") {
					return fmt.Errorf("%w (SQS refuses a queue name for 60 seconds after it was deleted: run again in a minute)", err)
				}
				if err != nil {
					return err
				}
				sv.queue.url = aws.ToString(out.QueueUrl)
				return nil
			})
		} else {
			changed := map[string]string{}
			var details []string
			for _, k := range sortedKeys(want) {
				if sv.queue.attrs[k] != want[k] {
					changed[k] = want[k]
					details = append(details, fmt.Sprintf("%s: %s → %s", k, quoteEmpty(sv.queue.attrs[k]), want[k]))
				}
			}
			if len(changed) > 0 {
				add(Update, "dead-letter queue", r.queue, details, func(ctx context.Context, ex *executor) error {
					_, err := sv.c.SQS.SetQueueAttributes(ctx, &sqs.SetQueueAttributesInput{QueueUrl: aws.String(sv.queue.url), Attributes: changed})
					return err
				})
			}
			if m := missingTags(sv.queue.tags, r.tags); len(m) > 0 {
				add(Update, "dead-letter queue", r.queue, []string{"tags: " + formatTags(m)}, func(ctx context.Context, ex *executor) error {
					_, err := sv.c.SQS.TagQueue(ctx, &sqs.TagQueueInput{QueueUrl: aws.String(sv.queue.url), Tags: m})
					return err
				})
			}
		}
	}

	// The role and its one policy.
	trust, perms := r.trustPolicy(), r.permissions()
	if !sv.role.exists {
		add(Create, "IAM role", r.role, []string{"trusted by scheduler.amazonaws.com from " + r.groupARN, "tags: " + formatTags(r.tags)}, func(ctx context.Context, ex *executor) error {
			ex.roleChanged = true
			_, err := sv.c.IAM.CreateRole(ctx, &iam.CreateRoleInput{
				RoleName:                 aws.String(r.role),
				AssumeRolePolicyDocument: aws.String(trust.JSON()),
				Description:              aws.String(fmt.Sprintf("EventBridge Scheduler starts the ECS tasks of stack %s", r.Stack)),
				Tags:                     iamTags(r.tags),
			})
			return err
		})
	} else {
		if !iampolicy.Equal(sv.role.trust, trust) {
			add(Update, "IAM role", r.role, []string{"trust policy: " + trust.JSON()}, func(ctx context.Context, ex *executor) error {
				ex.roleChanged = true
				_, err := sv.c.IAM.UpdateAssumeRolePolicy(ctx, &iam.UpdateAssumeRolePolicyInput{RoleName: aws.String(r.role), PolicyDocument: aws.String(trust.JSON())})
				return err
			})
		}
		if m := missingTags(sv.role.tags, r.tags); len(m) > 0 {
			add(Update, "IAM role", r.role, []string{"tags: " + formatTags(m)}, func(ctx context.Context, ex *executor) error {
				_, err := sv.c.IAM.TagRole(ctx, &iam.TagRoleInput{RoleName: aws.String(r.role), Tags: iamTags(m)})
				return err
			})
		}
	}
	if !sv.role.inlined || !iampolicy.Equal(sv.role.policy, perms) {
		a := Create
		if sv.role.inlined {
			a = Update
		}
		add(a, "role policy", r.role+"/"+PolicyName, []string{perms.JSON()}, func(ctx context.Context, ex *executor) error {
			ex.roleChanged = true
			_, err := sv.c.IAM.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String(r.role), PolicyName: aws.String(PolicyName), PolicyDocument: aws.String(perms.JSON())})
			return err
		})
	}
	// The role is this stack's: anything else on it widens what a schedule
	// may do, so it goes.
	for _, p := range sv.role.inline {
		if p == PolicyName {
			continue
		}
		add(Delete, "role policy", r.role+"/"+p, []string{"not one of this package's"}, func(ctx context.Context, ex *executor) error {
			_, err := sv.c.IAM.DeleteRolePolicy(ctx, &iam.DeleteRolePolicyInput{RoleName: aws.String(r.role), PolicyName: aws.String(p)})
			return err
		})
	}
	for _, p := range sv.role.attached {
		add(Delete, "attached policy", r.role+"/"+aws.ToString(p.PolicyName), []string{"detach " + aws.ToString(p.PolicyArn)}, func(ctx context.Context, ex *executor) error {
			_, err := sv.c.IAM.DetachRolePolicy(ctx, &iam.DetachRolePolicyInput{RoleName: aws.String(r.role), PolicyArn: p.PolicyArn})
			return err
		})
	}

	// The schedules.
	var problems []error
	for i := range r.jobs {
		j := &r.jobs[i]
		o := sv.schedules[j.Name]
		want := r.definition(j, desiredState(j, o))
		if o == nil {
			if j.parsed.Recurring() && !j.Start.IsZero() && j.Start.Before(sv.now.Add(-5*time.Minute)) {
				problems = append(problems, fmt.Errorf("job %q: start %s is more than 5 minutes ago: the Scheduler refuses that for a new recurring schedule; give a later start or none", j.Name, j.Start.Format(time.RFC3339)))
			}
			sv.rewritten[j.Name] = true
			add(Create, "schedule", j.Name, []string{j.Expression + " in " + j.Zone, "runs " + j.TaskDefinitionARN}, func(ctx context.Context, ex *executor) error {
				return ex.writeSchedule(ctx, func(ctx context.Context) error {
					_, err := sv.c.Scheduler.CreateSchedule(ctx, createInput(want))
					return err
				})
			})
			continue
		}
		if d := diff(updateFrom(o.get, o.get.State), want); len(d) > 0 {
			sv.rewritten[j.Name] = true
			add(Update, "schedule", j.Name, d, func(ctx context.Context, ex *executor) error {
				return ex.writeSchedule(ctx, func(ctx context.Context) error {
					_, err := sv.c.Scheduler.UpdateSchedule(ctx, want)
					return err
				})
			})
		}
	}
	if len(problems) > 0 {
		return nil, &SpecError{Problems: problems}
	}
	for _, name := range slices.Sorted(maps.Keys(sv.schedules)) {
		if slices.ContainsFunc(r.jobs, func(j resolvedJob) bool { return j.Name == name }) {
			continue
		}
		add(Delete, "schedule", name, []string{"no job of the spec names it"}, func(ctx context.Context, ex *executor) error {
			_, err := sv.c.Scheduler.DeleteSchedule(ctx, &scheduler.DeleteScheduleInput{Name: aws.String(name), GroupName: aws.String(r.group)})
			if groupNotFound(err) {
				return nil
			}
			return err
		})
	}
	if sv.orphanQueue != "" {
		add(Delete, "dead-letter queue", r.Stack+"-scheduler-dlq", []string{"the spec no longer creates a dead-letter queue; its messages are lost"}, func(ctx context.Context, ex *executor) error {
			_, err := sv.c.SQS.DeleteQueue(ctx, &sqs.DeleteQueueInput{QueueUrl: aws.String(sv.orphanQueue)})
			if queueMissing(err) {
				return nil
			}
			return err
		})
	}
	return steps, nil
}

// waitGroupGone waits for a group in state DELETING to disappear: the
// Scheduler deletes a group and its schedules asynchronously, and a group
// of the same name cannot be created until it is gone.
func (sv *survey) waitGroupGone(ctx context.Context) error {
	return poll.Until(ctx, "schedule group "+sv.r.group+" to be deleted", sv.c.Wait, func(ctx context.Context) (bool, error) {
		_, err := sv.c.Scheduler.GetScheduleGroup(ctx, &scheduler.GetScheduleGroupInput{Name: aws.String(sv.r.group)})
		if groupNotFound(err) {
			return true, nil
		}
		return false, err
	})
}

func iamTags(m map[string]string) []iamtypes.Tag {
	var out []iamtypes.Tag
	for _, k := range sortedKeys(m) {
		out = append(out, iamtypes.Tag{Key: aws.String(k), Value: aws.String(m[k])})
	}
	return out
}

func formatTags(m map[string]string) string {
	var b []byte
	for i, k := range sortedKeys(m) {
		if i > 0 {
			b = append(b, ", "...)
		}
		b = append(b, k...)
		b = append(b, '=')
		b = append(b, m[k]...)
	}
	return string(b)
}
