package bounce_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/manga-alert-italia/mangaalert/notifier/bounce"
	"github.com/manga-alert-italia/mangaalert/store"
	"github.com/manga-alert-italia/mangaalert/store/bolt"
)

func Example() {
	dir, _ := os.MkdirTemp("", "bounce")
	defer os.RemoveAll(dir)
	st, _ := bolt.Open(filepath.Join(dir, "s.db"))
	defer st.Close()
	now := time.Date(2024, 10, 1, 9, 0, 0, 0, time.UTC)
	_ = st.CreateSubscriber(context.Background(), store.Subscriber{ID: "s1", Email: "giulia.rossi@lettori.example",
		Status: store.Active, CreatedAt: now, UpdatedAt: now, ConfirmedAt: now})

	h := bounce.New(st)
	event, _ := os.ReadFile(filepath.Join("testdata", "eventbridge-bounce.json"))
	res, err := h.HandleEvent(context.Background(), event)
	fmt.Println(res.Type, res.Suppressed, err)
	s, _ := st.Subscriber(context.Background(), "s1")
	fmt.Println(s.Status)
	// Output:
	// Bounce [giulia.rossi@lettori.example] <nil>
	// suppressed
}
