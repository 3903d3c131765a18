package scraper_test

import (
	"context"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/manga-alert-italia/mangaalert/integration"
	"github.com/manga-alert-italia/mangaalert/internal/awscalls"
	"github.com/manga-alert-italia/mangaalert/store"
	"github.com/manga-alert-italia/mangaalert/store/dynamo"
)

func TestMain(m *testing.M) { integration.Main(m) }

// TestRunTwiceDynamo runs the whole scrape twice into DynamoDB on the
// emulator: the second run makes no mutating call but the one keeping its
// report, whether it skips the
// unchanged pages or reads them all again.
func TestRunTwiceDynamo(t *testing.T) {
	t.Parallel()
	cfg := integration.Config(t, integration.DynamoDB)
	calls := integration.Record(&cfg)
	client := dynamodb.NewFromConfig(cfg)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	require.NoError(t, dynamo.EnsureTable(ctx, client, "mangaalert", func(o *dynamo.TableOptions) {
		o.MinDelay, o.MaxDelay = 10*time.Millisecond, 200*time.Millisecond
	}))
	st := dynamo.New(client, "mangaalert")
	ss := newSites(t)

	calls.Reset()
	rep := run(t, ss.config(st))
	tot := rep.Totals()
	assert.Empty(t, tot.Errors)
	assert.Greater(t, tot.New, 30)
	assert.NotEmpty(t, calls.Mutating())
	checkCatalogue(t, ss, st)
	before := dump(t, st)

	calls.Reset()
	rep = run(t, ss.config(st))
	tot = rep.Totals()
	assert.Empty(t, tot.Errors)
	assert.Equal(t, []awscalls.Call{{Service: "DynamoDB", Operation: "PutItem", Mutating: true}}, calls.Mutating(), "the second run writes its report, nothing else")
	assert.Equal(t, tot.Pages, tot.Unchanged)

	calls.Reset()
	force := ss.config(st)
	force.Force = true
	rep = run(t, force)
	tot = rep.Totals()
	assert.Empty(t, tot.Errors)
	assert.Equal(t, []awscalls.Call{{Service: "DynamoDB", Operation: "PutItem", Mutating: true}}, calls.Mutating(), "reading every page again writes nothing but its report either")
	assert.Equal(t, tot.Pages, tot.Fetched)
	assert.Zero(t, tot.New+tot.Changed)
	assert.Equal(t, before, dump(t, st))
}

// openDynamo is a fresh table on the emulator.
func openDynamo(t *testing.T) store.Store {
	t.Helper()
	cfg := integration.Config(t, integration.DynamoDB)
	client := dynamodb.NewFromConfig(cfg)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	require.NoError(t, dynamo.EnsureTable(ctx, client, "mangaalert", func(o *dynamo.TableOptions) {
		o.MinDelay, o.MaxDelay = 10*time.Millisecond, 200*time.Millisecond
	}))
	return dynamo.New(client, "mangaalert")
}
