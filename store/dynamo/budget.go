package dynamo

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/manga-alert-italia/mangaalert/store"
	"github.com/manga-alert-italia/mangaalert/store/internal/check"
)

// A budget is one item, BUDGET#<key>, holding its events in the window as
// a list of "<time>|<id>" strings and a version number: TakeBudget reads
// it, decides (check.Take) and writes it back on the condition that the
// version did not move. The event id makes the write safe to resend: when
// the SDK retries a put whose answer was lost, the condition fails, the
// next round reads the event already there and counts it once. The item
// carries a TTL at the end of its newest event's window, so an idle
// budget goes away by itself.

func budgetKey(k string) item { return key("BUDGET#"+k, "BUDGET") }

func catalogVersionKey() item { return key("META#CATALOG", "VERSION") }

// budgetAttempts bounds the rounds of one TakeBudget when other processes
// keep writing the same budget.
const budgetAttempts = 16

// TakeBudget records one event under key if the sliding window has room
// (see store.Budgets), with a conditional write shared by every process.
func (s *Store) TakeBudget(ctx context.Context, key, id string, limit int, window time.Duration, now time.Time) (bool, error) {
	if err := check.Budget(key, id, limit, window); err != nil {
		return false, err
	}
	for i := range budgetAttempts {
		ok, done, err := s.takeBudgetOnce(ctx, key, id, limit, window, now)
		if done || err != nil {
			return ok, err
		}
		// Another process wrote first: wait a little, more each round and
		// at random, so contending replicas stop meeting.
		if err := sleep(ctx, time.Duration(1+rand.IntN(5*(i+1)))*time.Millisecond); err != nil {
			return false, err
		}
	}
	return false, fmt.Errorf("take budget %s: %w", key, store.ErrConflict)
}

func (s *Store) takeBudgetOnce(ctx context.Context, key, id string, limit int, window time.Duration, now time.Time) (ok, done bool, err error) {
	var events []check.Event
	var ver int64
	it, err := s.get(ctx, budgetKey(key))
	switch {
	case err == nil:
		d := decoding{it: it}
		ver = d.n("v")
		if d.err != nil {
			return false, false, d.err
		}
		if events, err = decodeEvents(it); err != nil {
			return false, false, fmt.Errorf("take budget %s: %w", key, err)
		}
	case !errors.Is(err, store.ErrNotFound):
		return false, false, s.fail(err, "take budget %s", key)
	}
	kept, ok, write := check.Take(events, id, limit, window, now)
	if !write {
		return ok, true, nil
	}
	out := budgetKey(key)
	out[attrType] = str(typeMeta)
	out["v"] = num(ver + 1)
	list := make([]types.AttributeValue, len(kept))
	var last time.Time
	for i, e := range kept {
		list[i] = str(fmtTime(e.At) + "|" + e.ID)
		if e.At.After(last) {
			last = e.At
		}
	}
	if len(list) > 0 {
		out["ev"] = &types.AttributeValueMemberL{Value: list}
	}
	setExpiry(out, last.Add(window))
	in := &dynamodb.PutItemInput{TableName: &s.table, Item: out,
		ConditionExpression: aws.String("attribute_not_exists(pk)")}
	if ver > 0 {
		in.ConditionExpression = aws.String("v = :v")
		in.ExpressionAttributeValues = item{":v": num(ver)}
	}
	_, err = s.api.PutItem(ctx, in)
	if conditionFailed(err) {
		return false, false, nil // another process wrote it first: read again
	}
	if err != nil {
		return false, false, s.fail(err, "take budget %s", key)
	}
	return ok, true, nil
}

func decodeEvents(it item) ([]check.Event, error) {
	av, ok := it["ev"]
	if !ok {
		return nil, nil
	}
	l, ok := av.(*types.AttributeValueMemberL)
	if !ok {
		return nil, errors.New("attribute ev is not a list")
	}
	out := make([]check.Event, 0, len(l.Value))
	for _, v := range l.Value {
		sv, ok := v.(*types.AttributeValueMemberS)
		if !ok {
			return nil, errors.New("an event of ev is not a string")
		}
		at, id, found := strings.Cut(sv.Value, "|")
		t, err := time.Parse(timeLayout, at)
		if !found || err != nil {
			return nil, fmt.Errorf("event %q: want <time>|<id>", sv.Value)
		}
		out = append(out, check.Event{At: t, ID: id})
	}
	return out, nil
}

// CatalogVersion returns the catalogue's version (see
// store.CatalogVersioner): one strongly consistent read of a small item.
func (s *Store) CatalogVersion(ctx context.Context) (uint64, error) {
	it, err := s.get(ctx, catalogVersionKey())
	if errors.Is(err, store.ErrNotFound) {
		return 0, nil
	}
	if err != nil {
		return 0, s.fail(err, "catalog version")
	}
	n, ok := it["v"].(*types.AttributeValueMemberN)
	if !ok {
		return 0, fmt.Errorf("catalog version: attribute v is not a number")
	}
	v, err := strconv.ParseUint(n.Value, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("catalog version: %w", err)
	}
	return v, nil
}

// bumpCatalog moves the catalogue's version after a write that changed
// the catalogue. It comes after the write, so a reader who sees the new
// version reads the new catalogue; a process dying between the two leaves
// caches at most their TTL old.
func (s *Store) bumpCatalog(ctx context.Context) error {
	_, err := s.api.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: &s.table, Key: catalogVersionKey(),
		UpdateExpression:          aws.String("ADD #v :one SET #t = :t"),
		ExpressionAttributeNames:  map[string]string{"#v": "v", "#t": attrType},
		ExpressionAttributeValues: item{":one": num(1), ":t": str(typeMeta)},
	})
	return s.fail(err, "bump catalog version")
}
