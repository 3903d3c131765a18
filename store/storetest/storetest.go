// Package storetest is the contract suite every store.Store passes: one
// Run, called from each implementation's tests, so the embedded store and
// DynamoDB behave the same to the scraper, the notifier and the backend.
//
//	func TestContract(t *testing.T) {
//		storetest.Run(t, func(t *testing.T) store.Store {
//			s, err := bolt.Open(filepath.Join(t.TempDir(), "db"))
//			require.NoError(t, err)
//			t.Cleanup(func() { s.Close() })
//			return s
//		})
//	}
//
// Every subtest runs in parallel on a store of its own, fresh from open.
// Time is injected through the arguments the contract takes (now, and
// ExpiresAt in the past for expired sign-ups), never by sleeping.
package storetest

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/manga-alert-italia/mangaalert/store"
)

// Open returns a new, empty store for one test and arranges for it to be
// closed (t.Cleanup).
type Open func(t *testing.T) store.Store

// tests are the contract, one subtest each.
var tests = []struct {
	name string
	fn   func(t *testing.T, s store.Store)
}{
	{"Series", testSeries},
	{"SeriesConcurrently", testSeriesConcurrently},
	{"UpsertNewChangedUnchanged", testUpsert},
	{"UpsertRepeatsInOneCall", testUpsertRepeats},
	{"UpsertBadInputWritesNothing", testUpsertBadInput},
	{"UpsertKeepsEverySKU", testUpsertSKUs},
	{"VolumesOfSeries", testVolumesOfSeries},
	{"VolumesReleasing", testVolumesReleasing},
	{"UpcomingVolumes", testUpcomingVolumes},
	{"Subscribers", testSubscribers},
	{"EmailUnique", testEmailUnique},
	{"UpdateSubscriber", testUpdateSubscriber},
	{"DeleteSubscriber", testDeleteSubscriber},
	{"ExpiredSignUps", testExpiredSignUps},
	{"Follows", testFollows},
	{"FollowedSeries", testFollowedSeries},
	{"Collections", testCollections},
	// Telegram (issue 17).
	{"Telegram", testTelegram},
	{"LinkTokens", testLinkTokens},
	{"ClaimAlert", testClaimAlert},
	{"ClaimAlertConcurrently", testClaimConcurrently},
	{"ResolveAlert", testResolveAlert},
	{"ReclaimAlert", testReclaimAlert},
	{"AlertQueries", testAlertQueries},
	{"DeleteSubscriberAlerts", testDeleteSubscriberAlerts},
	{"Pages", testPages},
	{"Blobs", testBlobs},
	{"Budgets", testBudgets},
	{"BudgetsConcurrently", testBudgetsConcurrently},
	{"CatalogVersion", testCatalogVersion},
	{"Counts", testCounts},
	{"ManyItems", testManyItems},
	{"Errors", testErrors},
}

// Names lists the contract's subtests, in the order Run runs them (to
// select one: go test -run 'TestContract/ClaimAlertConcurrently').
func Names() []string {
	out := make([]string, len(tests))
	for i, tt := range tests {
		out[i] = tt.name
	}
	return out
}

// Run runs every contract test against the stores open returns.
func Run(t *testing.T, open Open) {
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tt.fn(t, open(t))
		})
	}
}

// t0 is the suite's "now" for records whose time the store never compares
// with its own clock. Nanoseconds on purpose: stores keep them.
var t0 = time.Date(2024, time.September, 1, 10, 0, 0, 123456789, time.UTC)

// wallNow is for records the store compares with its own clock (expiry):
// UTC and without a monotonic reading, so it compares equal after a round
// trip.
func wallNow() time.Time { return time.Now().UTC().Truncate(time.Microsecond) }

func vol(series string, n int, title string, d store.Date) store.Volume {
	return store.Volume{
		ID: store.VolumeID(series, store.First, n, ""), SeriesID: series, Number: n, Edition: store.First,
		Title: title, Publisher: "Star Comics", ReleaseDate: d, PriceCents: 590,
		SourceURL: "https://www.starcomics.com/titoli-fumetti/" + series,
	}
}

func ids[T any](xs []T, id func(T) string) []string {
	out := make([]string, 0, len(xs))
	for _, x := range xs {
		out = append(out, id(x))
	}
	return out
}

func volIDs(vs []store.Volume) []string { return ids(vs, func(v store.Volume) string { return v.ID }) }

// readers creates subscribers of the ids (an alert is claimed only for
// a reader who exists).
func readers(t *testing.T, s store.Store, ids ...string) {
	t.Helper()
	for _, id := range ids {
		require.NoError(t, s.CreateSubscriber(context.Background(), subscriber(id, id+"@example.com")))
	}
}

func subscriber(id, email string) store.Subscriber {
	return store.Subscriber{ID: id, Email: email, Status: store.Active, TokenHash: tokenHash(id),
		CreatedAt: t0, UpdatedAt: t0, ConfirmedAt: t0}
}

func tokenHash(id string) string {
	h := sha256.Sum256([]byte("token of " + id))
	return hex.EncodeToString(h[:])
}
