package dynamo

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/manga-alert-italia/mangaalert/store"
	"github.com/manga-alert-italia/mangaalert/store/internal/check"
)

// Follow puts the follow item unless it exists (attribute_not_exists), so
// the first CreatedAt stays.
func (s *Store) Follow(ctx context.Context, f store.Follow) error {
	if err := followIDs(f.SubscriberID, f.SeriesID); err != nil {
		return err
	}
	if f.CreatedAt.IsZero() {
		f.CreatedAt = s.now()
	}
	owned, err := store.CleanOwned(f.OwnedUpTo, f.Owned)
	if err != nil {
		return fmt.Errorf("follow %s -> %s: %w", f.SubscriberID, f.SeriesID, err)
	}
	f.Owned = owned
	_, err = s.api.PutItem(ctx, &dynamodb.PutItemInput{TableName: &s.table, Item: followItem(f),
		ConditionExpression: aws.String("attribute_not_exists(pk)")})
	if conditionFailed(err) {
		return nil
	}
	return s.fail(err, "follow %s -> %s", f.SubscriberID, f.SeriesID)
}

func followIDs(subscriberID, seriesID string) error {
	if err := check.ID("subscriber id", subscriberID); err != nil {
		return fmt.Errorf("follow: %w", err)
	}
	if err := check.ID("series id", seriesID); err != nil {
		return fmt.Errorf("follow: %w", err)
	}
	return nil
}

// Unfollow deletes the follow item; nil when absent.
func (s *Store) Unfollow(ctx context.Context, subscriberID, seriesID string) error {
	if err := followIDs(subscriberID, seriesID); err != nil {
		return err
	}
	_, err := s.api.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: &s.table, Key: followKey(subscriberID, seriesID)})
	return s.fail(err, "unfollow %s -> %s", subscriberID, seriesID)
}

// FollowsOf queries the subscriber's partition for FOLLOW# items.
func (s *Store) FollowsOf(ctx context.Context, subscriberID string) ([]store.Follow, error) {
	out, err := s.follows(ctx, &dynamodb.QueryInput{
		KeyConditionExpression:    aws.String("pk = :pk AND begins_with(sk, :f)"),
		ExpressionAttributeValues: item{":pk": str("SUB#" + subscriberID), ":f": str("FOLLOW#")},
		ConsistentRead:            aws.Bool(true),
	})
	return out, s.fail(err, "follows of %s", subscriberID)
}

// FollowersOf queries gsi1 FOLLOWERS#series.
func (s *Store) FollowersOf(ctx context.Context, seriesID string) ([]store.Follow, error) {
	out, err := s.follows(ctx, gsiEq(gsi1, "FOLLOWERS#"+seriesID))
	return out, s.fail(err, "followers of %s", seriesID)
}

// FollowedSeries queries gsi2 FOLLOWED, where every follow sorts by series
// then subscriber, for the series ids alone, and reads those series with
// BatchGetItem.
func (s *Store) FollowedSeries(ctx context.Context) ([]store.Series, error) {
	in := gsiEq(gsi2, "FOLLOWED")
	in.ProjectionExpression = aws.String("#series")
	in.ExpressionAttributeNames["#series"] = "series"
	var keys []item
	seen := map[string]bool{}
	err := s.query(ctx, in, func(it item) error {
		if id := getS(it, "series"); !seen[id] {
			keys, seen[id] = append(keys, seriesKey(id)), true
		}
		return nil
	})
	if err != nil {
		return nil, s.fail(err, "followed series")
	}
	items, err := s.batchGet(ctx, keys)
	if err != nil {
		return nil, s.fail(err, "followed series: read %d series", len(keys))
	}
	out := make([]store.Series, 0, len(items))
	for _, it := range items {
		sr, err := decodeSeries(it)
		if err != nil {
			return nil, fmt.Errorf("followed series: %w", err)
		}
		out = append(out, sr)
	}
	slices.SortFunc(out, func(a, b store.Series) int { return strings.Compare(a.ID, b.ID) })
	return out, nil
}

func (s *Store) follows(ctx context.Context, in *dynamodb.QueryInput) ([]store.Follow, error) {
	var out []store.Follow
	err := s.query(ctx, in, func(it item) error {
		f, err := decodeFollow(it)
		out = append(out, f)
		return err
	})
	return out, err
}

// ClaimAlert puts the alert conditioned on attribute_not_exists(pk): of
// any number of concurrent claims of a key, DynamoDB lets exactly one
// through.
func (s *Store) ClaimAlert(ctx context.Context, a store.Alert) error {
	if err := check.AlertKey(a.AlertKey); err != nil {
		return fmt.Errorf("claim alert: %w", err)
	}
	if a.ClaimedAt.IsZero() {
		a.ClaimedAt = s.now()
	}
	a.State, a.UpdatedAt, a.MessageID, a.Error = store.Claimed, a.ClaimedAt, "", ""
	// One transaction with a check that the reader still exists: a claim
	// after their deletion would leave a record of them, and a mail.
	_, err := s.api.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
		{ConditionCheck: &types.ConditionCheck{TableName: &s.table, Key: subKey(a.SubscriberID),
			ConditionExpression: aws.String("attribute_exists(pk)")}},
		{Put: &types.Put{TableName: &s.table, Item: alertItem(a),
			ConditionExpression: aws.String("attribute_not_exists(pk)")}},
	}})
	if reasons := cancelled(err); reasons != nil {
		switch {
		case len(reasons) == 2 && reasons[1] == "ConditionalCheckFailed":
			err = store.ErrClaimed
		case len(reasons) == 2 && reasons[0] == "ConditionalCheckFailed":
			err = fmt.Errorf("subscriber %s: %w", a.SubscriberID, store.ErrNotFound)
		}
	}
	return s.fail(err, "claim alert %s", a.AlertKey)
}

// ResolveAlert updates the alert conditioned on it being Claimed by runID,
// and takes it out of the stale-claims index.
func (s *Store) ResolveAlert(ctx context.Context, k store.AlertKey, runID string, state store.AlertState, messageID, reason string, now time.Time) error {
	if err := check.AlertKey(k); err != nil {
		return fmt.Errorf("resolve alert: %w", err)
	}
	if err := check.Resolution(state); err != nil {
		return err
	}
	set := "SET st = :st, upd = :now"
	remove := " REMOVE gsi2pk, gsi2sk"
	vals := item{":st": str(string(state)), ":now": str(fmtTime(now)), ":claimed": str(string(store.Claimed)), ":run": str(runID)}
	for name, v := range map[string]string{"msg": messageID, "err": reason} {
		if v != "" {
			set += ", " + name + " = :" + name
			vals[":"+name] = str(v)
		} else {
			remove += ", " + name
		}
	}
	_, err := s.api.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: &s.table, Key: alertKey(k),
		UpdateExpression:          aws.String(set + remove),
		ConditionExpression:       aws.String("attribute_exists(pk) AND st = :claimed AND #run = :run"),
		ExpressionAttributeNames:  map[string]string{"#run": "run"},
		ExpressionAttributeValues: vals,
	})
	if conditionFailed(err) {
		err = s.whyNot(ctx, k)
	}
	return s.fail(err, "resolve alert %s", k)
}

// whyNot tells a failed alert condition apart: ErrNotFound when the alert
// does not exist, ErrConflict when it is not as expected.
func (s *Store) whyNot(ctx context.Context, k store.AlertKey) error {
	it, err := s.get(ctx, alertKey(k))
	if err != nil {
		return err
	}
	a, err := decodeAlert(it)
	if err != nil {
		return err
	}
	return fmt.Errorf("%s by run %q at %s: %w", a.State, a.RunID, fmtTime(a.ClaimedAt), store.ErrConflict)
}

// ReclaimAlert hands a Claimed alert claimed before `before` to runID,
// conditioned on both.
func (s *Store) ReclaimAlert(ctx context.Context, k store.AlertKey, runID string, before, now time.Time) error {
	if err := check.AlertKey(k); err != nil {
		return fmt.Errorf("reclaim alert: %w", err)
	}
	a := store.Alert{AlertKey: k, ClaimedAt: now}
	_, err := s.api.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: &s.table, Key: alertKey(k),
		UpdateExpression:         aws.String("SET #run = :run, claimed = :now, upd = :now, gsi2sk = :gsk"),
		ConditionExpression:      aws.String("attribute_exists(pk) AND st = :claimed AND claimed < :before"),
		ExpressionAttributeNames: map[string]string{"#run": "run"},
		ExpressionAttributeValues: item{":run": str(runID), ":now": str(fmtTime(now)), ":gsk": str(claimSK(a)),
			":claimed": str(string(store.Claimed)), ":before": str(fmtTime(before))},
	})
	if conditionFailed(err) {
		err = s.whyNot(ctx, k)
	}
	return s.fail(err, "reclaim alert %s", k)
}

// Alert returns one alert.
func (s *Store) Alert(ctx context.Context, k store.AlertKey) (store.Alert, error) {
	it, err := s.get(ctx, alertKey(k))
	if err != nil {
		return store.Alert{}, s.fail(err, "alert %s", k)
	}
	return decodeAlert(it)
}

// AlertsOfVolume queries the volume's alert partition.
func (s *Store) AlertsOfVolume(ctx context.Context, volumeID string) ([]store.Alert, error) {
	out, err := s.alerts(ctx, &dynamodb.QueryInput{
		KeyConditionExpression:    aws.String("pk = :pk"),
		ExpressionAttributeValues: item{":pk": str("ALERT#" + volumeID)},
		ConsistentRead:            aws.Bool(true),
	}, nil)
	return out, s.fail(err, "alerts of volume %s", volumeID)
}

// AlertsOfSubscriber queries gsi1 ALERTS#subscriber.
func (s *Store) AlertsOfSubscriber(ctx context.Context, subscriberID string) ([]store.Alert, error) {
	out, err := s.alerts(ctx, gsiEq(gsi1, "ALERTS#"+subscriberID), nil)
	return out, s.fail(err, "alerts of subscriber %s", subscriberID)
}

// StaleClaims queries the sparse gsi2 CLAIMED below the time. The index
// lags the table a little, so what it lists is checked again (a claim
// resolved a moment ago is left out).
func (s *Store) StaleClaims(ctx context.Context, before time.Time) ([]store.Alert, error) {
	in := gsiEq(gsi2, "CLAIMED")
	in.KeyConditionExpression = aws.String("#pk = :pk AND #sk < :before")
	in.ExpressionAttributeNames["#sk"] = attrGSI2SK
	in.ExpressionAttributeValues[":before"] = str(fmtTime(before))
	out, err := s.alerts(ctx, in, func(a store.Alert) bool { return a.State == store.Claimed && a.ClaimedAt.Before(before) })
	return out, s.fail(err, "stale claims before %s", fmtTime(before))
}

func (s *Store) alerts(ctx context.Context, in *dynamodb.QueryInput, keep func(store.Alert) bool) ([]store.Alert, error) {
	var out []store.Alert
	err := s.query(ctx, in, func(it item) error {
		a, err := decodeAlert(it)
		if err == nil && (keep == nil || keep(a)) {
			out = append(out, a)
		}
		return err
	})
	return out, err
}

// Page returns what the scraper remembers of a URL.
func (s *Store) Page(ctx context.Context, url string) (store.Page, error) {
	it, err := s.get(ctx, pageKey(url))
	if err != nil {
		return store.Page{}, s.fail(err, "page %s", url)
	}
	return decodePage(it)
}

// PutPage remembers a page; the same record again writes nothing (it reads
// first: a read costs half a write).
func (s *Store) PutPage(ctx context.Context, p store.Page) error {
	if err := check.ID("page url", p.URL); err != nil {
		return fmt.Errorf("put page: %w", err)
	}
	old, err := s.Page(ctx, p.URL)
	if err == nil && samePage(old, p) {
		return nil
	}
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	_, err = s.api.PutItem(ctx, &dynamodb.PutItemInput{TableName: &s.table, Item: pageItem(p)})
	return s.fail(err, "put page %s", p.URL)
}

func samePage(a, b store.Page) bool {
	at, bt := a.FetchedAt, b.FetchedAt
	a.FetchedAt, b.FetchedAt = time.Time{}, time.Time{}
	return a == b && at.Equal(bt)
}
