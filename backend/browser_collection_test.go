package backend

import (
	"context"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/manga-alert-italia/mangaalert/store"
)

// TestBrowserCollection drives chromium through the manage page on a
// phone: "Ho fino al n." and the reminders of one series, then the
// reader-wide reminders. Screenshots go with TestBrowser's, named
// collection-*.png.
func TestBrowserCollection(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test in -short mode")
	}
	ln := listen(t)
	base := "http://" + ln.Addr().String()
	e := newEnv(t, func(c *Config) { c.BaseURL = base })
	ctx, cancel := context.WithCancel(context.Background())
	done := serve(ctx, ln, e.b)
	defer func() { cancel(); require.NoError(t, <-done) }()

	tab := newBrowserTab(t, "collection-")
	shot, do, text := tab.shot, tab.do, tab.text
	// A post is a navigation: the page before is marked, and the next
	// notice waited for is one on an unmarked page (the page before may
	// show a notice too).
	mark := chromedp.Evaluate[chromedp.Void](`document.body.dataset.before = "1"`)
	newNotice := css(`body:not([data-before]) .notice.ok`)

	// A confirmed reader of two series, straight into the store (the
	// sign-up has its own browser test).
	now := e.clock.Now()
	s := store.Subscriber{ID: newID(), Email: "collezionista@example.it", Status: store.Active, TokenHash: newFeedSecret(),
		CreatedAt: now, UpdatedAt: now, ConfirmedAt: now}
	require.NoError(t, e.st.CreateSubscriber(context.Background(), s))
	require.NoError(t, e.b.follow(context.Background(), s, "one-piece"))
	require.NoError(t, e.b.follow(context.Background(), s, "solo-leveling"))
	manage := base + "/gestisci/" + e.links().ManageToken(s)
	op := `li[data-series=one-piece] `

	// The page: each series with the next volume to buy.
	do(
		phone,
		chromedp.Navigate(manage),
		chromedp.WaitVisible(css(op+`.next`)),
		shot("01-manage-phone"),
	)
	assert.Contains(t, text(op+`.next`), "n. 108")
	assert.Contains(t, text(`li[data-series=solo-leveling] .next`), "n. 19")

	// One Piece: "Ho fino al n. 108", and only the 7-day reminder.
	do(
		chromedp.Click(css(op+`details summary`)),
		chromedp.WaitVisible(css(`#upto-one-piece`)),
		chromedp.SendKeys(css(`#upto-one-piece`), "108"),
		chromedp.Click(css(`#rem-own-one-piece`)),
		chromedp.Click(css(`#rem-announce-one-piece`)),
		chromedp.Click(css(`#rem-30-one-piece`)),
		chromedp.Click(css(`#rem-1-one-piece`)),
		shot("02-collection-form-phone"),
		mark,
		chromedp.Click(css(op+`details button[type=submit]`)),
		chromedp.WaitVisible(newNotice),
		shot("03-collection-saved-phone"),
	)
	assert.Contains(t, text(`.notice.ok`), "collezione e avvisi della serie salvati")
	assert.Contains(t, text(op+`.next`), "n. 109")
	fs, err := e.st.FollowsOf(context.Background(), s.ID)
	require.NoError(t, err)
	require.Len(t, fs, 2)
	assert.Equal(t, 108, fs[0].OwnedUpTo)
	assert.Equal(t, []string{"7"}, fs[0].Reminders.Names())
	assert.Zero(t, fs[1].Reminders, "the other series is left alone")

	// Reader-wide: no 30-day reminders.
	do(
		chromedp.Click(css(`#rem-30`)),
		mark,
		chromedp.Click(css(`section[aria-labelledby=preferenze] button`)),
		chromedp.WaitVisible(newNotice),
		chromedp.Click(css(op+`details summary`)),
		chromedp.WaitVisible(css(`#upto-one-piece`)),
		shot("04-reminders-saved-phone"),
	)
	assert.Contains(t, text(`.notice.ok`), "Preferenze salvate")
	got, err := e.st.Subscriber(context.Background(), s.ID)
	require.NoError(t, err)
	assert.Equal(t, []string{"announce", "7", "1"}, got.Reminders.Names())
	assert.True(t, got.Reminders.Chosen())
	assert.Equal(t, store.Active, got.Status)
}
