package dynamo

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/manga-alert-italia/mangaalert/store"
	"github.com/manga-alert-italia/mangaalert/store/internal/check"
)

// GetBlob returns a blob; ErrNotFound when absent.
func (s *Store) GetBlob(ctx context.Context, key string) ([]byte, error) {
	it, err := s.get(ctx, blobKey(key))
	if err != nil {
		return nil, s.fail(err, "blob %s", key)
	}
	if b, ok := it["v"].(*types.AttributeValueMemberB); ok {
		return b.Value, nil
	}
	return []byte{}, nil
}

// PutBlob stores a blob of at most check.MaxBlob bytes.
func (s *Store) PutBlob(ctx context.Context, key string, value []byte) error {
	if err := check.Blob(key, value); err != nil {
		return fmt.Errorf("put blob: %w", err)
	}
	it := blobKey(key)
	it[attrType] = str(typeBlob)
	if len(value) > 0 { // DynamoDB refuses empty binary values
		it["v"] = &types.AttributeValueMemberB{Value: value}
	}
	_, err := s.api.PutItem(ctx, &dynamodb.PutItemInput{TableName: &s.table, Item: it})
	return s.fail(err, "put blob %s", key)
}

// DeleteBlob removes a blob; nil when absent.
func (s *Store) DeleteBlob(ctx context.Context, key string) error {
	_, err := s.api.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: &s.table, Key: blobKey(key)})
	return s.fail(err, "delete blob %s", key)
}

// Counts scans the table once, reading only the record type and the two
// status attributes of each item.
func (s *Store) Counts(ctx context.Context) (store.Counts, error) {
	c := store.Counts{Subscribers: map[store.Status]int{}, Alerts: map[store.AlertState]int{}}
	now := s.now()
	err := s.scan(ctx, &dynamodb.ScanInput{
		ProjectionExpression:     aws.String("#t, st, #exp"),
		ExpressionAttributeNames: map[string]string{"#t": attrType, "#exp": attrExp},
		ConsistentRead:           aws.Bool(true),
	}, func(it item) error {
		d := decoding{it: it}
		switch d.s(attrType) {
		case typeSeries:
			c.Series++
		case typeVolume:
			c.Volumes++
		case typeFollow:
			c.Follows++
		case typeSub:
			if !check.Expired(d.time(attrExp), now) {
				c.Subscribers[store.Status(d.s("st"))]++
			}
		case typeAlert:
			c.Alerts[store.AlertState(d.s("st"))]++
		}
		return d.err
	})
	if err != nil {
		return store.Counts{}, s.fail(err, "count")
	}
	return c, nil
}
