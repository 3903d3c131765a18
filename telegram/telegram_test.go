package telegram_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/manga-alert-italia/mangaalert/integration"
	"github.com/manga-alert-italia/mangaalert/telegram"
)

// fakeClock is a Clock that never waits: Sleep moves its time on.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newFakeClock() *fakeClock { return &fakeClock{t: time.Date(2026, 12, 3, 9, 0, 0, 0, time.UTC)} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Sleep(ctx context.Context, d time.Duration) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if d > 0 {
		c.t = c.t.Add(d)
	}
	return ctx.Err()
}

func TestLimiterSpacesMessages(t *testing.T) {
	tests := []struct {
		name  string
		chats []int64
		want  []time.Duration // each slot after the start
	}{
		{"one chat waits a second between messages", []int64{1, 1, 1}, []time.Duration{0, time.Second, 2 * time.Second}},
		{"thirty chats go at once, the 31st a second later",
			seq(31), append(make([]time.Duration, 30), time.Second)},
		{"a chat's wait holds back the chats after it", []int64{1, 1, 2}, []time.Duration{0, time.Second, time.Second}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clk := newFakeClock()
			start := clk.Now()
			l := telegram.NewLimiter(func(l *telegram.Limiter) { l.Clock = clk })
			var got []time.Duration
			for _, c := range tt.chats {
				got = append(got, l.Reserve(c).Sub(start))
			}
			assert.Equal(t, tt.want, got)
		})
	}
}

func seq(n int) []int64 {
	out := make([]int64, n)
	for i := range out {
		out[i] = int64(i + 1)
	}
	return out
}

func TestSendMessageWithinTheLimits(t *testing.T) {
	ctx := context.Background()
	clk := newFakeClock()
	tg := integration.RunTelegram(ctx, t, func(o *integration.TelegramOptions) { o.Now = clk.Now })
	c, err := telegram.New(tg.Token, func(o *telegram.Options) { o.BaseURL, o.Clock = tg.URL, clk })
	require.NoError(t, err)

	// 3 messages to one chat and 40 to others: the limiter spaces them so
	// the stand-in, on the same clock, refuses none.
	for range 3 {
		_, err := c.SendMessage(ctx, 7, "ciao")
		require.NoError(t, err)
	}
	for i := range 40 {
		_, err := c.SendMessage(ctx, int64(100+i), "ciao")
		require.NoError(t, err)
	}
	assert.Len(t, tg.Messages(), 43)
	assert.Zero(t, tg.Limited(), "the limiter kept within the stand-in's limits")
	assert.Len(t, tg.MessagesTo(7), 3)
}

func TestRetryAfterIsHonoured(t *testing.T) {
	ctx := context.Background()
	clk := newFakeClock()
	tg := integration.RunTelegram(ctx, t, func(o *integration.TelegramOptions) { o.Now = clk.Now })
	// A limiter that lets everything through at once, so the stand-in's
	// own limit answers 429 and the client must wait out retry_after.
	loose := telegram.NewLimiter(func(l *telegram.Limiter) {
		l.Clock, l.PerChat, l.Overall = clk, time.Nanosecond, 1000
	})
	c, err := telegram.New(tg.Token, func(o *telegram.Options) { o.BaseURL, o.Clock, o.Limiter = tg.URL, clk, loose })
	require.NoError(t, err)

	start := clk.Now()
	_, err = c.SendMessage(ctx, 7, "uno")
	require.NoError(t, err)
	m, err := c.SendMessage(ctx, 7, "due")
	require.NoError(t, err)
	assert.Equal(t, "due", m.Text)
	assert.Equal(t, 1, tg.Limited(), "the second message was refused once")
	assert.Equal(t, time.Second, clk.Now().Sub(start).Truncate(time.Millisecond), "then sent after retry_after (1 s)")
	assert.Len(t, tg.MessagesTo(7), 2)

	// Given up: no retries allowed, the 429 comes back as an *Error.
	none, err := telegram.New(tg.Token, func(o *telegram.Options) {
		o.BaseURL, o.Clock, o.Limiter, o.MaxRetries = tg.URL, clk, loose, -1
	})
	require.NoError(t, err)
	_, err = none.SendMessage(ctx, 7, "tre")
	require.ErrorIs(t, err, telegram.ErrRateLimited)
	var te *telegram.Error
	require.ErrorAs(t, err, &te)
	assert.Equal(t, 429, te.Code)
	assert.Equal(t, time.Second, te.RetryAfter)
}

func TestErrors(t *testing.T) {
	ctx := context.Background()
	tg := integration.RunTelegram(ctx, t)
	c, err := telegram.New(tg.Token, func(o *telegram.Options) { o.BaseURL = tg.URL })
	require.NoError(t, err)

	tg.Block(9)
	_, err = c.SendMessage(ctx, 9, "ciao")
	require.ErrorIs(t, err, telegram.ErrBlocked)

	wrong, err := telegram.New("42:not-the-token", func(o *telegram.Options) { o.BaseURL = tg.URL })
	require.NoError(t, err)
	_, err = wrong.SendMessage(ctx, 1, "ciao")
	require.ErrorIs(t, err, telegram.ErrUnauthorized)
	assert.NotContains(t, err.Error(), "not-the-token", "errors never carry the token")

	_, err = telegram.New("s3cret token")
	require.Error(t, err)
	assert.NotContains(t, err.Error(), "s3cret")

	down, err := telegram.New(tg.Token, func(o *telegram.Options) { o.BaseURL = "http://127.0.0.1:1" })
	require.NoError(t, err)
	_, err = down.SendMessage(ctx, 1, "ciao")
	require.Error(t, err)
	assert.NotContains(t, err.Error(), tg.Token, "a connection error does not carry the URL, which holds the token")
}

func TestWebhook(t *testing.T) {
	ctx := context.Background()
	tg := integration.RunTelegram(ctx, t)
	c, err := telegram.New(tg.Token, func(o *telegram.Options) { o.BaseURL = tg.URL })
	require.NoError(t, err)

	for _, bad := range []telegram.Webhook{
		{URL: "http://example.com/hooks/telegram", SecretToken: "abc"},
		{URL: "https://example.com/hooks/telegram", SecretToken: "has space"},
		{URL: "https://example.com/hooks/telegram"},
	} {
		assert.Error(t, c.SetWebhook(ctx, bad), "%+v", bad)
	}
	require.NoError(t, c.SetWebhook(ctx, telegram.Webhook{URL: "https://example.com/hooks/telegram", SecretToken: "abc_DEF-1"}))
	url, secret := tg.Webhook()
	assert.Equal(t, "https://example.com/hooks/telegram", url)
	assert.Equal(t, "abc_DEF-1", secret)
	require.NoError(t, c.DeleteWebhook(ctx))
	url, _ = tg.Webhook()
	assert.Empty(t, url)
}

func TestSplit(t *testing.T) {
	line := strings.Repeat("a", 99) + "\n"
	long := strings.Repeat(line, 100) // 10,000 characters
	parts := telegram.Split(long)
	require.Len(t, parts, 3)
	for _, p := range parts {
		assert.LessOrEqual(t, len(p), telegram.MaxText)
		assert.True(t, strings.HasSuffix(p, "a"), "cut at a line end")
	}
	assert.Equal(t, []string{"breve"}, telegram.Split("breve"))
	assert.Len(t, telegram.Split(strings.Repeat("x", telegram.MaxText+1)), 2, "a line longer than a message is cut anyway")
}

func TestCommand(t *testing.T) {
	tests := []struct{ text, cmd, arg string }{
		{"/start abc_DEF-1", "start", "abc_DEF-1"},
		{"  /stop@MangaAlertBot ", "stop", ""},
		{"/START x", "start", "x"},
		{"ciao", "", ""},
		{"", "", ""},
	}
	for _, tt := range tests {
		cmd, arg := telegram.Command(tt.text)
		assert.Equal(t, tt.cmd, cmd, tt.text)
		assert.Equal(t, tt.arg, arg, tt.text)
	}
}

// On the wall clock, as in production: every message arrives, whatever
// the network's jitter (the stand-in tolerates 50 ms of it, and a 429
// beyond is waited out). It logs how many were refused; no timing is
// asserted.
func TestWallClockAgainstTheStandIn(t *testing.T) {
	if testing.Short() {
		t.Skip("takes two seconds of wall time")
	}
	ctx := context.Background()
	tg := integration.RunTelegram(ctx, t)
	c, err := telegram.New(tg.Token, func(o *telegram.Options) { o.BaseURL = tg.URL })
	require.NoError(t, err)
	start := time.Now()
	var wg sync.WaitGroup
	for i := range 61 {
		wg.Go(func() {
			_, err := c.SendMessage(ctx, int64(i), "ciao")
			assert.NoError(t, err)
		})
	}
	for range 3 {
		_, err := c.SendMessage(ctx, 1000, "ciao")
		require.NoError(t, err)
	}
	wg.Wait()
	assert.Len(t, tg.Messages(), 64)
	t.Logf("64 messages (61 chats, 3 to one chat) in %s, %d refused with 429", time.Since(start).Round(time.Millisecond), tg.Limited())
}
