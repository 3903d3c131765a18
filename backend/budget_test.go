package backend

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/manga-alert-italia/mangaalert/store"
	"github.com/manga-alert-italia/mangaalert/store/bolt"
)

func TestInbox(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"Anna@Example.it", "anna@example.it"},
		{"anna+news@example.it", "anna@example.it"},
		{"anna+a+b@example.it", "anna@example.it"},
		{"a.n.n.a@example.it", "a.n.n.a@example.it"}, // dots matter elsewhere
		{"a.n.n.a+x@gmail.com", "anna@gmail.com"},
		{"A.N.N.A@GoogleMail.com", "anna@gmail.com"},
		{"+tag@example.it", "@example.it"},
		{"no-at", "no-at"},
	} {
		assert.Equal(t, tt.want, Inbox(tt.in), tt.in)
	}
}

// sentTo is where the answer names the address (as the reader typed it).
var sentTo = regexp.MustCompile(`email a [^ <]+:`)

// victimVariants are 35 spellings of one Gmail inbox.
func victimVariants() []string {
	var out []string
	for i := range 35 {
		switch i % 5 {
		case 0:
			out = append(out, fmt.Sprintf("mario.rossi+%d@gmail.com", i))
		case 1:
			out = append(out, fmt.Sprintf("m.a.r.i.o.r.o.s.s.i+%d@googlemail.com", i))
		case 2:
			out = append(out, fmt.Sprintf("MarioRossi+x%d@Gmail.com", i))
		case 3:
			out = append(out, fmt.Sprintf("mario.ross.i+%d@googlemail.com", i))
		default:
			out = append(out, fmt.Sprintf("m.ario.rossi+flood%d@gmail.com", i))
		}
	}
	return out
}

// floodSources are 36 client addresses: IPv4 ones and IPv6 ones each in
// its own /64.
func floodSources() []string {
	var out []string
	for i := range 18 {
		out = append(out, fmt.Sprintf("198.51.100.%d:4%04d", i+1, i))
		out = append(out, fmt.Sprintf("[2001:db8:%x::1]:4%04d", i+1, i))
	}
	return out
}

// TestFloodProbe is the flooding probe, redone: 1,260 sign-ups of 35
// spellings of one inbox from 36 client addresses, over four restarts of
// three replicas sharing one store, in 20 hours. The inbox gets at most
// MailsPerAddress (3) mails in the day, every answer is the same, and the
// day after it can be mailed again. The in-memory limits are off: the
// budgets in the store alone hold.
func TestFloodProbe(t *testing.T) {
	t.Run("bolt", func(t *testing.T) {
		floodProbe(t, func(now func() time.Time) store.Store {
			st, err := bolt.Open(filepath.Join(t.TempDir(), "store.db"), func(o *bolt.Options) { o.NoSync = true; o.Now = now })
			require.NoError(t, err)
			return st
		})
	})
	t.Run("dynamo", func(t *testing.T) {
		open, _ := dynamoStore(t)
		floodProbe(t, open)
	})
}

func floodProbe(t *testing.T, open func(now func() time.Time) store.Store) {
	clk := &clock{t: t0}
	st := open(clk.Now)
	t.Cleanup(func() { _ = st.Close() })
	seed(t, st, clk.Now())
	mail := &memMailer{}
	replicas := func() []*Backend {
		var bs []*Backend
		for range 3 {
			b, err := New(Config{Store: st, Keys: StaticKeys{Current: key1}, Mailer: mail, BaseURL: "https://mangaalert.test",
				Logger: slog.New(slog.DiscardHandler), Now: clk.Now, PerIP: Off, FormsPerIP: Off})
			require.NoError(t, err)
			bs = append(bs, b)
		}
		return bs
	}
	stop := func(bs []*Backend) {
		for _, b := range bs {
			ctx, cancel := context.WithTimeout(context.Background(), stuck)
			require.NoError(t, b.Shutdown(ctx))
			cancel()
		}
	}
	post := func(b *Backend, from, addr string) (int, string) {
		v := url.Values{"email": {addr}, "series_id": {"one-piece"}}
		r := httptest.NewRequest(http.MethodPost, "/iscriviti", strings.NewReader(v.Encode()))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		r.RemoteAddr = from
		w := httptest.NewRecorder()
		b.ServeHTTP(w, r)
		return w.Code, sentTo.ReplaceAllString(w.Body.String(), "email a ADDR:")
	}
	victim := Inbox("mario.rossi@gmail.com")
	toVictim := func() int {
		n := 0
		for _, m := range mail.all() {
			if Inbox(m.To) == victim {
				n++
			}
		}
		return n
	}

	variants, sources := victimVariants(), floodSources()
	var first string
	posts := 0
	for round := range 4 { // a restart of all three replicas each round
		bs := replicas()
		for i, from := range sources[round*9 : round*9+9] {
			for j, addr := range variants {
				code, body := post(bs[(i+j)%3], from, addr)
				require.Equal(t, http.StatusOK, code, body)
				if first == "" {
					first = body
				}
				require.True(t, first == body, "the same answer whatever the budgets: %s to %s differs", from, addr)
				posts++
			}
			for _, b := range bs {
				b.mailq.wait()
			}
		}
		stop(bs)
		clk.Advance(5 * time.Hour)
	}
	require.Equal(t, 1260, posts)
	t.Logf("%d sign-ups from %d addresses, 4 restarts of 3 replicas: %d mails to the inbox", posts, len(sources), toVictim())
	// At most 3; fewer only when a store write failed after the inbox's
	// budget was taken (contention on a loaded machine): never more.
	got := toVictim()
	assert.LessOrEqual(t, got, DefaultMailsPerAddress, "at most 3 a day to one inbox")
	assert.Positive(t, got)

	clk.Advance(4*time.Hour + time.Minute) // a day after the first mail
	bs := replicas()
	defer stop(bs)
	code, _ := post(bs[0], "203.0.113.9:1", "mario.rossi+again@gmail.com")
	require.Equal(t, http.StatusOK, code)
	bs[0].mailq.wait()
	assert.Equal(t, got+1, toVictim(), "the next day it can be mailed again")
}

// TestMailBudgetsPerIPAndGlobal: one client address causes at most
// MailsPerIP mails an hour, whatever the inboxes; the service at most
// MailsPerHour; both in the store, so a restart does not reset them.
func TestMailBudgetsPerIPAndGlobal(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.MailsPerIP, c.MailsPerHour = 10, 15 })
	post := func(from, addr string) {
		v := url.Values{"email": {addr}, "series_id": {"one-piece"}}
		r := httptest.NewRequest(http.MethodPost, "/iscriviti", strings.NewReader(v.Encode()))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		r.RemoteAddr = from
		w := httptest.NewRecorder()
		e.b.ServeHTTP(w, r)
		require.Equal(t, http.StatusOK, w.Code)
	}
	for i := range 12 {
		post("192.0.2.50:1", fmt.Sprintf("reader%d@example.it", i))
	}
	// Another address of the same IPv6 /64 is the same client.
	for i := range 3 {
		post("[2001:db8:1:1::1]:1", fmt.Sprintf("six%d@example.it", i))
		post("[2001:db8:1:1::2]:1", fmt.Sprintf("six-other%d@example.it", i))
	}
	post("192.0.2.52:1", "another@example.it") // the global budget again
	e.drain()
	assert.Len(t, e.mail.all(), 10+5, "10 from the first client, then the global 15")
	assert.Equal(t, 1, strings.Count(e.logText(), "the global mail budget is spent"),
		"the operator hears the spent global budget, once a minute however many sign-ups it holds back")

	// A restart keeps the budgets.
	b2, err := New(e.b.cfg)
	require.NoError(t, err)
	e.b = b2
	t.Cleanup(func() { _ = b2.Shutdown(context.Background()) })
	post("192.0.2.51:1", "fresh@example.it")
	e.drain()
	assert.Len(t, e.mail.all(), 15, "the global budget survived the restart")

	e.clock.Advance(time.Hour)
	post("192.0.2.50:1", "later@example.it")
	e.drain()
	assert.Len(t, e.mail.all(), 16, "an hour later")
}
