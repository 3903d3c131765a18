package dynamo

import (
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// TTLAttribute is the attribute whose epoch seconds expire an item.
const TTLAttribute = attrTTL

// TableDefinition is the table this store needs, as CreateTable takes it:
// string keys pk and sk, indexes gsi1 and gsi2 projecting every
// attribute, on-demand billing. Whoever makes the table (EnsureTable, the
// stack package) starts from it, and turns TTL on for TTLAttribute.
func TableDefinition(name string) *dynamodb.CreateTableInput {
	in := &dynamodb.CreateTableInput{
		TableName:            aws.String(name),
		AttributeDefinitions: attributes,
		KeySchema:            keySchema(attrPK, attrSK),
		BillingMode:          types.BillingModePayPerRequest,
	}
	for _, ix := range indexes {
		in.GlobalSecondaryIndexes = append(in.GlobalSecondaryIndexes, index(ix))
	}
	return in
}
