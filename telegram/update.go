package telegram

import (
	"crypto/sha256"
	"crypto/subtle"
	"net/http"
	"strings"
)

// SecretHeader carries the webhook's secret token in every update
// Telegram posts (see Webhook.SecretToken).
const SecretHeader = "X-Telegram-Bot-Api-Secret-Token"

// Update is the part of an incoming update a bot of private chats reads.
type Update struct {
	UpdateID int64    `json:"update_id"`
	Message  *Message `json:"message"`
}

// CheckSecret reports whether r carries the webhook's secret token, in
// constant time (over hashes, so not even the length is told).
func CheckSecret(r *http.Request, secret string) bool {
	if secret == "" {
		return false
	}
	got := sha256.Sum256([]byte(r.Header.Get(SecretHeader)))
	want := sha256.Sum256([]byte(secret))
	return subtle.ConstantTimeCompare(got[:], want[:]) == 1
}

// Command splits a message's text into a bot command and its argument:
// "/start abc" gives ("start", "abc"), "/stop@MangaAlertBot" ("stop", "");
// a text that is no command gives ("", "").
func Command(text string) (cmd, arg string) {
	text = strings.TrimSpace(text)
	if !strings.HasPrefix(text, "/") {
		return "", ""
	}
	head, arg, _ := strings.Cut(text, " ")
	head, _, _ = strings.Cut(head[1:], "@")
	return strings.ToLower(head), strings.TrimSpace(arg)
}
