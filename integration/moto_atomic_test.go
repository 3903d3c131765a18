package integration_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/manga-alert-italia/mangaalert/integration"
)

// TestConditionalWritesAreAtomic holds the emulator to what DynamoDB
// promises and the stores' budgets and claims rely on: a conditional
// write is checked and applied as one step, however many callers race.
// moto's threaded server checks and writes without a lock, so under load
// two racing increments could both pass "n < max" (a mail budget spent
// twice, in TestThreeReplicas) or a half-applied write answer HTTP 500;
// the harness serialises moto's requests to make that impossible.
func TestConditionalWritesAreAtomic(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	cfg := integration.Config(t, integration.DynamoDB)
	db := dynamodb.NewFromConfig(cfg)
	_, err := db.CreateTable(ctx, &dynamodb.CreateTableInput{
		TableName:            aws.String("atomic"),
		BillingMode:          types.BillingModePayPerRequest,
		AttributeDefinitions: []types.AttributeDefinition{{AttributeName: aws.String("pk"), AttributeType: types.ScalarAttributeTypeS}},
		KeySchema:            []types.KeySchemaElement{{AttributeName: aws.String("pk"), KeyType: types.KeyTypeHash}},
	})
	require.NoError(t, err)

	const budget, callers, rounds = 5, 16, 8
	for round := range rounds {
		key := map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: string(rune('a' + round))}}
		var granted, refused atomic.Int32
		var wg sync.WaitGroup
		for range callers {
			wg.Go(func() {
				_, err := db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
					TableName:           aws.String("atomic"),
					Key:                 key,
					UpdateExpression:    aws.String("ADD n :one"),
					ConditionExpression: aws.String("attribute_not_exists(n) OR n < :max"),
					ExpressionAttributeValues: map[string]types.AttributeValue{
						":one": &types.AttributeValueMemberN{Value: "1"},
						":max": &types.AttributeValueMemberN{Value: "5"},
					},
				})
				var failed *types.ConditionalCheckFailedException
				switch {
				case err == nil:
					granted.Add(1)
				case errors.As(err, &failed):
					refused.Add(1)
				default:
					t.Errorf("round %d: %v", round, err)
				}
			})
		}
		wg.Wait()
		got, err := db.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String("atomic"), Key: key, ConsistentRead: aws.Bool(true)})
		require.NoError(t, err)
		assert.EqualValues(t, budget, granted.Load(), "round %d: %d callers raced for a budget of %d", round, callers, budget)
		assert.EqualValues(t, callers-budget, refused.Load(), "round %d", round)
		assert.Equal(t, &types.AttributeValueMemberN{Value: "5"}, got.Item["n"], "round %d: the counter", round)
	}
}
