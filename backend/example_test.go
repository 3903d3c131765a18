package backend_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"

	"github.com/manga-alert-italia/mangaalert/backend"
	"github.com/manga-alert-italia/mangaalert/store"
	"github.com/manga-alert-italia/mangaalert/store/bolt"
)

func Example() {
	dir, _ := os.MkdirTemp("", "backend-example")
	defer os.RemoveAll(dir)
	st, err := bolt.Open(filepath.Join(dir, "mangaalert.db"))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer st.Close()
	_ = st.PutSeries(context.Background(), store.Series{ID: "one-piece", Title: "One Piece", Publisher: "Star Comics"})

	b, err := backend.New(backend.Config{
		Store:   st,
		Keys:    backend.StaticKeys{Current: bytes.Repeat([]byte{7}, 32)}, // from Secrets Manager in the binary
		Mailer:  backend.MailerFunc(func(context.Context, backend.Mail) error { return nil }),
		BaseURL: "https://mangaalert.example",
		Logger:  slog.New(slog.DiscardHandler),
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer b.Shutdown(context.Background())

	w := httptest.NewRecorder()
	b.ServeHTTP(w, httptest.NewRequest("GET", "/api/v1/series?q=piece", nil))
	body, _ := io.ReadAll(w.Result().Body)
	fmt.Println(w.Code, w.Header().Get("Content-Type"))
	fmt.Print(string(body))
	// Output:
	// 200 application/json
	// {"series":[{"id":"one-piece","title":"One Piece","aliases":[],"publisher":"Star Comics","url":"https://mangaalert.example/serie/one-piece"}]}
}

func ExampleLinks() {
	keys := backend.StaticKeys{Current: bytes.Repeat([]byte{7}, 32)}
	links, err := backend.NewLinks(context.Background(), "https://mangaalert.example", keys)
	if err != nil {
		fmt.Println(err)
		return
	}
	reader := store.Subscriber{ID: "r1", Email: "lettore@example.it"}
	fmt.Println(links.SeriesURL("one-piece"))
	fmt.Println(links.UnsubscribeURL(reader))
	// Output:
	// https://mangaalert.example/serie/one-piece
	// https://mangaalert.example/disiscriviti/dXwwfHIxfA.veN3OKroNuTBv5LdxNNeSO1GjfzvS5Z_TCpOzI1rFHg
}
