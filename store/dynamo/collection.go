package dynamo

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/manga-alert-italia/mangaalert/store"
)

// A follow's collection lives on the follow item (the followers index
// projects every attribute, so FollowersOf reads it with the follow):
// "upto" OwnedUpTo, "own" Owned as a list of numbers, "rem" Reminders;
// each left out when zero, so items written before read as none.

func setFollowCollection(it item, f store.Follow) {
	setN(it, "upto", int64(f.OwnedUpTo))
	setN(it, "rem", int64(f.Reminders))
	if len(f.Owned) > 0 {
		l := make([]types.AttributeValue, len(f.Owned))
		for i, n := range f.Owned {
			l[i] = num(int64(n))
		}
		it["own"] = &types.AttributeValueMemberL{Value: l}
	}
}

func (d *decoding) ints(name string) []int {
	l, ok := d.it[name].(*types.AttributeValueMemberL)
	if !ok || len(l.Value) == 0 {
		return nil
	}
	out := make([]int, 0, len(l.Value))
	for _, av := range l.Value {
		v, ok := av.(*types.AttributeValueMemberN)
		if !ok {
			d.bad(name, av)
			return nil
		}
		n, err := strconv.Atoi(v.Value)
		if err != nil {
			d.bad(name, av)
			return nil
		}
		out = append(out, n)
	}
	return out
}

// UpdateFollow sets (or removes, when zero) the collection attributes of
// the follow item, conditioned on its existing: ErrNotFound otherwise.
func (s *Store) UpdateFollow(ctx context.Context, f store.Follow) error {
	if err := followIDs(f.SubscriberID, f.SeriesID); err != nil {
		return err
	}
	owned, err := store.CleanOwned(f.OwnedUpTo, f.Owned)
	if err != nil {
		return fmt.Errorf("update follow %s -> %s: %w", f.SubscriberID, f.SeriesID, err)
	}
	f.Owned = owned
	it := item{}
	setFollowCollection(it, f)
	var set, remove []string
	vals := item{}
	for _, name := range []string{"upto", "rem", "own"} {
		if v, ok := it[name]; ok {
			set = append(set, name+" = :"+name)
			vals[":"+name] = v
		} else {
			remove = append(remove, name)
		}
	}
	expr := ""
	if len(set) > 0 {
		expr = "SET " + strings.Join(set, ", ")
	}
	if len(remove) > 0 {
		expr += " REMOVE " + strings.Join(remove, ", ")
	}
	in := &dynamodb.UpdateItemInput{TableName: &s.table, Key: followKey(f.SubscriberID, f.SeriesID),
		UpdateExpression: aws.String(expr), ConditionExpression: aws.String("attribute_exists(pk)")}
	if len(vals) > 0 {
		in.ExpressionAttributeValues = vals
	}
	_, err = s.api.UpdateItem(ctx, in)
	if conditionFailed(err) {
		err = store.ErrNotFound
	}
	return s.fail(err, "update follow %s -> %s", f.SubscriberID, f.SeriesID)
}
