package notifier_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/manga-alert-italia/mangaalert/notifier"
	"github.com/manga-alert-italia/mangaalert/store"
)

// TestCollectionAndReminders: volumes a reader owns are never alerted;
// the reminders a follow chooses win over the reader's, and the reader's
// over the default of all four.
func TestCollectionAndReminders(t *testing.T) {
	st := newTestStore(t)
	clock := notifier.NewFakeClock(at(2024, time.September, 1, 9))
	snd := &recSender{}
	n := newNotifier(st, snd, clock)
	d := store.NewDate
	seen := at(2024, time.August, 30, 8)
	for _, v := range []store.Volume{
		vol("kaiju", 10, d(2024, time.September, 8), seen), // owned up to 10
		vol("kaiju", 11, d(2024, time.September, 8), seen),
		vol("kaiju", 12, d(2024, time.September, 8), seen), // owned one by one
		vol("frieren", 5, d(2024, time.September, 8), seen),
	} {
		st.putVolume(v)
	}
	only7, err := store.Reminds("7")
	require.NoError(t, err)
	announce, err := store.Reminds("announce")
	require.NoError(t, err)
	ada, bob := reader("ada"), reader("bob")
	bob.Reminders = announce // reader-wide: announcements only
	st.putSubscriber(ada)
	st.putSubscriber(bob)
	followed := at(2024, time.August, 1, 8)
	st.follow(store.Follow{SubscriberID: "ada", SeriesID: "kaiju", CreatedAt: followed, OwnedUpTo: 10, Owned: []int{12}})
	st.follow(store.Follow{SubscriberID: "ada", SeriesID: "frieren", CreatedAt: followed, Reminders: only7})
	st.follow(store.Follow{SubscriberID: "bob", SeriesID: "kaiju", CreatedAt: followed})
	st.follow(store.Follow{SubscriberID: "bob", SeriesID: "frieren", CreatedAt: followed, Reminders: only7})

	step := func(when time.Time, want ...string) {
		t.Helper()
		clock.Set(when)
		before := len(snd.messages())
		runOK(t, n)
		got := mailLines(st, snd.messages()[before:])
		if want == nil {
			want = []string{}
		}
		if got == nil {
			got = []string{}
		}
		assert.Equal(t, want, got, "run at %s", when)
	}
	// 1 September, 7 days before: the announcement and the 7-day reminder
	// are due together. ada: only 11 of kaiju (she has 10 and 12), and
	// frieren's 7-day reminder alone (her choice for it). bob: kaiju's
	// announcements (his own choice) and frieren's reminder (the series'
	// choice wins).
	step(at(2024, time.September, 1, 9),
		"ada: announce kaiju/11, remind-7 frieren/5, remind-7 kaiju/11",
		"bob: announce kaiju/10, announce kaiju/11, announce kaiju/12, remind-7 frieren/5")
	// The day before: ada gets kaiju 11's 1-day reminder (the default for
	// that series), bob nothing (announcements only; frieren: 7 only).
	step(at(2024, time.September, 7, 9), "ada: remind-1 kaiju/11")

	// ada marks 11 as owned: nothing more of it, ever.
	require.NoError(t, st.UpdateFollow(context.Background(), store.Follow{SubscriberID: "ada", SeriesID: "kaiju", OwnedUpTo: 11, Owned: []int{12}}))
	st.putVolume(vol("kaiju", 13, d(2024, time.October, 20), at(2024, time.September, 7, 10)))
	step(at(2024, time.September, 7, 12), "ada: announce kaiju/13", "bob: announce kaiju/13")
}
