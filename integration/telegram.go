package integration

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// TelegramOptions choose how the Bot API stand-in behaves; the zero value
// is Telegram's documented limits on the wall clock.
type TelegramOptions struct {
	// Token is the bot token the stand-in accepts. Default a random one
	// of @BotFather's shape.
	Token string
	// Overall messages in any Window (default 30 in 1 s), and the least
	// time between two messages to one chat, PerChat (default 1 s). A
	// message over either is answered 429 with retry_after, not recorded.
	Overall int
	Window  time.Duration
	PerChat time.Duration
	// Tolerance is how much earlier than the limits a message may come and
	// still pass (default 50 ms): a client spacing messages by its own
	// clock sees them arrive a little closer after the network's jitter.
	Tolerance time.Duration
	// Now is the clock the limits are counted on. Default time.Now.
	Now func() time.Time
}

// TelegramMessage is a message the stand-in took.
type TelegramMessage struct {
	ID     int64
	ChatID int64
	Text   string
	At     time.Time
}

// Telegram is a local stand-in of the Telegram Bot API for one test, on a
// 127.0.0.1 port: sendMessage, setWebhook, deleteWebhook and
// getWebhookInfo, with answers shaped as https://core.telegram.org/bots/api
// documents them ({"ok":true,"result":...} or {"ok":false,"error_code":N,
// "description":...,"parameters":{"retry_after":N}}). It records the
// messages it took, enforces the broadcast limits by answering 429, and
// delivers updates to the registered webhook with its secret token
// (SendUpdate, Start, Stop) as Telegram would.
//
// It is a hand-written fake: no Telegram emulator exists to run instead.
// What it does not model: getUpdates, media, parse modes, message edits.
type Telegram struct {
	URL   string // the base URL: pass it as telegram.Options.BaseURL
	Token string

	o       TelegramOptions
	mu      sync.Mutex
	msgs    []TelegramMessage
	sent    []time.Time // the times of the last Overall messages taken
	last    map[int64]time.Time
	blocked map[int64]bool
	hook    struct{ url, secret string }
	limited int
	nextID  int64
	update  int64
}

// RunTelegram starts the stand-in for t, shaped like a testcontainers
// module: defaults first, then optFns, so the caller wins; the server is
// closed when t ends.
func RunTelegram(ctx context.Context, t testing.TB, optFns ...func(*TelegramOptions)) *Telegram {
	t.Helper()
	o := TelegramOptions{Overall: 30, Window: time.Second, PerChat: time.Second, Tolerance: 50 * time.Millisecond, Now: time.Now}
	var b [12]byte
	_, _ = rand.Read(b[:])
	o.Token = "123456789:AA" + hex.EncodeToString(b[:])
	for _, fn := range optFns {
		fn(&o)
	}
	tg := &Telegram{Token: o.Token, o: o, last: map[int64]time.Time{}, blocked: map[int64]bool{}}
	srv := httptest.NewServer(http.HandlerFunc(tg.serve))
	t.Cleanup(srv.Close)
	tg.URL = srv.URL
	_ = ctx // nothing to wait for: the server listens before NewServer returns
	return tg
}

// Messages returns the messages taken so far, in order.
func (tg *Telegram) Messages() []TelegramMessage {
	tg.mu.Lock()
	defer tg.mu.Unlock()
	return append([]TelegramMessage(nil), tg.msgs...)
}

// MessagesTo returns the messages taken for one chat.
func (tg *Telegram) MessagesTo(chat int64) []TelegramMessage {
	var out []TelegramMessage
	for _, m := range tg.Messages() {
		if m.ChatID == chat {
			out = append(out, m)
		}
	}
	return out
}

// Limited is how many messages were answered 429.
func (tg *Telegram) Limited() int {
	tg.mu.Lock()
	defer tg.mu.Unlock()
	return tg.limited
}

// Webhook returns the registered webhook's URL and secret token ("" when
// none).
func (tg *Telegram) Webhook() (url, secret string) {
	tg.mu.Lock()
	defer tg.mu.Unlock()
	return tg.hook.url, tg.hook.secret
}

// Block makes chat answer 403 "Forbidden: bot was blocked by the user", as
// after the user blocks the bot.
func (tg *Telegram) Block(chat int64) {
	tg.mu.Lock()
	defer tg.mu.Unlock()
	tg.blocked[chat] = true
}

// Start delivers "/start payload" from chat to the webhook, as Telegram
// does when the user opens the bot's deep link https://t.me/BOT?start=payload
// and taps Start; it returns the webhook's HTTP status.
func (tg *Telegram) Start(ctx context.Context, chat int64, payload string) (int, error) {
	return tg.SendText(ctx, chat, "/start "+payload)
}

// Stop delivers "/stop" from chat to the webhook.
func (tg *Telegram) Stop(ctx context.Context, chat int64) (int, error) {
	return tg.SendText(ctx, chat, "/stop")
}

// SendText delivers a private text message from chat to the webhook.
func (tg *Telegram) SendText(ctx context.Context, chat int64, text string) (int, error) {
	tg.mu.Lock()
	tg.update++
	id := tg.update
	tg.mu.Unlock()
	u := map[string]any{"update_id": id, "message": map[string]any{
		"message_id": id, "date": tg.o.Now().Unix(), "text": text,
		"chat": map[string]any{"id": chat, "type": "private", "first_name": "Lettore"},
		"from": map[string]any{"id": chat, "is_bot": false, "first_name": "Lettore", "language_code": "it"},
	}}
	return tg.SendUpdate(ctx, u)
}

// SendUpdate posts an update to the registered webhook with the secret
// token header, as Telegram delivers it, and returns the HTTP status.
func (tg *Telegram) SendUpdate(ctx context.Context, update any) (int, error) {
	url, secret := tg.Webhook()
	if url == "" {
		return 0, fmt.Errorf("telegram stand-in: no webhook set: call setWebhook first")
	}
	body, err := json.Marshal(update)
	if err != nil {
		return 0, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Telegram-Bot-Api-Secret-Token", secret)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err
	}
	resp.Body.Close()
	return resp.StatusCode, nil
}

func (tg *Telegram) serve(w http.ResponseWriter, r *http.Request) {
	rest, ok := strings.CutPrefix(r.URL.Path, "/bot")
	token, method, _ := strings.Cut(rest, "/")
	if !ok || token != tg.Token {
		tgFail(w, http.StatusUnauthorized, "Unauthorized", 0)
		return
	}
	params := map[string]any{}
	if strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
		if err := json.NewDecoder(r.Body).Decode(&params); err != nil {
			tgFail(w, http.StatusBadRequest, "Bad Request: can't parse JSON object", 0)
			return
		}
	} else {
		_ = r.ParseForm()
		for k := range r.Form {
			params[k] = r.Form.Get(k)
		}
	}
	switch method {
	case "sendMessage":
		tg.sendMessage(w, params)
	case "setWebhook":
		u, _ := params["url"].(string)
		secret, _ := params["secret_token"].(string)
		if u == "" {
			tgFail(w, http.StatusBadRequest, "Bad Request: bad webhook: An HTTPS URL must be provided for webhook", 0)
			return
		}
		tg.mu.Lock()
		tg.hook.url, tg.hook.secret = u, secret
		tg.mu.Unlock()
		tgOK(w, true, "Webhook was set")
	case "deleteWebhook":
		tg.mu.Lock()
		tg.hook.url, tg.hook.secret = "", ""
		tg.mu.Unlock()
		tgOK(w, true, "Webhook was deleted")
	case "getWebhookInfo":
		u, _ := tg.Webhook()
		tgOK(w, map[string]any{"url": u, "has_custom_certificate": false, "pending_update_count": 0}, "")
	default:
		tgFail(w, http.StatusNotFound, "Not Found", 0)
	}
}

func (tg *Telegram) sendMessage(w http.ResponseWriter, p map[string]any) {
	chat, err := chatID(p["chat_id"])
	if err != nil {
		tgFail(w, http.StatusBadRequest, "Bad Request: chat_id is empty", 0)
		return
	}
	text, _ := p["text"].(string)
	if strings.TrimSpace(text) == "" {
		tgFail(w, http.StatusBadRequest, "Bad Request: message text is empty", 0)
		return
	}
	if n := len([]rune(text)); n > 4096 {
		tgFail(w, http.StatusBadRequest, "Bad Request: message is too long", 0)
		return
	}
	tg.mu.Lock()
	defer tg.mu.Unlock()
	if tg.blocked[chat] {
		tgFail(w, http.StatusForbidden, "Forbidden: bot was blocked by the user", 0)
		return
	}
	now := tg.o.Now()
	if last, ok := tg.last[chat]; ok {
		if wait := last.Add(tg.o.PerChat - tg.o.Tolerance).Sub(now); wait > 0 {
			tg.limited++
			tgFail(w, http.StatusTooManyRequests, "Too Many Requests: retry after "+strconv.Itoa(ceilSeconds(wait)), ceilSeconds(wait))
			return
		}
	}
	if len(tg.sent) >= tg.o.Overall {
		if wait := tg.sent[len(tg.sent)-tg.o.Overall].Add(tg.o.Window - tg.o.Tolerance).Sub(now); wait > 0 {
			tg.limited++
			tgFail(w, http.StatusTooManyRequests, "Too Many Requests: retry after "+strconv.Itoa(ceilSeconds(wait)), ceilSeconds(wait))
			return
		}
	}
	tg.sent = append(tg.sent, now)
	if len(tg.sent) > tg.o.Overall {
		tg.sent = tg.sent[len(tg.sent)-tg.o.Overall:]
	}
	tg.last[chat] = now
	tg.nextID++
	m := TelegramMessage{ID: tg.nextID, ChatID: chat, Text: text, At: now}
	tg.msgs = append(tg.msgs, m)
	tgOK(w, map[string]any{"message_id": m.ID, "date": now.Unix(), "text": text,
		"chat": map[string]any{"id": chat, "type": "private"}}, "")
}

func chatID(v any) (int64, error) {
	switch v := v.(type) {
	case float64:
		return int64(v), nil
	case string:
		return strconv.ParseInt(v, 10, 64)
	}
	return 0, fmt.Errorf("no chat id")
}

// ceilSeconds is retry_after as Telegram gives it: whole seconds, at least 1.
func ceilSeconds(d time.Duration) int {
	return max(1, int((d+time.Second-1)/time.Second))
}

func tgOK(w http.ResponseWriter, result any, description string) {
	a := map[string]any{"ok": true, "result": result}
	if description != "" {
		a["description"] = description
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(a)
}

func tgFail(w http.ResponseWriter, code int, description string, retryAfter int) {
	a := map[string]any{"ok": false, "error_code": code, "description": description}
	if retryAfter > 0 {
		a["parameters"] = map[string]any{"retry_after": retryAfter}
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(a)
}
