package stack

// The table step, through store/dynamo's EnsureTable and DeleteTable
// (which report nothing of what they did): the table's changes, its
// ownership by tag, and finding it by tag for Destroy live here.

import (
	"context"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/resourcegroupstaggingapi"
	rgttypes "github.com/aws/aws-sdk-go-v2/service/resourcegroupstaggingapi/types"

	"github.com/manga-alert-italia/mangaalert/change"
	"github.com/manga-alert-italia/mangaalert/internal/awserr"
	"github.com/manga-alert-italia/mangaalert/internal/poll"
	"github.com/manga-alert-italia/mangaalert/resource"
	"github.com/manga-alert-italia/mangaalert/store/dynamo"
)

const tableComponent = "table"

const tableLayout = "on-demand, pk/sk with indexes gsi1 and gsi2, TTL on ttl"

func (s *Stack) tableOptions(spec Spec) []dynamo.TableOption {
	tags := resource.Tags(spec.Stack, tableComponent)
	for k, v := range spec.Tags {
		tags[k] = v
	}
	return []dynamo.TableOption{dynamo.WithTags(tags), dynamo.WithDelays(poll.Delays{Min: s.o.MinDelay, Max: s.o.MaxDelay})}
}

// describeTable returns the table, or nil when there is none.
func (s *Stack) describeTable(ctx context.Context, name string) (*types.TableDescription, error) {
	out, err := s.cl.dynamo.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(name)})
	switch {
	case awserr.Is(err, "ResourceNotFoundException"):
		return nil, nil
	case err != nil:
		return nil, fmt.Errorf("describe table %s: %w", name, err)
	}
	return out.Table, nil
}

// checkTableOwner refuses a table not tagged as this stack's: its data
// belongs to someone else.
func (s *Stack) checkTableOwner(ctx context.Context, stack string, d *types.TableDescription) error {
	name := aws.ToString(d.TableName)
	out, err := s.cl.dynamo.ListTagsOfResource(ctx, &dynamodb.ListTagsOfResourceInput{ResourceArn: d.TableArn})
	if err != nil {
		return fmt.Errorf("read the tags of table %s: %w", name, err)
	}
	for _, t := range out.Tags {
		if aws.ToString(t.Key) == resource.TagStack {
			if v := aws.ToString(t.Value); v != stack {
				return fmt.Errorf("table %s belongs to stack %q, not %q: %w; choose another name", name, v, stack, resource.ErrNotOurs)
			}
			return nil
		}
	}
	return fmt.Errorf("table %s %w: it is left alone; choose another name, or tag it %s=%s to adopt it",
		name, resource.ErrNotOurs, resource.TagStack, stack)
}

// tableChange reads the table: created, or kept when it is ours.
func (s *Stack) tableChange(ctx context.Context, spec Spec) (change.Change, error) {
	c := change.Change{Action: change.Create, Kind: "dynamodb table", Name: spec.Table.Name, Details: []string{tableLayout}}
	if s.o.Offline {
		return c, nil
	}
	d, err := s.describeTable(ctx, spec.Table.Name)
	if err != nil || d == nil {
		return c, err
	}
	if err := s.checkTableOwner(ctx, spec.Stack, d); err != nil {
		return c, err
	}
	c.Action, c.ID = change.Keep, aws.ToString(d.TableArn)
	c.Details = []string{fmt.Sprintf("%s, %d items", d.TableStatus, aws.ToInt64(d.ItemCount))}
	return c, nil
}

func (s *Stack) planTable(ctx context.Context, spec Spec, o *Outputs) (*change.Plan, error) {
	if spec.Table == nil {
		return nil, nil
	}
	o.TableARN = resource.ARNIn(o.Partition, "dynamodb", o.Region, o.Account, "table/"+spec.Table.Name)
	c, err := s.tableChange(ctx, spec)
	if err != nil {
		return nil, err
	}
	return &change.Plan{Component: "table", Offline: s.o.Offline, Changes: []change.Change{c}}, nil
}

func (s *Stack) ensureTable(ctx context.Context, spec Spec, o *Outputs) ([]change.Change, error) {
	if spec.Table == nil {
		return nil, nil
	}
	o.TableARN = resource.ARNIn(o.Partition, "dynamodb", o.Region, o.Account, "table/"+spec.Table.Name)
	c, err := s.tableChange(ctx, spec)
	if err != nil {
		return nil, err
	}
	if err := dynamo.EnsureTable(ctx, s.cl.dynamo, spec.Table.Name, s.tableOptions(spec)...); err != nil {
		return nil, err
	}
	if c.Action == change.Keep {
		return nil, nil
	}
	s.changed(c)
	return []change.Change{c}, nil
}

// deleteTable deletes the tables tagged as the stack's, and their data.
func (s *Stack) deleteTable(ctx context.Context, stack string) ([]change.Change, error) {
	out, err := s.cl.tagging.GetResources(ctx, &resourcegroupstaggingapi.GetResourcesInput{
		ResourceTypeFilters: []string{"dynamodb:table"},
		TagFilters:          []rgttypes.TagFilter{{Key: aws.String(resource.TagStack), Values: []string{stack}}}})
	if err != nil {
		return nil, fmt.Errorf("find the table: %w", err)
	}
	var done []change.Change
	for _, r := range out.ResourceTagMappingList {
		arn := aws.ToString(r.ResourceARN)
		name := arn[strings.LastIndex(arn, ":table/")+len(":table/"):]
		if err := dynamo.DeleteTable(ctx, s.cl.dynamo, name, dynamo.WithDelays(poll.Delays{Min: s.o.MinDelay, Max: s.o.MaxDelay})); err != nil {
			return done, err
		}
		c := change.Change{Action: change.Delete, Kind: "dynamodb table", Name: name, ID: arn, Details: []string{"with all its data"}}
		s.changed(c)
		done = append(done, c)
	}
	return done, nil
}

// tableItemActions are what UsesTable grants: the items, never the table.
func tableItemActions() []string { return dynamo.Actions }

// tableResources are the table and its indexes.
func tableResources(arn string) []string { return dynamo.Resources(arn) }
