package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"

	"github.com/manga-alert-italia/mangaalert/backend"
	"github.com/manga-alert-italia/mangaalert/store/bolt"
)

// runChild serves the backend on the store at db, and beside it the bare
// handler with a body as long as the backend's answer, both on loopback,
// until SIGTERM or until its stdin closes (the parent died).
func runChild(db string) error {
	t0 := time.Now()
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	go func() { _, _ = io.Copy(io.Discard, os.Stdin); stop() }()

	st, err := bolt.Open(db)
	if err != nil {
		return err
	}
	defer st.Close()
	tOpen := time.Since(t0)
	b, err := backend.New(backend.Config{
		Store:   st,
		Keys:    backend.StaticKeys{Current: bytes.Repeat([]byte{9}, 32)},
		Mailer:  backend.MailerFunc(func(context.Context, backend.Mail) error { return nil }),
		BaseURL: "https://mangaalert.example",
		Logger:  slog.New(slog.NewJSONHandler(io.Discard, &slog.HandlerOptions{Level: slog.LevelWarn})),
		// The access log is written as in production, into a sink.
		AccessLog: slog.New(slog.NewJSONHandler(io.Discard, nil)),
		PerIP:     backend.Off,
	})
	if err != nil {
		return err
	}
	tNew := time.Since(t0)
	lnB, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	lnBare, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	fmt.Printf("backend=%s bare=%s startup=open:%s,new:%s,listening:%s\n", lnB.Addr(), lnBare.Addr(),
		tOpen.Round(10*time.Microsecond), tNew.Round(10*time.Microsecond), time.Since(t0).Round(10*time.Microsecond))

	errc := make(chan error, 2)
	go func() { errc <- backend.Serve(ctx, lnB, b) }()

	// The bare handler's body: the backend's own answer, so the sizes match.
	w := httptest.NewRecorder()
	b.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/api/v1/releases", nil))
	body := w.Body.Bytes()
	bare := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		_, _ = w.Write(body)
	})
	go func() { errc <- (&http.Server{Handler: bare, ReadHeaderTimeout: 5 * time.Second}).Serve(lnBare) }()

	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := <-errc; err != nil { // the backend's Serve, after its clean shutdown
		return err
	}
	return b.Shutdown(sctx)
}
