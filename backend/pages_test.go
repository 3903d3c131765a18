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

func TestHomeListsThisWeekAndNext(t *testing.T) {
	e := newEnv(t)
	w := e.get("/")
	require.Equal(t, http.StatusOK, w.Code)
	body := w.Body.String()
	assert.Equal(t, "text/html; charset=utf-8", w.Header().Get("Content-Type"))
	assert.Contains(t, body, `<html lang="it">`)
	assert.Contains(t, body, `<main id="contenuto"`)
	assert.Contains(t, body, `<nav aria-label="Principale">`)
	this, next, _ := strings.Cut(body, "La prossima settimana")
	assert.Contains(t, this, "ONE PIECE n. 108")
	assert.Contains(t, this, "Mercoledì 12 marzo")
	assert.Contains(t, this, "5,90 €")
	assert.Contains(t, this, "variant", "variants are listed, marked")
	assert.Contains(t, next, "Jujutsu Kaisen - Sorcery Fight 27")
	assert.NotContains(t, body, "SOLO LEVELING n. 19", "27 March is the week after next")
	assert.NotContains(t, body, "n. 109")
	assert.NotContains(t, body, "<script", "no JavaScript")
	assert.NotContains(t, body, "style=", "no inline style: the CSP forbids it")
}

func TestSeriesSearch(t *testing.T) {
	e := newEnv(t)
	tests := []struct {
		q        string
		want     []string
		wantNone bool
	}{
		{q: "", want: []string{"One Piece", "Jujutsu Kaisen", "Solo Leveling", "Città di vetro"}},
		{q: "piece", want: []string{"One Piece"}},
		{q: "ONE  piece", want: []string{"One Piece"}},
		{q: "citta", want: []string{"Città di vetro"}},
		{q: "città", want: []string{"Città di vetro"}},
		{q: "sorcery", want: []string{"Jujutsu Kaisen"}},
		{q: "naruto", wantNone: true},
	}
	for _, tt := range tests {
		t.Run(tt.q, func(t *testing.T) {
			w := e.get("/serie?q=" + url.QueryEscape(tt.q))
			require.Equal(t, http.StatusOK, w.Code)
			for _, s := range tt.want {
				assert.Contains(t, w.Body.String(), ">"+s+"</a>")
			}
			if tt.wantNone {
				assert.Contains(t, w.Body.String(), "Nessuna serie trovata")
			}
		})
	}
}

func TestSeriesPage(t *testing.T) {
	e := newEnv(t)
	w := e.get("/serie/one-piece")
	require.Equal(t, http.StatusOK, w.Code)
	body := w.Body.String()
	assert.Contains(t, body, "<h1>One Piece</h1>")
	assert.Contains(t, body, "ONE PIECE n. 109")
	assert.Contains(t, body, "4 giugno 2025")
	assert.Contains(t, body, `<label for="email">`)
	assert.Contains(t, body, `name="series_id" value="one-piece"`)

	w = e.get("/serie/citta-di-vetro")
	assert.Contains(t, w.Body.String(), "da annunciare")

	w = e.get("/serie/naruto")
	assert.Equal(t, http.StatusNotFound, w.Code)
	assert.Contains(t, w.Body.String(), "Non conosciamo questa serie")
}

func TestSubscribeValidation(t *testing.T) {
	e := newEnv(t)
	long := strings.Repeat("a", 250) + "@x.it"
	tests := []struct {
		name, email, series, want string
	}{
		{"empty", "", "one-piece", "Scrivi il tuo indirizzo email."},
		{"no at", "lettore.example.it", "one-piece", "una sola @"},
		{"two at", "a@b@example.it", "one-piece", "una sola @"},
		{"no domain dot", "lettore@localhost", "one-piece", "Il dominio dopo la @"},
		{"space", "let tore@example.it", "one-piece", "non può contenere spazi"},
		{"too long", long, "one-piece", "troppo lungo"},
		{"local too long", strings.Repeat("b", 65) + "@example.it", "one-piece", "prima della @ è troppo lunga"},
		{"display name", "Lettore <lettore@example.it>", "one-piece", "non può contenere spazi"},
		{"unknown series", "lettore@example.it", "naruto", "Non conosciamo questa serie"},
		{"no series", "lettore@example.it", "", "Scegli la serie"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := e.postForm("/iscriviti", url.Values{"email": {tt.email}, "series_id": {tt.series}})
			assert.Equal(t, http.StatusUnprocessableEntity, w.Code)
			body := w.Body.String()
			assert.Contains(t, body, tt.want)
			assert.Contains(t, body, `aria-invalid="true"`)
		})
	}
	// From a series page the form comes back on that page, with the input.
	w := e.postForm("/iscriviti", url.Values{"email": {"sbagliata"}, "series_id": {"one-piece"}, "from": {"serie"}})
	assert.Equal(t, http.StatusUnprocessableEntity, w.Code)
	assert.Contains(t, w.Body.String(), "<h1>One Piece</h1>")
	assert.Contains(t, w.Body.String(), `value="sbagliata"`)

	e.drain()
	assert.Empty(t, e.mail.all(), "bad input sends nothing")
	c, err := e.st.Counts(context.Background())
	require.NoError(t, err)
	assert.Zero(t, c.Subscribers[store.Pending], "and writes nothing")
}

// TestSubscribeSameAnswer: whatever the address's state, the page says the
// same; only the mailbox learns the difference.
func TestSubscribeSameAnswer(t *testing.T) {
	e := newEnv(t)
	post := func(addr string) string {
		w := e.postForm("/iscriviti", url.Values{"email": {addr}, "series_id": {"one-piece"}})
		require.Equal(t, http.StatusOK, w.Code)
		return strings.ReplaceAll(w.Body.String(), addr, "ADDR")
	}
	first := post("nuovo@example.it")
	assert.Contains(t, first, "Controlla la posta")
	m := e.waitMail("nuovo@example.it", 1)
	assert.Contains(t, m.Subject, "One Piece")
	assert.Contains(t, m.Text, "https://mangaalert.test/conferma/")
	assert.Contains(t, m.HTML, "https://mangaalert.test/conferma/")

	s, err := e.st.SubscriberByEmail(context.Background(), "nuovo@example.it")
	require.NoError(t, err)
	assert.Equal(t, store.Pending, s.Status)
	assert.WithinDuration(t, t0.Add(DefaultConfirmTTL), s.ExpiresAt, 0)
	fs, err := e.st.FollowsOf(context.Background(), s.ID)
	require.NoError(t, err)
	assert.Empty(t, fs, "nothing is followed before the link is confirmed")

	assert.Equal(t, first, post("nuovo@example.it"), "pending")
	e.confirmed("attivo@example.it", "solo-leveling")
	assert.Equal(t, first, post("attivo@example.it"), "confirmed")
	assert.Contains(t, e.waitMail("attivo@example.it", 2).Text, "seguire anche")

	sup := store.Subscriber{ID: "sup", Email: "respinto@example.it", Status: store.Suppressed, CreatedAt: t0, UpdatedAt: t0}
	require.NoError(t, e.st.CreateSubscriber(context.Background(), sup))
	assert.Equal(t, first, post("respinto@example.it"), "suppressed")

	// The daily budget of an address: 3 mails, then silence.
	assert.Equal(t, first, post("nuovo@example.it")) // third mail to it
	assert.Equal(t, first, post("nuovo@example.it"), "over budget")
	e.drain()
	assert.Len(t, e.mail.to("nuovo@example.it"), 3)
	assert.Empty(t, e.mail.to("respinto@example.it"))
	e.clock.Advance(24 * time.Hour)
	post("nuovo@example.it")
	e.waitMail("nuovo@example.it", 4)
}

func TestConfirm(t *testing.T) {
	e := newEnv(t)
	w := e.postForm("/iscriviti", url.Values{"email": {"Lettore@Example.it "}, "series_id": {"one-piece"}})
	require.Equal(t, http.StatusOK, w.Code)
	link := linkIn(t, e.waitMail("lettore@example.it", 1), "conferma")

	// GET only shows the button: mail scanners open links.
	w = e.get(link)
	require.Equal(t, http.StatusOK, w.Code)
	assert.Contains(t, w.Body.String(), "One Piece")
	assert.Contains(t, w.Body.String(), `<form action="`+link+`" method="post">`)
	s, err := e.st.SubscriberByEmail(context.Background(), "lettore@example.it")
	require.NoError(t, err)
	assert.Equal(t, store.Pending, s.Status)

	w = e.postForm(link, nil)
	require.Equal(t, http.StatusSeeOther, w.Code)
	loc := w.Header().Get("Location")
	assert.True(t, strings.HasPrefix(loc, "/gestisci/"), loc)
	assert.True(t, strings.HasSuffix(loc, "?esito=confermato"), loc)
	s, err = e.st.SubscriberByEmail(context.Background(), "lettore@example.it")
	require.NoError(t, err)
	assert.Equal(t, store.Active, s.Status)
	assert.WithinDuration(t, t0, s.ConfirmedAt, 0)
	assert.True(t, s.ExpiresAt.IsZero())
	assert.Len(t, s.TokenHash, 64)
	fs, err := e.st.FollowsOf(context.Background(), s.ID)
	require.NoError(t, err)
	require.Len(t, fs, 1)
	assert.Equal(t, "one-piece", fs[0].SeriesID)

	w = e.get(loc)
	require.Equal(t, http.StatusOK, w.Code)
	assert.Contains(t, w.Body.String(), "Iscrizione confermata")

	// Again: harmless.
	assert.Equal(t, http.StatusSeeOther, e.postForm(link, nil).Code)
}

func TestConfirmBadLinks(t *testing.T) {
	e := newEnv(t)
	e.postForm("/iscriviti", url.Values{"email": {"l@example.it"}, "series_id": {"one-piece"}})
	link := linkIn(t, e.waitMail("l@example.it", 1), "conferma")
	s, err := e.st.SubscriberByEmail(context.Background(), "l@example.it")
	require.NoError(t, err)
	tests := []struct {
		name   string
		path   string
		status int
		want   string
	}{
		{"garbage", "/conferma/abc", http.StatusNotFound, "non è valido"},
		{"cut short", link[:len(link)-5], http.StatusNotFound, "non è valido"},
		{"tampered", strings.Replace(link, link[11:14], "AAA", 1), http.StatusNotFound, "non è valido"},
		{"other purpose", "/conferma/" + e.links().ManageToken(s), http.StatusNotFound, "non è valido"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, m := range []string{http.MethodGet, http.MethodPost} {
				w := e.do(m, tt.path, nil)
				assert.Equal(t, tt.status, w.Code, m)
				assert.Contains(t, w.Body.String(), tt.want, m)
				assert.Contains(t, w.Body.String(), `href="/link"`, "says how to get a new link")
			}
		})
	}
	e.clock.Advance(DefaultConfirmTTL + time.Minute)
	w := e.postForm(link, nil)
	assert.Equal(t, http.StatusGone, w.Code)
	assert.Contains(t, w.Body.String(), "scaduto")
}

func TestManagePage(t *testing.T) {
	e := newEnv(t)
	s := e.confirmed("m@example.it", "one-piece")
	base := "/gestisci/" + e.links().ManageToken(s)

	w := e.get(base)
	require.Equal(t, http.StatusOK, w.Code)
	body := w.Body.String()
	assert.Contains(t, body, "m@example.it")
	assert.Contains(t, body, `aria-label="Smetti di seguire One Piece"`)
	assert.Contains(t, body, "/uscite.ics")
	assert.Contains(t, body, "/annunci.atom")
	assert.Contains(t, body, `<meta name="robots" content="noindex, nofollow">`)

	post := func(action string, v url.Values) string {
		t.Helper()
		w := e.postForm(base+"/"+action, v)
		require.Equal(t, http.StatusSeeOther, w.Code, w.Body.String())
		return w.Header().Get("Location")
	}
	assert.Equal(t, base+"?esito=seguita", post("segui", url.Values{"series_id": {"solo-leveling"}}))
	fs, err := e.st.FollowsOf(context.Background(), s.ID)
	require.NoError(t, err)
	assert.Len(t, fs, 2)
	assert.Contains(t, e.get(base+"?esito=seguita").Body.String(), "ora segui questa serie")

	w = e.postForm(base+"/segui", url.Values{"series_id": {"naruto"}})
	assert.Equal(t, http.StatusUnprocessableEntity, w.Code)
	assert.Contains(t, w.Body.String(), "Non conosciamo questa serie")

	post("smetti", url.Values{"series_id": {"one-piece"}})
	fs, err = e.st.FollowsOf(context.Background(), s.ID)
	require.NoError(t, err)
	require.Len(t, fs, 1)
	assert.Equal(t, "solo-leveling", fs[0].SeriesID)

	post("preferenze", url.Values{"variants": {"1"}})
	s2, err := e.st.Subscriber(context.Background(), s.ID)
	require.NoError(t, err)
	assert.True(t, s2.Variants)
	post("preferenze", url.Values{})
	s2, err = e.st.Subscriber(context.Background(), s.ID)
	require.NoError(t, err)
	assert.False(t, s2.Variants)

	oldFeed := pathOf(e.links().CalendarURL(s2))
	require.Equal(t, http.StatusOK, e.get(oldFeed).Code)
	post("feed", nil)
	assert.Equal(t, http.StatusNotFound, e.get(oldFeed).Code, "a new feed secret revokes the old URL")
	s3, err := e.st.Subscriber(context.Background(), s.ID)
	require.NoError(t, err)
	assert.Equal(t, http.StatusOK, e.get(pathOf(e.links().CalendarURL(s3))).Code)

	assert.Equal(t, http.StatusNotFound, e.postForm(base+"/boh", nil).Code)

	w = e.postForm(base+"/cancella", nil)
	require.Equal(t, http.StatusOK, w.Code)
	assert.Contains(t, w.Body.String(), "Dati cancellati")
	_, err = e.st.SubscriberByEmail(context.Background(), "m@example.it")
	require.ErrorIs(t, err, store.ErrNotFound)
	w = e.get(base)
	assert.Equal(t, http.StatusNotFound, w.Code)
	assert.Contains(t, w.Body.String(), "Non troviamo l&#39;iscrizione")
}

func TestManageLinkExpires(t *testing.T) {
	e := newEnv(t)
	s := e.confirmed("x@example.it", "one-piece")
	base := "/gestisci/" + e.links().ManageToken(s)
	e.clock.Advance(DefaultManageTTL + time.Second)
	w := e.get(base)
	assert.Equal(t, http.StatusGone, w.Code)
	assert.Contains(t, w.Body.String(), "scaduto")
	assert.Equal(t, http.StatusGone, e.postForm(base+"/segui", url.Values{"series_id": {"solo-leveling"}}).Code)
}

func TestRequestLinkSameAnswer(t *testing.T) {
	e := newEnv(t)
	e.confirmed("noto@example.it", "one-piece")
	ask := func(addr string) string {
		w := e.postForm("/link", url.Values{"email": {addr}})
		require.Equal(t, http.StatusOK, w.Code)
		return strings.ReplaceAll(w.Body.String(), addr, "ADDR")
	}
	assert.Equal(t, ask("noto@example.it"), ask("ignoto@example.it"))
	m := e.waitMail("noto@example.it", 2)
	assert.Equal(t, "Il link per gestire le tue serie", m.Subject)
	w := e.get(linkIn(t, m, "gestisci"))
	assert.Equal(t, http.StatusOK, w.Code)
	e.drain()
	assert.Empty(t, e.mail.to("ignoto@example.it"))

	w = e.postForm("/link", url.Values{"email": {"boh"}})
	assert.Equal(t, http.StatusUnprocessableEntity, w.Code)
	assert.Contains(t, w.Body.String(), "una sola @")
	assert.Equal(t, http.StatusOK, e.get("/link").Code)
}

func TestUnsubscribe(t *testing.T) {
	e := newEnv(t)
	s := e.confirmed("u@example.it", "one-piece")
	link := pathOf(e.links().UnsubscribeURL(s))

	w := e.get(link)
	require.Equal(t, http.StatusOK, w.Code)
	assert.Contains(t, w.Body.String(), `<form action="`+link+`" method="post">`)
	got, err := e.st.Subscriber(context.Background(), s.ID)
	require.NoError(t, err)
	assert.Equal(t, store.Active, got.Status, "GET changes nothing")

	// RFC 8058: the provider posts from its servers, cross-site as far as
	// a browser would say, with this exact body.
	w = e.postForm(link, url.Values{"List-Unsubscribe": {"One-Click"}}, "Sec-Fetch-Site", "cross-site", "Origin", "https://mail.example.com")
	require.Equal(t, http.StatusOK, w.Code)
	got, err = e.st.Subscriber(context.Background(), s.ID)
	require.NoError(t, err)
	assert.Equal(t, store.Unsubscribed, got.Status)
	assert.Contains(t, w.Body.String(), "non ti mandiamo più email")

	assert.Equal(t, http.StatusOK, e.postForm(link, nil).Code, "again")
	assert.Contains(t, e.get(link).Body.String(), "Fatto")

	require.NoError(t, e.st.DeleteSubscriber(context.Background(), s.ID))
	assert.Equal(t, http.StatusOK, e.postForm(link, nil).Code, "nothing left: still 200")
	assert.Equal(t, http.StatusNotFound, e.postForm("/disiscriviti/nope", nil).Code)

	// Signing up again after unsubscribing works through a new confirmation.
	s = e.confirmed("v@example.it", "one-piece")
	e.postForm(pathOf(e.links().UnsubscribeURL(s)), nil)
	e.confirmed("v@example.it", "solo-leveling")
	got, err = e.st.Subscriber(context.Background(), s.ID)
	require.NoError(t, err)
	assert.Equal(t, store.Active, got.Status)
}

func TestStaticAndOperations(t *testing.T) {
	e := newEnv(t)
	w := e.get(e.b.assets.css)
	require.Equal(t, http.StatusOK, w.Code)
	assert.Equal(t, "text/css; charset=utf-8", w.Header().Get("Content-Type"))
	assert.Equal(t, "public, max-age=31536000, immutable", w.Header().Get("Cache-Control"))
	assert.Contains(t, e.get("/").Body.String(), `href="`+e.b.assets.css+`"`)
	assert.Equal(t, http.StatusNotFound, e.get("/static/style.css").Code, "only the hashed name")
	assert.Equal(t, http.StatusOK, e.get(e.b.assets.icon).Code)

	assert.Equal(t, "ok\n", e.get("/healthz").Body.String())
	assert.Equal(t, http.StatusOK, e.get("/readyz").Code)
	assert.Contains(t, e.get("/robots.txt").Body.String(), "Disallow: /gestisci/")

	w = e.get("/non-esiste")
	assert.Equal(t, http.StatusNotFound, w.Code)
	assert.Contains(t, w.Body.String(), "Questa pagina non esiste")

	require.NoError(t, e.b.Shutdown(context.Background()))
	assert.Equal(t, http.StatusServiceUnavailable, e.get("/readyz").Code)
	assert.Equal(t, http.StatusOK, e.get("/healthz").Code)
}

func TestReadyzFailsWhenStoreIsDown(t *testing.T) {
	e := newEnv(t)
	require.NoError(t, e.st.Close())
	assert.Equal(t, http.StatusServiceUnavailable, e.get("/readyz").Code)
	assert.Equal(t, http.StatusOK, e.get("/healthz").Code)
}
