package backend

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/manga-alert-italia/mangaalert/store"
)

// TestCollection: "Ho fino al n. N", single owned volumes and reminders
// through the manage page, the API and the feeds, on both stores.
func TestCollection(t *testing.T) {
	t.Parallel()
	t.Run("bolt", func(t *testing.T) {
		t.Parallel()
		testCollection(t, newEnv(t))
	})
	t.Run("dynamodb", func(t *testing.T) {
		t.Parallel()
		open, _ := dynamoStore(t)
		testCollection(t, newEnvOn(t, open))
	})
}

func testCollection(t *testing.T, e *env) {
	ctx := context.Background()
	s := e.confirmed("collezione@example.it", "one-piece")
	base := "/gestisci/" + e.links().ManageToken(s)
	page := e.get(base).Body.String()
	assert.Contains(t, page, "Prossimo da comprare: <strong>n. 108, in fumetteria il 12 marzo 2025</strong>")

	// The page's form: up to 108, 110 besides, only the 7-day reminder.
	w := e.postForm(base+"/collezione", url.Values{"series_id": {"one-piece"}, "owned_up_to": {"108"}, "owned": {"110"},
		"reminders_own": {"1"}, "reminders": {"7"}})
	require.Equal(t, http.StatusSeeOther, w.Code, w.Body.String())
	page = e.get(w.Header().Get("Location")).Body.String()
	assert.Contains(t, page, "collezione e avvisi della serie salvati")
	assert.Contains(t, page, "Prossimo da comprare: <strong>n. 109, in fumetteria il 4 giugno 2025</strong>")
	assert.Contains(t, page, `name="owned_up_to" value="108"`)
	assert.Contains(t, page, `id="rem-own-one-piece" name="reminders_own" value="1" checked`)
	assert.Contains(t, page, `id="rem-7-one-piece" name="reminders" value="7" checked`)
	assert.NotContains(t, page, `id="rem-30-one-piece" name="reminders" value="30" checked`)
	only7, err := store.Reminds("7")
	require.NoError(t, err)
	fs, err := e.st.FollowsOf(ctx, s.ID)
	require.NoError(t, err)
	require.Len(t, fs, 1)
	assert.Equal(t, 108, fs[0].OwnedUpTo)
	assert.Equal(t, []int{110}, fs[0].Owned)
	assert.Equal(t, only7, fs[0].Reminders)

	// The feeds leave out what the reader has.
	ics := e.get(pathOf(e.links().CalendarURL(s))).Body.String()
	assert.NotContains(t, ics, "SUMMARY:ONE PIECE n. 108\r\n")
	assert.Contains(t, ics, "SUMMARY:ONE PIECE n. 109\r\n")
	atom := e.get(pathOf(e.links().AtomURL(s))).Body.String()
	assert.NotContains(t, atom, "ONE PIECE n. 108<")
	assert.Contains(t, atom, "ONE PIECE n. 109")

	// Mistakes are told in words and write nothing.
	for _, bad := range []struct {
		form url.Values
		says string
	}{
		{url.Values{"series_id": {"one-piece"}, "owned_up_to": {"dodici"}}, "vuole un numero"},
		{url.Values{"series_id": {"one-piece"}, "owned_up_to": {"-3"}}, "da 0 (nessuno)"},
		{url.Values{"series_id": {"one-piece"}, "owned": {"3, x"}}, "numeri separati da virgole"},
		{url.Values{"series_id": {"one-piece"}, "reminders_own": {"1"}, "reminders": {"14"}}, "Scegli gli avvisi"},
		{url.Values{"series_id": {"solo-leveling"}, "owned_up_to": {"3"}}, "Non segui questa serie"},
	} {
		w := e.postForm(base+"/collezione", bad.form)
		assert.Equal(t, http.StatusUnprocessableEntity, w.Code, bad.form.Encode())
		assert.Contains(t, w.Body.String(), bad.says)
	}
	fs, err = e.st.FollowsOf(ctx, s.ID)
	require.NoError(t, err)
	assert.Equal(t, 108, fs[0].OwnedUpTo, "nothing written")

	// Reader-wide reminders: the preferences form; all four is the default.
	w = e.postForm(base+"/preferenze", url.Values{"reminders_form": {"1"}, "reminders": {"announce", "1"}})
	require.Equal(t, http.StatusSeeOther, w.Code, w.Body.String())
	got, err := e.st.Subscriber(ctx, s.ID)
	require.NoError(t, err)
	assert.Equal(t, []string{"announce", "1"}, got.Reminders.Names())
	assert.True(t, got.Reminders.Chosen())
	w = e.postForm(base+"/preferenze", url.Values{"reminders_form": {"1"}, "reminders": {"announce", "30", "7", "1"}})
	require.Equal(t, http.StatusSeeOther, w.Code)
	got, err = e.st.Subscriber(ctx, s.ID)
	require.NoError(t, err)
	assert.Zero(t, got.Reminders, "all four is the default")
	w = e.postForm(base+"/preferenze", url.Values{"variants": {"1"}}) // a form without the boxes
	require.Equal(t, http.StatusSeeOther, w.Code)
	got, err = e.st.Subscriber(ctx, s.ID)
	require.NoError(t, err)
	assert.Zero(t, got.Reminders, "left alone")

	// The API: the same follow, then a change through it.
	auth := []string{"Authorization", "Bearer " + e.links().ManageToken(s)}
	var list struct{ Follows []jsonFollow }
	w = e.get(apiPrefix+"/me/follows", auth...)
	require.Equal(t, http.StatusOK, w.Code)
	require.NoError(t, json.Unmarshal(w.Body.Bytes(), &list))
	require.Len(t, list.Follows, 1)
	f := list.Follows[0]
	assert.Equal(t, 108, f.OwnedUpTo)
	assert.Equal(t, []string{"7"}, f.Reminders)
	require.NotNil(t, f.Next)
	assert.Equal(t, 109, f.Next.Number)
	assert.Equal(t, "2025-06-04", *f.Next.ReleaseDate)

	w = e.do("PATCH", apiPrefix+"/me/follows/one-piece", strings.NewReader(`{"owned_up_to": 109, "reminders": null}`),
		append([]string{"Content-Type", "application/json"}, auth...)...)
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	var one struct{ Follow jsonFollow }
	require.NoError(t, json.Unmarshal(w.Body.Bytes(), &one))
	assert.Equal(t, 109, one.Follow.OwnedUpTo)
	assert.Equal(t, []int{110}, one.Follow.Owned, "left out: stays")
	assert.Nil(t, one.Follow.Reminders, "null: the reader's")
	assert.Nil(t, one.Follow.Next, "every volume known is owned")
	assert.Contains(t, e.get(base).Body.String(), "Hai tutti i volumi usciti finora.")

	w = e.do("PATCH", apiPrefix+"/me", strings.NewReader(`{"reminders": ["7"]}`), append([]string{"Content-Type", "application/json"}, auth...)...)
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	assert.Contains(t, w.Body.String(), `"reminders":["7"]`)
}
