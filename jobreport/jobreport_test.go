package jobreport_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/manga-alert-italia/mangaalert/jobreport"
	"github.com/manga-alert-italia/mangaalert/store"
)

// blobs is an in-memory store.Blobs.
type blobs map[string][]byte

func (b blobs) GetBlob(_ context.Context, k string) ([]byte, error) {
	v, ok := b[k]
	if !ok {
		return nil, store.ErrNotFound
	}
	return v, nil
}

func (b blobs) PutBlob(_ context.Context, k string, v []byte) error { b[k] = v; return nil }

var t0 = time.Date(2026, 12, 3, 6, 0, 0, 0, time.UTC)

func TestRecordKeepsTheLastRunsNewestFirst(t *testing.T) {
	ctx := context.Background()
	b := blobs{}
	for i := range jobreport.Keep + 2 {
		require.NoError(t, jobreport.Record(ctx, b, "scrape", jobreport.Run{Started: t0.Add(time.Duration(i) * time.Hour),
			Finished: t0.Add(time.Duration(i)*time.Hour + time.Minute), Outcome: jobreport.OK}))
	}
	runs, err := jobreport.Runs(ctx, b, "scrape")
	require.NoError(t, err)
	require.Len(t, runs, jobreport.Keep)
	assert.Equal(t, t0.Add(6*time.Hour), runs[0].Started.UTC())
	assert.Equal(t, t0.Add(2*time.Hour), runs[len(runs)-1].Started.UTC())
	none, err := jobreport.Runs(ctx, b, "notify")
	require.NoError(t, err)
	assert.Empty(t, none)
}

func TestLines(t *testing.T) {
	for _, tc := range []struct {
		name string
		runs []jobreport.Run
		want []string
	}{
		{"never ran", nil, []string{"notify: no run recorded yet"}},
		{"a failed run with its report", []jobreport.Run{{Started: t0, Finished: t0.Add(95 * time.Second), Outcome: jobreport.Failed,
			Error: "2 alerts uncertain", Report: []string{"emails: 3 sent, 0 failed, 2 uncertain"}}},
			[]string{"notify: 2026-12-03 06:00 UTC, took 1m35s: failed: 2 alerts uncertain", "  emails: 3 sent, 0 failed, 2 uncertain"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, jobreport.Lines("notify", tc.runs))
		})
	}
}

func TestUnreadableRunsAreAnError(t *testing.T) {
	b := blobs{jobreport.Key("scrape"): []byte("{")}
	_, err := jobreport.Runs(context.Background(), b, "scrape")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "do not decode")
	err = jobreport.Record(context.Background(), b, "scrape", jobreport.Run{})
	assert.Error(t, err, "a record over unreadable runs is refused, not written over them")
	assert.False(t, errors.Is(err, store.ErrNotFound))
}

func Example() {
	ctx := context.Background()
	b := blobs{}
	_ = jobreport.Record(ctx, b, "scrape", jobreport.Run{Started: t0, Finished: t0.Add(2 * time.Minute), Outcome: jobreport.Failed,
		Error: "source planet broken", Report: []string{"planet: 3 pages, 0 items, broken: no items where there were 40"}})
	runs, _ := jobreport.Runs(ctx, b, "scrape")
	for _, l := range jobreport.Lines("scrape", runs) {
		fmt.Println(l)
	}
	// Output:
	// scrape: 2026-12-03 06:00 UTC, took 2m0s: failed: source planet broken
	//   planet: 3 pages, 0 items, broken: no items where there were 40
}
