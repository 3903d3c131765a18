// Package dynamo is store.Store on one DynamoDB table (on-demand billing,
// always-free tier friendly), for Manga Alert Italia on AWS.
//
// # Table design
//
// One table, keys pk (partition) and sk (sort), all strings, and two
// overloaded global secondary indexes, gsi1 (gsi1pk, gsi1sk) and gsi2
// (gsi2pk, gsi2sk), both projecting all attributes so a query answers
// without a second read. One table, because every access below is a key or
// index lookup and the records that change together (a subscriber and its
// email, a subscriber and its follows) can then share one transaction.
//
//	record       pk / sk                       gsi1pk / gsi1sk                   gsi2pk / gsi2sk
//	series       SERIES#id / SERIES            SERIES / id
//	volume       VOLUME#id / VOLUME            VOLUMES#series / num#ed#id        RELEASE#yyyy-mm / yyyy-mm-dd#id
//	                                                                             (undated: RELEASE#UNDATED / id)
//	months       META / MONTHS  (the set of months that have dated volumes)
//	subscriber   SUB#id / SUB                  TOKEN#hash / id (when a token)
//	email        EMAIL#address / EMAIL
//	follow       SUB#subscriber / FOLLOW#series FOLLOWERS#series / subscriber  FOLLOWED / series#subscriber
//	alert        ALERT#volume / subscriber#kind ALERTS#subscriber / volume#kind  CLAIMED / claimedAt#key (only while Claimed)
//	page         PAGE#url / PAGE
//	blob         BLOB#key / BLOB
//
// The access patterns, each one GetItem, or Query pages of one partition:
//
//   - Series by id: GetItem SERIES#id. ListSeries: Query gsi1 SERIES, in id order.
//   - Volume by id: GetItem VOLUME#id. UpsertVolumes reads them with
//     BatchGetItem (100 keys a call) and writes only the changed ones with
//     BatchWriteItem (25 a call): a scrape that changes nothing writes nothing.
//   - Volumes of a series: Query gsi1 VOLUMES#series; the sort key (number
//     zero-padded, edition rank, id) gives the contract's order.
//   - Volumes releasing in [from, to]: Query gsi2 RELEASE#month with the sort
//     key between the two dates, for each month of the range that the months
//     item lists (partitioned by month so no partition grows forever and a
//     range is a few queries, never a scan).
//   - Upcoming volumes: the same from `from` through the last listed month,
//     then gsi2 RELEASE#UNDATED.
//   - Subscriber by id: GetItem SUB#id. By email: GetItem EMAIL#address (the
//     uniqueness item, written in the same transaction as the subscriber with
//     attribute_not_exists), then the subscriber. By token hash: Query gsi1
//     TOKEN#hash.
//   - Follows of a subscriber: Query SUB#id, sk beginning FOLLOW#. Followers
//     of a series: Query gsi1 FOLLOWERS#series. Followed series: Query gsi2
//     FOLLOWED (every follow, by series), keeping each series id once, then
//     BatchGetItem of those series. One item, three access paths. (A
//     follow item written before it carried gsi2 keys is missing from
//     FOLLOWED until it is unfollowed and followed again.)
//   - Alert by key: GetItem. Alerts of a volume: Query ALERT#volume. Alerts
//     of a subscriber: Query gsi1 ALERTS#subscriber. Stale claims: Query gsi2
//     CLAIMED below the time; only Claimed alerts carry gsi2 keys (a sparse
//     index), so it holds the claims in flight and nothing else.
//   - Page by URL, blob by key: GetItem.
//   - Counts: a Scan of the keys and the two status attributes (the one
//     whole-table read; use Ping for readiness checks).
//
// Conditional writes: a claim is a PutItem with attribute_not_exists(pk),
// so exactly one claim of a key ever succeeds; resolving and reclaiming
// are UpdateItems conditioned on the state, run and claim time they
// expect; a subscriber update is conditioned on the UpdatedAt it read.
// Transactions: subscriber and email item are created, changed in expiry,
// and deleted together; a subscriber's follows go in the same transaction
// as the subscriber (chunks of 98 first when there are more).
//
// Pending sign-ups carry ttl (epoch seconds) on the subscriber and email
// items: DynamoDB's TTL deletes them some time after they expire. Until
// then reads compare the exact expiry (exp) with the clock and answer
// ErrNotFound, and a new sign-up may take the address. Follows of a sign-up
// that expired stay until DeleteSubscriber; the notifier never finds their
// subscriber.
//
// Reads of the main table are strongly consistent; reads through gsi1 and
// gsi2 are eventually consistent, as DynamoDB's indexes are: a volume just
// written may take a moment to show in VolumesReleasing.
//
// Ids may not contain a NUL byte; '#' separates the parts of sort keys, so
// orders are those of the ids as strings as long as ids hold no byte
// below '#' (slugs, volume ids and random ids never do).
package dynamo

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/manga-alert-italia/mangaalert/internal/awserr"
	"github.com/manga-alert-italia/mangaalert/internal/poll"
	"github.com/manga-alert-italia/mangaalert/store"
)

// API is the part of the DynamoDB client the store uses.
type API interface {
	GetItem(ctx context.Context, params *dynamodb.GetItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error)
	PutItem(ctx context.Context, params *dynamodb.PutItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error)
	UpdateItem(ctx context.Context, params *dynamodb.UpdateItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error)
	DeleteItem(ctx context.Context, params *dynamodb.DeleteItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.DeleteItemOutput, error)
	Query(ctx context.Context, params *dynamodb.QueryInput, optFns ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error)
	Scan(ctx context.Context, params *dynamodb.ScanInput, optFns ...func(*dynamodb.Options)) (*dynamodb.ScanOutput, error)
	BatchGetItem(ctx context.Context, params *dynamodb.BatchGetItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.BatchGetItemOutput, error)
	BatchWriteItem(ctx context.Context, params *dynamodb.BatchWriteItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.BatchWriteItemOutput, error)
	TransactWriteItems(ctx context.Context, params *dynamodb.TransactWriteItemsInput, optFns ...func(*dynamodb.Options)) (*dynamodb.TransactWriteItemsOutput, error)
}

// Options tune the store; zero fields mean the defaults.
type Options struct {
	// PageLimit caps the items one Query or Scan page returns (default:
	// none, DynamoDB's 1 MB pages). Tests set it small to exercise paging.
	PageLimit int32
	// Now is the clock that decides when a pending sign-up has expired
	// (default time.Now).
	Now func() time.Time
	// RetryDelay is the first wait before retrying the unprocessed part of a
	// batch (default 50 ms, doubling up to 2 s).
	RetryDelay time.Duration
	// Logger gets debug lines (default slog.Default().WithGroup("store.dynamo")).
	Logger *slog.Logger
}

// Store is store.Store on one DynamoDB table. It is safe for concurrent
// use.
type Store struct {
	api   API
	table string
	opts  Options
	log   *slog.Logger
}

var _ store.Store = (*Store)(nil)

// New returns the store on an existing table (see EnsureTable). Each
// optFns changes the default Options, in order, as the SDK's clients do.
func New(client API, table string, optFns ...func(*Options)) *Store {
	o := Options{}
	for _, fn := range optFns {
		fn(&o)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.RetryDelay <= 0 {
		o.RetryDelay = 50 * time.Millisecond
	}
	if o.Logger == nil {
		o.Logger = slog.Default().WithGroup("store.dynamo")
	}
	return &Store{api: client, table: table, opts: o, log: o.Logger}
}

// Close does nothing: the client holds no resource of the store's.
func (s *Store) Close() error { return nil }

// Ping answers when the table can be read (one GetItem of a key that never
// exists: it needs only dynamodb:GetItem).
func (s *Store) Ping(ctx context.Context) error {
	_, err := s.api.GetItem(ctx, &dynamodb.GetItemInput{TableName: &s.table, Key: key("PING", "PING")})
	return s.fail(err, "ping table %s", s.table)
}

func (s *Store) now() time.Time { return s.opts.Now() }

// limit is the Limit of every Query and Scan.
func (s *Store) limit() *int32 {
	if s.opts.PageLimit > 0 {
		return aws.Int32(s.opts.PageLimit)
	}
	return nil
}

// fail says what failed and translates the SDK's errors that every call
// may return. nil stays nil.
func (s *Store) fail(err error, format string, args ...any) error {
	if err == nil {
		return nil
	}
	if awserr.Is(err, "ResourceNotFoundException") {
		err = fmt.Errorf("table %s does not exist (EnsureTable creates it; the deploy tool runs it): %w", s.table, err)
	}
	return fmt.Errorf(format+": %w", append(args, err)...)
}

// conditionFailed reports whether a single-item write failed its condition.
func conditionFailed(err error) bool {
	var ccf *types.ConditionalCheckFailedException
	return errors.As(err, &ccf) || awserr.Is(err, "ConditionalCheckFailedException")
}

// cancelled returns the cancellation reason codes of a failed transaction
// (one per item, "None" for those that were fine), or nil when err is not
// a cancelled transaction.
func cancelled(err error) []string {
	var tce *types.TransactionCanceledException
	if !errors.As(err, &tce) {
		return nil
	}
	codes := make([]string, len(tce.CancellationReasons))
	for i, r := range tce.CancellationReasons {
		codes[i] = aws.ToString(r.Code)
	}
	if len(codes) == 0 {
		codes = []string{"unknown"} // cancelled, reasons not given
	}
	return codes
}

// query runs every page of a Query and hands each item to fn.
func (s *Store) query(ctx context.Context, in *dynamodb.QueryInput, fn func(item) error) error {
	in.TableName = &s.table
	in.Limit = s.limit()
	p := dynamodb.NewQueryPaginator(s.api, in)
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return err
		}
		for _, it := range page.Items {
			if err := fn(it); err != nil {
				return err
			}
		}
	}
	return nil
}

// scan runs every page of a Scan and hands each item to fn.
func (s *Store) scan(ctx context.Context, in *dynamodb.ScanInput, fn func(item) error) error {
	in.TableName = &s.table
	in.Limit = s.limit()
	p := dynamodb.NewScanPaginator(s.api, in)
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return err
		}
		for _, it := range page.Items {
			if err := fn(it); err != nil {
				return err
			}
		}
	}
	return nil
}

// get reads one item, strongly consistent; errMissing when absent.
func (s *Store) get(ctx context.Context, k item) (item, error) {
	out, err := s.api.GetItem(ctx, &dynamodb.GetItemInput{TableName: &s.table, Key: k, ConsistentRead: aws.Bool(true)})
	if err != nil {
		return nil, err
	}
	if len(out.Item) == 0 {
		return nil, store.ErrNotFound
	}
	return out.Item, nil
}

// sleep waits d or until ctx ends.
func sleep(ctx context.Context, d time.Duration) error { return poll.Sleep(ctx, d) }
