package backend

import (
	"context"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/manga-alert-italia/mangaalert/store"
	"github.com/manga-alert-italia/mangaalert/telegram"
)

// TestBrowserTelegram drives chromium through linking Telegram on a
// phone: "Collega Telegram", the page with the bot's deep link, the
// reader tapping Start in Telegram (the Bot API stand-in posts "/start
// TOKEN" to the site's webhook, as Telegram does), the linked section,
// and the channels' choice. Screenshots go with TestBrowser's, named
// telegram-*.png.
func TestBrowserTelegram(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test in -short mode")
	}
	ln := listen(t)
	base := "http://" + ln.Addr().String()
	tg := runTelegram(t)
	e := newEnv(t, func(c *Config) { c.BaseURL, c.Telegram = base, telegramConfig(t, tg) })
	ctx, cancel := context.WithCancel(context.Background())
	done := serve(ctx, ln, e.b)
	defer func() { cancel(); require.NoError(t, <-done) }()
	bot, err := telegram.New(tg.Token, func(o *telegram.Options) { o.BaseURL = tg.URL })
	require.NoError(t, err)
	require.NoError(t, bot.SetWebhook(ctx, telegram.Webhook{URL: base + TelegramHookPath, SecretToken: testSecret}))

	tab := newBrowserTab(t, "telegram-")
	bctx, shot, do, text := tab.ctx, tab.shot, tab.do, tab.text
	mark := chromedp.Evaluate[chromedp.Void](`document.body.dataset.before = "1"`)
	newNotice := css(`body:not([data-before]) .notice.ok`)
	section := `section[aria-labelledby=telegram] `

	// A confirmed reader, straight into the store.
	now := e.clock.Now()
	s := store.Subscriber{ID: newID(), Email: "telegram@example.it", Status: store.Active, TokenHash: newFeedSecret(),
		CreatedAt: now, UpdatedAt: now, ConfirmedAt: now}
	require.NoError(t, e.st.CreateSubscriber(context.Background(), s))
	require.NoError(t, e.b.follow(context.Background(), s, "one-piece"))
	manage := base + "/gestisci/" + e.links().ManageToken(s)

	// The manage page offers Telegram; alerts go by e-mail.
	do(
		phone,
		chromedp.Navigate(manage),
		chromedp.WaitVisible(css(section+`.telegram-status`)),
		chromedp.ScrollIntoView(css(section)),
		shot("01-manage-phone"),
	)
	assert.Contains(t, text(section+`.telegram-status`), "Ricevi gli avvisi anche")

	// "Collega Telegram": the page with the bot's deep link.
	do(
		chromedp.Click(css(section+`form[action$="/telegram"] button`)),
		chromedp.WaitVisible(css(`#telegram-link`)),
		shot("02-deep-link-phone"),
	)
	href, err := chromedp.Run(bctx, chromedp.Evaluate[string](`document.querySelector('#telegram-link').getAttribute('href')`))
	require.NoError(t, err)
	tok, ok := strings.CutPrefix(href, "https://t.me/"+testBot+"?start=")
	require.True(t, ok, href)

	// The reader taps Start in Telegram: the bot gets "/start TOKEN" and
	// Telegram posts it to the webhook.
	code, err := tg.Start(context.Background(), 4242, tok)
	require.NoError(t, err)
	require.Equal(t, 200, code)
	require.NotEmpty(t, tg.MessagesTo(4242))
	assert.Equal(t, tgLinked, tg.MessagesTo(4242)[0].Text)

	// Back on the page: linked, alerts to both; the reader picks Telegram
	// alone.
	do(
		chromedp.Click(css(`main a[href^="/gestisci/"]`)),
		chromedp.WaitVisible(css(section+`.telegram-status strong`)),
		chromedp.ScrollIntoView(css(section)),
		shot("03-linked-phone"),
		chromedp.Click(css(`#ch-telegram`)),
		mark,
		chromedp.Click(css(section+`form[action$="/canali"] button`)),
		chromedp.WaitVisible(newNotice),
		shot("04-channels-saved-phone"),
	)
	assert.Contains(t, text(section+`.telegram-status`), "Telegram collegato")
	assert.Contains(t, text(`.notice.ok`), "dove ricevi gli avvisi")
	got, err := e.st.Subscriber(context.Background(), s.ID)
	require.NoError(t, err)
	assert.Equal(t, int64(4242), got.TelegramChatID)
	assert.Equal(t, store.ChannelTelegram, got.Channels)
}
