package ecshost

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	logstypes "github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"

	"github.com/manga-alert-italia/mangaalert/internal/awserr"
)

// logGroup ensures the awslogs group every container writes to, with its
// retention: logs kept forever are the classic surprise on the bill.
func (r *run) logGroup(ctx context.Context) error {
	name, days := r.n.logGroup(), r.spec.LogRetentionDays
	detail := fmt.Sprintf("retention %d days", days)
	if r.offline {
		r.add("log group", name, Create, detail)
		return nil
	}
	g, err := r.h.findLogGroup(ctx, name)
	if err != nil {
		return err
	}
	if g == nil {
		r.add("log group", name, Create, detail)
		if !r.apply {
			return nil
		}
		_, err := r.h.c.Logs.CreateLogGroup(ctx, &cloudwatchlogs.CreateLogGroupInput{LogGroupName: aws.String(name), Tags: r.tags()})
		if err != nil {
			return fmt.Errorf("create log group %q: %w", name, err)
		}
		return r.h.putRetention(ctx, name, days)
	}
	tags, err := r.h.c.Logs.ListTagsForResource(ctx, &cloudwatchlogs.ListTagsForResourceInput{ResourceArn: aws.String(r.n.arn("logs", r.n.region, "log-group:"+name))})
	if err != nil {
		return fmt.Errorf("read tags of log group %q: %w", name, err)
	}
	if !r.n.ours(tags.Tags) {
		return fmt.Errorf("log group %q %w; delete it or choose another Stack", name, ErrNotOurs)
	}
	if aws.ToInt32(g.RetentionInDays) == days {
		r.add("log group", name, Keep, detail)
		return nil
	}
	r.add("log group", name, Update, fmt.Sprintf("retention %d → %d days", aws.ToInt32(g.RetentionInDays), days))
	if !r.apply {
		return nil
	}
	return r.h.putRetention(ctx, name, days)
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

func (h *Host) putRetention(ctx context.Context, name string, days int32) error {
	_, err := h.c.Logs.PutRetentionPolicy(ctx, &cloudwatchlogs.PutRetentionPolicyInput{LogGroupName: aws.String(name), RetentionInDays: aws.Int32(days)})
	if err != nil {
		return fmt.Errorf("set retention of log group %q: %w", name, err)
	}
	return nil
}

// deleteLogGroup removes the group when it is ours.
func (h *Host) deleteLogGroup(ctx context.Context, n names) (bool, error) {
	g, err := h.findLogGroup(ctx, n.logGroup())
	if err != nil || g == nil {
		return false, err
	}
	tags, err := h.c.Logs.ListTagsForResource(ctx, &cloudwatchlogs.ListTagsForResourceInput{ResourceArn: aws.String(n.arn("logs", n.region, "log-group:"+n.logGroup()))})
	if err != nil {
		return false, fmt.Errorf("read tags of log group %q: %w", n.logGroup(), err)
	}
	if !n.ours(tags.Tags) {
		h.log.Debug("delete: log group is not ours, left alone", "name", n.logGroup())
		return false, nil
	}
	_, err = h.c.Logs.DeleteLogGroup(ctx, &cloudwatchlogs.DeleteLogGroupInput{LogGroupName: aws.String(n.logGroup())})
	if err != nil && !awserr.Is(err, "ResourceNotFoundException") {
		return false, fmt.Errorf("delete log group %q: %w", n.logGroup(), err)
	}
	return true, nil
}
