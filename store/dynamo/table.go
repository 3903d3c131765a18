package dynamo

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/manga-alert-italia/mangaalert/internal/awserr"
	"github.com/manga-alert-italia/mangaalert/internal/poll"
)

// TableAPI is the part of the DynamoDB client EnsureTable and DeleteTable
// use.
type TableAPI interface {
	DescribeTable(ctx context.Context, params *dynamodb.DescribeTableInput, optFns ...func(*dynamodb.Options)) (*dynamodb.DescribeTableOutput, error)
	CreateTable(ctx context.Context, params *dynamodb.CreateTableInput, optFns ...func(*dynamodb.Options)) (*dynamodb.CreateTableOutput, error)
	UpdateTable(ctx context.Context, params *dynamodb.UpdateTableInput, optFns ...func(*dynamodb.Options)) (*dynamodb.UpdateTableOutput, error)
	DeleteTable(ctx context.Context, params *dynamodb.DeleteTableInput, optFns ...func(*dynamodb.Options)) (*dynamodb.DeleteTableOutput, error)
	DescribeTimeToLive(ctx context.Context, params *dynamodb.DescribeTimeToLiveInput, optFns ...func(*dynamodb.Options)) (*dynamodb.DescribeTimeToLiveOutput, error)
	UpdateTimeToLive(ctx context.Context, params *dynamodb.UpdateTimeToLiveInput, optFns ...func(*dynamodb.Options)) (*dynamodb.UpdateTimeToLiveOutput, error)
}

// TableOptions tune EnsureTable and DeleteTable; zero fields mean the
// defaults.
type TableOptions struct {
	// MinDelay is the first wait between two looks at a table being
	// created, changed or deleted (default 1 s); each wait doubles up to
	// MaxDelay (default 15 s). Tests pass milliseconds. The context's
	// deadline bounds the whole wait.
	MinDelay time.Duration
	MaxDelay time.Duration
	// Tags are put on a table EnsureTable creates (mangaalert:stack, ...).
	Tags map[string]string
}

func tableOptions(optFns []func(*TableOptions)) TableOptions {
	o := TableOptions{}
	for _, fn := range optFns {
		fn(&o)
	}
	return o
}

func (o TableOptions) delays() poll.Delays { return poll.Delays{Min: o.MinDelay, Max: o.MaxDelay} }

// ErrTableShape means a table of that name exists with keys this store
// cannot use; EnsureTable never deletes data to fix it.
var ErrTableShape = errors.New("dynamo: the table exists with other keys")

var (
	attributes = []types.AttributeDefinition{
		{AttributeName: aws.String(attrPK), AttributeType: types.ScalarAttributeTypeS},
		{AttributeName: aws.String(attrSK), AttributeType: types.ScalarAttributeTypeS},
		{AttributeName: aws.String(attrGSI1PK), AttributeType: types.ScalarAttributeTypeS},
		{AttributeName: aws.String(attrGSI1SK), AttributeType: types.ScalarAttributeTypeS},
		{AttributeName: aws.String(attrGSI2PK), AttributeType: types.ScalarAttributeTypeS},
		{AttributeName: aws.String(attrGSI2SK), AttributeType: types.ScalarAttributeTypeS},
	}
	indexes = []string{gsi1, gsi2}
)

func keySchema(pk, sk string) []types.KeySchemaElement {
	return []types.KeySchemaElement{
		{AttributeName: aws.String(pk), KeyType: types.KeyTypeHash},
		{AttributeName: aws.String(sk), KeyType: types.KeyTypeRange},
	}
}

func index(name string) types.GlobalSecondaryIndex {
	pk, sk := indexKeys(name)
	return types.GlobalSecondaryIndex{IndexName: aws.String(name), KeySchema: keySchema(pk, sk),
		Projection: &types.Projection{ProjectionType: types.ProjectionTypeAll}}
}

// EnsureTable creates the table when it is missing (on-demand billing, the
// two indexes, TTL on the ttl attribute) and waits until it and its
// indexes are ACTIVE; on a table that exists it adds what is missing (an
// index, TTL) and switches provisioned billing to on-demand. A second call
// makes no mutating call.
func EnsureTable(ctx context.Context, client TableAPI, name string, optFns ...func(*TableOptions)) error {
	o := tableOptions(optFns)
	desc, err := describe(ctx, client, name)
	if err != nil {
		return err
	}
	if desc == nil {
		in := TableDefinition(name)
		for _, k := range sortedKeys(o.Tags) {
			in.Tags = append(in.Tags, types.Tag{Key: aws.String(k), Value: aws.String(o.Tags[k])})
		}
		if _, err := client.CreateTable(ctx, in); err != nil && !awserr.Is(err, "ResourceInUseException") {
			return fmt.Errorf("create table %s: %w", name, err)
		}
	} else {
		if err := checkShape(desc); err != nil {
			return fmt.Errorf("table %s: %w", name, err)
		}
		if err := converge(ctx, client, name, desc, o); err != nil {
			return err
		}
	}
	if err := waitActive(ctx, client, name, o); err != nil {
		return err
	}
	return ensureTTL(ctx, client, name)
}

func describe(ctx context.Context, client TableAPI, name string) (*types.TableDescription, error) {
	out, err := client.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(name)})
	if awserr.Is(err, "ResourceNotFoundException") {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("describe table %s: %w", name, err)
	}
	return out.Table, nil
}

func checkShape(d *types.TableDescription) error {
	want := keySchema(attrPK, attrSK)
	if len(d.KeySchema) != len(want) {
		return fmt.Errorf("%w: want pk (hash) and sk (range); delete it or choose another name", ErrTableShape)
	}
	for i, k := range d.KeySchema {
		if aws.ToString(k.AttributeName) != aws.ToString(want[i].AttributeName) || k.KeyType != want[i].KeyType {
			return fmt.Errorf("%w: want pk (hash) and sk (range); delete it or choose another name", ErrTableShape)
		}
	}
	return nil
}

// converge brings an existing table to on-demand billing and adds missing
// indexes, one UpdateTable each (DynamoDB builds one index at a time).
func converge(ctx context.Context, client TableAPI, name string, d *types.TableDescription, o TableOptions) error {
	if !onDemand(d) {
		if err := waitActive(ctx, client, name, o); err != nil {
			return err
		}
		if _, err := client.UpdateTable(ctx, &dynamodb.UpdateTableInput{TableName: aws.String(name),
			BillingMode: types.BillingModePayPerRequest}); err != nil {
			return fmt.Errorf("table %s: switch to on-demand billing: %w", name, err)
		}
	}
	have := map[string]bool{}
	for _, g := range d.GlobalSecondaryIndexes {
		have[aws.ToString(g.IndexName)] = true
	}
	for _, ix := range indexes {
		if have[ix] {
			continue
		}
		if err := waitActive(ctx, client, name, o); err != nil {
			return err
		}
		g := index(ix)
		_, err := client.UpdateTable(ctx, &dynamodb.UpdateTableInput{TableName: aws.String(name),
			AttributeDefinitions: attributes,
			GlobalSecondaryIndexUpdates: []types.GlobalSecondaryIndexUpdate{{Create: &types.CreateGlobalSecondaryIndexAction{
				IndexName: g.IndexName, KeySchema: g.KeySchema, Projection: g.Projection}}},
		})
		if err != nil {
			return fmt.Errorf("table %s: add index %s: %w", name, ix, err)
		}
	}
	return nil
}

// onDemand reads the billing mode; a table never switched from provisioned
// may carry no summary, only provisioned capacity.
func onDemand(d *types.TableDescription) bool {
	if d.BillingModeSummary != nil && d.BillingModeSummary.BillingMode != "" {
		return d.BillingModeSummary.BillingMode == types.BillingModePayPerRequest
	}
	return d.ProvisionedThroughput == nil || aws.ToInt64(d.ProvisionedThroughput.ReadCapacityUnits) == 0
}

func waitActive(ctx context.Context, client TableAPI, name string, o TableOptions) error {
	return poll.Until(ctx, "table "+name+" active", o.delays(), func(ctx context.Context) (bool, error) {
		d, err := describe(ctx, client, name)
		if err != nil || d == nil {
			return false, err
		}
		if d.TableStatus != types.TableStatusActive {
			return false, nil
		}
		for _, g := range d.GlobalSecondaryIndexes {
			if g.IndexStatus != "" && g.IndexStatus != types.IndexStatusActive {
				return false, nil
			}
		}
		return true, nil
	})
}

func ensureTTL(ctx context.Context, client TableAPI, name string) error {
	out, err := client.DescribeTimeToLive(ctx, &dynamodb.DescribeTimeToLiveInput{TableName: aws.String(name)})
	if err != nil {
		return fmt.Errorf("table %s: describe TTL: %w", name, err)
	}
	if d := out.TimeToLiveDescription; d != nil && aws.ToString(d.AttributeName) == attrTTL &&
		(d.TimeToLiveStatus == types.TimeToLiveStatusEnabled || d.TimeToLiveStatus == types.TimeToLiveStatusEnabling) {
		return nil
	}
	_, err = client.UpdateTimeToLive(ctx, &dynamodb.UpdateTimeToLiveInput{TableName: aws.String(name),
		TimeToLiveSpecification: &types.TimeToLiveSpecification{AttributeName: aws.String(attrTTL), Enabled: aws.Bool(true)}})
	if err != nil {
		return fmt.Errorf("table %s: enable TTL on %s: %w", name, attrTTL, err)
	}
	return nil
}

// DeleteTable deletes the table and waits until it is gone; nil when it
// does not exist.
func DeleteTable(ctx context.Context, client TableAPI, name string, optFns ...func(*TableOptions)) error {
	o := tableOptions(optFns)
	_, err := client.DeleteTable(ctx, &dynamodb.DeleteTableInput{TableName: aws.String(name)})
	if awserr.Is(err, "ResourceNotFoundException") {
		return nil
	}
	if err != nil {
		return fmt.Errorf("delete table %s: %w", name, err)
	}
	return poll.Until(ctx, "table "+name+" deleted", o.delays(), func(ctx context.Context) (bool, error) {
		d, err := describe(ctx, client, name)
		return d == nil && err == nil, err
	})
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
