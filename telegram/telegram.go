package telegram

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strings"
	"time"
)

// DefaultBaseURL is the Bot API's address.
const DefaultBaseURL = "https://api.telegram.org"

// Sentinels an *Error matches with errors.Is.
var (
	// ErrBlocked: the chat takes no more messages (403 Forbidden: the
	// user blocked the bot or deleted the account; 400 chat not found).
	// Forget the chat.
	ErrBlocked = errors.New("telegram: the chat blocked the bot or is gone")
	// ErrUnauthorized: the bot token is wrong or revoked (401). Check the
	// token secret against @BotFather.
	ErrUnauthorized = errors.New("telegram: bot token refused")
	// ErrRateLimited: Telegram answered 429 and the client gave up
	// waiting (see Options.MaxRetries, MaxRetryAfter).
	ErrRateLimited = errors.New("telegram: rate limited")
)

// Error is an answer with ok false, as the Bot API documents it:
// {"ok":false,"error_code":429,"description":"Too Many Requests: retry
// after 3","parameters":{"retry_after":3}}.
type Error struct {
	Method      string
	Code        int    // error_code, an HTTP status
	Description string // description, Telegram's words
	// RetryAfter is parameters.retry_after: how long to wait before
	// another request (429 only).
	RetryAfter time.Duration
	// MigrateToChatID is parameters.migrate_to_chat_id: the group became
	// a supergroup with this id.
	MigrateToChatID int64
}

func (e *Error) Error() string {
	s := fmt.Sprintf("telegram %s: %d %s", e.Method, e.Code, e.Description)
	if e.RetryAfter > 0 {
		s += fmt.Sprintf(" (retry after %s)", e.RetryAfter)
	}
	return s
}

// Is matches the sentinels by code.
func (e *Error) Is(target error) bool {
	switch target {
	case ErrBlocked:
		return e.Code == http.StatusForbidden ||
			(e.Code == http.StatusBadRequest && strings.Contains(strings.ToLower(e.Description), "chat not found"))
	case ErrUnauthorized:
		return e.Code == http.StatusUnauthorized
	case ErrRateLimited:
		return e.Code == http.StatusTooManyRequests
	}
	return false
}

// Options configure a Client; every zero field means its default.
type Options struct {
	// BaseURL is the API's address (a stand-in's in tests). Default
	// DefaultBaseURL.
	BaseURL string
	// HTTPClient sends the requests. Default a client with a 30 s timeout.
	HTTPClient *http.Client
	// Limiter spaces sendMessage calls. Default NewLimiter() on Clock.
	Limiter *Limiter
	// Clock waits out retry_after. Default RealClock.
	Clock Clock
	// MaxRetries is how many times a 429 is retried. Default 3; negative
	// means never.
	MaxRetries int
	// MaxRetryAfter is the longest retry_after waited out; a longer one is
	// returned at once. Default 60 s.
	MaxRetryAfter time.Duration
}

// Client calls the Bot API as one bot.
type Client struct {
	token string
	o     Options
}

// validToken is the shape @BotFather gives: "123456:ABC-DEF...".
var validToken = regexp.MustCompile(`^[0-9]+:[A-Za-z0-9_-]+$`)

// New returns a Client of the bot whose token is given. A token of the
// wrong shape is an error that does not repeat it.
func New(token string, optFns ...func(*Options)) (*Client, error) {
	token = strings.TrimSpace(token)
	if !validToken.MatchString(token) {
		return nil, errors.New("telegram: the bot token is not of the shape 123456:ABC-DEF... that @BotFather gives: check the secret that holds it")
	}
	var o Options
	for _, fn := range optFns {
		fn(&o)
	}
	if o.BaseURL == "" {
		o.BaseURL = DefaultBaseURL
	}
	o.BaseURL = strings.TrimSuffix(o.BaseURL, "/")
	if o.HTTPClient == nil {
		o.HTTPClient = &http.Client{Timeout: 30 * time.Second}
	}
	if o.Clock == nil {
		o.Clock = RealClock{}
	}
	if o.Limiter == nil {
		o.Limiter = NewLimiter(func(l *Limiter) { l.Clock = o.Clock })
	}
	if o.MaxRetries == 0 {
		o.MaxRetries = 3
	}
	if o.MaxRetryAfter <= 0 {
		o.MaxRetryAfter = time.Minute
	}
	return &Client{token: token, o: o}, nil
}

// Message is the part of a sent message the caller needs.
type Message struct {
	MessageID int64  `json:"message_id"`
	Date      int64  `json:"date"`
	Chat      Chat   `json:"chat"`
	Text      string `json:"text"`
}

// Chat is a chat's id and kind.
type Chat struct {
	ID   int64  `json:"id"`
	Type string `json:"type"`
}

// MaxText is the longest text of one message, in UTF-16 code units as
// Telegram counts; Split cuts a longer text.
const MaxText = 4096

// SendMessage sends plain text to chat, without link previews, after the
// Limiter's slot. A 429 is waited out and retried (see Options).
func (c *Client) SendMessage(ctx context.Context, chat int64, text string) (*Message, error) {
	req := map[string]any{
		"chat_id":              chat,
		"text":                 text,
		"link_preview_options": map[string]bool{"is_disabled": true},
	}
	var m Message
	err := c.call(ctx, "sendMessage", req, &m, func(ctx context.Context) error { return c.o.Limiter.Wait(ctx, chat) })
	if err != nil {
		return nil, err
	}
	return &m, nil
}

// Webhook is what SetWebhook registers.
type Webhook struct {
	// URL is the HTTPS address Telegram posts updates to.
	URL string
	// SecretToken comes back in every update's
	// X-Telegram-Bot-Api-Secret-Token header: 1 to 256 of A-Z a-z 0-9 _ -.
	SecretToken string
	// AllowedUpdates limits the update kinds; nil means ["message"].
	AllowedUpdates []string
}

var validSecret = regexp.MustCompile(`^[A-Za-z0-9_-]{1,256}$`)

// SetWebhook points the bot's updates at w.URL. Telegram treats setting
// the same webhook again as a no-op, so calling it at every start is safe.
func (c *Client) SetWebhook(ctx context.Context, w Webhook) error {
	if !strings.HasPrefix(w.URL, "https://") && !strings.HasPrefix(w.URL, "http://127.0.0.1") {
		return fmt.Errorf("telegram setWebhook: the URL must be https:// (Telegram posts only to HTTPS), got %q", w.URL)
	}
	if !validSecret.MatchString(w.SecretToken) {
		return errors.New("telegram setWebhook: the secret token must be 1 to 256 characters of A-Z, a-z, 0-9, _ and -")
	}
	allowed := w.AllowedUpdates
	if allowed == nil {
		allowed = []string{"message"}
	}
	req := map[string]any{"url": w.URL, "secret_token": w.SecretToken, "allowed_updates": allowed}
	var ok bool
	return c.call(ctx, "setWebhook", req, &ok, nil)
}

// DeleteWebhook stops the updates' delivery to the webhook.
func (c *Client) DeleteWebhook(ctx context.Context) error {
	var ok bool
	return c.call(ctx, "deleteWebhook", map[string]any{}, &ok, nil)
}

// answer is every Bot API answer.
type answer struct {
	OK          bool            `json:"ok"`
	Result      json.RawMessage `json:"result"`
	ErrorCode   int             `json:"error_code"`
	Description string          `json:"description"`
	Parameters  *struct {
		RetryAfter      int   `json:"retry_after"`
		MigrateToChatID int64 `json:"migrate_to_chat_id"`
	} `json:"parameters"`
}

// call posts req as JSON to method and decodes the result into out; wait,
// when set, runs before each attempt (the Limiter's slot).
func (c *Client) call(ctx context.Context, method string, req, out any, wait func(context.Context) error) error {
	body, err := json.Marshal(req)
	if err != nil {
		return fmt.Errorf("telegram %s: %w", method, err)
	}
	for attempt := 0; ; attempt++ {
		if wait != nil {
			if err := wait(ctx); err != nil {
				return fmt.Errorf("telegram %s: %w", method, err)
			}
		}
		err := c.post(ctx, method, body, out)
		var te *Error
		if !errors.As(err, &te) || te.Code != http.StatusTooManyRequests ||
			attempt >= c.o.MaxRetries || te.RetryAfter > c.o.MaxRetryAfter {
			return err
		}
		if err := c.o.Clock.Sleep(ctx, te.RetryAfter); err != nil {
			return fmt.Errorf("telegram %s: waiting out retry_after: %w", method, err)
		}
	}
}

func (c *Client) post(ctx context.Context, method string, body []byte, out any) error {
	// The token is in the URL: errors say the method, never the URL.
	r, err := http.NewRequestWithContext(ctx, http.MethodPost, c.o.BaseURL+"/bot"+c.token+"/"+method, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("telegram %s: bad base URL", method)
	}
	r.Header.Set("Content-Type", "application/json")
	resp, err := c.o.HTTPClient.Do(r)
	if err != nil {
		var ue interface{ Unwrap() error }
		if errors.As(err, &ue) {
			err = ue.Unwrap() // *url.Error holds the URL, and the URL the token
		}
		return fmt.Errorf("telegram %s: %w", method, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return fmt.Errorf("telegram %s: read answer: %w", method, err)
	}
	var a answer
	if err := json.Unmarshal(raw, &a); err != nil {
		return fmt.Errorf("telegram %s: HTTP %d with no Bot API answer (is the base URL right?)", method, resp.StatusCode)
	}
	if !a.OK {
		e := &Error{Method: method, Code: a.ErrorCode, Description: a.Description}
		if e.Code == 0 {
			e.Code = resp.StatusCode
		}
		if a.Parameters != nil {
			e.RetryAfter = time.Duration(a.Parameters.RetryAfter) * time.Second
			e.MigrateToChatID = a.Parameters.MigrateToChatID
		}
		return e
	}
	if err := json.Unmarshal(a.Result, out); err != nil {
		return fmt.Errorf("telegram %s: unexpected result: %w", method, err)
	}
	return nil
}

// Split cuts text into messages of at most MaxText UTF-16 units, at line
// ends where it can: a digest of many volumes goes out as several
// messages.
func Split(text string) []string {
	var out []string
	for utf16Len(text) > MaxText {
		cut := 0
		n := 0
		for i, r := range text {
			w := 1
			if r >= 0x10000 {
				w = 2
			}
			if n+w > MaxText {
				if cut == 0 {
					cut = i
				}
				break
			}
			n += w
			if r == '\n' {
				cut = i + 1
			}
		}
		out = append(out, strings.TrimRight(text[:cut], "\n"))
		text = text[cut:]
	}
	if text = strings.TrimRight(text, "\n"); text != "" || len(out) == 0 {
		out = append(out, text)
	}
	return out
}

func utf16Len(s string) int {
	n := 0
	for _, r := range s {
		n++
		if r >= 0x10000 {
			n++
		}
	}
	return n
}
