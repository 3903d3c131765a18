package dynamo

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/manga-alert-italia/mangaalert/store"
	"github.com/manga-alert-italia/mangaalert/store/internal/check"
)

// Telegram (issue 17): a subscriber with a linked chat carries gsi2
// CHAT#<chat id>; a link token is an item TGLINK#<hash> with a TTL.

const typeLinkToken = "tglink"

func chatPK(chat int64) string { return "CHAT#" + strconv.FormatInt(chat, 10) }

func linkTokenKey(hash string) item { return key("TGLINK#"+hash, "TGLINK") }

// SubscriberByChat queries gsi2 CHAT#chat.
func (s *Store) SubscriberByChat(ctx context.Context, chat int64) (store.Subscriber, error) {
	if chat == 0 {
		return store.Subscriber{}, fmt.Errorf("subscriber by chat: %w", store.ErrNotFound)
	}
	return s.subscriberOn(ctx, gsiEq(gsi2, chatPK(chat)), "subscriber by chat",
		func(sub store.Subscriber) bool { return sub.TelegramChatID == chat })
}

// PutLinkToken writes the token's item if its key is free.
func (s *Store) PutLinkToken(ctx context.Context, t store.LinkToken) error {
	if err := check.ID("link token hash", t.Hash); err != nil {
		return fmt.Errorf("put link token: %w", err)
	}
	if err := check.ID("subscriber id", t.SubscriberID); err != nil {
		return fmt.Errorf("put link token: %w", err)
	}
	if t.ExpiresAt.IsZero() {
		return fmt.Errorf("put link token: ExpiresAt is required: a link token must expire")
	}
	it := linkTokenKey(t.Hash)
	it[attrType] = str(typeLinkToken)
	it["sub"] = str(t.SubscriberID)
	setExpiry(it, t.ExpiresAt)
	_, err := s.api.PutItem(ctx, &dynamodb.PutItemInput{TableName: &s.table, Item: it,
		ConditionExpression: aws.String("attribute_not_exists(pk)")})
	if conditionFailed(err) {
		err = store.ErrExists
	}
	return s.fail(err, "put link token")
}

// TakeLinkToken deletes the token's item and reads it from the delete's
// answer (ReturnValues ALL_OLD): one request, and of two concurrent takes
// only one gets the old item back.
func (s *Store) TakeLinkToken(ctx context.Context, hash string, now time.Time) (store.LinkToken, error) {
	if hash == "" {
		return store.LinkToken{}, fmt.Errorf("take link token: %w", store.ErrNotFound)
	}
	out, err := s.api.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: &s.table, Key: linkTokenKey(hash),
		ReturnValues: types.ReturnValueAllOld})
	if err != nil {
		return store.LinkToken{}, s.fail(err, "take link token")
	}
	if len(out.Attributes) == 0 {
		return store.LinkToken{}, fmt.Errorf("take link token: %w", store.ErrNotFound)
	}
	d := decoding{it: out.Attributes}
	t := store.LinkToken{Hash: hash, SubscriberID: d.s("sub"), ExpiresAt: d.time(attrExp)}
	if d.err != nil {
		return store.LinkToken{}, fmt.Errorf("take link token: %w", d.err)
	}
	if check.Expired(t.ExpiresAt, now) {
		return store.LinkToken{}, fmt.Errorf("take link token: expired: %w", store.ErrNotFound)
	}
	return t, nil
}
