package backend

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"
)

// browserTab is one tab of a headless chromium for a browser test,
// closed when the test ends. Its screenshots go to the artifacts folder,
// each name behind the test's prefix.
type browserTab struct {
	t      *testing.T
	ctx    context.Context
	shots  string
	prefix string
}

// newBrowserTab starts Debian's chromium (a test with no browser fails in
// CI, skips elsewhere: see findBrowser) with two minutes for the test.
func newBrowserTab(t *testing.T, prefix string) *browserTab {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(findBrowser(t)), chromedp.Flag("headless", true),
		chromedp.Flag("lang", "it-IT"), chromedp.Flag("disable-gpu", true))
	if os.Geteuid() == 0 {
		opts = append(opts, chromedp.NoSandbox)
	}
	actx, acancel := chromedp.NewExecAllocator(context.Background(), opts...)
	bctx, bcancel := chromedp.NewContext(actx)
	bctx, tcancel := context.WithTimeout(bctx, 2*time.Minute)
	t.Cleanup(func() { tcancel(); bcancel(); acancel() })
	return &browserTab{t: t, ctx: bctx, shots: artifactsDir(t), prefix: prefix}
}

// shot saves a full-page screenshot as PREFIXname.png.
func (b *browserTab) shot(name string) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		png, err := chromedp.FullScreenshot(100)(ctx, tg)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(b.shots, b.prefix+name+".png"), png, 0o644)
	})
}

// do runs steps in the tab and fails the test on the first error.
func (b *browserTab) do(steps ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	require.NoError(b.t, chromedp.Do(b.ctx, steps...))
}

// text is the text of the first element sel matches.
func (b *browserTab) text(sel string) string {
	b.t.Helper()
	s, err := chromedp.Run(b.ctx, chromedp.Text(chromedp.CSS(sel)))
	require.NoError(b.t, err)
	return s
}

func css(s string) chromedp.CSS { return chromedp.CSS(s) }

// phone is the window of the screenshots the issues ask for.
var phone = chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile, chromedp.EmulateScale(2))
