package stack

// The table step. The stack makes the table itself from the definition
// its caller gives (Table.Definition: keys, attributes, indexes), so that
// no runtime package is imported here: on-demand billing, the stack's
// tags, indexes added when the definition gains one, TTL on
// Table.TTLAttribute. Ownership is by tag; Destroy finds the table by it.

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
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
)

const tableComponent = "table"

// ErrTableShape: a table of the stack exists with other keys than the
// definition's. Nothing was written; the stack never deletes data to fix
// it.
var ErrTableShape = errors.New("stack: the table exists with other keys")

// tableDefinition is what CreateTable is given: the caller's definition
// (or string keys pk and sk) with the stack's name, billing and tags.
func tableDefinition(spec Spec) *dynamodb.CreateTableInput {
	in := &dynamodb.CreateTableInput{
		AttributeDefinitions: []types.AttributeDefinition{
			{AttributeName: aws.String("pk"), AttributeType: types.ScalarAttributeTypeS},
			{AttributeName: aws.String("sk"), AttributeType: types.ScalarAttributeTypeS}},
		KeySchema: []types.KeySchemaElement{
			{AttributeName: aws.String("pk"), KeyType: types.KeyTypeHash},
			{AttributeName: aws.String("sk"), KeyType: types.KeyTypeRange}},
	}
	if spec.Table.Definition != nil {
		c := *spec.Table.Definition
		in = &c
	}
	in.TableName, in.BillingMode, in.Tags = aws.String(spec.Table.Name), types.BillingModePayPerRequest, nil
	tags := resource.Tags(spec.Stack, tableComponent)
	maps.Copy(tags, spec.Tags)
	for _, k := range slices.Sorted(maps.Keys(tags)) {
		in.Tags = append(in.Tags, types.Tag{Key: aws.String(k), Value: aws.String(tags[k])})
	}
	return in
}

// tableLayout says what the definition makes, for the plan.
func tableLayout(in *dynamodb.CreateTableInput, ttl string) string {
	var keys, indexes []string
	for _, k := range in.KeySchema {
		keys = append(keys, aws.ToString(k.AttributeName))
	}
	for _, g := range in.GlobalSecondaryIndexes {
		indexes = append(indexes, aws.ToString(g.IndexName))
	}
	out := "on-demand, " + strings.Join(keys, "/")
	if len(indexes) > 0 {
		out += " with indexes " + strings.Join(indexes, " and ")
	}
	if ttl != "" {
		out += ", TTL on " + ttl
	}
	return out
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

// tableRun is the table as read, and the writes that make it match.
type tableRun struct {
	in     *dynamodb.CreateTableInput
	ttl    string
	desc   *types.TableDescription // nil: absent
	change change.Change
	writes []func(context.Context) error
}

// observeTable reads the table and works out its change and writes.
func (s *Stack) observeTable(ctx context.Context, spec Spec) (*tableRun, error) {
	r := &tableRun{in: tableDefinition(spec), ttl: spec.Table.TTLAttribute}
	r.change = change.Change{Action: change.Create, Kind: "dynamodb table", Name: spec.Table.Name, Details: []string{tableLayout(r.in, r.ttl)}}
	if s.o.Offline {
		return r, nil
	}
	d, err := s.describeTable(ctx, spec.Table.Name)
	if err != nil {
		return nil, err
	}
	if d == nil {
		r.writes = append(r.writes, func(ctx context.Context) error {
			_, err := s.cl.dynamo.CreateTable(ctx, r.in)
			if err != nil && !awserr.Is(err, "ResourceInUseException") {
				return fmt.Errorf("create table %s: %w", spec.Table.Name, err)
			}
			return nil
		})
		return r, s.ttlWrites(ctx, r, false)
	}
	if err := s.checkTableOwner(ctx, spec.Stack, d); err != nil {
		return nil, err
	}
	r.desc, r.change.Action, r.change.ID = d, change.Keep, aws.ToString(d.TableArn)
	r.change.Details = []string{fmt.Sprintf("%s, %d items", d.TableStatus, aws.ToInt64(d.ItemCount))}
	if !slices.EqualFunc(d.KeySchema, r.in.KeySchema, func(a, b types.KeySchemaElement) bool {
		return aws.ToString(a.AttributeName) == aws.ToString(b.AttributeName) && a.KeyType == b.KeyType
	}) {
		return nil, fmt.Errorf("table %s: %w: want %s; delete it or choose another name", spec.Table.Name, ErrTableShape, tableLayout(r.in, ""))
	}
	s.convergeWrites(r)
	return r, s.ttlWrites(ctx, r, true)
}

// convergeWrites switch the table to on-demand billing and add the
// indexes it lacks, one UpdateTable each (DynamoDB builds one index at a
// time), waiting for the table between them.
func (s *Stack) convergeWrites(r *tableRun) {
	name := aws.ToString(r.in.TableName)
	update := func(detail string, in *dynamodb.UpdateTableInput) {
		r.change.Action = change.Update
		r.change.Details = append(r.change.Details, detail)
		in.TableName = r.in.TableName
		r.writes = append(r.writes, func(ctx context.Context) error {
			if err := s.waitTableActive(ctx, name); err != nil {
				return err
			}
			if _, err := s.cl.dynamo.UpdateTable(ctx, in); err != nil {
				return fmt.Errorf("update table %s (%s): %w", name, detail, err)
			}
			return nil
		})
	}
	if r.desc.BillingModeSummary == nil || r.desc.BillingModeSummary.BillingMode != types.BillingModePayPerRequest {
		update("billing: on-demand", &dynamodb.UpdateTableInput{BillingMode: types.BillingModePayPerRequest})
	}
	for _, g := range r.in.GlobalSecondaryIndexes {
		if slices.ContainsFunc(r.desc.GlobalSecondaryIndexes, func(h types.GlobalSecondaryIndexDescription) bool {
			return aws.ToString(h.IndexName) == aws.ToString(g.IndexName)
		}) {
			continue
		}
		update("add index "+aws.ToString(g.IndexName), &dynamodb.UpdateTableInput{AttributeDefinitions: r.in.AttributeDefinitions,
			GlobalSecondaryIndexUpdates: []types.GlobalSecondaryIndexUpdate{{Create: &types.CreateGlobalSecondaryIndexAction{
				IndexName: g.IndexName, KeySchema: g.KeySchema, Projection: g.Projection}}}})
	}
}

// ttlWrites turn TTL on when the table has it off (or does not exist).
func (s *Stack) ttlWrites(ctx context.Context, r *tableRun, exists bool) error {
	if r.ttl == "" {
		return nil
	}
	if exists {
		out, err := s.cl.dynamo.DescribeTimeToLive(ctx, &dynamodb.DescribeTimeToLiveInput{TableName: r.in.TableName})
		if err != nil {
			return fmt.Errorf("table %s: describe TTL: %w", aws.ToString(r.in.TableName), err)
		}
		if d := out.TimeToLiveDescription; d != nil && aws.ToString(d.AttributeName) == r.ttl &&
			(d.TimeToLiveStatus == types.TimeToLiveStatusEnabled || d.TimeToLiveStatus == types.TimeToLiveStatusEnabling) {
			return nil
		}
		r.change.Action = change.Update
		r.change.Details = append(r.change.Details, "TTL on "+r.ttl)
	}
	r.writes = append(r.writes, func(ctx context.Context) error {
		if err := s.waitTableActive(ctx, aws.ToString(r.in.TableName)); err != nil {
			return err
		}
		_, err := s.cl.dynamo.UpdateTimeToLive(ctx, &dynamodb.UpdateTimeToLiveInput{TableName: r.in.TableName,
			TimeToLiveSpecification: &types.TimeToLiveSpecification{AttributeName: aws.String(r.ttl), Enabled: aws.Bool(true)}})
		if err != nil {
			return fmt.Errorf("table %s: enable TTL on %s: %w", aws.ToString(r.in.TableName), r.ttl, err)
		}
		return nil
	})
	return nil
}

// waitTableActive waits until the table and its indexes are ACTIVE.
func (s *Stack) waitTableActive(ctx context.Context, name string) error {
	return poll.Until(ctx, "table "+name+" active", s.delays(), func(ctx context.Context) (bool, error) {
		d, err := s.describeTable(ctx, name)
		if err != nil || d == nil || d.TableStatus != types.TableStatusActive {
			return false, err
		}
		return !slices.ContainsFunc(d.GlobalSecondaryIndexes, func(g types.GlobalSecondaryIndexDescription) bool {
			return g.IndexStatus != "" && g.IndexStatus != types.IndexStatusActive
		}), nil
	})
}

func (s *Stack) delays() poll.Delays { return poll.Delays{Min: s.o.MinDelay, Max: s.o.MaxDelay} }

func (s *Stack) planTable(ctx context.Context, spec Spec, o *Outputs) (*change.Plan, error) {
	if spec.Table == nil {
		return nil, nil
	}
	o.TableARN = resource.ARNIn(o.Partition, "dynamodb", o.Region, o.Account, "table/"+spec.Table.Name)
	r, err := s.observeTable(ctx, spec)
	if err != nil {
		return nil, err
	}
	return &change.Plan{Component: "table", Offline: s.o.Offline, Changes: []change.Change{r.change}}, nil
}

// ensureTable makes the table match, and waits until it is ACTIVE: the
// containers use it at once.
func (s *Stack) ensureTable(ctx context.Context, spec Spec, o *Outputs) ([]change.Change, error) {
	if spec.Table == nil {
		return nil, nil
	}
	o.TableARN = resource.ARNIn(o.Partition, "dynamodb", o.Region, o.Account, "table/"+spec.Table.Name)
	r, err := s.observeTable(ctx, spec)
	if err != nil {
		return nil, err
	}
	for _, w := range r.writes {
		if err := w(ctx); err != nil {
			return nil, err
		}
	}
	if len(r.writes) > 0 || r.desc.TableStatus != types.TableStatusActive {
		if err := s.waitTableActive(ctx, spec.Table.Name); err != nil {
			return nil, err
		}
	}
	if len(r.writes) == 0 {
		return nil, nil
	}
	if r.change.ID == "" {
		r.change.ID = o.TableARN
	}
	s.changed(r.change)
	return []change.Change{r.change}, nil
}

// deleteTable deletes the tables tagged as the stack's, and their data,
// waiting until each is gone.
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
		_, err := s.cl.dynamo.DeleteTable(ctx, &dynamodb.DeleteTableInput{TableName: aws.String(name)})
		switch {
		case awserr.Is(err, "ResourceNotFoundException"):
			continue
		case err != nil:
			return done, fmt.Errorf("delete table %s: %w", name, err)
		}
		if err := poll.Until(ctx, "table "+name+" deleted", s.delays(), func(ctx context.Context) (bool, error) {
			d, err := s.describeTable(ctx, name)
			return d == nil, err
		}); err != nil {
			return done, err
		}
		c := change.Change{Action: change.Delete, Kind: "dynamodb table", Name: name, ID: arn, Details: []string{"with all its data"}}
		s.changed(c)
		done = append(done, c)
	}
	return done, nil
}

// tableItemActions are what UsesTable grants: the items, never the table.
func tableItemActions() []string {
	return []string{"dynamodb:BatchGetItem", "dynamodb:BatchWriteItem", "dynamodb:ConditionCheckItem", "dynamodb:DeleteItem",
		"dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Query", "dynamodb:Scan", "dynamodb:UpdateItem"}
}

// tableResources are the table and its indexes.
func tableResources(arn string) []string { return []string{arn, arn + "/index/*"} }
