package ecshost

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	logstypes "github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"

	"github.com/manga-alert-italia/mangaalert/internal/awserr"
	"github.com/manga-alert-italia/mangaalert/internal/engine"
)

// logGroupSteps ensures the awslogs group every container writes to, with
// its retention: logs kept forever are the classic surprise on the bill.
func (r *run) logGroupSteps(ctx context.Context) ([]engine.Step, error) {
	name, days := r.n.logGroup(), r.spec.LogRetentionDays
	detail := fmt.Sprintf("retention %d days", days)
	var g *logstypes.LogGroup
	if !r.offline {
		var err error
		if g, err = r.h.findLogGroup(ctx, name); err != nil {
			return nil, err
		}
	}
	if g == nil {
		return []engine.Step{create(kindLogGroup, name, []string{detail}, func(ctx context.Context) error {
			_, err := r.h.c.Logs.CreateLogGroup(ctx, &cloudwatchlogs.CreateLogGroupInput{LogGroupName: aws.String(name), Tags: r.tags()})
			if err != nil {
				return fmt.Errorf("create log group %q: %w", name, err)
			}
			return r.h.putRetention(ctx, name, days)
		})}, nil
	}
	ours, err := r.h.logGroupIsOurs(ctx, r.n)
	if err != nil {
		return nil, err
	}
	if !ours {
		return nil, notOurs(kindLogGroup, name)
	}
	var e edits
	if have := aws.ToInt32(g.RetentionInDays); have != days {
		e.add(fmt.Sprintf("retention %d → %d days", have, days), func(ctx context.Context) error {
			return r.h.putRetention(ctx, name, days)
		})
	}
	return []engine.Step{e.step(kindLogGroup, name, "", detail)}, nil
}

func (h *Host) findLogGroup(ctx context.Context, name string) (*logstypes.LogGroup, error) {
	p := cloudwatchlogs.NewDescribeLogGroupsPaginator(h.c.Logs, &cloudwatchlogs.DescribeLogGroupsInput{LogGroupNamePrefix: aws.String(name)})
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("describe log group %q: %w", name, err)
		}
		for _, g := range out.LogGroups {
			if aws.ToString(g.LogGroupName) == name {
				return &g, nil
			}
		}
	}
	return nil, nil
}

func (h *Host) logGroupIsOurs(ctx context.Context, n names) (bool, error) {
	tags, err := h.c.Logs.ListTagsForResource(ctx, &cloudwatchlogs.ListTagsForResourceInput{ResourceArn: aws.String(n.logGroupARN())})
	if err != nil {
		return false, fmt.Errorf("read tags of log group %q: %w", n.logGroup(), err)
	}
	return n.ours(tags.Tags), nil
}

func (h *Host) putRetention(ctx context.Context, name string, days int32) error {
	_, err := h.c.Logs.PutRetentionPolicy(ctx, &cloudwatchlogs.PutRetentionPolicyInput{LogGroupName: aws.String(name), RetentionInDays: aws.Int32(days)})
	if err != nil {
		return fmt.Errorf("set retention of log group %q: %w", name, err)
	}
	return nil
}

// logGroup removes the group when it is ours.
func (d *deleter) logGroup(ctx context.Context) error {
	n := d.n
	g, err := d.h.findLogGroup(ctx, n.logGroup())
	if err != nil || g == nil {
		return err
	}
	ours, err := d.h.logGroupIsOurs(ctx, n)
	if err != nil {
		return err
	}
	if !ours {
		d.h.o.Logger.Debug("delete: log group is not ours, left alone", "name", n.logGroup())
		return nil
	}
	_, err = d.h.c.Logs.DeleteLogGroup(ctx, &cloudwatchlogs.DeleteLogGroupInput{LogGroupName: aws.String(n.logGroup())})
	if err != nil && !awserr.Is(err, "ResourceNotFoundException") {
		return fmt.Errorf("delete log group %q: %w", n.logGroup(), err)
	}
	d.deleted(kindLogGroup, n.logGroup(), "")
	return nil
}
