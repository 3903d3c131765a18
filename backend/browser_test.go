package backend

import (
	"context"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/http"
	"net/mail"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/manga-alert-italia/mangaalert/integration"
	"github.com/manga-alert-italia/mangaalert/notifier"
	"github.com/manga-alert-italia/mangaalert/notifier/outbox"
	"github.com/manga-alert-italia/mangaalert/store"
)

// The notifier's mails take their links from this package.
var _ notifier.Links = (*Links)(nil)

// findBrowser returns Debian's chromium (or another Chrome).
func findBrowser(t *testing.T) string {
	t.Helper()
	return integration.Program(t, "apt-get install -y chromium", "chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
}

// artifactsDir is where screenshots go: $MANGAALERT_ARTIFACTS, or a
// directory under the system's temporary one. It outlives the test.
func artifactsDir(t *testing.T) string {
	dir := os.Getenv("MANGAALERT_ARTIFACTS")
	if dir == "" {
		dir = filepath.Join(os.TempDir(), "mangaalert-artifacts")
	}
	dir = filepath.Join(dir, "backend-browser")
	require.NoError(t, os.MkdirAll(dir, 0o755))
	t.Logf("screenshots in %s", dir)
	return dir
}

// outboxMailer is the adapter the binary makes: the backend's Mail handed
// to the notifier's sender, here the outbox of .eml files.
type outboxMailer struct{ o *outbox.Outbox }

func (m outboxMailer) Send(ctx context.Context, x Mail) error {
	_, err := m.o.Send(ctx, &notifier.Message{From: "Manga Alert Italia <avvisi@mangaalert.test>", To: x.To, Subject: x.Subject, Text: x.Text, HTML: x.HTML})
	return err
}

// linkInOutbox finds, once e's mail queue has sent what it holds, the .eml
// to addr in dir whose text holds a link to path prefix, and returns that
// link.
func linkInOutbox(t *testing.T, e *env, dir, addr, prefix string) string {
	t.Helper()
	e.drain()
	re := regexp.MustCompile(`https?://[^\s]+` + regexp.QuoteMeta(prefix) + `[A-Za-z0-9_.\-]+`)
	files, err := filepath.Glob(filepath.Join(dir, "*.eml"))
	require.NoError(t, err)
	for _, f := range files {
		if !strings.Contains(filepath.Base(f), addr) {
			continue
		}
		if l := re.FindString(emlText(t, f)); l != "" {
			return l
		}
	}
	t.Fatalf("no mail to %s with a %s link in the outbox", addr, prefix)
	return ""
}

// emlText reads the text/plain part of an .eml.
func emlText(t *testing.T, path string) string {
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	msg, err := mail.ReadMessage(f)
	require.NoError(t, err)
	mt, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	require.NoError(t, err)
	decode := func(h interface{ Get(string) string }, r io.Reader) string {
		if strings.EqualFold(h.Get("Content-Transfer-Encoding"), "quoted-printable") {
			r = quotedprintable.NewReader(r)
		}
		b, err := io.ReadAll(r)
		require.NoError(t, err)
		return string(b)
	}
	if !strings.HasPrefix(mt, "multipart/") {
		return decode(msg.Header, msg.Body)
	}
	mr := multipart.NewReader(msg.Body, params["boundary"])
	for {
		p, err := mr.NextPart()
		require.NoError(t, err, "no text/plain part")
		if strings.HasPrefix(p.Header.Get("Content-Type"), "text/plain") {
			return decode(p.Header, p)
		}
	}
}

// TestBrowser drives Debian's chromium through what a reader does: finds
// a series, signs up, confirms from the mail in the outbox, follows
// another series, opens the calendar feed and unsubscribes. Screenshots
// of each step, on a phone and on a desktop, are kept as artifacts.
func TestBrowser(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test in -short mode")
	}
	mailDir := t.TempDir()
	ob, err := outbox.New(mailDir)
	require.NoError(t, err)

	ln := listen(t)
	base := "http://" + ln.Addr().String()
	e := newEnv(t, func(c *Config) {
		c.BaseURL = base
		c.Mailer = outboxMailer{ob}
		c.PerIP, c.FormsPerIP = Limit{}, Limit{} // the defaults, as in production
	})
	ctx, cancel := context.WithCancel(context.Background())
	done := serve(ctx, ln, e.b)
	defer func() { cancel(); require.NoError(t, <-done) }()

	tab := newBrowserTab(t, "")
	shot, do, text := tab.shot, tab.do, tab.text
	desktop := chromedp.EmulateViewport(1280, 900)
	const addr = "lettrice@example.it"

	// Home, search, series page, a mistake, then the sign-up.
	do(
		phone,
		chromedp.Navigate(base+"/"),
		chromedp.WaitVisible(css(`#q`)),
		shot("01-home-phone"),
		chromedp.SendKeys(css(`#q`), "one piece"),
		chromedp.Click(css(`form[role=search] button`)),
		chromedp.WaitVisible(css(`.series-list a`)),
		shot("02-search-phone"),
		chromedp.Click(css(`.series-list a`)),
		chromedp.WaitVisible(css(`#email`)),
	)
	assert.Equal(t, "One Piece", text(`h1`))
	do(
		shot("03-series-phone"),
		chromedp.SendKeys(css(`#email`), "non-una-email"),
		chromedp.Click(css(`section[aria-labelledby=segui] button`)),
		chromedp.WaitVisible(css(`#email-error`)),
		shot("04-series-invalid-email-phone"),
	)
	assert.Contains(t, text(`#email-error`), "@")
	do(
		chromedp.SetValue(css(`#email`), addr),
		chromedp.Click(css(`section[aria-labelledby=segui] button`)),
		chromedp.WaitVisible(css(`.notice.ok`)),
		shot("05-sent-phone"),
	)
	assert.Contains(t, text(`.notice.ok`), addr)

	// The confirmation link, from the outbox.
	confirm := linkInOutbox(t, e, mailDir, addr, "/conferma/")
	require.True(t, strings.HasPrefix(confirm, base), confirm)
	do(
		chromedp.Navigate(confirm),
		chromedp.WaitVisible(css(`main form button`)),
		shot("06-confirm-phone"),
		chromedp.Click(css(`main form button`)),
		chromedp.WaitVisible(css(`.notice.ok`)),
		shot("07-manage-phone"),
	)
	assert.Contains(t, text(`.notice.ok`), "Iscrizione confermata")
	s, err := e.st.SubscriberByEmail(context.Background(), addr)
	require.NoError(t, err)
	assert.Equal(t, store.Active, s.Status)

	// Follow another series from the manage page.
	do(
		chromedp.SetValue(css(`#series_id`), "solo-leveling"),
		chromedp.Click(css(`section[aria-labelledby=aggiungi] button`)),
		// The page before had a notice too: wait for the second follow.
		chromedp.WaitVisible(css(`.follows li:nth-child(2)`)),
		shot("08-followed-phone"),
		desktop,
		shot("09-manage-desktop"),
	)
	follows := text(`.follows`)
	assert.Contains(t, follows, "One Piece")
	assert.Contains(t, follows, "Solo Leveling")

	// The calendar feed, from the address the page shows to copy.
	feedURL := strings.TrimSpace(text(`section[aria-labelledby=calendario] code.feed-url`))
	resp, err := http.Get(feedURL)
	require.NoError(t, err)
	ics, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	require.NoError(t, err)
	assert.Equal(t, 200, resp.StatusCode)
	assert.Contains(t, string(ics), "SUMMARY:ONE PIECE n. 108")
	assert.Contains(t, string(ics), "SUMMARY:SOLO LEVELING n. 19")

	// Unsubscribe from the link on the page.
	do(
		phone,
		chromedp.Click(css(`section[aria-labelledby=basta] a`)),
		// Only the unsubscribe page has this field (the manage page has buttons too).
		chromedp.WaitReady(css(`input[name=List-Unsubscribe]`)),
		shot("10-unsubscribe-phone"),
		chromedp.Click(css(`main form button`)),
		chromedp.WaitVisible(css(`.notice.ok`)),
		shot("11-unsubscribed-phone"),
	)
	done2 := text(`.notice.ok`)
	do(
		desktop,
		chromedp.Navigate(base+"/"),
		chromedp.WaitVisible(css(`#q`)),
		shot("12-home-desktop"),
		chromedp.Navigate(base+"/serie/one-piece"),
		chromedp.WaitVisible(css(`#email`)),
		shot("13-series-desktop"),
	)
	assert.Contains(t, done2, "non ti mandiamo più email")
	s, err = e.st.SubscriberByEmail(context.Background(), addr)
	require.NoError(t, err)
	assert.Equal(t, store.Unsubscribed, s.Status)
}
