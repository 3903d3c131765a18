package dynamo_test

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/manga-alert-italia/mangaalert/store"
	"github.com/manga-alert-italia/mangaalert/store/dynamo"
)

// faulty is the real client against the emulator with one write made to
// fail: the emulator has no way to fail the n-th call, so this wrapper
// does, and only that.
type faulty struct {
	*dynamodb.Client
	op    string // "BatchWriteItem" or "TransactWriteItems"
	nth   int32  // the call of op that fails (1 is the first)
	calls atomic.Int32
}

var errInjected = errors.New("injected fault")

func (f *faulty) fail(op string) bool { return op == f.op && f.calls.Add(1) == f.nth }

func (f *faulty) BatchWriteItem(ctx context.Context, in *dynamodb.BatchWriteItemInput, o ...func(*dynamodb.Options)) (*dynamodb.BatchWriteItemOutput, error) {
	if f.fail("BatchWriteItem") {
		return nil, errInjected
	}
	return f.Client.BatchWriteItem(ctx, in, o...)
}

func (f *faulty) TransactWriteItems(ctx context.Context, in *dynamodb.TransactWriteItemsInput, o ...func(*dynamodb.Options)) (*dynamodb.TransactWriteItemsOutput, error) {
	if f.fail("TransactWriteItems") {
		return nil, errInjected
	}
	return f.Client.TransactWriteItems(ctx, in, o...)
}

// A deletion that fails at any write leaves the reader there, whole
// enough to be found by id and by address (so the manage link and the
// retry still work), and a second call deletes everything: never an
// address without its record or follows without their reader.
func TestDeleteSubscriberFailsRetryably(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name, op string
		nth      int32
	}{
		{"the alerts", "BatchWriteItem", 1},
		{"the first follows", "TransactWriteItems", 1},
		{"the subscriber with its email", "TransactWriteItems", 2},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, client, _ := newStore(t)
			ctx := context.Background()
			now := time.Date(2026, 12, 3, 9, 0, 0, 0, time.UTC)
			s := dynamo.New(client, table)
			require.NoError(t, s.CreateSubscriber(ctx, store.Subscriber{ID: "sub-1", Email: "a@example.it", Status: store.Active, CreatedAt: now, UpdatedAt: now}))
			for i := range 110 { // more than one transaction holds
				require.NoError(t, s.Follow(ctx, store.Follow{SubscriberID: "sub-1", SeriesID: fmt.Sprintf("s-%03d", i), CreatedAt: now}))
			}
			for i := range 30 { // more than one batch holds
				require.NoError(t, s.ClaimAlert(ctx, store.Alert{AlertKey: store.AlertKey{SubscriberID: "sub-1", VolumeID: fmt.Sprintf("s-%03d/1", i), Kind: store.Announce}, RunID: "run", ClaimedAt: now}))
			}

			broken := dynamo.New(&faulty{Client: client, op: tt.op, nth: tt.nth}, table)
			require.ErrorIs(t, broken.DeleteSubscriber(ctx, "sub-1"), errInjected)
			_, err := s.Subscriber(ctx, "sub-1")
			require.NoError(t, err, "the reader is still there to retry")
			_, err = s.SubscriberByEmail(ctx, "a@example.it")
			require.NoError(t, err, "with their address")

			require.NoError(t, s.DeleteSubscriber(ctx, "sub-1"), "the retry")
			_, err = s.Subscriber(ctx, "sub-1")
			require.ErrorIs(t, err, store.ErrNotFound)
			fs, err := s.FollowsOf(ctx, "sub-1")
			require.NoError(t, err)
			assert.Empty(t, fs)
			as, err := s.AlertsOfSubscriber(ctx, "sub-1")
			require.NoError(t, err)
			assert.Empty(t, as)
			c, err := s.Counts(ctx)
			require.NoError(t, err)
			assert.Zero(t, c.Follows)
			assert.Zero(t, c.Subscribers[store.Active])
		})
	}
}
