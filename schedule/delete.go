package schedule

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/scheduler"
	"github.com/aws/aws-sdk-go-v2/service/scheduler/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/manga-alert-italia/mangaalert/internal/awserr"
)

// Delete removes the stack's schedules, their group, the scheduler role
// and the dead-letter queue this package created, and returns nil when
// there is nothing left to remove. A resource with one of the stack's
// names but without its tags is left alone, and reported with ErrNotOurs
// after the rest is removed.
func (c *Client) Delete(ctx context.Context, stack string) error {
	if !stackRe.MatchString(stack) {
		return fmt.Errorf("delete schedules: %w: stack %q: use 1-48 letters, digits, - or _", ErrInvalidSpec, stack)
	}
	var errs []error
	if err := c.deleteGroup(ctx, stack); err != nil {
		errs = append(errs, err)
	}
	if err := c.deleteRole(ctx, stack+"-scheduler", stack); err != nil {
		errs = append(errs, err)
	}
	if err := c.deleteQueue(ctx, stack+"-scheduler-dlq", stack); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// deleteGroup deletes the group's schedules one by one, then the group:
// the Scheduler would delete them with the group, but asynchronously.
func (c *Client) deleteGroup(ctx context.Context, group string) error {
	g, err := c.Scheduler.GetScheduleGroup(ctx, &scheduler.GetScheduleGroupInput{Name: aws.String(group)})
	switch {
	case groupNotFound(err):
		return nil
	case err != nil:
		return fmt.Errorf("get schedule group %q: %w", group, err)
	case g.State == types.ScheduleGroupStateDeleting:
		return nil
	}
	tags, err := c.Scheduler.ListTagsForResource(ctx, &scheduler.ListTagsForResourceInput{ResourceArn: g.Arn})
	if err != nil {
		return fmt.Errorf("list tags of schedule group %q: %w", group, err)
	}
	if !ours(tagsOf(tags.Tags), group) {
		return notOurs("schedule group", group, group)
	}
	for pager := scheduler.NewListSchedulesPaginator(c.Scheduler, &scheduler.ListSchedulesInput{GroupName: aws.String(group)}); pager.HasMorePages(); {
		page, err := pager.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("list schedules of group %q: %w", group, err)
		}
		for _, s := range page.Schedules {
			c.Logger.DebugContext(ctx, "delete schedule", "group", group, "name", aws.ToString(s.Name))
			_, err := c.Scheduler.DeleteSchedule(ctx, &scheduler.DeleteScheduleInput{Name: s.Name, GroupName: aws.String(group)})
			if err != nil && !groupNotFound(err) {
				return fmt.Errorf("delete schedule %q: %w", aws.ToString(s.Name), err)
			}
		}
	}
	c.Logger.DebugContext(ctx, "delete schedule group", "name", group)
	_, err = c.Scheduler.DeleteScheduleGroup(ctx, &scheduler.DeleteScheduleGroupInput{Name: aws.String(group)})
	if err != nil && !groupNotFound(err) {
		return fmt.Errorf("delete schedule group %q: %w", group, err)
	}
	return nil
}

// deleteRole empties the role of its policies (IAM refuses to delete a
// role that has any) and deletes it.
func (c *Client) deleteRole(ctx context.Context, role, stack string) error {
	g, err := c.IAM.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String(role)})
	switch {
	case awserr.Is(err, "NoSuchEntity"):
		return nil
	case err != nil:
		return fmt.Errorf("get role %q: %w", role, err)
	}
	tags := map[string]string{}
	for _, t := range g.Role.Tags {
		tags[aws.ToString(t.Key)] = aws.ToString(t.Value)
	}
	if !ours(tags, stack) {
		return notOurs("IAM role", role, stack)
	}
	gone := func(err error) bool { return err == nil || awserr.Is(err, "NoSuchEntity") }
	for pager := iam.NewListRolePoliciesPaginator(c.IAM, &iam.ListRolePoliciesInput{RoleName: aws.String(role)}); pager.HasMorePages(); {
		page, err := pager.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("list policies of role %q: %w", role, err)
		}
		for _, p := range page.PolicyNames {
			if _, err := c.IAM.DeleteRolePolicy(ctx, &iam.DeleteRolePolicyInput{RoleName: aws.String(role), PolicyName: aws.String(p)}); !gone(err) {
				return fmt.Errorf("delete policy %s of role %q: %w", p, role, err)
			}
		}
	}
	for pager := iam.NewListAttachedRolePoliciesPaginator(c.IAM, &iam.ListAttachedRolePoliciesInput{RoleName: aws.String(role)}); pager.HasMorePages(); {
		page, err := pager.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("list attached policies of role %q: %w", role, err)
		}
		for _, p := range page.AttachedPolicies {
			if _, err := c.IAM.DetachRolePolicy(ctx, &iam.DetachRolePolicyInput{RoleName: aws.String(role), PolicyArn: p.PolicyArn}); !gone(err) {
				return fmt.Errorf("detach %s from role %q: %w", aws.ToString(p.PolicyArn), role, err)
			}
		}
	}
	c.Logger.DebugContext(ctx, "delete role", "name", role)
	if _, err := c.IAM.DeleteRole(ctx, &iam.DeleteRoleInput{RoleName: aws.String(role)}); !gone(err) {
		return fmt.Errorf("delete role %q: %w", role, err)
	}
	return nil
}

func (c *Client) deleteQueue(ctx context.Context, name, stack string) error {
	if c.SQS == nil {
		c.Logger.DebugContext(ctx, "no SQS client: a dead-letter queue, if any, is kept", "queue", name)
		return nil
	}
	u, err := c.SQS.GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: aws.String(name)})
	switch {
	case queueMissing(err):
		return nil
	case err != nil:
		return fmt.Errorf("get queue %q: %w", name, err)
	}
	tags, err := c.SQS.ListQueueTags(ctx, &sqs.ListQueueTagsInput{QueueUrl: u.QueueUrl})
	if err != nil {
		return fmt.Errorf("list tags of queue %q: %w", name, err)
	}
	if !ours(tags.Tags, stack) {
		return notOurs("SQS queue", name, stack)
	}
	c.Logger.DebugContext(ctx, "delete queue", "name", name)
	if _, err := c.SQS.DeleteQueue(ctx, &sqs.DeleteQueueInput{QueueUrl: u.QueueUrl}); err != nil && !queueMissing(err) {
		return fmt.Errorf("delete queue %q: %w", name, err)
	}
	return nil
}

// Pause disables a job's schedule; Ensure keeps it disabled unless the
// job's State says otherwise. Pausing a paused job makes no call that
// writes. The schedule is rewritten whole, as UpdateSchedule requires,
// with every other field as it was.
func (c *Client) Pause(ctx context.Context, stack, job string) error {
	return c.setState(ctx, stack, job, types.ScheduleStateDisabled)
}

// Resume enables a job's schedule again; see Pause.
func (c *Client) Resume(ctx context.Context, stack, job string) error {
	return c.setState(ctx, stack, job, types.ScheduleStateEnabled)
}

func (c *Client) setState(ctx context.Context, stack, job string, state types.ScheduleState) error {
	verb := map[types.ScheduleState]string{types.ScheduleStateDisabled: "pause", types.ScheduleStateEnabled: "resume"}[state]
	if !stackRe.MatchString(stack) || !jobRe.MatchString(job) {
		return fmt.Errorf("%s %s/%s: %w: stack and job names are letters, digits, -, _ (and . in jobs)", verb, stack, job, ErrInvalidSpec)
	}
	g, err := c.Scheduler.GetScheduleGroup(ctx, &scheduler.GetScheduleGroupInput{Name: aws.String(stack)})
	switch {
	case groupNotFound(err):
		return fmt.Errorf("%s %s/%s: schedule group %w (run Ensure first)", verb, stack, job, ErrNotFound)
	case err != nil:
		return fmt.Errorf("%s %s/%s: %w", verb, stack, job, err)
	}
	tags, err := c.Scheduler.ListTagsForResource(ctx, &scheduler.ListTagsForResourceInput{ResourceArn: g.Arn})
	if err != nil {
		return fmt.Errorf("%s %s/%s: %w", verb, stack, job, err)
	}
	if !ours(tagsOf(tags.Tags), stack) {
		return fmt.Errorf("%s %s/%s: %w", verb, stack, job, notOurs("schedule group", stack, stack))
	}
	s, err := c.Scheduler.GetSchedule(ctx, &scheduler.GetScheduleInput{Name: aws.String(job), GroupName: aws.String(stack)})
	switch {
	case groupNotFound(err):
		return fmt.Errorf("%s %s/%s: schedule %w", verb, stack, job, ErrNotFound)
	case err != nil:
		return fmt.Errorf("%s %s/%s: %w", verb, stack, job, err)
	case s.State == state:
		return nil
	}
	c.Logger.DebugContext(ctx, verb, "group", stack, "name", job)
	if _, err := c.Scheduler.UpdateSchedule(ctx, updateFrom(s, state)); err != nil {
		return fmt.Errorf("%s %s/%s: %w", verb, stack, job, err)
	}
	return nil
}
