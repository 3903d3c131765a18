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

// putSeriesAttempts bounds the read-merge-write rounds of PutSeries when
// other writers keep changing the series in between.
const putSeriesAttempts = 8

// PutSeries creates or updates a series (aliases accumulate). It reads
// first and writes only when something changed, conditioned on the version
// it read (attribute "v", counted up by each write), so of two scrapers
// merging aliases at once neither loses the other's: the one that lost
// the race reads again and merges again.
func (s *Store) PutSeries(ctx context.Context, sr store.Series) error {
	if err := check.Series(sr); err != nil {
		return err
	}
	for range putSeriesAttempts {
		done, err := s.putSeriesOnce(ctx, sr)
		if done || err != nil {
			return err
		}
	}
	return fmt.Errorf("put series %s: %w", sr.ID, store.ErrConflict)
}

// putSeriesOnce is one round of PutSeries; done false means another write
// came first.
func (s *Store) putSeriesOnce(ctx context.Context, sr store.Series) (done bool, err error) {
	var old store.Series
	var ver int64
	cond := "attribute_not_exists(pk)"
	it, err := s.get(ctx, seriesKey(sr.ID))
	switch {
	case err == nil:
		d := decoding{it: it}
		if ver = d.n("v"); d.err != nil {
			return false, d.err
		}
		if old, err = decodeSeries(it); err != nil {
			return false, err
		}
		cond = "attribute_not_exists(#v)"
		if ver > 0 {
			cond = "#v = :v"
		}
	case !errors.Is(err, store.ErrNotFound):
		return false, s.fail(err, "put series %s", sr.ID)
	}
	m, write := check.MergeSeries(old, sr)
	if !write {
		return true, nil
	}
	in := &dynamodb.PutItemInput{TableName: &s.table, Item: seriesItem(m), ConditionExpression: aws.String(cond)}
	in.Item["v"] = num(ver + 1)
	if ver > 0 {
		in.ExpressionAttributeValues = item{":v": num(ver)}
	}
	if old.ID != "" {
		in.ExpressionAttributeNames = map[string]string{"#v": "v"}
	}
	_, err = s.api.PutItem(ctx, in)
	if conditionFailed(err) {
		s.log.DebugContext(ctx, "series changed concurrently: merging again", "series", sr.ID)
		return false, nil
	}
	if err != nil {
		return true, s.fail(err, "put series %s", sr.ID)
	}
	return true, s.bumpCatalog(ctx)
}

// Series returns one series.
func (s *Store) Series(ctx context.Context, id string) (store.Series, error) {
	it, err := s.get(ctx, seriesKey(id))
	if err != nil {
		return store.Series{}, s.fail(err, "series %s", id)
	}
	return decodeSeries(it)
}

// ListSeries returns every series, ordered by id (gsi1 SERIES).
func (s *Store) ListSeries(ctx context.Context) ([]store.Series, error) {
	var out []store.Series
	err := s.query(ctx, gsiEq(gsi1, "SERIES"), func(it item) error {
		sr, err := decodeSeries(it)
		out = append(out, sr)
		return err
	})
	return out, s.fail(err, "list series")
}

// gsiEq is a Query of one partition of an index.
func gsiEq(index, pk string) *dynamodb.QueryInput {
	pkName, _ := indexKeys(index)
	return &dynamodb.QueryInput{
		IndexName:                 aws.String(index),
		KeyConditionExpression:    aws.String("#pk = :pk"),
		ExpressionAttributeNames:  map[string]string{"#pk": pkName},
		ExpressionAttributeValues: item{":pk": str(pk)},
	}
}

func indexKeys(index string) (pk, sk string) {
	switch index {
	case gsi1:
		return attrGSI1PK, attrGSI1SK
	case gsi2:
		return attrGSI2PK, attrGSI2SK
	}
	return attrPK, attrSK
}

// Volume returns one volume.
func (s *Store) Volume(ctx context.Context, id string) (store.Volume, error) {
	it, err := s.get(ctx, volumeKey(id))
	if err != nil {
		return store.Volume{}, s.fail(err, "volume %s", id)
	}
	return decodeVolume(it)
}

// UpsertVolumes reads the stored volumes (BatchGetItem, 100 keys a call),
// merges each incoming one in order (store.Merge), and writes only the
// records that changed (BatchWriteItem, 25 a call). Bad input is refused
// before any write. A failure part-way through the writes leaves some
// volumes written; the same call again finishes the job.
func (s *Store) UpsertVolumes(ctx context.Context, vs []store.Volume, now time.Time) ([]store.UpsertResult, error) {
	in := make([]store.Volume, len(vs))
	for i, v := range vs {
		var err error
		if in[i], err = check.Volume(v); err != nil {
			return nil, fmt.Errorf("upsert volumes: %w", err)
		}
	}
	if len(in) == 0 {
		return []store.UpsertResult{}, nil
	}
	var keys []item
	seen := map[string]bool{}
	dated := false
	for _, v := range in {
		if !seen[v.ID] {
			seen[v.ID] = true
			keys = append(keys, volumeKey(v.ID))
		}
		dated = dated || !v.ReleaseDate.IsZero()
	}
	if dated {
		keys = append(keys, monthsKey())
	}
	got, err := s.batchGet(ctx, keys)
	if err != nil {
		return nil, s.fail(err, "upsert volumes: read")
	}
	stored := map[string]store.Volume{}
	var months []string
	for _, it := range got {
		if getS(it, attrPK) == "META" {
			months = stringSet(it, "months")
			continue
		}
		v, err := decodeVolume(it)
		if err != nil {
			return nil, fmt.Errorf("upsert volumes: %w", err)
		}
		stored[v.ID] = v
	}

	results := make([]store.UpsertResult, len(in))
	var order []string // ids to write, first-write order
	for i, v := range in {
		old, ok := stored[v.ID]
		r := store.UpsertResult{ID: v.ID}
		var m store.Volume
		if !ok {
			m, r.Outcome = check.New(v, now), store.Created
		} else {
			var changed []string
			var write bool
			m, changed, write = store.Merge(old, v, now)
			r.Outcome = store.Unchanged
			if len(changed) > 0 {
				r.Outcome, r.Changed, r.Before = store.Updated, changed, old
			}
			if !write {
				results[i] = r
				continue
			}
		}
		results[i] = r
		if _, queued := pendingIndex(order, v.ID); !queued {
			order = append(order, v.ID)
		}
		stored[v.ID] = m
	}
	if len(order) == 0 {
		return results, nil
	}

	// The months item first: a volume must never be written into a month
	// that range reads do not know of.
	var add []string
	for _, id := range order {
		if d := stored[id].ReleaseDate; !d.IsZero() && !slices.Contains(months, month(d)) && !slices.Contains(add, month(d)) {
			add = append(add, month(d))
		}
	}
	if len(add) > 0 {
		_, err := s.api.UpdateItem(ctx, &dynamodb.UpdateItemInput{
			TableName: &s.table, Key: monthsKey(),
			UpdateExpression:          aws.String("ADD #m :m SET #t = :t"),
			ExpressionAttributeNames:  map[string]string{"#m": "months", "#t": attrType},
			ExpressionAttributeValues: item{":m": &types.AttributeValueMemberSS{Value: add}, ":t": str(typeMeta)},
		})
		if err != nil {
			return nil, s.fail(err, "upsert volumes: record months %v", add)
		}
	}
	puts := make([]item, 0, len(order))
	for _, id := range order {
		puts = append(puts, volumeItem(stored[id]))
	}
	if err := s.batchPut(ctx, puts); err != nil {
		return nil, s.fail(err, "upsert volumes: write")
	}
	for _, r := range results {
		if r.Outcome != store.Unchanged {
			if err := s.bumpCatalog(ctx); err != nil {
				return nil, err
			}
			break
		}
	}
	s.log.Debug("upserted volumes", "count", len(in), "written", len(puts))
	return results, nil
}

func pendingIndex(ids []string, id string) (int, bool) {
	i := slices.Index(ids, id)
	return i, i >= 0
}

func stringSet(it item, name string) []string {
	if ss, ok := it[name].(*types.AttributeValueMemberSS); ok {
		return ss.Value
	}
	return nil
}

// batchGet reads items by key, 100 a call, retrying what DynamoDB leaves
// unprocessed.
func (s *Store) batchGet(ctx context.Context, keys []item) ([]item, error) {
	var out []item
	for chunk := range slices.Chunk(keys, 100) {
		req := map[string]types.KeysAndAttributes{s.table: {Keys: chunk, ConsistentRead: aws.Bool(true)}}
		delay := s.opts.RetryDelay
		for len(req) > 0 {
			res, err := s.api.BatchGetItem(ctx, &dynamodb.BatchGetItemInput{RequestItems: req})
			if err != nil {
				return nil, err
			}
			out = append(out, res.Responses[s.table]...)
			req = res.UnprocessedKeys
			if len(req[s.table].Keys) == 0 {
				break
			}
			if err := sleep(ctx, delay); err != nil {
				return nil, err
			}
			delay = min(2*delay, 2*time.Second)
		}
	}
	return out, nil
}

// batchPut writes items, 25 a call, retrying what DynamoDB leaves
// unprocessed.
func (s *Store) batchPut(ctx context.Context, items []item) error {
	reqs := make([]types.WriteRequest, len(items))
	for i, it := range items {
		reqs[i] = types.WriteRequest{PutRequest: &types.PutRequest{Item: it}}
	}
	return s.batchWrite(ctx, reqs)
}

// batchWrite sends write requests, 25 a call (BatchWriteItem's limit),
// and sends again what DynamoDB leaves unprocessed, backing off.
func (s *Store) batchWrite(ctx context.Context, writes []types.WriteRequest) error {
	for chunk := range slices.Chunk(writes, 25) {
		req := map[string][]types.WriteRequest{s.table: chunk}
		delay := s.opts.RetryDelay
		for {
			res, err := s.api.BatchWriteItem(ctx, &dynamodb.BatchWriteItemInput{RequestItems: req})
			if err != nil {
				return err
			}
			req = res.UnprocessedItems
			if len(req[s.table]) == 0 {
				break
			}
			if err := sleep(ctx, delay); err != nil {
				return err
			}
			delay = min(2*delay, 2*time.Second)
		}
	}
	return nil
}

// VolumesOfSeries returns a series' volumes by number, edition, id (gsi1).
func (s *Store) VolumesOfSeries(ctx context.Context, seriesID string) ([]store.Volume, error) {
	out, err := s.volumes(ctx, gsiEq(gsi1, "VOLUMES#"+seriesID))
	return out, s.fail(err, "volumes of series %s", seriesID)
}

func (s *Store) volumes(ctx context.Context, in *dynamodb.QueryInput) ([]store.Volume, error) {
	var out []store.Volume
	err := s.query(ctx, in, func(it item) error {
		v, err := decodeVolume(it)
		out = append(out, v)
		return err
	})
	return out, err
}

// months returns the months that have dated volumes, in order.
func (s *Store) months(ctx context.Context) ([]string, error) {
	it, err := s.get(ctx, monthsKey())
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	ms := stringSet(it, "months")
	slices.Sort(ms)
	return ms, nil
}

// VolumesReleasing queries gsi2 for each listed month of [from, to].
func (s *Store) VolumesReleasing(ctx context.Context, from, to store.Date) ([]store.Volume, error) {
	if from.IsZero() || to.IsZero() {
		return nil, fmt.Errorf("volumes releasing: want two known dates, got %q and %q", from, to)
	}
	out, err := s.releasing(ctx, from, to.AddDays(1).String())
	return out, s.fail(err, "volumes releasing %s..%s", from, to)
}

// UpcomingVolumes queries gsi2 for each listed month from from's on, then
// the undated volumes.
func (s *Store) UpcomingVolumes(ctx context.Context, from store.Date) ([]store.Volume, error) {
	if from.IsZero() {
		return nil, fmt.Errorf("upcoming volumes: want a known date to start from")
	}
	out, err := s.releasing(ctx, from, "~") // "~" sorts after every date
	if err != nil {
		return nil, s.fail(err, "upcoming volumes from %s", from)
	}
	undated, err := s.volumes(ctx, gsiEq(gsi2, releasePK(store.Date{})))
	return append(out, undated...), s.fail(err, "upcoming volumes from %s", from)
}

// releasing returns the dated volumes with from <= date < end (end a date
// string, exclusive: sort keys are date#id).
func (s *Store) releasing(ctx context.Context, from store.Date, end string) ([]store.Volume, error) {
	ms, err := s.months(ctx)
	if err != nil {
		return nil, err
	}
	first := month(from)
	var out []store.Volume
	for _, m := range ms {
		if m < first || m > end {
			continue
		}
		vs, err := s.volumes(ctx, &dynamodb.QueryInput{
			IndexName:                 aws.String(gsi2),
			KeyConditionExpression:    aws.String("#pk = :pk AND #sk BETWEEN :from AND :end"),
			ExpressionAttributeNames:  map[string]string{"#pk": attrGSI2PK, "#sk": attrGSI2SK},
			ExpressionAttributeValues: item{":pk": str("RELEASE#" + m), ":from": str(from.String()), ":end": str(end)},
		})
		if err != nil {
			return nil, err
		}
		out = append(out, vs...)
	}
	return out, nil
}
