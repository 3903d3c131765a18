package main

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/manga-alert-italia/mangaalert/internal/awserr"
)

// The store step has no package of its own beyond dynamo.EnsureTable and
// DeleteTable; what they leave to the caller is here: the table's tags,
// and never touching a table that carries someone else's.

// tableTags are the tags the table is created with.
func (c Config) tableTags() map[string]string {
	t := map[string]string{tagStack: c.Stack, tagComponent: componentStore}
	for k, v := range c.Tags {
		t[k] = v
	}
	return t
}

// describeTable returns the table, or nil when there is none.
func describeTable(ctx context.Context, db *dynamodb.Client, name string) (*types.TableDescription, error) {
	out, err := db.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(name)})
	switch {
	case awserr.Is(err, "ResourceNotFoundException"):
		return nil, nil
	case err != nil:
		return nil, fmt.Errorf("describe table %s: %w", name, err)
	}
	return out.Table, nil
}

// checkTableOwner refuses a table that is not tagged as this stack's: its
// data belongs to someone else.
func checkTableOwner(ctx context.Context, db *dynamodb.Client, c Config, d *types.TableDescription) error {
	out, err := db.ListTagsOfResource(ctx, &dynamodb.ListTagsOfResourceInput{ResourceArn: d.TableArn})
	if err != nil {
		return fmt.Errorf("read the tags of table %s: %w", c.Table, err)
	}
	for _, t := range out.Tags {
		if aws.ToString(t.Key) == tagStack {
			if v := aws.ToString(t.Value); v != c.Stack {
				return fmt.Errorf("table %s belongs to stack %q, not %q: it is left alone; set table to another name", c.Table, v, c.Stack)
			}
			return nil
		}
	}
	return fmt.Errorf("table %s exists without a %s tag: it is left alone; set table to another name, or tag it %s=%s to adopt it",
		c.Table, tagStack, tagStack, c.Stack)
}
