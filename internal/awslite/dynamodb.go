package awslite

import (
	"context"
	"crypto/rand"
	"net/http"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// DynamoDB makes the item calls of store/dynamo (JSON 1.0): GetItem,
// PutItem, UpdateItem, DeleteItem, Query, Scan, BatchGetItem,
// BatchWriteItem and TransactWriteItems. The table calls (EnsureTable)
// stay with the SDK client in the deploy tool.
type DynamoDB struct{ c client }

// NewDynamoDB returns the DynamoDB item calls on cfg.
func NewDynamoDB(cfg Config) *DynamoDB {
	return &DynamoDB{c: newClient(cfg, "dynamodb", "dynamodb")}
}

// dynamoCall sends in as operation op and decodes the answer into a new
// O. The two conditional failures come back as the SDK's typed errors.
func dynamoCall[O any](ctx context.Context, d *DynamoDB, op string, in any, optFns []func(*dynamodb.Options)) (*O, error) {
	body, err := encode(in)
	if err != nil {
		return nil, err
	}
	attempts := attemptsOf(&dynamodb.Options{}, optFns, func(o *dynamodb.Options) int { return o.RetryMaxAttempts })
	ans, err := d.c.call(ctx, request{op: op, method: http.MethodPost, path: "/", target: "DynamoDB_20120810." + op,
		contentType: "application/x-amz-json-1.0", body: body, attempts: attempts}, dynamoError)
	if err != nil {
		return nil, err
	}
	out := new(O)
	return out, decode(ans, out)
}

// dynamoError returns the SDK's type for the errors the store inspects
// beyond their code, or nil for the others.
func dynamoError(ae *APIError, body []byte) error {
	switch ae.Code {
	case "ConditionalCheckFailedException":
		e := &types.ConditionalCheckFailedException{}
		if decode(body, e) != nil {
			return nil
		}
		e.Message = &ae.Message
		return e
	case "TransactionCanceledException":
		e := &types.TransactionCanceledException{}
		if decode(body, e) != nil {
			return nil
		}
		e.Message = &ae.Message
		return e
	}
	return nil
}

func (d *DynamoDB) GetItem(ctx context.Context, in *dynamodb.GetItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error) {
	return dynamoCall[dynamodb.GetItemOutput](ctx, d, "GetItem", in, optFns)
}

func (d *DynamoDB) PutItem(ctx context.Context, in *dynamodb.PutItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error) {
	return dynamoCall[dynamodb.PutItemOutput](ctx, d, "PutItem", in, optFns)
}

func (d *DynamoDB) UpdateItem(ctx context.Context, in *dynamodb.UpdateItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error) {
	return dynamoCall[dynamodb.UpdateItemOutput](ctx, d, "UpdateItem", in, optFns)
}

func (d *DynamoDB) DeleteItem(ctx context.Context, in *dynamodb.DeleteItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.DeleteItemOutput, error) {
	return dynamoCall[dynamodb.DeleteItemOutput](ctx, d, "DeleteItem", in, optFns)
}

func (d *DynamoDB) Query(ctx context.Context, in *dynamodb.QueryInput, optFns ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error) {
	return dynamoCall[dynamodb.QueryOutput](ctx, d, "Query", in, optFns)
}

func (d *DynamoDB) Scan(ctx context.Context, in *dynamodb.ScanInput, optFns ...func(*dynamodb.Options)) (*dynamodb.ScanOutput, error) {
	return dynamoCall[dynamodb.ScanOutput](ctx, d, "Scan", in, optFns)
}

func (d *DynamoDB) BatchGetItem(ctx context.Context, in *dynamodb.BatchGetItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.BatchGetItemOutput, error) {
	return dynamoCall[dynamodb.BatchGetItemOutput](ctx, d, "BatchGetItem", in, optFns)
}

func (d *DynamoDB) BatchWriteItem(ctx context.Context, in *dynamodb.BatchWriteItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.BatchWriteItemOutput, error) {
	return dynamoCall[dynamodb.BatchWriteItemOutput](ctx, d, "BatchWriteItem", in, optFns)
}

// TransactWriteItems fills ClientRequestToken when the caller left it
// empty, as the SDK does: a transaction retried after a lost answer is
// then applied once.
func (d *DynamoDB) TransactWriteItems(ctx context.Context, in *dynamodb.TransactWriteItemsInput, optFns ...func(*dynamodb.Options)) (*dynamodb.TransactWriteItemsOutput, error) {
	if in != nil && in.ClientRequestToken == nil {
		c := *in
		c.ClientRequestToken = aws.String(rand.Text())
		in = &c
	}
	return dynamoCall[dynamodb.TransactWriteItemsOutput](ctx, d, "TransactWriteItems", in, optFns)
}
