package dynamo_test

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/manga-alert-italia/mangaalert/integration"
	"github.com/manga-alert-italia/mangaalert/store"
	"github.com/manga-alert-italia/mangaalert/store/dynamo"
	"github.com/manga-alert-italia/mangaalert/store/storetest"
)

func TestMain(m *testing.M) { integration.Main(m) }

var (
	_ dynamo.API      = (*dynamodb.Client)(nil)
	_ dynamo.TableAPI = (*dynamodb.Client)(nil)
)

const table = "mangaalert"

func fast(o *dynamo.TableOptions) { o.MinDelay, o.MaxDelay = 10*time.Millisecond, 100*time.Millisecond }

// serial hands the emulator one request at a time. DynamoDB checks a
// condition and writes an item atomically; moto 5.2.1 serves requests on
// threads with no lock around its tables, so two concurrent conditional
// writes of one key may both pass (two claims of one alert) or break its
// transactions (HTTP 500). Serialised, its check-then-write is atomic as
// DynamoDB's: the store's calls still race, the emulator no longer does.
type serial struct {
	mu   sync.Mutex
	next aws.HTTPClient
}

func (s *serial) Do(r *http.Request) (*http.Response, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.next.Do(r) // the answer's headers come once moto has done the work
}

// newStore makes a table in a fresh emulator account and returns the store
// on it, its client and the recorder of its calls.
func newStore(t *testing.T, optFns ...func(*dynamo.Options)) (*dynamo.Store, *dynamodb.Client, *integration.Calls) {
	t.Helper()
	cfg := integration.Config(t, integration.DynamoDB)
	next := cfg.HTTPClient
	if next == nil {
		next = awshttp.NewBuildableClient()
	}
	cfg.HTTPClient = &serial{next: next}
	calls := integration.Record(&cfg)
	client := dynamodb.NewFromConfig(cfg)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	require.NoError(t, dynamo.EnsureTable(ctx, client, table, fast))
	calls.Reset()
	return dynamo.New(client, table, optFns...), client, calls
}

func TestContract(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T) store.Store {
		// Seven items a page: every list in the suite spans several pages.
		s, _, _ := newStore(t, func(o *dynamo.Options) { o.PageLimit = 7 })
		return s
	})
}

func TestEnsureTable(t *testing.T) {
	t.Parallel()
	cfg := integration.Config(t, integration.DynamoDB)
	calls := integration.Record(&cfg)
	client := dynamodb.NewFromConfig(cfg)
	ctx := context.Background()
	tags := map[string]string{"mangaalert:stack": "test"}

	require.NoError(t, dynamo.EnsureTable(ctx, client, table, fast, func(o *dynamo.TableOptions) { o.Tags = tags }))
	desc, err := client.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(table)})
	require.NoError(t, err)
	d := desc.Table
	assert.Equal(t, types.TableStatusActive, d.TableStatus)
	require.NotNil(t, d.BillingModeSummary)
	assert.Equal(t, types.BillingModePayPerRequest, d.BillingModeSummary.BillingMode)
	var names []string
	for _, g := range d.GlobalSecondaryIndexes {
		names = append(names, aws.ToString(g.IndexName))
		assert.Equal(t, types.ProjectionTypeAll, g.Projection.ProjectionType)
	}
	assert.ElementsMatch(t, []string{"gsi1", "gsi2"}, names)
	ttl, err := client.DescribeTimeToLive(ctx, &dynamodb.DescribeTimeToLiveInput{TableName: aws.String(table)})
	require.NoError(t, err)
	assert.Equal(t, types.TimeToLiveStatusEnabled, ttl.TimeToLiveDescription.TimeToLiveStatus)
	assert.Equal(t, "ttl", aws.ToString(ttl.TimeToLiveDescription.AttributeName))
	tagged, err := client.ListTagsOfResource(ctx, &dynamodb.ListTagsOfResourceInput{ResourceArn: d.TableArn})
	require.NoError(t, err)
	require.Len(t, tagged.Tags, 1)
	assert.Equal(t, "mangaalert:stack", aws.ToString(tagged.Tags[0].Key))

	calls.Reset()
	require.NoError(t, dynamo.EnsureTable(ctx, client, table, fast, func(o *dynamo.TableOptions) { o.Tags = tags }))
	assert.Empty(t, calls.Mutating(), "a second EnsureTable changes nothing")

	require.NoError(t, dynamo.DeleteTable(ctx, client, table, fast))
	require.NoError(t, dynamo.DeleteTable(ctx, client, table, fast), "absent: nil")
	_, err = dynamo.New(client, table).Volume(ctx, "x/1")
	require.ErrorContains(t, err, "EnsureTable creates it")
}

func TestEnsureTableRefusesOtherKeys(t *testing.T) {
	t.Parallel()
	cfg := integration.Config(t, integration.DynamoDB)
	client := dynamodb.NewFromConfig(cfg)
	ctx := context.Background()
	_, err := client.CreateTable(ctx, &dynamodb.CreateTableInput{
		TableName:            aws.String(table),
		AttributeDefinitions: []types.AttributeDefinition{{AttributeName: aws.String("id"), AttributeType: types.ScalarAttributeTypeS}},
		KeySchema:            []types.KeySchemaElement{{AttributeName: aws.String("id"), KeyType: types.KeyTypeHash}},
		BillingMode:          types.BillingModePayPerRequest,
	})
	require.NoError(t, err)
	calls := integration.Record(&cfg)
	err = dynamo.EnsureTable(ctx, dynamodb.NewFromConfig(cfg), table, fast)
	require.ErrorIs(t, err, dynamo.ErrTableShape)
	assert.Empty(t, calls.Mutating(), "nothing is changed on a table of another shape")
}

func TestEnsureTableConverges(t *testing.T) {
	t.Parallel()
	cfg := integration.Config(t, integration.DynamoDB)
	client := dynamodb.NewFromConfig(cfg)
	ctx := context.Background()
	// A table made by hand with the keys but provisioned and with no
	// indexes and no TTL: EnsureTable adds what is missing.
	_, err := client.CreateTable(ctx, &dynamodb.CreateTableInput{
		TableName: aws.String(table),
		AttributeDefinitions: []types.AttributeDefinition{
			{AttributeName: aws.String("pk"), AttributeType: types.ScalarAttributeTypeS},
			{AttributeName: aws.String("sk"), AttributeType: types.ScalarAttributeTypeS}},
		KeySchema: []types.KeySchemaElement{
			{AttributeName: aws.String("pk"), KeyType: types.KeyTypeHash},
			{AttributeName: aws.String("sk"), KeyType: types.KeyTypeRange}},
		BillingMode:           types.BillingModeProvisioned,
		ProvisionedThroughput: &types.ProvisionedThroughput{ReadCapacityUnits: aws.Int64(1), WriteCapacityUnits: aws.Int64(1)},
	})
	require.NoError(t, err)
	require.NoError(t, dynamo.EnsureTable(ctx, client, table, fast))
	desc, err := client.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(table)})
	require.NoError(t, err)
	assert.Len(t, desc.Table.GlobalSecondaryIndexes, 2)
	require.NotNil(t, desc.Table.BillingModeSummary)
	assert.Equal(t, types.BillingModePayPerRequest, desc.Table.BillingModeSummary.BillingMode)

	calls := integration.Record(&cfg)
	require.NoError(t, dynamo.EnsureTable(ctx, dynamodb.NewFromConfig(cfg), table, fast))
	assert.Empty(t, calls.Mutating())
}

// The scraper's promise on DynamoDB: a second run over the same pages
// reads, and writes nothing; a change writes exactly the changed volumes.
func TestUpsertWritesOnlyWhatChanged(t *testing.T) {
	t.Parallel()
	s, _, calls := newStore(t)
	ctx := context.Background()
	now := time.Date(2024, 10, 1, 9, 0, 0, 0, time.UTC)
	var vs []store.Volume
	for i := range 230 { // three BatchGetItem calls, ten BatchWriteItem calls
		vs = append(vs, store.Volume{SeriesID: fmt.Sprintf("series-%02d", i%20), Number: i, Title: fmt.Sprintf("T %d", i),
			ReleaseDate: store.NewDate(2024, time.November, 1).AddDays(i % 60), PriceCents: 590})
	}
	res, err := s.UpsertVolumes(ctx, vs, now)
	require.NoError(t, err)
	for _, r := range res {
		require.Equal(t, store.Created, r.Outcome)
	}
	assert.Equal(t, map[string]int{"UpdateItem": 2, "BatchWriteItem": 10}, ops(calls.Mutating()), "months item, then 230 volumes in 25s, then the catalogue version")

	calls.Reset()
	res, err = s.UpsertVolumes(ctx, vs, now.Add(time.Hour))
	require.NoError(t, err)
	for _, r := range res {
		require.Equal(t, store.Unchanged, r.Outcome)
	}
	assert.Empty(t, calls.Mutating(), "nothing changed: nothing written")
	assert.Equal(t, map[string]int{"BatchGetItem": 3}, ops(calls.All()))

	calls.Reset()
	vs[7].PriceCents = 650
	res, err = s.UpsertVolumes(ctx, vs, now.Add(2*time.Hour))
	require.NoError(t, err)
	assert.Equal(t, store.Updated, res[7].Outcome)
	assert.Equal(t, []string{store.FieldPrice}, res[7].Changed)
	assert.Equal(t, map[string]int{"BatchWriteItem": 1, "UpdateItem": 1}, ops(calls.Mutating()), "one volume changed, one write and the catalogue version, no months update")

	// A failure before the write leaves the stored record as it was; the
	// retry writes it.
	calls.Reset()
	vs[7].PriceCents = 700
	calls.FailAt(1, integration.FailBefore)
	_, err = s.UpsertVolumes(ctx, vs, now.Add(3*time.Hour))
	require.ErrorIs(t, err, integration.ErrInjected)
	got, err := s.Volume(ctx, vs[7].SeriesID+"/7")
	require.NoError(t, err)
	assert.Equal(t, 650, got.PriceCents)
	res, err = s.UpsertVolumes(ctx, vs, now.Add(3*time.Hour))
	require.NoError(t, err)
	assert.Equal(t, store.Updated, res[7].Outcome)

	// PutSeries and PutPage read first too.
	calls.Reset()
	sr := store.Series{ID: "series-01", Title: "Series 01"}
	require.NoError(t, s.PutSeries(ctx, sr))
	require.NoError(t, s.PutSeries(ctx, sr))
	p := store.Page{URL: "https://example.test/a", ETag: `"x"`, FetchedAt: now}
	require.NoError(t, s.PutPage(ctx, p))
	require.NoError(t, s.PutPage(ctx, p))
	assert.Equal(t, map[string]int{"PutItem": 2, "UpdateItem": 1}, ops(calls.Mutating()), "the series, its catalogue version, the page")
}

func ops(calls []integration.Call) map[string]int {
	out := map[string]int{}
	for _, c := range calls {
		out[c.Operation]++
	}
	return out
}

// Volumes with long titles fill DynamoDB's 1 MB pages without any Limit:
// the lists still come back whole.
func TestMegabytePages(t *testing.T) {
	t.Parallel()
	s, _, calls := newStore(t)
	ctx := context.Background()
	title := fmt.Sprintf("%020000d", 0) // 20 KB
	var vs []store.Volume
	for i := range 80 { // about 1.6 MB
		vs = append(vs, store.Volume{SeriesID: "big", Number: i, Title: title, ReleaseDate: store.NewDate(2025, 1, 1)})
	}
	_, err := s.UpsertVolumes(ctx, vs, time.Date(2024, 12, 1, 0, 0, 0, 0, time.UTC))
	require.NoError(t, err)
	calls.Reset()
	got, err := s.VolumesOfSeries(ctx, "big")
	require.NoError(t, err)
	assert.Len(t, got, 80)
	assert.GreaterOrEqual(t, ops(calls.All())["Query"], 2, "more than one page")
	got, err = s.VolumesReleasing(ctx, store.NewDate(2025, 1, 1), store.NewDate(2025, 1, 1))
	require.NoError(t, err)
	assert.Len(t, got, 80)
}

// A subscriber with more follows than one transaction holds is deleted
// whole.
func TestDeleteSubscriberWithManyFollows(t *testing.T) {
	t.Parallel()
	s, _, calls := newStore(t)
	ctx := context.Background()
	now := time.Date(2024, 10, 1, 9, 0, 0, 0, time.UTC)
	require.NoError(t, s.CreateSubscriber(ctx, store.Subscriber{ID: "sub-1", Email: "a@example.it", Status: store.Active, CreatedAt: now, UpdatedAt: now}))
	for i := range 120 {
		require.NoError(t, s.Follow(ctx, store.Follow{SubscriberID: "sub-1", SeriesID: fmt.Sprintf("s-%03d", i), CreatedAt: now}))
	}
	calls.Reset()
	require.NoError(t, s.DeleteSubscriber(ctx, "sub-1"))
	assert.Equal(t, map[string]int{"TransactWriteItems": 2}, ops(calls.Mutating()), "22 follows, then 98 with the subscriber and its email")
	fs, err := s.FollowsOf(ctx, "sub-1")
	require.NoError(t, err)
	assert.Empty(t, fs)
	fs, err = s.FollowersOf(ctx, "s-100")
	require.NoError(t, err)
	assert.Empty(t, fs)
	require.NoError(t, s.CreateSubscriber(ctx, store.Subscriber{ID: "sub-2", Email: "a@example.it", Status: store.Pending}))
}

// Confirming a sign-up removes the expiry from the subscriber and its email
// item together, or DynamoDB's TTL would delete the address of a confirmed
// reader.
func TestConfirmClearsEmailExpiry(t *testing.T) {
	t.Parallel()
	s, client, _ := newStore(t)
	ctx := context.Background()
	now := time.Now().UTC()
	sub := store.Subscriber{ID: "sub-1", Email: "a@example.it", Status: store.Pending, CreatedAt: now, UpdatedAt: now, ExpiresAt: now.Add(48 * time.Hour)}
	require.NoError(t, s.CreateSubscriber(ctx, sub))
	email := func() map[string]types.AttributeValue {
		out, err := client.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(table), Key: map[string]types.AttributeValue{
			"pk": &types.AttributeValueMemberS{Value: "EMAIL#a@example.it"}, "sk": &types.AttributeValueMemberS{Value: "EMAIL"}}})
		require.NoError(t, err)
		return out.Item
	}
	assert.Contains(t, email(), "ttl")
	sub.Status, sub.ExpiresAt, sub.ConfirmedAt = store.Active, time.Time{}, now
	_, err := s.UpdateSubscriber(ctx, sub, now.Add(time.Minute))
	require.NoError(t, err)
	assert.NotContains(t, email(), "ttl")
	assert.NotContains(t, email(), "exp")
}

func TestErrorsAtTheBoundary(t *testing.T) {
	t.Parallel()
	cfg := integration.Config(t, integration.DynamoDB)
	s := dynamo.New(dynamodb.NewFromConfig(cfg), "no-such-table")
	ctx := context.Background()
	err := s.Ping(ctx)
	require.ErrorContains(t, err, "table no-such-table does not exist")
	_, err = s.Series(ctx, "x")
	require.Error(t, err)
	require.NotErrorIs(t, err, store.ErrNotFound, "a missing table is not a missing record")
}

// Items written before ChangedAt was kept have no "chg": they read it as
// zero, a LastSeen refresh leaves it so, a change sets it.
func TestVolumesWithoutChangedAt(t *testing.T) {
	t.Parallel()
	s, client, _ := newStore(t)
	ctx := context.Background()
	t0 := time.Date(2024, 10, 1, 9, 0, 0, 0, time.UTC)
	d := store.NewDate(2024, 10, 29)
	v := store.Volume{SeriesID: "frieren", Number: 1, Title: "FRIEREN n. 1", ReleaseDate: d}
	_, err := s.UpsertVolumes(ctx, []store.Volume{v}, t0)
	require.NoError(t, err)
	_, err = client.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: aws.String(table),
		Key: map[string]types.AttributeValue{
			"pk": &types.AttributeValueMemberS{Value: "VOLUME#frieren/1"}, "sk": &types.AttributeValueMemberS{Value: "VOLUME"}},
		UpdateExpression: aws.String("REMOVE chg"), ConditionExpression: aws.String("attribute_exists(chg)")})
	require.NoError(t, err, "the item had chg, and now has not")

	got, err := s.Volume(ctx, "frieren/1")
	require.NoError(t, err)
	assert.True(t, got.ChangedAt.IsZero())
	assert.Equal(t, t0, got.LastChanged())

	day := t0.Add(store.LastSeenEvery)
	res, err := s.UpsertVolumes(ctx, []store.Volume{v}, day)
	require.NoError(t, err)
	assert.Equal(t, store.Unchanged, res[0].Outcome)
	rel, err := s.VolumesReleasing(ctx, d, d)
	require.NoError(t, err)
	require.Len(t, rel, 1)
	assert.Equal(t, day, rel[0].LastSeen, "refreshed")
	assert.True(t, rel[0].ChangedAt.IsZero(), "a refresh is no change")

	v.ReleaseDate = d.AddDays(7)
	res, err = s.UpsertVolumes(ctx, []store.Volume{v}, day.Add(time.Hour))
	require.NoError(t, err)
	assert.Equal(t, store.Updated, res[0].Outcome)
	got, err = s.Volume(ctx, "frieren/1")
	require.NoError(t, err)
	assert.Equal(t, day.Add(time.Hour), got.ChangedAt)
	assert.Equal(t, t0, got.FirstSeen)
}
