package backend

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/manga-alert-italia/mangaalert/store"
)

// The privacy page says, in Italian, what is kept, why, for how long and
// who processes it, and names its version.
func TestPrivacyPage(t *testing.T) {
	e := newEnv(t)
	w := e.get(PrivacyPath)
	require.Equal(t, http.StatusOK, w.Code)
	body := w.Body.String()
	for _, want := range []string{
		"Cosa conserviamo", "Perché", "Per quanto tempo", "Chi tratta i dati per noi", "I tuoi diritti",
		"Amazon Web Services", "Amazon SES", "Telegram", "storico degli avvisi",
		"dopo 7 giorni", // ConfirmTTL, from the configuration
		"(" + PrivacyVersion + ")", "3 dicembre 2026",
		"Scarica i miei dati", "Cancella i miei dati",
	} {
		assert.Contains(t, body, want)
	}
	assert.NotEmpty(t, w.Header().Get("Etag"), "cached like the catalogue's pages, revalidated by ETag")
	assert.NotContains(t, body, `name="robots"`, "a public page, for search engines too")
}

// The page names the data controller the operator configured; without
// one it says so to the reader, and the operator hears it at start.
func TestPrivacyPageNamesTheController(t *testing.T) {
	for _, tc := range []struct {
		name, contact, page string
		warned              bool
	}{
		{"configured", "Mario Rossi, privacy@example.it", "Il titolare del trattamento è <strong>Mario Rossi, privacy@example.it</strong>", false},
		{"not configured", "", "non ha ancora indicato qui il proprio nome", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, func(c *Config) { c.PrivacyContact = tc.contact })
			assert.Contains(t, e.get(PrivacyPath).Body.String(), tc.page)
			e.logsMu.Lock()
			logs := e.logs.String()
			e.logsMu.Unlock()
			assert.Equal(t, tc.warned, strings.Contains(logs, "--privacy-contact"), logs)
		})
	}
}

// Every page links the privacy page from its footer: public pages, pages
// behind a token, and error pages.
func TestEveryPageLinksPrivacy(t *testing.T) {
	e := newEnv(t)
	s := e.confirmed("p@example.it", "one-piece")
	for _, path := range []string{
		"/", "/serie", "/serie/one-piece", "/iscriviti", "/link", PrivacyPath,
		"/gestisci/" + e.links().ManageToken(s),
		pathOf(e.links().UnsubscribeURL(s)),
		"/non-esiste",
	} {
		w := e.get(path)
		assert.Contains(t, w.Body.String(), `<a href="/privacy"`, path)
	}
}

// Confirming records the consent: when, and which version of the privacy
// page; the confirmation page links it.
func TestConfirmRecordsConsent(t *testing.T) {
	t.Parallel()
	bothStores(t, func(t *testing.T, e *env) {
		addr := "consenso@example.it"
		w := e.postForm("/iscriviti", map[string][]string{"email": {addr}, "series_id": {"one-piece"}})
		require.Equal(t, http.StatusOK, w.Code)
		link := linkIn(t, e.waitMail(addr, 1), "conferma")
		pending, err := e.st.SubscriberByEmail(context.Background(), addr)
		require.NoError(t, err)
		assert.Zero(t, pending.ConsentAt, "no consent before the confirmation")
		assert.Empty(t, pending.ConsentVersion)
		assert.Contains(t, e.get(link).Body.String(), `<a href="/privacy">Privacy</a>`)

		confirmedAt := e.clock.Now()
		require.Equal(t, http.StatusSeeOther, e.postForm(link, nil).Code)
		s, err := e.st.SubscriberByEmail(context.Background(), addr)
		require.NoError(t, err)
		assert.Equal(t, store.Active, s.Status)
		assert.True(t, confirmedAt.Equal(s.ConsentAt), "consent at %s, want %s", s.ConsentAt, confirmedAt)
		assert.Equal(t, PrivacyVersion, s.ConsentVersion)

		e.clock.Advance(time.Minute)
		require.Equal(t, http.StatusSeeOther, e.postForm(link, nil).Code, "confirming twice")
		again, err := e.st.Subscriber(context.Background(), s.ID)
		require.NoError(t, err)
		assert.True(t, confirmedAt.Equal(again.ConsentAt), "the first consent stays")
	})
}

// bothStores runs fn on an env over the embedded store and one over
// DynamoDB (the emulator), in parallel.
func bothStores(t *testing.T, fn func(t *testing.T, e *env), tweak ...func(*Config)) {
	t.Helper()
	t.Run("bolt", func(t *testing.T) {
		t.Parallel()
		fn(t, newEnv(t, tweak...))
	})
	t.Run("dynamodb", func(t *testing.T) {
		t.Parallel()
		open, _ := dynamoStore(t)
		fn(t, newEnvOn(t, open, tweak...))
	})
}

// The backend's mails: the HTML part opens "Ciao," as the text part does,
// long links wrap on a phone, and both parts link the privacy page.
func TestMailsGreetWrapAndLinkPrivacy(t *testing.T) {
	e := newEnv(t)
	addr := "ciao@example.it"
	e.postForm("/iscriviti", map[string][]string{"email": {addr}, "series_id": {"one-piece"}})
	confirm := e.waitMail(addr, 1)
	e.confirmed("ciao2@example.it", "one-piece")
	e.postForm("/link", map[string][]string{"email": {"ciao2@example.it"}})
	manage := e.waitMail("ciao2@example.it", 2)
	for name, m := range map[string]Mail{"confirm": confirm, "manage": manage} {
		assert.True(t, strings.HasPrefix(m.Text, "Ciao,\n"), name)
		body := m.HTML[strings.Index(m.HTML, "<body"):]
		first := body[strings.Index(body, "<p>"):]
		assert.True(t, strings.HasPrefix(first, "<p>Ciao,</p>"), "%s: the HTML part starts %q", name, first[:min(40, len(first))])
		assert.Contains(t, m.HTML, "overflow-wrap: anywhere", name)
		assert.Contains(t, m.HTML, "word-break: break-all", name)
		assert.Contains(t, m.Text, "https://mangaalert.test/privacy", name)
		assert.Contains(t, m.HTML, `href="https://mangaalert.test/privacy"`, name)
	}
}

// privacyAPICases are the OpenAPI test's calls of the export and of a
// deletion that fails midway.
func privacyAPICases() []apiCase {
	return []apiCase{
		{op: "exportMe", req: asReader("GET", "/me/export", nil, withHistory), status: 200},
		{op: "exportMe", name: "no token", req: apiReq("GET", "/me/export", nil), status: 401},
		{op: "exportMe", name: "deleted", req: asReader("GET", "/me/export", nil, deleted), status: 404},
		{op: "deleteMe", name: "fails midway", tweak: failDeletes(1), req: asReader("DELETE", "/me", nil), status: 503},
	}
}

// withHistory gives the reader a collection, reminders and alerts.
func withHistory(t *testing.T, e *env, id string) {
	ctx := context.Background()
	r, err := store.Reminds("7", "1")
	require.NoError(t, err)
	require.NoError(t, e.st.UpdateFollow(ctx, store.Follow{SubscriberID: id, SeriesID: "one-piece", OwnedUpTo: 107, Owned: []int{110}, Reminders: r}))
	k := store.AlertKey{SubscriberID: id, VolumeID: "one-piece/108", Kind: store.Announce}
	require.NoError(t, e.st.ClaimAlert(ctx, store.Alert{AlertKey: k, RunID: "run-1", ReleaseDate: store.NewDate(2025, 3, 12), ClaimedAt: t0}))
	require.NoError(t, e.st.ResolveAlert(ctx, k, "run-1", store.Sent, "msg-1", "", t0.Add(time.Second)))
	k.Kind = store.Reminder(7)
	require.NoError(t, e.st.ClaimAlert(ctx, store.Alert{AlertKey: k, RunID: "run-2", ReleaseDate: store.NewDate(2025, 3, 12), ClaimedAt: t0.Add(time.Hour)}))
}

// failingStore is the backend's store with DeleteSubscriber failing its
// first n calls before reaching the store: a fault the stores cannot be
// asked for (each deletes in its own order; store/dynamo's
// TestDeleteSubscriberFailsRetryably fails it at each write).
type failingStore struct {
	Store
	mu   sync.Mutex
	left int
}

var errInjected = errors.New("injected store failure")

func (f *failingStore) DeleteSubscriber(ctx context.Context, id string) error {
	f.mu.Lock()
	fail := f.left > 0
	f.left--
	f.mu.Unlock()
	if fail {
		return errInjected
	}
	return f.Store.DeleteSubscriber(ctx, id)
}

func failDeletes(n int) func(*Config) {
	return func(c *Config) { c.Store = &failingStore{Store: c.Store, left: n} }
}
