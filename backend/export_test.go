package backend

import (
	"context"
	"encoding/json"
	"net/http"
	"reflect"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/manga-alert-italia/mangaalert/store"
	"github.com/manga-alert-italia/mangaalert/store/storetest"
)

// Every field of the store's records is in the export: each record type
// is filled by reflection with values that are not zero, and each of its
// fields must come out, named in snake case, not null. A field added to
// store.Subscriber (Follow, Alert) of a kind the export cannot write
// fails here too.
func TestExportHasEveryField(t *testing.T) {
	for _, rec := range []any{&store.Subscriber{}, &store.Follow{}, &store.Alert{}} {
		storetest.FillEvery(t, rec)
		v := reflect.ValueOf(rec).Elem()
		got, err := exportRecord(v.Interface())
		require.NoError(t, err)
		for _, name := range fieldNames(v.Type()) {
			key := snakeCase(name)
			val, ok := got[key]
			assert.True(t, ok, "%s.%s is not in the export (as %q)", v.Type().Name(), name, key)
			assert.NotNil(t, val, "%s.%s is null in the export", v.Type().Name(), name)
		}
	}
	s := store.Subscriber{TokenHash: strings.Repeat("ab", 32)}
	got, err := exportRecord(s)
	require.NoError(t, err)
	assert.Equal(t, "secret", got["token_hash"], "the feed secret itself stays out of the file")
	got, err = exportRecord(store.Subscriber{})
	require.NoError(t, err)
	assert.Nil(t, got["token_hash"], "no secret, no feeds: null")
}

func fieldNames(t reflect.Type) []string {
	var out []string
	for i := range t.NumField() {
		f := t.Field(i)
		if f.Anonymous && f.Type.Kind() == reflect.Struct {
			out = append(out, fieldNames(f.Type)...)
			continue
		}
		out = append(out, f.Name)
	}
	return out
}

func TestSnakeCase(t *testing.T) {
	for in, want := range map[string]string{
		"ID": "id", "Email": "email", "ConfirmedAt": "confirmed_at", "TokenHash": "token_hash",
		"SubscriberID": "subscriber_id", "TelegramChatID": "telegram_chat_id", "OwnedUpTo": "owned_up_to",
	} {
		assert.Equal(t, want, snakeCase(in), in)
	}
}

// exported is the export of a reader as a client reads it.
type exported struct {
	Format     string           `json:"format"`
	Subscriber map[string]any   `json:"subscriber"`
	Feeds      exportFeeds      `json:"feeds"`
	Follows    []map[string]any `json:"follows"`
	Alerts     []map[string]any `json:"alerts"`
}

func decodeExport(t *testing.T, w interface {
	Result() *http.Response
}, body []byte) exported {
	t.Helper()
	res := w.Result()
	require.Equal(t, http.StatusOK, res.StatusCode, string(body))
	assert.Equal(t, "application/json", res.Header.Get("Content-Type"))
	assert.Equal(t, `attachment; filename="mangaalert-dati-2025-03-12.json"`, res.Header.Get("Content-Disposition"))
	assert.Equal(t, "no-store", res.Header.Get("Cache-Control"))
	var x exported
	require.NoError(t, json.Unmarshal(body, &x))
	return x
}

// The export through the API and the manage page's button, then the
// deletion, on both stores: a first attempt fails midway (the store's
// DeleteSubscriber fails once) and leaves the reader stopped, without
// feeds, able to open the page and retry; the retry deletes everything,
// alert history included.
func TestExportAndDelete(t *testing.T) {
	t.Parallel()
	bothStores(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		s := e.confirmed("dati@example.it", "one-piece")
		withHistory(t, e, s.ID)
		tok := e.links().ManageToken(s)
		base := "/gestisci/" + tok
		feed := pathOf(e.links().CalendarURL(s))
		require.Equal(t, http.StatusOK, e.get(feed).Code)

		w := e.get(apiPrefix+"/me/export", "Authorization", "Bearer "+tok)
		x := decodeExport(t, w, w.Body.Bytes())
		assert.Equal(t, ExportFormat, x.Format)
		assert.Equal(t, "dati@example.it", x.Subscriber["email"])
		assert.Equal(t, s.ID, x.Subscriber["id"])
		assert.Equal(t, PrivacyVersion, x.Subscriber["consent_version"])
		assert.NotNil(t, x.Subscriber["consent_at"])
		assert.Equal(t, "secret", x.Subscriber["token_hash"])
		assert.NotContains(t, w.Body.String(), s.TokenHash, "the feed secret is not in the file")
		assert.Equal(t, exportFeeds{Active: true, Calendar: e.links().CalendarURL(s), Atom: e.links().AtomURL(s)}, x.Feeds)
		require.Len(t, x.Follows, 1)
		assert.Equal(t, "One Piece", x.Follows[0]["series_title"])
		assert.EqualValues(t, 107, x.Follows[0]["owned_up_to"])
		assert.Equal(t, []any{110.0}, x.Follows[0]["owned"])
		assert.Equal(t, []any{"7", "1"}, x.Follows[0]["reminders"])
		require.Len(t, x.Alerts, 2)
		assert.Equal(t, "announce", x.Alerts[0]["kind"])
		assert.Equal(t, "sent", x.Alerts[0]["state"])
		assert.Equal(t, "msg-1", x.Alerts[0]["message_id"])
		assert.Equal(t, "2025-03-12", x.Alerts[0]["release_date"])
		assert.Equal(t, "remind-7", x.Alerts[1]["kind"])

		page := e.get(base).Body.String()
		assert.Contains(t, page, `href="`+base+`/dati.json" download>Scarica i miei dati</a>`)
		w = e.get(base + "/dati.json")
		assert.JSONEq(t, e.get(apiPrefix+"/me/export", "Authorization", "Bearer "+tok).Body.String(), w.Body.String(),
			"the page's button downloads what the API answers")
		decodeExport(t, w, w.Body.Bytes())

		// The first deletion fails in the store.
		w = e.postForm(base+"/cancella", nil)
		require.Equal(t, http.StatusServiceUnavailable, w.Code)
		assert.Contains(t, w.Body.String(), "Riprova tra poco dallo stesso link")
		stopped, err := e.st.Subscriber(ctx, s.ID)
		require.NoError(t, err, "the reader is still there to retry")
		assert.Equal(t, store.Unsubscribed, stopped.Status, "no more mail")
		assert.Empty(t, stopped.TokenHash, "no more feeds")
		assert.Equal(t, http.StatusNotFound, e.get(feed).Code, "the feed URL is revoked already")
		assert.Equal(t, http.StatusOK, e.get(base).Code, "the manage link still opens the page")
		w = e.get(base + "/dati.json")
		assert.False(t, decodeExport(t, w, w.Body.Bytes()).Feeds.Active)

		// The retry finishes it.
		w = e.postForm(base+"/cancella", nil)
		require.Equal(t, http.StatusOK, w.Code, w.Body.String())
		assert.Contains(t, w.Body.String(), "lo storico degli avvisi")
		_, err = e.st.Subscriber(ctx, s.ID)
		require.ErrorIs(t, err, store.ErrNotFound)
		_, err = e.st.SubscriberByEmail(ctx, "dati@example.it")
		require.ErrorIs(t, err, store.ErrNotFound)
		fs, err := e.st.FollowsOf(ctx, s.ID)
		require.NoError(t, err)
		assert.Empty(t, fs)
		as, err := e.st.AlertsOfSubscriber(ctx, s.ID)
		require.NoError(t, err)
		assert.Empty(t, as, "the alert history is gone")
		assert.Equal(t, http.StatusNotFound, e.get(feed).Code)
		assert.Equal(t, http.StatusNotFound, e.get(base).Code)
		assert.Equal(t, http.StatusNotFound, e.get(apiPrefix+"/me/export", "Authorization", "Bearer "+tok).Code)

		// Through the API, another reader.
		s2 := e.confirmed("api-dati@example.it", "solo-leveling")
		withHistory2 := func() {
			k := store.AlertKey{SubscriberID: s2.ID, VolumeID: "solo-leveling/19", Kind: store.Announce}
			require.NoError(t, e.st.ClaimAlert(ctx, store.Alert{AlertKey: k, RunID: "run-3", ClaimedAt: t0}))
		}
		withHistory2()
		tok2 := e.links().ManageToken(s2)
		require.Equal(t, http.StatusNoContent, e.do(http.MethodDelete, apiPrefix+"/me", nil, "Authorization", "Bearer "+tok2).Code)
		as, err = e.st.AlertsOfSubscriber(ctx, s2.ID)
		require.NoError(t, err)
		assert.Empty(t, as)
		_, err = e.st.Subscriber(ctx, s2.ID)
		require.ErrorIs(t, err, store.ErrNotFound)
	}, failDeletes(1))
}
