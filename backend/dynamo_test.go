package backend

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/manga-alert-italia/mangaalert/integration"
	"github.com/manga-alert-italia/mangaalert/store"
	"github.com/manga-alert-italia/mangaalert/store/dynamo"
)

// dynamoStore makes a table in a fresh emulator account. open gives the
// store with the env's clock; reopen gives another store on the same
// table with its own client, as a replacement instance has.
func dynamoStore(t *testing.T) (open func(now func() time.Time) store.Store, reopen func() store.Store) {
	cfg := integration.Config(t, integration.DynamoDB)
	client := dynamodb.NewFromConfig(cfg)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	const table = "mangaalert"
	require.NoError(t, dynamo.EnsureTable(ctx, client, table, func(o *dynamo.TableOptions) {
		o.MinDelay, o.MaxDelay = 10*time.Millisecond, 100*time.Millisecond
	}))
	open = func(now func() time.Time) store.Store {
		return dynamo.New(client, table, func(o *dynamo.Options) { o.Now = now })
	}
	reopen = func() store.Store { return dynamo.New(dynamodb.NewFromConfig(cfg), table) }
	return open, reopen
}

// TestOnDynamo walks a reader's path on the DynamoDB store (the emulator),
// as the backend runs on AWS.
func TestOnDynamo(t *testing.T) {
	t.Parallel()
	open, _ := dynamoStore(t)
	e := newEnvOn(t, open)

	home := e.get("/")
	require.Equal(t, http.StatusOK, home.Code)
	assert.Contains(t, home.Body.String(), "ONE PIECE n. 108")
	assert.Contains(t, e.get("/serie?q=sorcery").Body.String(), "Jujutsu Kaisen")
	assert.Contains(t, e.get("/api/v1/releases?from=2025-03-01&to=2025-03-31").Body.String(), "SOLO LEVELING n. 19")

	s := e.confirmed("dynamo@example.it", "one-piece")
	assert.Equal(t, store.Active, s.Status)
	base := "/gestisci/" + e.links().ManageToken(s)
	w := e.postForm(base+"/segui", url.Values{"series_id": {"solo-leveling"}})
	require.Equal(t, http.StatusSeeOther, w.Code, w.Body.String())
	ics := e.get(pathOf(e.links().CalendarURL(s))).Body.String()
	assert.Contains(t, ics, "SUMMARY:ONE PIECE n. 108")
	assert.Contains(t, ics, "SUMMARY:SOLO LEVELING n. 19")

	w = e.postForm(pathOf(e.links().UnsubscribeURL(s)), url.Values{"List-Unsubscribe": {"One-Click"}})
	require.Equal(t, http.StatusOK, w.Code)
	got, err := e.st.Subscriber(context.Background(), s.ID)
	require.NoError(t, err)
	assert.Equal(t, store.Unsubscribed, got.Status)

	w = e.postForm("/link", url.Values{"email": {"dynamo@example.it"}})
	require.Equal(t, http.StatusOK, w.Code)
	m := e.waitMail("dynamo@example.it", 2)
	assert.True(t, strings.Contains(m.Text, "/gestisci/"))
	assert.Equal(t, http.StatusOK, e.get("/readyz").Code)
}
