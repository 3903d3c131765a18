package main

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"flag"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/manga-alert-italia/mangaalert/backend"
	"github.com/manga-alert-italia/mangaalert/telegram"
)

// Telegram as a second channel (issue 17). The bot's token lives in the
// secrets store like the other secrets: --telegram-bot-arn names it (the
// deploy tool creates STACK/telegram-token and grants the tasks read on
// it), or MANGAALERT_TELEGRAM_TOKEN carries it on a laptop. The webhook's
// secret token is derived from the bot token, so there is one secret to
// keep and to rotate.

// telegramFlags are serve's and notify's Telegram flags.
type telegramFlags struct {
	bot      string
	token    string // env only
	tokenARN string
	api      string
}

func (t *telegramFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&t.bot, "telegram-bot", "", "send alerts on Telegram too, as this bot (its `username` without @, from @BotFather); needs --telegram-bot-arn")
	fs.StringVar(&t.tokenARN, "telegram-bot-arn", "", "the Secrets Manager `secret` (name or ARN), or a Parameter Store parameter's ARN, holding the bot's token")
	fs.StringVar(&t.token, "telegram-token", "", "the bot's `token`; from the environment only, never on the command line (a laptop; use --telegram-bot-arn on AWS)")
	fs.StringVar(&t.api, "telegram-api", telegram.DefaultBaseURL, "the Bot API's base `URL` (a local stand-in in tests)")
}

func init() {
	envOnlyFlags["telegram-token"] = ", or give --telegram-bot-arn SECRET (Secrets Manager or Parameter Store)"
}

// webhookSecret derives the webhook's secret token from the bot token:
// 64 hex digits, within Telegram's 1-256 of A-Z a-z 0-9 _ -.
func webhookSecret(token string) string {
	h := hmac.New(sha256.New, []byte(token))
	h.Write([]byte("mangaalert telegram webhook secret"))
	return hex.EncodeToString(h.Sum(nil))
}

// client is the bot's client, or nil without --telegram-bot.
func (t *telegramFlags) client(ctx context.Context, s *settings) (*telegram.Client, string, error) {
	if t.bot == "" {
		if t.tokenARN != "" || t.token != "" {
			return nil, "", usagef("a Telegram token is given but no --telegram-bot: name the bot, or drop the token")
		}
		return nil, "", nil
	}
	token := t.token
	switch {
	case t.tokenARN != "" && token != "":
		return nil, "", usagef("give --telegram-bot-arn or MANGAALERT_TELEGRAM_TOKEN, not both")
	case t.tokenARN != "":
		r, err := s.secretReader(ctx)
		if err != nil {
			return nil, "", err
		}
		v, err := r.Get(ctx, t.tokenARN)
		if err != nil {
			return nil, "", fmt.Errorf("--telegram-bot-arn: %w", err)
		}
		token = v.Reveal()
	case token == "":
		return nil, "", usagef("--telegram-bot %s needs the bot's token: --telegram-bot-arn SECRET, or MANGAALERT_TELEGRAM_TOKEN", t.bot)
	}
	c, err := telegram.New(strings.TrimSpace(token), func(o *telegram.Options) { o.BaseURL = t.api })
	if err != nil {
		return nil, "", &usageError{err.Error()}
	}
	return c, webhookSecret(strings.TrimSpace(token)), nil
}

// backendConfig is the backend's Telegram configuration, nil when off.
func (t *telegramFlags) backendConfig(c *telegram.Client, secret string) *backend.TelegramConfig {
	if c == nil {
		return nil
	}
	return &backend.TelegramConfig{Bot: strings.TrimPrefix(t.bot, "@"), Secret: secret, Sender: c}
}

// registerWebhook points the bot's updates at the site, with the secret
// token, at every start (Telegram takes the same webhook again as a
// no-op). It tries for a minute; failing, it logs at Error and the site
// serves on: only linking new chats waits for the next start.
func registerWebhook(ctx context.Context, c *telegram.Client, baseURL, secret string, log *slog.Logger) {
	url := strings.TrimSuffix(baseURL, "/") + backend.TelegramHookPath
	var err error
	for i := range 6 {
		if err = c.SetWebhook(ctx, telegram.Webhook{URL: url, SecretToken: secret}); err == nil {
			log.Info("telegram webhook registered", "url", url)
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(time.Duration(1<<i) * time.Second):
		}
	}
	log.Error("telegram webhook not registered: readers cannot link Telegram until serve starts again", "url", url, "err", err)
}
