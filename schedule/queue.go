package schedule

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/manga-alert-italia/mangaalert/change"
	"github.com/manga-alert-italia/mangaalert/internal/awserr"
	"github.com/manga-alert-italia/mangaalert/internal/engine"
)

// observedQueue is the queue named as the stack's dead-letter queue, as
// found.
type observedQueue struct {
	exists, ours bool
	url, arn     string
	attrs, tags  map[string]string
}

var queueAttributes = []sqstypes.QueueAttributeName{
	sqstypes.QueueAttributeNameQueueArn,
	sqstypes.QueueAttributeNameMessageRetentionPeriod,
	sqstypes.QueueAttributeNameSqsManagedSseEnabled,
}

func queueMissing(err error) bool {
	var nf *sqstypes.QueueDoesNotExist
	return errors.As(err, &nf) || awserr.Is(err, "AWS.SimpleQueueService.NonExistentQueue", "QueueDoesNotExist")
}

// readQueue looks for a queue by name; its attributes are read only when
// it is the stack's.
func (s *Schedules) readQueue(ctx context.Context, name, stack string) (observedQueue, error) {
	u, err := s.c.SQS.GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: aws.String(name)})
	switch {
	case queueMissing(err):
		return observedQueue{}, nil
	case err != nil:
		return observedQueue{}, fmt.Errorf("get queue %q: %w", name, err)
	}
	q := observedQueue{exists: true, url: aws.ToString(u.QueueUrl)}
	tags, err := s.c.SQS.ListQueueTags(ctx, &sqs.ListQueueTagsInput{QueueUrl: u.QueueUrl})
	if err != nil {
		return observedQueue{}, fmt.Errorf("list tags of queue %q: %w", name, err)
	}
	q.tags = tags.Tags
	if q.ours = ours(q.tags, stack); !q.ours {
		return q, nil
	}
	attrs, err := s.c.SQS.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: u.QueueUrl, AttributeNames: queueAttributes})
	if err != nil {
		return observedQueue{}, fmt.Errorf("get attributes of queue %q: %w", name, err)
	}
	q.attrs = attrs.Attributes
	q.arn = q.attrs[string(sqstypes.QueueAttributeNameQueueArn)]
	return q, nil
}

// observeQueue looks for the queue this stack creates: the one the spec
// wants, or one left from an earlier spec. Someone else's queue with the
// name is left alone, and is an error only if the spec wants the name.
func (rn *run) observeQueue(ctx context.Context) error {
	r := rn.r
	name := r.Stack + "-scheduler-dlq"
	if rn.s.c.SQS == nil {
		if r.queue != "" {
			return fmt.Errorf("dead letter: creating queue %q needs an SQS client (Clients.SQS)", name)
		}
		return nil
	}
	q, err := rn.s.readQueue(ctx, name, r.Stack)
	switch {
	case err != nil:
		return err
	case !q.exists:
	case !q.ours && r.queue != "":
		return notOurs("SQS queue", name, r.Stack)
	case !q.ours:
	case r.queue == "":
		rn.orphanQueue = q
	case q.arn != r.queueARN:
		return fmt.Errorf("queue %q has ARN %s, not %s: the SQS client works in another region or account than the cluster", name, q.arn, r.queueARN)
	default:
		rn.queue = q
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

// queueSteps create the dead-letter queue the spec asks for, or fix its
// attributes and tags.
func (rn *run) queueSteps() []engine.Step {
	r, q := rn.r, rn.queue
	if r.queue == "" {
		return nil
	}
	want := r.wantQueueAttributes()
	if !q.exists {
		details := []string{"attributes: " + formatTags(want), "tags: " + formatTags(r.tags)}
		return []engine.Step{newStep(change.Create, kindQueue, r.queue, "", details, func(ctx context.Context) error {
			_, err := rn.s.c.SQS.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(r.queue), Attributes: want, Tags: r.tags})
			if awserr.Is(err, "AWS.SimpleQueueService.QueueDeletedRecently", "QueueDeletedRecently") {
				return fmt.Errorf("%w (SQS refuses a queue name for 60 seconds after it was deleted: run again in a minute)", err)
			}
			return err
		})}
	}
	changed := map[string]string{}
	var details []string
	for _, k := range sortedKeys(want) {
		if q.attrs[k] != want[k] {
			changed[k] = want[k]
			details = append(details, fmt.Sprintf("%s: %s → %s", k, quoteEmpty(q.attrs[k]), want[k]))
		}
	}
	tags := missingTags(q.tags, r.tags)
	if len(tags) > 0 {
		details = append(details, "tags: "+formatTags(tags))
	}
	if len(details) == 0 {
		return []engine.Step{keep(kindQueue, r.queue, q.arn)}
	}
	return []engine.Step{newStep(change.Update, kindQueue, r.queue, q.arn, details, func(ctx context.Context) error {
		if len(changed) > 0 {
			if _, err := rn.s.c.SQS.SetQueueAttributes(ctx, &sqs.SetQueueAttributesInput{QueueUrl: aws.String(q.url), Attributes: changed}); err != nil {
				return err
			}
		}
		if len(tags) > 0 {
			if _, err := rn.s.c.SQS.TagQueue(ctx, &sqs.TagQueueInput{QueueUrl: aws.String(q.url), Tags: tags}); err != nil {
				return err
			}
		}
		return nil
	})}
}

// deleteQueueStep deletes a queue of the stack by URL; one already gone
// is no error.
func (s *Schedules) deleteQueueStep(name, url, arn, why string) engine.Step {
	var details []string
	if why != "" {
		details = []string{why}
	}
	return newStep(change.Delete, kindQueue, name, arn, details, func(ctx context.Context) error {
		_, err := s.c.SQS.DeleteQueue(ctx, &sqs.DeleteQueueInput{QueueUrl: aws.String(url)})
		if queueMissing(err) {
			return nil
		}
		return err
	})
}
