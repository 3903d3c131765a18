package main

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/manga-alert-italia/mangaalert/integration"
)

// TestServeRegistersTheTelegramWebhook: serve with --telegram-bot points
// the bot's updates at its /hooks/telegram with the secret derived from
// the token, and answers an update Telegram posts there (the Bot API is
// the local stand-in).
func TestServeRegistersTheTelegramWebhook(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	tg := integration.RunTelegram(ctx, t)
	t.Setenv("MANGAALERT_TELEGRAM_TOKEN", tg.Token)

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	port := ln.Addr().(*net.TCPAddr).Port
	require.NoError(t, ln.Close())
	dir := t.TempDir()
	var f serveFlags
	fs := newFlags("serve", "", "", io.Discard)
	f.register(fs)
	require.Equal(t, -1, parseFlags(fs, []string{
		"--store", "bolt:" + filepath.Join(dir, "db"), "--create-store",
		"--signing-key-file", filepath.Join(dir, "key"),
		"--addr", "127.0.0.1:" + strconv.Itoa(port), "--base-url", "http://127.0.0.1:" + strconv.Itoa(port),
		"--telegram-bot", "MangaAlertTestBot", "--telegram-api", tg.URL,
	}, io.Discard))

	sctx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- serve(sctx, &f, slog.New(slog.NewTextHandler(io.Discard, nil)), nil) }()
	defer func() { stop(); <-done }()

	require.Eventually(t, func() bool { u, _ := tg.Webhook(); return u != "" }, 30*time.Second, 10*time.Millisecond)
	url, secret := tg.Webhook()
	assert.Equal(t, "http://127.0.0.1:"+strconv.Itoa(port)+"/hooks/telegram", url)
	assert.Equal(t, webhookSecret(tg.Token), secret)
	assert.NotEqual(t, tg.Token, secret, "the token itself never leaves for the webhook")

	code, err := tg.SendText(ctx, 7, "ciao")
	require.NoError(t, err)
	assert.Equal(t, http.StatusOK, code)
	require.Len(t, tg.MessagesTo(7), 1)
	assert.Contains(t, tg.MessagesTo(7)[0].Text, "Collega Telegram")
}

func TestTelegramFlags(t *testing.T) {
	code, _, errs := mangaalert("serve", "--telegram-token", "123:secret-token")
	assert.Equal(t, exitUsage, code)
	assert.Contains(t, errs, "--telegram-token is refused on the command line")
	assert.NotContains(t, errs, "secret-token")

	var tf telegramFlags
	tf.bot = "MangaAlertBot"
	_, _, err := tf.client(context.Background(), &settings{})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "--telegram-bot-arn")

	tf = telegramFlags{token: "123:abc"}
	_, _, err = tf.client(context.Background(), &settings{})
	require.Error(t, err, "a token with no bot is a mistake")
}
