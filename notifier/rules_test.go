package notifier_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/manga-alert-italia/mangaalert/notifier"
	"github.com/manga-alert-italia/mangaalert/store"
)

// mailLines turns messages into "reader: kind volume, kind volume" lines,
// reading each message's alerts from the store by its message id.
func mailLines(st *testStore, msgs []sent) []string {
	var out []string
	for _, m := range msgs {
		var items []string
		var reader string
		for _, a := range st.allAlerts() {
			if a.MessageID == m.id {
				reader = a.SubscriberID
				items = append(items, string(a.Kind)+" "+a.VolumeID)
			}
		}
		slices.Sort(items)
		out = append(out, reader+": "+strings.Join(items, ", "))
	}
	slices.Sort(out)
	return out
}

// TestRules walks a reader's autumn: announcements only for volumes seen
// after the follow, reminders 30/7/1 days before on Rome dates, a date that
// moves, variants for those who opted in, box sets for nobody, one email
// per reader per run.
func TestRules(t *testing.T) {
	st := newTestStore(t)
	clock := notifier.NewFakeClock(at(2024, time.September, 1, 9))
	snd := &recSender{}
	n := newNotifier(st, snd, clock)

	d := store.NewDate
	op107 := vol("one-piece", 107, d(2024, time.October, 10), at(2024, time.July, 1, 8))    // back catalogue for ada
	op108 := vol("one-piece", 108, d(2024, time.October, 29), at(2024, time.August, 20, 8)) // seen after ada followed
	op108v := op108
	op108v.Edition, op108v.Key, op108v.Title = store.Variant, "variant-cover", "ONE PIECE n. 108 Variant"
	op108v.ID = store.VolumeID("one-piece", store.Variant, 108, "variant-cover")
	op100r := vol("one-piece", 100, d(2024, time.October, 29), at(2024, time.August, 21, 8))
	op100r.Edition, op100r.Key, op100r.Title = store.BoxSet, "cofanetto-96-100", "ONE PIECE Cofanetto 96-100"
	op100r.ID = store.VolumeID("one-piece", store.BoxSet, 100, "cofanetto-96-100")
	dd15 := vol("dandadan", 15, store.Date{}, at(2024, time.August, 25, 8)) // no date yet
	for _, v := range []store.Volume{op107, op108, op108v, op100r, dd15} {
		st.putVolume(v)
	}
	ada, dan, cleo := reader("ada"), reader("dan"), reader("cleo")
	dan.Variants = true
	cleo.Status = store.Unsubscribed
	for _, s := range []store.Subscriber{ada, dan, cleo, reader("bob")} {
		st.putSubscriber(s)
	}
	followed := at(2024, time.August, 1, 8)
	st.follow(store.Follow{SubscriberID: "ada", SeriesID: "one-piece", CreatedAt: followed})
	st.follow(store.Follow{SubscriberID: "ada", SeriesID: "dandadan", CreatedAt: followed})
	st.follow(store.Follow{SubscriberID: "dan", SeriesID: "one-piece", CreatedAt: followed})
	st.follow(store.Follow{SubscriberID: "cleo", SeriesID: "one-piece", CreatedAt: followed})

	step := func(when time.Time, want ...string) *notifier.Report {
		t.Helper()
		clock.Set(when)
		before := len(snd.messages())
		rep := runOK(t, n)
		got := mailLines(st, snd.messages()[before:])
		if want == nil {
			want = []string{}
		}
		if got == nil {
			got = []string{}
		}
		assert.Equal(t, want, got, "run at %s", when)
		return rep
	}

	// 1 September: the new volumes are announced; 107 was already known
	// when ada followed; the box set goes to nobody; the variant to dan.
	rep := step(at(2024, time.September, 1, 9),
		"ada: announce dandadan/15, announce one-piece/108",
		"dan: announce one-piece/108, announce one-piece/108/variant/variant-cover")
	// Skipped: cleo's two (unsubscribed) and the variant for ada (no opt-in).
	assert.Equal(t, notifier.KindCount{Due: 7, Sent: 4, Skipped: 3}, rep.Kinds[store.Announce])
	// The same day again: nothing twice.
	step(at(2024, time.September, 1, 15))

	// 10 September: 30 days before 107's release, for every follower,
	// back catalogue or not.
	step(at(2024, time.September, 10, 3), "ada: remind-30 one-piece/107", "dan: remind-30 one-piece/107")
	step(at(2024, time.September, 10, 21))

	// bob follows on the 15th: no announcement of what was already there,
	// but the reminder whose time is running for the series he follows.
	st.follow(store.Follow{SubscriberID: "bob", SeriesID: "one-piece", CreatedAt: at(2024, time.September, 15, 10)})
	step(at(2024, time.September, 15, 12), "bob: remind-30 one-piece/107")
	step(at(2024, time.September, 29, 9),
		"ada: remind-30 one-piece/108", "bob: remind-30 one-piece/108",
		"dan: remind-30 one-piece/108, remind-30 one-piece/108/variant/variant-cover")

	// 4 October, the runs of the 3rd missed: the 7-day reminder still goes.
	step(at(2024, time.October, 4, 9), "ada: remind-7 one-piece/107", "bob: remind-7 one-piece/107", "dan: remind-7 one-piece/107")

	// 108 moves to 12 November: whoever was told the old date gets one
	// notice of the new one, with the next mail; the reminders follow the
	// new date, the 30-day one again though it went out for the old date.
	op108.ReleaseDate, op108v.ReleaseDate = d(2024, time.November, 12), d(2024, time.November, 12)
	st.putVolume(op108)
	st.putVolume(op108v)
	before := len(snd.messages())
	step(at(2024, time.October, 9, 0),
		"ada: moved-2024-11-12 one-piece/108, remind-1 one-piece/107",
		"bob: moved-2024-11-12 one-piece/108, remind-1 one-piece/107",
		"dan: moved-2024-11-12 one-piece/108, moved-2024-11-12 one-piece/108/variant/variant-cover, remind-1 one-piece/107")
	for _, m := range snd.messages()[before:] {
		assert.Contains(t, m.msg.Text, "Cambiano data di uscita")
		assert.Contains(t, m.msg.Text, "12 novembre 2024")
		assert.Contains(t, m.msg.Text, "prima era il 29 ottobre 2024")
	}
	step(at(2024, time.October, 9, 12)) // once per change
	step(at(2024, time.October, 10, 9)) // release day: no reminder
	step(at(2024, time.October, 13, 9),
		"ada: remind-30@2024-11-12 one-piece/108", "bob: remind-30@2024-11-12 one-piece/108",
		"dan: remind-30@2024-11-12 one-piece/108, remind-30@2024-11-12 one-piece/108/variant/variant-cover")
	step(at(2024, time.October, 29, 9)) // the old date: nothing
	step(at(2024, time.November, 5, 9),
		"ada: remind-7 one-piece/108", "bob: remind-7 one-piece/108",
		"dan: remind-7 one-piece/108, remind-7 one-piece/108/variant/variant-cover")
	step(at(2024, time.November, 11, 23), "ada: remind-1 one-piece/108", "bob: remind-1 one-piece/108",
		"dan: remind-1 one-piece/108, remind-1 one-piece/108/variant/variant-cover")
	step(at(2024, time.November, 12, 1)) // midnight passed in Rome: release day

	// Nobody got anything twice, cleo nothing at all.
	seen := map[string]bool{}
	for _, a := range st.allAlerts() {
		require.False(t, seen[a.String()])
		seen[a.String()] = true
		assert.NotEqual(t, "cleo", a.SubscriberID)
		assert.NotContains(t, a.VolumeID, "boxset")
		assert.Equal(t, store.Sent, a.State, a.String())
	}
}

// TestAnnounceSettlesReminder: a volume first seen 5 days before its
// release is announced once; the announcement settles the 7-day reminder
// (both recorded with the same message), and the 1-day one still comes.
func TestAnnounceSettlesReminder(t *testing.T) {
	st := newTestStore(t)
	clock := notifier.NewFakeClock(at(2024, time.October, 24, 9))
	snd := &recSender{}
	n := newNotifier(st, snd, clock)
	st.putVolume(vol("blue-lock", 20, store.NewDate(2024, time.October, 29), at(2024, time.October, 24, 8)))
	st.putSubscriber(reader("eva"))
	st.follow(store.Follow{SubscriberID: "eva", SeriesID: "blue-lock", CreatedAt: at(2024, time.January, 1, 8)})

	runOK(t, n)
	msgs := snd.messages()
	require.Len(t, msgs, 1)
	assert.Equal(t, "Annunciato: BLUE LOCK n. 20", msgs[0].msg.Subject)
	assert.Equal(t, 1, strings.Count(msgs[0].msg.Text, "BLUE LOCK n. 20"), "shown once")
	assert.Equal(t, []string{"eva|blue-lock/20|announce sent", "eva|blue-lock/20|remind-7 sent"}, alertSet(st.allAlerts()))

	clock.Set(at(2024, time.October, 28, 9))
	runOK(t, n)
	require.Len(t, snd.messages(), 2)
	assert.Equal(t, "Domani in fumetteria: BLUE LOCK n. 20", snd.messages()[1].msg.Subject)
}

// TestReminderWindows: which reminder a release n days away gets.
func TestReminderWindows(t *testing.T) {
	for _, tc := range []struct {
		reminders []int
		days      int
		want      string
	}{
		{nil, 31, ""}, {nil, 30, "remind-30"}, {nil, 8, "remind-30"}, {nil, 7, "remind-7"},
		{nil, 2, "remind-7"}, {nil, 1, "remind-1"}, {nil, 0, ""}, {nil, -3, ""},
		{[]int{14, 3}, 14, "remind-14"}, {[]int{14, 3}, 4, "remind-14"}, {[]int{3, 14}, 3, "remind-3"},
		{[]int{14, 3}, 1, "remind-3"}, {[]int{14, 3}, 20, ""},
	} {
		t.Run(fmt.Sprintf("%v/%d", tc.reminders, tc.days), func(t *testing.T) {
			st := newTestStore(t)
			now := at(2024, time.March, 1, 9)
			clock := notifier.NewFakeClock(now)
			snd := &recSender{}
			n := newNotifier(st, snd, clock, func(n *notifier.Notifier) { n.Reminders = tc.reminders })
			// First seen long ago: no announcement in the way.
			st.putVolume(vol("kaiju-8", 12, store.DateOf(now).AddDays(tc.days), now.AddDate(-1, 0, 0)))
			st.putSubscriber(reader("gio"))
			st.follow(store.Follow{SubscriberID: "gio", SeriesID: "kaiju-8", CreatedAt: now.AddDate(-2, 0, 0)})
			runOK(t, n)
			var got string
			for _, a := range st.allAlerts() {
				got = string(a.Kind)
			}
			assert.Equal(t, tc.want, got)
		})
	}
}

// TestOptInEditions: the sign-up's box "Avvisami anche di variant,
// ristampe ed edizioni speciali" does what it says: a reader who ticked it
// hears of the variant, the reprint and the special edition besides the
// first edition; one who did not, of the first edition only; box sets and
// other products (a novel) go to nobody.
func TestOptInEditions(t *testing.T) {
	st := newTestStore(t)
	clock := notifier.NewFakeClock(at(2024, time.September, 1, 9))
	snd := &recSender{}
	n := newNotifier(st, snd, clock)

	seen := at(2024, time.August, 20, 8)
	release := store.NewDate(2024, time.December, 20)
	for _, e := range store.Editions {
		v := vol("blue-lock", 21, release, seen)
		if e != store.First {
			v.Edition, v.Key = e, "k-"+string(e)
			v.ID = store.VolumeID("blue-lock", e, 21, v.Key)
		}
		st.putVolume(v)
	}
	box, plain := reader("box"), reader("plain")
	box.Variants = true
	for _, s := range []store.Subscriber{box, plain} {
		st.putSubscriber(s)
		st.follow(store.Follow{SubscriberID: s.ID, SeriesID: "blue-lock", CreatedAt: at(2024, time.August, 1, 8)})
	}
	runOK(t, n)
	assert.Equal(t, []string{
		"box: announce blue-lock/21, announce blue-lock/21/reprint/k-reprint, announce blue-lock/21/special/k-special, announce blue-lock/21/variant/k-variant",
		"plain: announce blue-lock/21",
	}, mailLines(st, snd.messages()))
	for _, e := range store.Editions {
		assert.Equal(t, e.Announced(true), e == store.First || slices.Contains(store.OptIn, e), e)
	}
}
