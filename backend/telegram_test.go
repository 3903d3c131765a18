package backend

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/manga-alert-italia/mangaalert/integration"
	"github.com/manga-alert-italia/mangaalert/store"
	"github.com/manga-alert-italia/mangaalert/telegram"
)

const (
	testBot    = "MangaAlertTestBot"
	testSecret = "webhook-secret_1"
)

// tgEnv is an env with Telegram on, its bot a local stand-in of the Bot
// API, and the Backend served on 127.0.0.1 so the stand-in can post
// updates to its webhook as Telegram does.
type tgEnv struct {
	*env
	tg  *integration.Telegram
	srv *httptest.Server
}

// runTelegram starts the stand-in with limits too loose to matter: the
// limits are the telegram package's tests; here one chat gets a reply to
// /start and to /stop within the same instant of the env's clock.
func runTelegram(t testing.TB) *integration.Telegram {
	return integration.RunTelegram(context.Background(), t, func(o *integration.TelegramOptions) {
		o.PerChat, o.Window = time.Nanosecond, time.Nanosecond
	})
}

func telegramConfig(t testing.TB, tg *integration.Telegram) *TelegramConfig {
	loose := telegram.NewLimiter(func(l *telegram.Limiter) { l.PerChat, l.Window = time.Nanosecond, time.Nanosecond })
	bot, err := telegram.New(tg.Token, func(o *telegram.Options) { o.BaseURL, o.Limiter = tg.URL, loose })
	require.NoError(t, err)
	return &TelegramConfig{Bot: testBot, Secret: testSecret, Sender: bot}
}

func newTelegramEnv(t *testing.T, open func(now func() time.Time) store.Store) *tgEnv {
	tg := runTelegram(t)
	withTG := func(c *Config) { c.Telegram = telegramConfig(t, tg) }
	var e *env
	if open == nil {
		e = newEnv(t, withTG)
	} else {
		e = newEnvOn(t, open, withTG)
	}
	srv := httptest.NewServer(e.b)
	t.Cleanup(srv.Close)
	bot, err := telegram.New(tg.Token, func(o *telegram.Options) { o.BaseURL = tg.URL })
	require.NoError(t, err)
	require.NoError(t, bot.SetWebhook(context.Background(), telegram.Webhook{URL: srv.URL + TelegramHookPath, SecretToken: testSecret}))
	return &tgEnv{env: e, tg: tg, srv: srv}
}

var deepLinkRE = regexp.MustCompile(`https://t\.me/` + testBot + `\?start=([A-Za-z0-9_-]+)`)

// linkToken posts the manage page's "Collega Telegram" and returns the
// token of the deep link the page shows.
func (e *tgEnv) linkToken(base string) string {
	e.t.Helper()
	w := e.postForm(base+"/telegram", nil)
	require.Equal(e.t, http.StatusOK, w.Code, w.Body.String())
	m := deepLinkRE.FindStringSubmatch(w.Body.String())
	require.NotNil(e.t, m, "no deep link in %s", w.Body.String())
	return m[1]
}

func (e *tgEnv) reader(id string) store.Subscriber {
	e.t.Helper()
	s, err := e.st.Subscriber(context.Background(), id)
	require.NoError(e.t, err)
	return s
}

func (e *tgEnv) lastReply(chat int64) string {
	e.t.Helper()
	ms := e.tg.MessagesTo(chat)
	require.NotEmpty(e.t, ms, "no reply to chat %d", chat)
	return ms[len(ms)-1].Text
}

func TestTelegram(t *testing.T) {
	t.Parallel()
	testTelegramLink(t, newTelegramEnv(t, nil))
}

func TestTelegramOnDynamo(t *testing.T) {
	t.Parallel()
	open, _ := dynamoStore(t)
	testTelegramLink(t, newTelegramEnv(t, open))
}

// testTelegramLink walks a reader through linking Telegram from the
// manage page, choosing channels, and /stop, plus the API's side.
func testTelegramLink(t *testing.T, e *tgEnv) {
	ctx := context.Background()
	s := e.confirmed("tg@example.it", "one-piece")
	base := "/gestisci/" + e.links().ManageToken(s)
	page := e.get(base).Body.String()
	assert.Contains(t, page, "Collega Telegram")
	assert.Contains(t, page, `value="email" checked`, "e-mail until chosen otherwise")

	// Link: the deep link's token, presented by /start, links the chat.
	tok := e.linkToken(base)
	code, err := e.tg.Start(ctx, 4242, tok)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, code)
	got := e.reader(s.ID)
	assert.Equal(t, int64(4242), got.TelegramChatID)
	assert.Equal(t, store.ChannelBoth, got.Channels, "a first link sends alerts to both")
	assert.Equal(t, tgLinked, e.lastReply(4242))
	page = e.get(base).Body.String()
	assert.Contains(t, page, "Telegram collegato")
	assert.Contains(t, page, `value="both" checked`)

	// The token works once.
	code, err = e.tg.Start(ctx, 4343, tok)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, code)
	assert.Equal(t, tgBadToken, e.lastReply(4343))
	assert.Equal(t, int64(4242), e.reader(s.ID).TelegramChatID)

	// An expired token links nothing.
	late := e.linkToken(base)
	e.clock.Advance(DefaultTelegramLinkTTL)
	_, err = e.tg.Start(ctx, 4343, late)
	require.NoError(t, err)
	assert.Equal(t, tgBadToken, e.lastReply(4343))

	// Channels from the page.
	w := e.postForm(base+"/canali", url.Values{"channels": {"telegram"}})
	require.Equal(t, http.StatusSeeOther, w.Code, w.Body.String())
	assert.Equal(t, store.ChannelTelegram, e.reader(s.ID).Channels)
	w = e.postForm(base+"/canali", url.Values{"channels": {"fax"}})
	assert.Equal(t, http.StatusUnprocessableEntity, w.Code)
	assert.Equal(t, store.ChannelTelegram, e.reader(s.ID).Channels)

	// /stop unlinks; the channels stay as chosen (alerts fall back to
	// e-mail while no chat is linked, see store.Subscriber.AlertChannels).
	_, err = e.tg.Stop(ctx, 4242)
	require.NoError(t, err)
	assert.Equal(t, tgStopped, e.lastReply(4242))
	got = e.reader(s.ID)
	assert.Zero(t, got.TelegramChatID)
	mail, tg := got.AlertChannels()
	assert.True(t, mail)
	assert.False(t, tg)
	_, err = e.tg.Stop(ctx, 4242)
	require.NoError(t, err)
	assert.Equal(t, tgNotLinked, e.lastReply(4242))

	// One chat is one reader: a second reader linking the chat takes it.
	tok = e.linkToken(base)
	_, err = e.tg.Start(ctx, 77, tok)
	require.NoError(t, err)
	other := e.confirmed("altro@example.it", "one-piece")
	otherBase := "/gestisci/" + e.links().ManageToken(other)
	_, err = e.tg.Start(ctx, 77, e.linkToken(otherBase))
	require.NoError(t, err)
	assert.Equal(t, int64(77), e.reader(other.ID).TelegramChatID)
	assert.Zero(t, e.reader(s.ID).TelegramChatID, "the chat left the first reader")

	// The token of a reader deleted since links nothing and unlinks no one.
	gone := e.confirmed("via@example.it", "one-piece")
	goneTok := e.linkToken("/gestisci/" + e.links().ManageToken(gone))
	require.NoError(t, e.st.DeleteSubscriber(ctx, gone.ID))
	_, err = e.tg.Start(ctx, 77, goneTok)
	require.NoError(t, err)
	assert.Equal(t, tgBadToken, e.lastReply(77))
	assert.Equal(t, int64(77), e.reader(other.ID).TelegramChatID, "the chat stays with its reader")

	// Unlink from the page.
	w = e.postForm(otherBase+"/telegram-scollega", nil)
	require.Equal(t, http.StatusSeeOther, w.Code)
	assert.Zero(t, e.reader(other.ID).TelegramChatID)

	// A message that is no command gets the explanation.
	_, err = e.tg.SendText(ctx, 5, "ciao")
	require.NoError(t, err)
	assert.Equal(t, tgHello, e.lastReply(5))

	// The API: a link, the channels, unlink.
	auth := []string{"Authorization", "Bearer " + e.links().ManageToken(s)}
	w = e.do(http.MethodPost, apiPrefix+"/me/telegram", nil, auth...)
	require.Equal(t, http.StatusCreated, w.Code, w.Body.String())
	var link jsonTelegramLink
	require.NoError(t, json.Unmarshal(w.Body.Bytes(), &link))
	m := deepLinkRE.FindStringSubmatch(link.Link)
	require.NotNil(t, m, link.Link)
	assert.Equal(t, e.clock.Now().Add(DefaultTelegramLinkTTL).UTC(), link.ExpiresAt)
	_, err = e.tg.Start(ctx, 99, m[1])
	require.NoError(t, err)
	var me struct {
		Reader jsonReader `json:"reader"`
	}
	w = e.get(apiPrefix+"/me", auth...)
	require.NoError(t, json.Unmarshal(w.Body.Bytes(), &me))
	assert.Equal(t, &jsonTelegram{Linked: true}, me.Reader.Telegram)
	assert.Equal(t, "telegram", me.Reader.Channels)

	w = e.do(http.MethodPatch, apiPrefix+"/me", strings.NewReader(`{"channels":"both"}`), append(auth, "Content-Type", "application/json")...)
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	assert.Equal(t, store.ChannelBoth, e.reader(s.ID).Channels)
	w = e.do(http.MethodDelete, apiPrefix+"/me/telegram", nil, auth...)
	require.Equal(t, http.StatusNoContent, w.Code)
	assert.Zero(t, e.reader(s.ID).TelegramChatID)
}

// The webhook takes only updates carrying the secret token.
func TestTelegramWebhookSecret(t *testing.T) {
	t.Parallel()
	e := newTelegramEnv(t, nil)
	update := `{"update_id":1,"message":{"message_id":1,"date":0,"text":"/stop","chat":{"id":1,"type":"private"}}}`
	tests := []struct {
		name   string
		hdr    []string
		body   string
		status int
	}{
		{"no header", nil, update, http.StatusUnauthorized},
		{"wrong secret", []string{telegram.SecretHeader, "webhook-secret_2"}, update, http.StatusUnauthorized},
		{"a prefix of it", []string{telegram.SecretHeader, testSecret[:5]}, update, http.StatusUnauthorized},
		{"right secret", []string{telegram.SecretHeader, testSecret}, update, http.StatusOK},
		{"not JSON", []string{telegram.SecretHeader, testSecret}, "{", http.StatusBadRequest},
		{"a group's message is ignored", []string{telegram.SecretHeader, testSecret},
			`{"update_id":2,"message":{"message_id":2,"date":0,"text":"/stop","chat":{"id":-5,"type":"group"}}}`, http.StatusOK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := e.do(http.MethodPost, TelegramHookPath, strings.NewReader(tt.body), append([]string{"Content-Type", "application/json"}, tt.hdr...)...)
			assert.Equal(t, tt.status, w.Code, w.Body.String())
		})
	}
	assert.Len(t, e.tg.MessagesTo(1), 1, "only the update with the secret was answered")
	assert.Empty(t, e.tg.MessagesTo(-5))
	assert.Equal(t, http.StatusMethodNotAllowed, e.get(TelegramHookPath).Code)
}

// Telegram off: no section, no webhook, the API says so.
func TestTelegramOff(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	s := e.confirmed("off@example.it", "one-piece")
	base := "/gestisci/" + e.links().ManageToken(s)
	assert.NotContains(t, e.get(base).Body.String(), "Collega Telegram")
	assert.Equal(t, http.StatusNotFound, e.postForm(base+"/telegram", nil).Code)
	assert.Equal(t, http.StatusNotFound, e.do(http.MethodPost, TelegramHookPath, strings.NewReader("{}")).Code)
	w := e.do(http.MethodPost, apiPrefix+"/me/telegram", nil, "Authorization", "Bearer "+e.links().ManageToken(s))
	assert.Equal(t, http.StatusNotFound, w.Code)
}

func TestTelegramConfig(t *testing.T) {
	t.Parallel()
	tg := runTelegram(t)
	good := func() *TelegramConfig { return telegramConfig(t, tg) }
	tests := []struct {
		name string
		set  func(c *Config)
	}{
		{"bot with @", func(c *Config) { c.Telegram = good(); c.Telegram.Bot = "@MangaAlertBot" }},
		{"secret with spaces", func(c *Config) { c.Telegram = good(); c.Telegram.Secret = "a b" }},
		{"no sender", func(c *Config) { c.Telegram = good(); c.Telegram.Sender = nil }},
		{"hook taken", func(c *Config) {
			c.Telegram = good()
			c.Hooks = map[string]http.Handler{TelegramHookPath: http.NotFoundHandler()}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := Config{Store: newEnv(t).st, Keys: StaticKeys{Current: key1}, Mailer: &memMailer{}, BaseURL: "https://mangaalert.test"}
			tt.set(&cfg)
			_, err := New(cfg)
			require.ErrorIs(t, err, ErrConfig)
			assert.NotContains(t, err.Error(), "webhook-secret", "the secret is never in an error")
		})
	}
}

// silentBot is a TelegramBot for the API's document test, whose calls
// never reach the webhook and so never reply: it sends nothing.
type silentBot struct{}

func (silentBot) SendMessage(context.Context, int64, string) (*telegram.Message, error) {
	return &telegram.Message{}, nil
}

// telegramOn turns Telegram on with a bot that sends nothing.
func telegramOn(c *Config) {
	c.Telegram = &TelegramConfig{Bot: testBot, Secret: testSecret, Sender: silentBot{}}
}
