package notifier_test

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/manga-alert-italia/mangaalert/integration"
	"github.com/manga-alert-italia/mangaalert/notifier"
	"github.com/manga-alert-italia/mangaalert/store"
	"github.com/manga-alert-italia/mangaalert/telegram"
)

// tgClock lets the Telegram client wait on the notifier's simulated clock.
type tgClock struct{ *notifier.FakeClock }

func (c tgClock) Sleep(ctx context.Context, d time.Duration) error {
	return c.SleepUntil(ctx, c.Now().Add(d))
}

// telegramWorld: a Bot API stand-in and a client of it, both on clock, so
// the stand-in counts the limits on the simulated time.
func telegramWorld(t *testing.T, clock *notifier.FakeClock) (*integration.Telegram, *telegram.Client) {
	tg := integration.RunTelegram(context.Background(), t, func(o *integration.TelegramOptions) { o.Now = clock.Now })
	c, err := telegram.New(tg.Token, func(o *telegram.Options) { o.BaseURL, o.Clock = tg.URL, tgClock{clock} })
	require.NoError(t, err)
	return tg, c
}

// TestTelegramChannels: each reader's alerts go where they chose; a second
// run sends nothing again on either channel; Telegram deliveries have
// claims of their own.
func TestTelegramChannels(t *testing.T) {
	st := newTestStore(t)
	clock := notifier.NewFakeClock(at(2024, time.September, 1, 9))
	tg, bot := telegramWorld(t, clock)
	snd := &recSender{}
	n := newNotifier(st, snd, clock, func(n *notifier.Notifier) { n.Telegram = bot })
	seen := at(2024, time.August, 30, 8)
	st.putVolume(vol("kaiju", 11, store.NewDate(2024, time.October, 20), seen))

	readers := []struct {
		id       string
		chat     int64
		channels store.Channels
		mail, tg bool
	}{
		{"ada", 0, 0, true, false},                       // never chose: e-mail
		{"bob", 101, store.ChannelTelegram, false, true}, // Telegram alone
		{"cy", 102, store.ChannelBoth, true, true},       // both
		{"dee", 0, store.ChannelTelegram, true, false},   // Telegram chosen, never linked: e-mail
		{"eve", 103, store.ChannelEmail, true, false},    // linked, but e-mail chosen
	}
	for _, r := range readers {
		s := reader(r.id)
		s.TelegramChatID, s.Channels = r.chat, r.channels
		st.putSubscriber(s)
		st.follow(store.Follow{SubscriberID: r.id, SeriesID: "kaiju", CreatedAt: at(2024, time.August, 1, 8)})
	}

	rep := runOK(t, n)
	for _, r := range readers {
		mails := 0
		for _, m := range snd.messages() {
			if m.msg.To == r.id+"@lettori.example" {
				mails++
			}
		}
		assert.Equal(t, r.mail, mails == 1, "%s by e-mail", r.id)
		if r.chat != 0 {
			assert.Equal(t, r.tg, len(tg.MessagesTo(r.chat)) == 1, "%s on Telegram", r.id)
		}
	}
	assert.Equal(t, 2, rep.Telegram.Sent)
	assert.Equal(t, 4, rep.Emails.Sent)
	msg := tg.MessagesTo(101)[0].Text
	assert.Contains(t, msg, "Nuovi volumi annunciati")
	assert.Contains(t, msg, "KAIJU n. 11: 20 ottobre 2024")
	assert.Contains(t, msg, "https://publisher.example/kaiju/11")
	assert.Contains(t, msg, "/stop")

	got := alertSet(st.allAlerts())
	assert.Contains(t, got, "bob|kaiju/11|announce sent", "the alert itself, settled by the Telegram message")
	assert.Contains(t, got, "bob|kaiju/11|telegram/announce sent")
	assert.Contains(t, got, "cy|kaiju/11|announce sent")
	assert.Contains(t, got, "cy|kaiju/11|telegram/announce sent")
	assert.NotContains(t, got, "ada|kaiju/11|telegram/announce sent")

	// Running again sends nothing on either channel.
	runOK(t, n)
	assert.Len(t, snd.messages(), 4)
	assert.Len(t, tg.Messages(), 2)

	// The 30-day reminder goes the same ways, once.
	clock.Set(at(2024, time.September, 21, 9))
	runOK(t, n)
	runOK(t, n)
	assert.Len(t, snd.messages(), 8)
	assert.Len(t, tg.Messages(), 4)
	assert.Contains(t, tg.MessagesTo(102)[1].Text, "Escono entro un mese")
}

// TestTelegramEmailResentOnce: under AtLeastOnce an e-mail whose outcome
// was unknown is sent again by the next run, and the Telegram message,
// which did go out, is not.
func TestTelegramEmailResentOnce(t *testing.T) {
	st := newTestStore(t)
	clock := notifier.NewFakeClock(at(2024, time.September, 1, 9))
	tg, bot := telegramWorld(t, clock)
	snd := &recSender{fail: func(n int, _ *notifier.Message) error {
		if n == 1 {
			return context.DeadlineExceeded // unknown outcome
		}
		return nil
	}}
	n := newNotifier(st, snd, clock, func(n *notifier.Notifier) { n.Telegram, n.Policy = bot, notifier.AtLeastOnce })
	st.putVolume(vol("kaiju", 11, store.NewDate(2024, time.October, 20), at(2024, time.August, 30, 8)))
	s := reader("cy")
	s.TelegramChatID, s.Channels = 102, store.ChannelBoth
	st.putSubscriber(s)
	st.follow(store.Follow{SubscriberID: "cy", SeriesID: "kaiju", CreatedAt: at(2024, time.August, 1, 8)})

	_, err := n.Run(context.Background())
	require.Error(t, err, "the e-mail's outcome is unknown")
	assert.Len(t, tg.Messages(), 1)
	runOK(t, n)
	assert.Len(t, snd.messages(), 1, "the e-mail went out on the second run")
	assert.Len(t, tg.Messages(), 1, "the Telegram message did not go out again")
}

// TestTelegramDeferred: Telegram asks the bot to wait longer than the
// client waits; a reader on both channels still gets the e-mail, which
// settles the alert, and the next run sends the Telegram message from its
// backlog, once, without the e-mail again; or, the reader having unlinked
// Telegram meanwhile, closes it as Failed.
func TestTelegramDeferred(t *testing.T) {
	for _, unlinked := range []bool{false, true} {
		t.Run(fmt.Sprintf("unlinked=%t", unlinked), func(t *testing.T) {
			st := newTestStore(t)
			clock := notifier.NewFakeClock(at(2024, time.September, 1, 9))
			// One message in ten minutes overall: the second reader's is
			// answered 429 with retry_after 600, over the client's 60 s.
			tg := integration.RunTelegram(context.Background(), t, func(o *integration.TelegramOptions) {
				o.Now, o.Overall, o.Window = clock.Now, 1, 10*time.Minute
			})
			bot, err := telegram.New(tg.Token, func(o *telegram.Options) { o.BaseURL, o.Clock = tg.URL, tgClock{clock} })
			require.NoError(t, err)
			snd := &recSender{}
			n := newNotifier(st, snd, clock, func(n *notifier.Notifier) { n.Telegram, n.Concurrency = bot, 1 })
			st.putVolume(vol("kaiju", 11, store.NewDate(2024, time.October, 20), at(2024, time.August, 30, 8)))
			for i, id := range []string{"ada", "bob"} {
				s := reader(id)
				s.TelegramChatID, s.Channels = int64(101+i), store.ChannelBoth
				st.putSubscriber(s)
				st.follow(store.Follow{SubscriberID: id, SeriesID: "kaiju", CreatedAt: at(2024, time.August, 1, 8)})
			}

			rep, err := n.Run(context.Background())
			require.ErrorIs(t, err, telegram.ErrRateLimited, "the run says Telegram made it wait")
			assert.Equal(t, 1, rep.Telegram.Deferred)
			assert.Len(t, tg.MessagesTo(101), 1)
			assert.Empty(t, tg.MessagesTo(102))
			assert.Len(t, snd.messages(), 2, "both e-mails went")
			assert.Contains(t, alertSet(st.allAlerts()), "bob|kaiju/11|announce sent", "the e-mail settled the alert")

			if unlinked {
				s := reader("bob")
				s.Channels = store.ChannelBoth
				st.putSubscriber(s) // no chat any more
			}
			clock.Set(at(2024, time.September, 1, 15)) // the next run, six hours on
			rep = runOK(t, n)
			assert.Len(t, snd.messages(), 2, "no e-mail again")
			if unlinked {
				assert.Empty(t, tg.MessagesTo(102))
				assert.Contains(t, alertSet(st.allAlerts()), "bob|kaiju/11|telegram/announce failed")
				assert.Equal(t, 1, rep.Kinds[store.TelegramKind(store.Announce)].Expired)
				return
			}
			require.Len(t, tg.MessagesTo(102), 1, "the deferred Telegram message went")
			assert.Contains(t, tg.MessagesTo(102)[0].Text, "KAIJU n. 11: 20 ottobre 2024")
			assert.Equal(t, 1, rep.Telegram.Sent)
			assert.Contains(t, alertSet(st.allAlerts()), "bob|kaiju/11|telegram/announce sent")

			clock.Set(at(2024, time.September, 1, 21))
			runOK(t, n)
			assert.Len(t, tg.Messages(), 2, "and once")
		})
	}
}

// TestTelegramBlocked: a chat that blocked the bot is unlinked and
// reported loudly; a reader on Telegram alone gets the alert by e-mail in
// the same run.
func TestTelegramBlocked(t *testing.T) {
	st := newTestStore(t)
	clock := notifier.NewFakeClock(at(2024, time.September, 1, 9))
	tg, bot := telegramWorld(t, clock)
	tg.Block(101)
	var logs bytes.Buffer
	snd := &recSender{}
	n := newNotifier(st, snd, clock, func(n *notifier.Notifier) {
		n.Telegram = bot
		n.Logger = slog.New(slog.NewTextHandler(&logs, nil))
	})
	st.putVolume(vol("kaiju", 11, store.NewDate(2024, time.October, 20), at(2024, time.August, 30, 8)))
	s := reader("bob")
	s.TelegramChatID, s.Channels = 101, store.ChannelTelegram
	st.putSubscriber(s)
	st.follow(store.Follow{SubscriberID: "bob", SeriesID: "kaiju", CreatedAt: at(2024, time.August, 1, 8)})

	rep := runOK(t, n)
	assert.Equal(t, []string{"bob"}, rep.Telegram.Unlinked)
	assert.Equal(t, 1, rep.Telegram.Failed)
	assert.Contains(t, logs.String(), "level=ERROR")
	assert.Contains(t, logs.String(), "blocked the bot: unlinked")
	got, err := st.Subscriber(context.Background(), "bob")
	require.NoError(t, err)
	assert.Zero(t, got.TelegramChatID)
	assert.Equal(t, store.ChannelTelegram, got.Channels, "the choice stays, for a chat linked again")
	require.Len(t, snd.messages(), 1, "the alert went by e-mail instead")
	assert.Equal(t, "bob@lettori.example", snd.messages()[0].msg.To)
	set := alertSet(st.allAlerts())
	assert.Contains(t, set, "bob|kaiju/11|announce sent")
	assert.Contains(t, set, "bob|kaiju/11|telegram/announce failed")
	assert.Contains(t, rep.LogValue().String(), "unlinked")

	runOK(t, n)
	assert.Len(t, snd.messages(), 1)
	assert.Empty(t, tg.Messages())
}

// TestTelegramLimits: many readers on Telegram alone are sent within the
// Bot API's limits (the stand-in refuses none) on the simulated clock. One
// worker: with several, a message may reach the stand-in after the shared
// simulated clock jumped a whole second for another worker's wait, which
// no real network delays by (the stand-in's Tolerance covers real jitter).
func TestTelegramLimits(t *testing.T) {
	start := at(2024, time.September, 1, 9)
	clock := notifier.NewFakeClock(start)
	st := world(t, 90, start)
	tg, bot := telegramWorld(t, clock)
	for i := range 90 {
		s := reader("r" + pad4(i))
		s.TelegramChatID, s.Channels = int64(1000+i), store.ChannelTelegram
		st.putSubscriber(s)
	}
	rep := runOK(t, newNotifier(st, &recSender{}, clock, func(n *notifier.Notifier) { n.Telegram, n.Concurrency = bot, 1 }))
	assert.Equal(t, 90, rep.Telegram.Sent)
	assert.Len(t, tg.Messages(), 90)
	assert.Zero(t, tg.Limited(), "never over 30 a second")
	assert.GreaterOrEqual(t, clock.Now().Sub(start), 2*time.Second, "90 messages take at least 2 simulated seconds")
}

func pad4(i int) string { return fmt.Sprintf("%04d", i) }

func TestRenderTelegram(t *testing.T) {
	es := []notifier.Entry{
		{Kind: store.Announce, Title: "B n. 2", URL: "https://x.example/b2", Date: "3 marzo 2025", When: "tra 20 giorni", Price: "5,90 €"},
		{Kind: store.Reminder(7), Title: "A n. 1", URL: "https://x.example/a1", Date: "1 marzo 2025", When: "tra 7 giorni"},
		{Kind: store.MovedBase, Title: "C n. 3", URL: "https://x.example/c3", Date: "9 aprile 2025", PrevDate: "2 aprile 2025"},
	}
	got := notifier.RenderTelegram(es, "https://mangaalert.example/gestisci/x")
	want := `📚 Manga Alert Italia

Escono entro una settimana
• A n. 1: 1 marzo 2025 (tra 7 giorni)
https://x.example/a1

Nuovi volumi annunciati
• B n. 2: 3 marzo 2025 (tra 20 giorni), 5,90 €
https://x.example/b2

Cambiano data di uscita
• C n. 3: dal 2 aprile 2025 al 9 aprile 2025
https://x.example/c3

Le tue serie e gli avvisi: https://mangaalert.example/gestisci/x
Per non ricevere più messaggi qui scrivi /stop.`
	assert.Equal(t, want, got)
}
