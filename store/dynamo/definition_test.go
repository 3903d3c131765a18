package dynamo_test

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/manga-alert-italia/mangaalert/integration"
	"github.com/manga-alert-italia/mangaalert/store/dynamo"
)

// A table made from TableDefinition, with TTL on TTLAttribute, as the
// stack package makes it, is the table the store wants: EnsureTable
// finds nothing to change.
func TestTableDefinitionIsWhatEnsureTableWants(t *testing.T) {
	t.Parallel()
	cfg := integration.Config(t, integration.DynamoDB)
	calls := integration.Record(&cfg)
	client := dynamodb.NewFromConfig(cfg)
	ctx := context.Background()

	_, err := client.CreateTable(ctx, dynamo.TableDefinition(table))
	require.NoError(t, err)
	_, err = client.UpdateTimeToLive(ctx, &dynamodb.UpdateTimeToLiveInput{TableName: aws.String(table),
		TimeToLiveSpecification: &types.TimeToLiveSpecification{AttributeName: aws.String(dynamo.TTLAttribute), Enabled: aws.Bool(true)}})
	require.NoError(t, err)

	calls.Reset()
	require.NoError(t, dynamo.EnsureTable(ctx, client, table))
	assert.Empty(t, calls.Mutating())
}
