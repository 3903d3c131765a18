package telegram_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"

	"github.com/manga-alert-italia/mangaalert/telegram"
)

// A bot sends a message; here to a tiny stand-in of the Bot API that
// accepts anything (tests use integration.RunTelegram, which models the
// limits and errors).
func Example() {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			ChatID int64  `json:"chat_id"`
			Text   string `json:"text"`
		}
		_ = json.NewDecoder(r.Body).Decode(&req)
		_ = json.NewEncoder(w).Encode(map[string]any{"ok": true, "result": map[string]any{
			"message_id": 1, "chat": map[string]any{"id": req.ChatID, "type": "private"}, "text": req.Text}})
	}))
	defer srv.Close()

	bot, err := telegram.New("123456:ABC-DEF", func(o *telegram.Options) { o.BaseURL = srv.URL })
	if err != nil {
		fmt.Println(err)
		return
	}
	m, err := bot.SendMessage(context.Background(), 42, "Jujutsu Kaisen 27 esce il 10 aprile")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(m.Chat.ID, m.Text)
	// Output: 42 Jujutsu Kaisen 27 esce il 10 aprile
}
