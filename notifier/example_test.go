package notifier_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/manga-alert-italia/mangaalert/notifier"
	"github.com/manga-alert-italia/mangaalert/notifier/outbox"
	"github.com/manga-alert-italia/mangaalert/store"
	"github.com/manga-alert-italia/mangaalert/store/bolt"
)

func Example() {
	dir, _ := os.MkdirTemp("", "notifier")
	defer os.RemoveAll(dir)
	st, _ := bolt.Open(filepath.Join(dir, "mangaalert.db"))
	defer st.Close()
	ctx := context.Background()
	now := time.Date(2024, time.October, 22, 9, 0, 0, 0, store.Rome)

	// A reader who follows Solo Leveling, whose volume 19 is out in a week.
	_, _ = st.UpsertVolumes(ctx, []store.Volume{{SeriesID: "solo-leveling", Number: 19, Title: "SOLO LEVELING n. 19",
		ReleaseDate: store.NewDate(2024, time.October, 29), PriceCents: 590}}, now.AddDate(0, -2, 0))
	_ = st.CreateSubscriber(ctx, store.Subscriber{ID: "s1", Email: "giulia@lettori.example", Status: store.Active,
		CreatedAt: now.AddDate(-1, 0, 0), UpdatedAt: now.AddDate(-1, 0, 0)})
	_ = st.Follow(ctx, store.Follow{SubscriberID: "s1", SeriesID: "solo-leveling", CreatedAt: now.AddDate(-1, 0, 0)})

	out, _ := outbox.New(filepath.Join(dir, "outbox"))
	n := notifier.New(st, out, testLinks{}, func(n *notifier.Notifier) {
		n.From = "Manga Alert Italia <avvisi@mangaalert.example>"
		n.UnsubscribeMailto = "unsubscribe@mangaalert.example"
		n.Clock = notifier.NewFakeClock(now)
		n.Logger = quiet
	})
	for range 2 { // the second run finds nothing left to send
		rep, err := n.Run(ctx)
		fmt.Println(rep.Emails.Sent, rep.Kinds["remind-7"].Sent, err)
	}
	files, _ := os.ReadDir(filepath.Join(dir, "outbox"))
	fmt.Println(len(files), "message in the outbox")
	// Output:
	// 1 1 <nil>
	// 0 0 <nil>
	// 1 message in the outbox
}
