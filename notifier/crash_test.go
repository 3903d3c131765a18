package notifier_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/manga-alert-italia/mangaalert/notifier"
	"github.com/manga-alert-italia/mangaalert/store"
	"github.com/manga-alert-italia/mangaalert/store/bolt"
)

// The crash world: one morning with announcements, a folded reminder,
// reminders of each kind, a variant for the reader who opted in, and an
// unsubscribed reader, on the embedded store.
var (
	crashNow  = at(2024, time.October, 22, 9)
	crashVols = []store.Volume{
		vol("solo-leveling", 19, store.NewDate(2024, time.October, 29), at(2024, time.March, 1, 9)),    // remind-7
		vol("chainsaw-man", 17, store.NewDate(2024, time.November, 15), at(2024, time.October, 20, 9)), // announce + remind-30
		vol("dandadan", 15, store.Date{}, at(2024, time.October, 21, 9)),                               // announce, no date
		vol("blue-lock", 20, store.NewDate(2024, time.October, 23), at(2024, time.March, 1, 9)),        // remind-1
		func() store.Volume {
			v := vol("blue-lock", 21, store.NewDate(2024, time.November, 20), at(2024, time.October, 21, 9))
			v.Edition, v.Key, v.Title = store.Variant, "cover-b", "BLUE LOCK n. 21 Variant"
			v.ID = store.VolumeID("blue-lock", store.Variant, 21, "cover-b")
			return v
		}(),
	}
	crashFollows = map[string][]string{
		"r1": {"solo-leveling", "chainsaw-man", "dandadan", "blue-lock"},
		"r2": {"solo-leveling", "dandadan"},
		"r3": {"blue-lock", "chainsaw-man"}, // opted in to variants
		"r4": {"chainsaw-man"},
		"r5": {"blue-lock", "solo-leveling", "dandadan"},
		"r6": {"solo-leveling", "blue-lock"}, // unsubscribed
	}
	crashOnce sync.Once
	crashDB   string
	crashErr  error
)

// crashTemplate seeds a bolt file once; each scenario copies it.
func crashTemplate(t *testing.T) string {
	t.Helper()
	crashOnce.Do(func() {
		dir, err := os.MkdirTemp("", "notifier-crash")
		if err != nil {
			crashErr = err
			return
		}
		crashDB = filepath.Join(dir, "template.db")
		s, err := bolt.Open(crashDB, func(o *bolt.Options) { o.NoSync = true })
		if err != nil {
			crashErr = err
			return
		}
		defer s.Close()
		ctx := context.Background()
		for _, v := range crashVols {
			if _, err := s.UpsertVolumes(ctx, []store.Volume{v}, v.FirstSeen); err != nil {
				crashErr = err
				return
			}
		}
		for _, id := range slices.Sorted(mapKeys(crashFollows)) {
			r := reader(id)
			r.CreatedAt, r.UpdatedAt, r.ConfirmedAt = at(2024, time.January, 1, 9), at(2024, time.January, 1, 9), at(2024, time.January, 1, 9)
			r.Variants = id == "r3"
			if id == "r6" {
				r.Status = store.Unsubscribed
			}
			if crashErr = s.CreateSubscriber(ctx, r); crashErr != nil {
				return
			}
			for _, sr := range crashFollows[id] {
				if crashErr = s.Follow(ctx, store.Follow{SubscriberID: id, SeriesID: sr, CreatedAt: at(2024, time.January, 2, 9)}); crashErr != nil {
					return
				}
			}
		}
	})
	require.NoError(t, crashErr)
	return crashDB
}

func mapKeys[K comparable, V any](m map[K]V) func(func(K) bool) {
	return func(yield func(K) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

func openCopy(t *testing.T, template string) *bolt.Store {
	t.Helper()
	b, err := os.ReadFile(template)
	require.NoError(t, err)
	path := filepath.Join(t.TempDir(), "s.db")
	require.NoError(t, os.WriteFile(path, b, 0o600))
	s, err := bolt.Open(path, func(o *bolt.Options) { o.NoSync = true })
	require.NoError(t, err)
	t.Cleanup(func() { s.Close() })
	return s
}

var headingKind = map[string]store.AlertKind{
	"Nuovi volumi annunciati": store.Announce, "Escono domani": "remind-1",
	"Escono entro una settimana": "remind-7", "Escono entro un mese": "remind-30",
}

// visible reads back what a reader sees in a message: one alert key per
// entry, from the text part (recipient, section, title).
func visible(t *testing.T, m *notifier.Message) []store.AlertKey {
	t.Helper()
	byTitle := map[string]string{}
	for _, v := range crashVols {
		byTitle[v.Title] = v.ID
	}
	sub := strings.TrimSuffix(m.To, "@lettori.example")
	var kind store.AlertKind
	var out []store.AlertKey
	for _, line := range strings.Split(m.Text, "\n") {
		if k, ok := headingKind[line]; ok {
			kind = k
			continue
		}
		if title, ok := strings.CutPrefix(line, "- "); ok {
			title, _, _ = strings.Cut(title, " (")
			id, ok := byTitle[title]
			require.True(t, ok, "unknown title %q", title)
			out = append(out, store.AlertKey{SubscriberID: sub, VolumeID: id, Kind: kind})
		}
	}
	return out
}

type scenario struct {
	policy      notifier.Policy
	concurrency int
	storeAt     int
	storeFault  fault
	sendAt      int
	sendFault   sendFault
}

func (sc scenario) String() string {
	if sc.storeFault != noFault {
		return fmt.Sprintf("%s/c%d/store-call-%d-%s", sc.policy, sc.concurrency, sc.storeAt, sc.storeFault)
	}
	return fmt.Sprintf("%s/c%d/send-%d-%s", sc.policy, sc.concurrency, sc.sendAt, sc.sendFault)
}

// outcome is a scenario played out: the faulty run, then runs an hour
// later (past the lease) until one has nothing left to do.
type outcome struct {
	mailbox []sent // every message readers got, in every run
	alerts  []store.Alert
	calls   int // store calls of the faulty run
	sends   int
}

func play(t *testing.T, sc scenario) outcome {
	t.Helper()
	st := openCopy(t, crashTemplate(t))
	clock := notifier.NewFakeClock(crashNow)
	mailbox := &recSender{}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	dead := new(atomic.Bool)
	fs := newFaultyStore(st)
	fs.at, fs.fault, fs.cancel, fs.dead = sc.storeAt, sc.storeFault, cancel, dead
	snd := &faultySender{inner: mailbox, at: sc.sendAt, fault: sc.sendFault, cancel: cancel, dead: dead}
	opts := func(n *notifier.Notifier) {
		n.Policy = sc.policy
		n.Concurrency = sc.concurrency
		n.ReadConcurrency = 1
		// Pacing on, as in production (one message a second on the
		// simulated clock): readers wait for the rate while others send,
		// and a fault there must lose nothing.
		n.Rate = 1
	}
	_, _ = newNotifier(fs, snd, clock, opts).Run(ctx)
	out := outcome{calls: fs.calls, sends: snd.n}

	for i := 0; ; i++ {
		require.Less(t, i, 4, "the runs after the fault never settle")
		clock.Advance(time.Hour)
		before := len(mailbox.messages())
		rep, err := newNotifier(st, mailbox, clock, opts).Run(context.Background())
		require.NoError(t, err, "a run after the fault")
		if len(mailbox.messages()) == before && rep.Total().Uncertain == 0 && rep.Total().Deferred == 0 {
			break
		}
	}
	out.mailbox = mailbox.messages()
	ctxb := context.Background()
	for _, v := range crashVols {
		as, err := st.AlertsOfVolume(ctxb, v.ID)
		require.NoError(t, err)
		out.alerts = append(out.alerts, as...)
	}
	return out
}

// TestCrash stops the run at every store call and every send, in every way
// (cancelled context, failure before or after the call, the process dying,
// the provider refusing or its answer lost), then runs again. No reader
// ever gets an alert twice; every alert of the clean run arrives, except
// those of the messages in flight when the process died or the provider's
// answer was lost, which are recorded Uncertain (the documented window),
// and those of a message the provider rejected for good (Failed).
func TestCrash(t *testing.T) {
	if testing.Short() {
		t.Skip("the crash sweep runs hundreds of scenarios")
	}
	clean := play(t, scenario{policy: notifier.AtMostOnce, concurrency: 1})
	want := map[store.AlertKey]bool{}
	for _, m := range clean.mailbox {
		for _, k := range visible(t, m.msg) {
			want[k] = true
		}
	}
	require.Len(t, clean.mailbox, 5, "r1..r5 get one message each")
	require.GreaterOrEqual(t, len(want), 10)
	t.Logf("clean run: %d store calls, %d sends, %d visible alerts", clean.calls, clean.sends, len(want))

	var scenarios []scenario
	for _, policy := range []notifier.Policy{notifier.AtMostOnce, notifier.AtLeastOnce} {
		for _, conc := range []int{1, 3} {
			for i := 1; i <= clean.calls+1; i++ {
				for _, f := range []fault{cancelRun, failBefore, failAfter, die} {
					scenarios = append(scenarios, scenario{policy: policy, concurrency: conc, storeAt: i, storeFault: f})
				}
			}
			for j := 1; j <= clean.sends; j++ {
				for _, f := range []sendFault{sendCancel, sendStopped, sendRejected, sendLost, sendAnswerLost, sendDie} {
					scenarios = append(scenarios, scenario{policy: policy, concurrency: conc, sendAt: j, sendFault: f})
				}
			}
		}
	}
	for _, sc := range scenarios {
		t.Run(sc.String(), func(t *testing.T) {
			o := play(t, sc)
			checkOutcome(t, sc, o, want)
		})
	}
}

func checkOutcome(t *testing.T, sc scenario, o outcome, want map[store.AlertKey]bool) {
	t.Helper()
	got := map[store.AlertKey]int{}
	for _, m := range o.mailbox {
		for _, k := range visible(t, m.msg) {
			got[k]++
		}
	}
	state := map[store.AlertKey]store.Alert{}
	for _, a := range o.alerts {
		state[a.AlertKey] = a
		assert.NotEqual(t, store.Claimed, a.State, "%s left claimed after the recovery runs", a.AlertKey)
	}
	// Faults after which an outcome may be unknown to the notifier.
	unknown := sc.storeFault == die || sc.sendFault == sendLost || sc.sendFault == sendAnswerLost || sc.sendFault == sendDie
	// At least once trades the uncertain window for duplicates.
	dupOK := sc.policy == notifier.AtLeastOnce && unknown
	uncertainReaders := map[string]bool{}
	failedReaders := map[string]bool{}
	for k := range want {
		a := state[k]
		switch n := got[k]; {
		case n > 1 && !dupOK:
			t.Errorf("%s delivered %d times", k, n)
		case n >= 1:
		case a.State == store.Uncertain && unknown && sc.policy == notifier.AtMostOnce:
			uncertainReaders[k.SubscriberID] = true
		case a.State == store.Failed && sc.sendFault == sendRejected:
			failedReaders[k.SubscriberID] = true
		default:
			t.Errorf("%s lost: never delivered, state %q (%s)", k, a.State, a.Error)
		}
	}
	for k, n := range got {
		ann := store.AlertKey{SubscriberID: k.SubscriberID, VolumeID: k.VolumeID, Kind: store.Announce}
		switch {
		case want[k]:
		case want[ann] && got[ann] == 0 && state[ann].State == store.Uncertain:
			// The reminder the announcement would have settled, sent on its
			// own because the announcement is uncertain: right.
		case dupOK && want[ann]:
			// At least once: the settled reminder resent on its own.
		default:
			t.Errorf("%s delivered %d times but not due", k, n)
		}
	}
	// The uncertain window is the messages in flight: at most one per
	// worker; a rejected message is one.
	assert.LessOrEqual(t, len(uncertainReaders), sc.concurrency, "uncertain alerts of %v", uncertainReaders)
	assert.LessOrEqual(t, len(failedReaders), 1)
}

func TestCrashCleanRunIsQuiet(t *testing.T) {
	// The sweep's baseline must itself be right: a second run sends nothing.
	o := play(t, scenario{policy: notifier.AtMostOnce, concurrency: 2})
	assert.Len(t, o.mailbox, 5)
	for _, a := range o.alerts {
		assert.Equal(t, store.Sent, a.State, a.AlertKey.String())
	}
}

// pacedClock is the simulated clock, except that a reader pacing for the
// rate blocks until the run is killed, and says it is waiting: the moment
// a kill -9 met most often, with readers queued behind the limiter.
type pacedClock struct {
	*notifier.FakeClock
	waiting chan struct{}
	dead    *atomic.Bool
}

func (c *pacedClock) SleepUntil(ctx context.Context, t time.Time) error {
	if c.dead.Load() { // the dead process's last retries: simulated time
		return c.FakeClock.SleepUntil(ctx, t)
	}
	c.waiting <- struct{}{}
	<-ctx.Done()
	return ctx.Err()
}

// TestKillWhileReadersWaitForTheRate kills a paced run (one message a
// second, three workers) while two readers wait for the rate: they held
// no claim, so nothing of theirs is uncertain and the next run sends
// them; only what had left is not sent again.
func TestKillWhileReadersWaitForTheRate(t *testing.T) {
	st := openCopy(t, crashTemplate(t))
	dead := new(atomic.Bool)
	clock := &pacedClock{FakeClock: notifier.NewFakeClock(crashNow), waiting: make(chan struct{}, 8), dead: dead}
	mailbox := &recSender{}
	fs := newFaultyStore(st)
	fs.dead = dead
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		<-clock.waiting
		<-clock.waiting
		dead.Store(true) // kill -9: no further write reaches the store
		cancel()
	}()
	opts := func(n *notifier.Notifier) { n.Concurrency, n.ReadConcurrency, n.Rate = 3, 1, 1 }
	_, _ = newNotifier(fs, &faultySender{inner: mailbox, dead: dead}, clock, opts).Run(ctx)
	first := len(mailbox.messages())
	require.LessOrEqual(t, first, 1, "one reader had the token; the others waited")

	var claimed []store.AlertKey
	for _, v := range crashVols {
		as, err := st.AlertsOfVolume(context.Background(), v.ID)
		require.NoError(t, err)
		for _, a := range as {
			if a.State == store.Claimed {
				claimed = append(claimed, a.AlertKey)
			}
		}
	}
	readers := map[string]bool{}
	for _, k := range claimed {
		readers[k.SubscriberID] = true
	}
	assert.LessOrEqual(t, len(readers), 1, "only the reader past the rate may hold claims: %v", claimed)

	clock.Advance(time.Hour) // past the lease
	_, err := newNotifier(st, mailbox, clock.FakeClock, func(n *notifier.Notifier) { n.Rate = 1 }).Run(context.Background())
	require.NoError(t, err)
	for _, v := range crashVols {
		as, err := st.AlertsOfVolume(context.Background(), v.ID)
		require.NoError(t, err)
		for _, a := range as {
			if a.State == store.Uncertain {
				assert.True(t, readers[a.SubscriberID], "%s uncertain, but its reader was waiting for the rate", a.AlertKey)
			}
		}
	}
	got := map[string]int{}
	for _, m := range mailbox.messages() {
		got[strings.TrimSuffix(m.msg.To, "@lettori.example")]++
	}
	for _, r := range []string{"r1", "r2", "r3", "r4", "r5"} {
		if readers[r] {
			assert.LessOrEqual(t, got[r], 1, "%s: in flight at the kill, at most once", r)
			continue
		}
		assert.Equal(t, 1, got[r], "%s: its mail arrives once, after the kill if it was waiting", r)
	}
}
