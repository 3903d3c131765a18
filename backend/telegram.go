package backend

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"time"

	"github.com/manga-alert-italia/mangaalert/store"
	"github.com/manga-alert-italia/mangaalert/telegram"
)

// Telegram as a second channel (issue 17): the manage page's "Collega
// Telegram" makes a one-time, expiring token and sends the reader to the
// bot's deep link https://t.me/BOT?start=TOKEN; Telegram posts the
// reader's "/start TOKEN" to TelegramHookPath, checked by its secret-token
// header, and the chat is linked; "/stop" unlinks it. The reader chooses
// where alerts go: e-mail, Telegram or both (Subscriber.Channels).

// TelegramHookPath is where Telegram posts the bot's updates.
const TelegramHookPath = "/hooks/telegram"

// TelegramBot sends the bot's replies; *telegram.Client is one.
type TelegramBot interface {
	SendMessage(ctx context.Context, chat int64, text string) (*telegram.Message, error)
}

// TelegramConfig turns Telegram on (Config.Telegram).
type TelegramConfig struct {
	// Bot is the bot's username, without the @ ("MangaAlertBot"):
	// the deep links point at it.
	Bot string
	// Secret is the webhook's secret token (1 to 256 of A-Z a-z 0-9 _ -):
	// updates without it in the X-Telegram-Bot-Api-Secret-Token header
	// are refused.
	Secret string
	// Sender sends the replies to /start and /stop.
	Sender TelegramBot
	// LinkTTL is how long a link token works. Default 30 minutes.
	LinkTTL time.Duration
}

// DefaultTelegramLinkTTL is how long a "Collega Telegram" link works.
const DefaultTelegramLinkTTL = 30 * time.Minute

var (
	validBot    = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_]{3,31}$`)
	validSecret = regexp.MustCompile(`^[A-Za-z0-9_-]{1,256}$`)
)

func (c *TelegramConfig) check(hooks map[string]http.Handler) error {
	if c == nil {
		return nil
	}
	if !validBot.MatchString(c.Bot) {
		return fmt.Errorf("%w: Telegram.Bot %q: want the bot's username without @, as @BotFather gave it", ErrConfig, c.Bot)
	}
	if !validSecret.MatchString(c.Secret) {
		return fmt.Errorf("%w: Telegram.Secret: want 1 to 256 characters of A-Z, a-z, 0-9, _ and - (Telegram's rule for secret_token)", ErrConfig)
	}
	if c.Sender == nil {
		return fmt.Errorf("%w: Telegram.Sender required (a *telegram.Client)", ErrConfig)
	}
	if _, ok := hooks[TelegramHookPath]; ok {
		return fmt.Errorf("%w: hook path %s is Telegram's: leave it out of Hooks", ErrConfig, TelegramHookPath)
	}
	if c.LinkTTL <= 0 {
		c.LinkTTL = DefaultTelegramLinkTTL
	}
	return nil
}

// withTelegramHook adds the webhook to the hooks, so it is served with
// their body limit.
func (b *Backend) withTelegramHook() {
	if b.cfg.Telegram == nil {
		return
	}
	hooks := make(map[string]http.Handler, len(b.cfg.Hooks)+1)
	for p, h := range b.cfg.Hooks {
		hooks[p] = h
	}
	hooks[TelegramHookPath] = http.HandlerFunc(b.telegramHook)
	b.cfg.Hooks = hooks
}

// newLinkToken makes a link token (256 random bits, base64url: 43
// characters, within the 64 of A-Z a-z 0-9 _ - a start payload may hold)
// and stores its hash; it returns the deep link.
func (b *Backend) newLinkToken(ctx context.Context, s store.Subscriber) (link string, expires time.Time, err error) {
	tg := b.cfg.Telegram
	var raw [32]byte
	_, _ = rand.Read(raw[:])
	tok := base64.RawURLEncoding.EncodeToString(raw[:])
	expires = b.cfg.Now().Add(tg.LinkTTL).UTC()
	if err := b.cfg.Store.PutLinkToken(ctx, store.LinkToken{Hash: linkHash(tok), SubscriberID: s.ID, ExpiresAt: expires}); err != nil {
		return "", time.Time{}, fmt.Errorf("telegram link token: %w", err)
	}
	return "https://t.me/" + tg.Bot + "?start=" + url.QueryEscape(tok), expires, nil
}

func linkHash(tok string) string {
	sum := sha256.Sum256([]byte("mangaalert telegram link " + tok))
	return hex.EncodeToString(sum[:])
}

// The bot's replies.
const (
	tgLinked    = "Fatto: questa chat è collegata a Manga Alert Italia. Ti scriveremo qui quando esce un volume delle tue serie.\nScrivi /stop per scollegarla."
	tgBadToken  = "Questo link non è valido o è scaduto (vale 30 minuti, una volta sola). Apri di nuovo «Collega Telegram» dalla pagina di gestione delle tue serie."
	tgHello     = "Ciao! Per ricevere qui gli avvisi di Manga Alert Italia apri «Collega Telegram» dalla pagina di gestione delle tue serie."
	tgStopped   = "Fatto: questa chat non è più collegata. Gli avvisi tornano alla tua email. Puoi ricollegarla dalla pagina di gestione."
	tgNotLinked = "Questa chat non è collegata a nessuna iscrizione."
)

// telegramHook takes one update. A store failure answers 500, so Telegram
// delivers the update again; anything else (an unknown command, a bad
// token, a reply that could not be sent) answers 200, or Telegram would
// repeat it for a day.
func (b *Backend) telegramHook(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", "POST")
		http.Error(w, "POST only", http.StatusMethodNotAllowed)
		return
	}
	if !telegram.CheckSecret(r, b.cfg.Telegram.Secret) {
		b.cfg.Logger.Warn("backend: telegram update without the right secret token: refused")
		http.Error(w, "wrong secret token", http.StatusUnauthorized)
		return
	}
	var u telegram.Update
	if err := json.NewDecoder(r.Body).Decode(&u); err != nil {
		http.Error(w, "not an update", http.StatusBadRequest)
		return
	}
	if u.Message == nil || u.Message.Chat.Type != "private" {
		w.WriteHeader(http.StatusOK) // not for us: channel posts, groups, edits
		return
	}
	chat := u.Message.Chat.ID
	reply, err := b.telegramCommand(r.Context(), chat, u.Message.Text)
	if err != nil {
		b.internal(w, r, err)
		return
	}
	if _, err := b.cfg.Telegram.Sender.SendMessage(r.Context(), chat, reply); err != nil {
		b.cfg.Logger.Warn("backend: telegram reply not sent", "err", err)
	}
	w.WriteHeader(http.StatusOK)
}

// telegramCommand runs /start TOKEN or /stop from chat and returns the
// reply.
func (b *Backend) telegramCommand(ctx context.Context, chat int64, text string) (string, error) {
	cmd, arg := telegram.Command(text)
	switch {
	case cmd == "start" && arg != "":
		t, err := b.cfg.Store.TakeLinkToken(ctx, linkHash(arg), b.cfg.Now())
		if errors.Is(err, store.ErrNotFound) {
			return tgBadToken, nil
		}
		if err != nil {
			return "", err
		}
		// A token outlives its reader's deletion until it expires: it
		// links nothing then, and unlinks no one.
		if _, err := b.cfg.Store.Subscriber(ctx, t.SubscriberID); errors.Is(err, store.ErrNotFound) {
			return tgBadToken, nil
		} else if err != nil {
			return "", err
		}
		// One chat is one reader: a chat linked to another reader before
		// moves to this one.
		if other, err := b.cfg.Store.SubscriberByChat(ctx, chat); err == nil && other.ID != t.SubscriberID {
			if _, err := b.setChat(ctx, other.ID, 0); err != nil && !errors.Is(err, errGone) {
				return "", err
			}
		} else if err != nil && !errors.Is(err, store.ErrNotFound) {
			return "", err
		}
		_, err = b.setChat(ctx, t.SubscriberID, chat)
		if errors.Is(err, errGone) {
			return tgBadToken, nil
		}
		if err != nil {
			return "", err
		}
		b.cfg.Logger.Info("backend: telegram chat linked")
		return tgLinked, nil
	case cmd == "stop":
		s, err := b.cfg.Store.SubscriberByChat(ctx, chat)
		if errors.Is(err, store.ErrNotFound) {
			return tgNotLinked, nil
		}
		if err != nil {
			return "", err
		}
		if _, err := b.setChat(ctx, s.ID, 0); err != nil && !errors.Is(err, errGone) {
			return "", err
		}
		b.cfg.Logger.Info("backend: telegram chat unlinked by /stop")
		return tgStopped, nil
	}
	return tgHello, nil
}

// setChat links chat to a reader (0 unlinks). A first link of a reader
// who never chose channels sends alerts to both: they asked for Telegram
// and keep their e-mail.
func (b *Backend) setChat(ctx context.Context, id string, chat int64) (store.Subscriber, error) {
	return b.updateReader(ctx, id, func(s *store.Subscriber) bool {
		if s.TelegramChatID == chat {
			return false
		}
		if chat != 0 && s.Channels == 0 {
			s.Channels = store.ChannelBoth
		}
		s.TelegramChatID = chat
		return true
	})
}

// telegramView is the manage page's Telegram section.
type telegramView struct {
	Linked   bool
	Channels string // a name of store.ChannelNames
	Choices  []channelChoice
}

type channelChoice struct {
	Name, Label string
	On          bool
}

var channelLabels = map[string]string{"email": "Solo email", "telegram": "Solo Telegram", "both": "Email e Telegram"}

func (b *Backend) telegramView(s store.Subscriber) *telegramView {
	if b.cfg.Telegram == nil {
		return nil
	}
	v := &telegramView{Linked: s.TelegramChatID != 0, Channels: s.Channels.String()}
	for _, n := range store.ChannelNames {
		v.Choices = append(v.Choices, channelChoice{Name: n, Label: channelLabels[n], On: n == v.Channels})
	}
	return v
}

// telegramPage is the page with the deep link.
type telegramPage struct {
	chrome
	Link    string
	Minutes int
	Back    string
}

// postTelegram runs the manage page's Telegram actions: "telegram" makes
// a link and shows it, "telegram-scollega" unlinks, "canali" saves the
// channels.
func (b *Backend) postTelegram(w http.ResponseWriter, r *http.Request, s store.Subscriber, tok string) {
	if b.cfg.Telegram == nil {
		b.fail(w, r, http.StatusNotFound, "not_found", "Telegram non è attivo su questo sito.")
		return
	}
	ctx := r.Context()
	var err error
	var outcome string
	switch r.PathValue("action") {
	case "telegram":
		link, _, err := b.newLinkToken(ctx, s)
		if err != nil {
			b.internal(w, r, err)
			return
		}
		b.page(w, r, http.StatusOK, "telegram", telegramPage{chrome: b.chrome("link", true), Link: link,
			Minutes: int(b.cfg.Telegram.LinkTTL.Minutes()), Back: "/gestisci/" + tok})
		return
	case "telegram-scollega":
		_, err = b.setChat(ctx, s.ID, 0)
		outcome = "telegram-scollegato"
	case "canali":
		ch, perr := store.ParseChannels(r.PostForm.Get("channels"))
		if perr != nil {
			b.renderManage(w, r, http.StatusUnprocessableEntity, s, &notice{Kind: "bad", Text: "Scegli dove ricevere gli avvisi: email, Telegram o entrambi."}, "")
			return
		}
		_, err = b.updateReader(ctx, s.ID, func(s *store.Subscriber) bool {
			old := s.Channels
			s.Channels = ch
			return old != ch
		})
		outcome = "canali"
	}
	if err != nil {
		b.tokenFailed(w, r, err)
		return
	}
	http.Redirect(w, r, "/gestisci/"+tok+"?esito="+outcome, http.StatusSeeOther)
}

// The API's side: POST /me/telegram makes a link, DELETE /me/telegram
// unlinks; GET /me shows telegram and channels, PATCH /me sets channels.

type jsonTelegram struct {
	Linked bool `json:"linked"`
}

type jsonTelegramLink struct {
	Link      string    `json:"link"`
	ExpiresAt time.Time `json:"expires_at"`
}

func (b *Backend) apiTelegramLink(w http.ResponseWriter, r *http.Request) {
	s, ok := b.bearer(w, r)
	if !ok {
		return
	}
	if b.cfg.Telegram == nil {
		writeAPIError(w, http.StatusNotFound, "telegram_off", "Telegram non è attivo su questo sito.", "")
		return
	}
	link, exp, err := b.newLinkToken(r.Context(), s)
	if err != nil {
		b.internal(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, jsonTelegramLink{Link: link, ExpiresAt: exp})
}

func (b *Backend) apiTelegramUnlink(w http.ResponseWriter, r *http.Request) {
	s, ok := b.bearer(w, r)
	if !ok {
		return
	}
	if _, err := b.setChat(r.Context(), s.ID, 0); err != nil {
		b.apiTokenFailed(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// parseChannels reads PATCH /me's channels.
func parseChannels(raw json.RawMessage) (store.Channels, *fieldError) {
	var name string
	if err := json.Unmarshal(raw, &name); err == nil {
		if ch, err := store.ParseChannels(name); err == nil {
			return ch, nil
		}
	}
	return 0, &fieldError{Field: "channels", Code: "invalid_channels", Message: "channels: scegli email, telegram o both."}
}
