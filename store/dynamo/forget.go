package dynamo

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// deleteAlertsOf deletes every alert item of a subscriber (gsi1
// ALERTS#id), 25 a call. The index is eventually consistent: an alert
// claimed a moment before may be missed, and a later DeleteSubscriber of
// the same id deletes it.
func (s *Store) deleteAlertsOf(ctx context.Context, id string) error {
	in := gsiEq(gsi1, "ALERTS#"+id)
	in.ProjectionExpression = aws.String("#p, #s")
	in.ExpressionAttributeNames["#p"], in.ExpressionAttributeNames["#s"] = attrPK, attrSK
	var keys []item
	err := s.query(ctx, in, func(it item) error {
		keys = append(keys, key(getS(it, attrPK), getS(it, attrSK)))
		return nil
	})
	if err != nil {
		return err
	}
	return s.batchDelete(ctx, keys)
}

// batchDelete deletes items by key, 25 a call, retrying what DynamoDB
// leaves unprocessed.
func (s *Store) batchDelete(ctx context.Context, keys []item) error {
	reqs := make([]types.WriteRequest, len(keys))
	for i, k := range keys {
		reqs[i] = types.WriteRequest{DeleteRequest: &types.DeleteRequest{Key: k}}
	}
	return s.batchWrite(ctx, reqs)
}
