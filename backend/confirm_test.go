package backend

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/manga-alert-italia/mangaalert/store"
)

// TestOldConfirmationCannotResubscribe: a confirmation link is bound to
// the sign-up it was mailed for; once the reader unsubscribes, it neither
// shows the button nor brings them back, on the site or the API. A new
// sign-up mails a link that works.
func TestOldConfirmationCannotResubscribe(t *testing.T) {
	e := newEnv(t)
	require.Equal(t, http.StatusOK, e.postForm("/iscriviti", url.Values{"email": {"old@example.it"}, "series_id": {"one-piece"}}).Code)
	link := linkIn(t, e.waitMail("old@example.it", 1), "conferma")
	require.Equal(t, http.StatusSeeOther, e.postForm(link, nil).Code)
	s, err := e.st.SubscriberByEmail(context.Background(), "old@example.it")
	require.NoError(t, err)
	require.Equal(t, store.Active, s.Status)

	e.clock.Advance(time.Hour)
	require.Equal(t, http.StatusOK, e.postForm(pathOf(e.links().UnsubscribeURL(s)), nil).Code)
	e.clock.Advance(time.Hour)

	w := e.postForm(link, nil)
	assert.Equal(t, http.StatusGone, w.Code)
	assert.Contains(t, w.Body.String(), "scaduto")
	assert.Equal(t, http.StatusGone, e.get(link).Code, "the button is not shown either")
	tok := strings.TrimPrefix(link, "/conferma/")
	w = e.postJSON("/api/v1/confirmations", map[string]string{"token": tok})
	assert.Equal(t, http.StatusUnauthorized, w.Code, w.Body.String())
	assert.Contains(t, w.Body.String(), `"code":"expired_token"`)
	got, err := e.st.Subscriber(context.Background(), s.ID)
	require.NoError(t, err)
	assert.Equal(t, store.Unsubscribed, got.Status, "still unsubscribed")

	// Signing up again mails a new link, which works.
	e.clock.Advance(time.Hour)
	require.Equal(t, http.StatusOK, e.postForm("/iscriviti", url.Values{"email": {"old@example.it"}, "series_id": {"one-piece"}}).Code)
	again := linkIn(t, e.waitMail("old@example.it", 2), "conferma")
	require.NotEqual(t, link, again)
	require.Equal(t, http.StatusSeeOther, e.postForm(again, nil).Code)
	got, err = e.st.Subscriber(context.Background(), s.ID)
	require.NoError(t, err)
	assert.Equal(t, store.Active, got.Status)
	assert.Equal(t, http.StatusSeeOther, e.postForm(again, nil).Code, "confirming twice is harmless")
}
