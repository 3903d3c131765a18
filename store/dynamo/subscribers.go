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

	"github.com/manga-alert-italia/mangaalert/store"
	"github.com/manga-alert-italia/mangaalert/store/internal/check"
)

// freeCondition lets a write take a key that is absent or whose record
// expired (TTL deletes expired items only some time later).
const freeCondition = "attribute_not_exists(pk) OR exp <= :now"

// CreateSubscriber writes the subscriber and its email item in one
// transaction, each conditioned on its key being free: ErrExists when the
// id or the email belongs to a live subscriber.
func (s *Store) CreateSubscriber(ctx context.Context, sub store.Subscriber) error {
	sub, err := check.Subscriber(sub)
	if err != nil {
		return fmt.Errorf("create %w", err)
	}
	now := item{":now": str(fmtTime(s.now()))}
	_, err = s.api.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
		{Put: &types.Put{TableName: &s.table, Item: subItem(sub),
			ConditionExpression: aws.String(freeCondition), ExpressionAttributeValues: now}},
		{Put: &types.Put{TableName: &s.table, Item: emailItem(sub),
			ConditionExpression: aws.String(freeCondition), ExpressionAttributeValues: now}},
	}})
	if reasons := cancelled(err); reasons != nil {
		switch {
		case reasons[0] == "ConditionalCheckFailed":
			return fmt.Errorf("create subscriber %s: id taken: %w", sub.ID, store.ErrExists)
		case len(reasons) > 1 && reasons[1] == "ConditionalCheckFailed":
			return fmt.Errorf("create subscriber %s: email taken: %w", sub.ID, store.ErrExists)
		}
	}
	return s.fail(err, "create subscriber %s", sub.ID)
}

// liveSub reads a subscriber; an expired sign-up is not found.
func (s *Store) liveSub(ctx context.Context, id string) (store.Subscriber, error) {
	it, err := s.get(ctx, subKey(id))
	if err != nil {
		return store.Subscriber{}, err
	}
	sub, err := decodeSub(it)
	if err != nil {
		return store.Subscriber{}, err
	}
	if check.Expired(sub.ExpiresAt, s.now()) {
		return store.Subscriber{}, fmt.Errorf("sign-up expired: %w", store.ErrNotFound)
	}
	return sub, nil
}

// Subscriber returns one subscriber.
func (s *Store) Subscriber(ctx context.Context, id string) (store.Subscriber, error) {
	sub, err := s.liveSub(ctx, id)
	return sub, s.fail(err, "subscriber %s", id)
}

// SubscriberByEmail reads the email item, then its subscriber.
func (s *Store) SubscriberByEmail(ctx context.Context, email string) (store.Subscriber, error) {
	email = store.NormalizeEmail(email)
	if email == "" {
		return store.Subscriber{}, fmt.Errorf("subscriber by email: %w", store.ErrNotFound)
	}
	it, err := s.get(ctx, emailKey(email))
	if err != nil {
		return store.Subscriber{}, s.fail(err, "subscriber by email")
	}
	sub, err := s.liveSub(ctx, getS(it, "sub"))
	if err == nil && sub.Email != email {
		err = fmt.Errorf("email item names a subscriber with another address: %w", store.ErrNotFound)
	}
	return sub, s.fail(err, "subscriber by email")
}

// SubscriberByToken queries gsi1 TOKEN#hash.
func (s *Store) SubscriberByToken(ctx context.Context, hash string) (store.Subscriber, error) {
	if hash == "" {
		return store.Subscriber{}, fmt.Errorf("subscriber by token: %w", store.ErrNotFound)
	}
	return s.subscriberOn(ctx, gsiEq(gsi1, "TOKEN#"+hash), "subscriber by token",
		func(sub store.Subscriber) bool { return sub.TokenHash == hash })
}

// subscriberOn returns the first live subscriber q finds that is still
// the one asked for (match): an index lags its table, so an item found
// there may since have changed.
func (s *Store) subscriberOn(ctx context.Context, q *dynamodb.QueryInput, what string, match func(store.Subscriber) bool) (store.Subscriber, error) {
	var found *store.Subscriber
	now := s.now()
	errFound := errors.New("found")
	err := s.query(ctx, q, func(it item) error {
		sub, err := decodeSub(it)
		if err != nil {
			return err
		}
		if !check.Expired(sub.ExpiresAt, now) && match(sub) {
			found = &sub
			return errFound
		}
		return nil
	})
	if found != nil {
		return *found, nil
	}
	if err == nil {
		err = store.ErrNotFound
	}
	return store.Subscriber{}, s.fail(err, what)
}

// UpdateSubscriber replaces the subscriber if its stored UpdatedAt is the
// one given (a conditional put); when the expiry changes (a confirmation)
// the email item's expiry changes with it, in one transaction.
func (s *Store) UpdateSubscriber(ctx context.Context, sub store.Subscriber, now time.Time) (store.Subscriber, error) {
	if _, err := check.Subscriber(sub); err != nil {
		return store.Subscriber{}, fmt.Errorf("update %w", err)
	}
	old, err := s.liveSub(ctx, sub.ID)
	if err != nil {
		return store.Subscriber{}, s.fail(err, "update subscriber %s", sub.ID)
	}
	if !old.UpdatedAt.Equal(sub.UpdatedAt) {
		return store.Subscriber{}, fmt.Errorf("update subscriber %s: stored at %s, given %s: %w",
			sub.ID, fmtTime(old.UpdatedAt), fmtTime(sub.UpdatedAt), store.ErrConflict)
	}
	if store.NormalizeEmail(sub.Email) != old.Email {
		return store.Subscriber{}, fmt.Errorf("update subscriber %s: the email cannot change (delete the subscriber and create another)", sub.ID)
	}
	sub.Email, sub.CreatedAt = old.Email, old.CreatedAt
	sub.UpdatedAt = check.UpdatedAt(old.UpdatedAt, now)

	cond := "attribute_exists(pk) AND upd = :upd"
	vals := item{":upd": str(fmtTime(old.UpdatedAt))}
	if old.UpdatedAt.IsZero() {
		cond, vals = "attribute_exists(pk) AND attribute_not_exists(upd)", nil
	}
	put := &types.Put{TableName: &s.table, Item: subItem(sub), ConditionExpression: &cond, ExpressionAttributeValues: vals}
	if old.ExpiresAt.Equal(sub.ExpiresAt) {
		_, err = s.api.PutItem(ctx, &dynamodb.PutItemInput{TableName: put.TableName, Item: put.Item,
			ConditionExpression: put.ConditionExpression, ExpressionAttributeValues: put.ExpressionAttributeValues})
		if conditionFailed(err) {
			err = store.ErrConflict
		}
		return sub, s.fail(err, "update subscriber %s", sub.ID)
	}
	_, err = s.api.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
		{Put: put},
		{Put: &types.Put{TableName: &s.table, Item: emailItem(sub),
			ConditionExpression: aws.String("#sub = :id"), ExpressionAttributeNames: map[string]string{"#sub": "sub"},
			ExpressionAttributeValues: item{":id": str(sub.ID)}}},
	}})
	if reasons := cancelled(err); reasons != nil && slices.Contains(reasons, "ConditionalCheckFailed") {
		err = fmt.Errorf("%w (%v)", store.ErrConflict, reasons)
	}
	if err != nil {
		return store.Subscriber{}, s.fail(err, "update subscriber %s", sub.ID)
	}
	return sub, nil
}

// DeleteSubscriber deletes the subscriber's alert history, then its
// follows, then the subscriber and its email item in one transaction; a
// subscriber with more follows than one transaction holds has the rest
// deleted first, in transactions of their own. The subscriber record goes
// last: a failure midway leaves a reader who still exists, with less of
// their data, whom a second call finishes deleting. Alerts of an id with
// no subscriber record are deleted too (written by a version that claimed
// without checking the reader, or by hand).
func (s *Store) DeleteSubscriber(ctx context.Context, id string) error {
	if err := check.ID("subscriber id", id); err != nil {
		return fmt.Errorf("delete subscriber: %w", err)
	}
	if err := s.deleteAlertsOf(ctx, id); err != nil {
		return s.fail(err, "delete subscriber %s: alerts", id)
	}
	it, err := s.get(ctx, subKey(id))
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil {
		return s.fail(err, "delete subscriber %s", id)
	}
	sub, err := decodeSub(it)
	if err != nil {
		return err
	}
	var deletes []types.TransactWriteItem
	err = s.query(ctx, &dynamodb.QueryInput{
		KeyConditionExpression:    aws.String("pk = :pk AND begins_with(sk, :f)"),
		ExpressionAttributeValues: item{":pk": str("SUB#" + id), ":f": str("FOLLOW#")},
		ProjectionExpression:      aws.String("pk, sk"),
	}, func(it item) error {
		deletes = append(deletes, types.TransactWriteItem{Delete: &types.Delete{TableName: &s.table,
			Key: key(getS(it, attrPK), getS(it, attrSK))}})
		return nil
	})
	if err != nil {
		return s.fail(err, "delete subscriber %s: follows", id)
	}
	// The last transaction holds the subscriber and its email item.
	last := []types.TransactWriteItem{{Delete: &types.Delete{TableName: &s.table, Key: subKey(id)}}}
	email, err := s.get(ctx, emailKey(sub.Email))
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return s.fail(err, "delete subscriber %s: email", id)
	}
	if err == nil && getS(email, "sub") == id {
		last = append(last, types.TransactWriteItem{Delete: &types.Delete{TableName: &s.table, Key: emailKey(sub.Email),
			ConditionExpression: aws.String("#sub = :id"), ExpressionAttributeNames: map[string]string{"#sub": "sub"},
			ExpressionAttributeValues: item{":id": str(id)}}})
	}
	const maxItems = 100 // TransactWriteItems holds at most 100 items
	for len(deletes)+len(last) > maxItems {
		n := min(maxItems, len(deletes)+len(last)-maxItems)
		if err := s.transact(ctx, deletes[:n]); err != nil {
			return s.fail(err, "delete subscriber %s: follows", id)
		}
		deletes = deletes[n:]
	}
	if err := s.transact(ctx, append(deletes, last...)); err != nil {
		if reasons := cancelled(err); reasons != nil {
			err = fmt.Errorf("%w (the subscriber changed meanwhile: %v)", store.ErrConflict, reasons)
		}
		return s.fail(err, "delete subscriber %s", id)
	}
	return nil
}

func (s *Store) transact(ctx context.Context, items []types.TransactWriteItem) error {
	_, err := s.api.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: items})
	return err
}
