package backend

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/manga-alert-italia/mangaalert/store"
)

// TestBrowserPrivacy drives chromium on a phone through the reader's
// data: the privacy page from the footer, the confirmation page's note,
// the manage page's "Scarica i miei dati" (a real download, read back),
// and "Cancella i miei dati", whose first attempt fails in the store
// (failDeletes) and whose retry deletes everything. Screenshots go with
// TestBrowser's, named privacy-*.png.
func TestBrowserPrivacy(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test in -short mode")
	}
	downloads := t.TempDir()
	ln := listen(t)
	base := "http://" + ln.Addr().String()
	e := newEnv(t, func(c *Config) { c.BaseURL = base }, failDeletes(1))
	ctx, cancel := context.WithCancel(context.Background())
	done := serve(ctx, ln, e.b)
	defer func() { cancel(); require.NoError(t, <-done) }()

	tab := newBrowserTab(t, "privacy-")
	bctx, shot, do, text := tab.ctx, tab.shot, tab.do, tab.text

	// A confirmed reader with a collection and an alert history, straight
	// into the store (the sign-up has its own browser test).
	ctx0 := context.Background()
	now := e.clock.Now()
	s := store.Subscriber{ID: newID(), Email: "riservata@example.it", Status: store.Active, TokenHash: newFeedSecret(),
		CreatedAt: now, UpdatedAt: now, ConfirmedAt: now, ConsentAt: now, ConsentVersion: PrivacyVersion}
	require.NoError(t, e.st.CreateSubscriber(ctx0, s))
	require.NoError(t, e.b.follow(ctx0, s, "one-piece"))
	withHistory(t, e, s.ID)
	manage := base + "/gestisci/" + e.links().ManageToken(s)

	// The privacy page, from the footer of the home page.
	do(
		phone,
		chromedp.Navigate(base+"/"),
		chromedp.WaitVisible(css(`footer a[href="/privacy"]`)),
		chromedp.Click(css(`footer a[href="/privacy"]`)),
		chromedp.WaitVisible(css(`#chi`)),
		shot("01-page-phone"),
	)
	assert.Equal(t, "I tuoi dati e la privacy", text(`h1`))
	assert.Contains(t, text(`section[aria-labelledby=chi]`), "Amazon Web Services")
	assert.Contains(t, text(`section[aria-labelledby=chi]`), "Telegram")

	// The confirmation page says what confirming agrees to.
	do(
		chromedp.Navigate(e.links().confirmURL(s, "", DefaultConfirmTTL)),
		chromedp.WaitVisible(css(`main form button`)),
		shot("02-confirm-phone"),
	)
	assert.Contains(t, text(`main .hint`), "Privacy")

	// The manage page's data section, and the download.
	progress := chromedp.Events(bctx, browser.DownloadProgress)
	events := true
	do(
		chromedp.Navigate(manage),
		chromedp.WaitVisible(css(`section[aria-labelledby=dati] a.button`)),
		chromedp.ScrollIntoView(css(`section[aria-labelledby=dati]`)),
		shot("03-manage-phone"),
		chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
			_, err := chromedp.Call(ctx, browser.SetDownloadBehavior, browser.SetDownloadBehaviorParams{
				Behavior: browser.SetDownloadBehaviorBehaviorAllowAndName, DownloadPath: downloads, EventsEnabled: &events})
			return err
		}),
		chromedp.Click(css(`section[aria-labelledby=dati] a.button`)),
	)
	var file string
	for ev, err := range progress {
		require.NoError(t, err)
		if ev.State == browser.DownloadProgressStateCompleted {
			file = filepath.Join(downloads, ev.GUID)
			break
		}
		require.NotEqual(t, browser.DownloadProgressStateCanceled, ev.State, "the download was cancelled")
	}
	raw, err := os.ReadFile(file)
	require.NoError(t, err)
	var x exported
	require.NoError(t, json.Unmarshal(raw, &x), "%s", raw)
	assert.Equal(t, ExportFormat, x.Format)
	assert.Equal(t, "riservata@example.it", x.Subscriber["email"])
	assert.Equal(t, PrivacyVersion, x.Subscriber["consent_version"])
	assert.Len(t, x.Follows, 1)
	assert.Len(t, x.Alerts, 2)
	assert.True(t, x.Feeds.Active)
	require.NoError(t, os.WriteFile(filepath.Join(tab.shots, "privacy-export.json"), raw, 0o644))

	// Deletion: the first attempt fails in the store and says what holds.
	do(
		chromedp.Click(css(`section[aria-labelledby=basta] button.danger`)),
		chromedp.WaitVisible(css(`.notice.bad`)),
		shot("04-delete-incomplete-phone"),
	)
	assert.Contains(t, text(`.notice.bad`), "Riprova tra poco")
	got, err := e.st.Subscriber(ctx0, s.ID)
	require.NoError(t, err)
	assert.Equal(t, store.Unsubscribed, got.Status)
	assert.Empty(t, got.TokenHash, "the feeds are revoked already")

	// The retry, from the same link.
	do(
		chromedp.Navigate(manage),
		chromedp.WaitVisible(css(`section[aria-labelledby=basta] button.danger`)),
		chromedp.Click(css(`section[aria-labelledby=basta] button.danger`)),
		chromedp.WaitVisible(css(`.notice.ok`)),
		shot("05-deleted-phone"),
	)
	assert.Equal(t, "Dati cancellati", text(`h1`))
	_, err = e.st.Subscriber(ctx0, s.ID)
	require.ErrorIs(t, err, store.ErrNotFound)
	as, err := e.st.AlertsOfSubscriber(ctx0, s.ID)
	require.NoError(t, err)
	assert.Empty(t, as)
	do(
		chromedp.Navigate(manage),
		chromedp.WaitVisible(css(`.notice.bad`)),
		shot("06-link-after-deletion-phone"),
	)
}
