package backend

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/manga-alert-italia/mangaalert/store"
)

// handlerCalls is a store that records the address-dependent calls made
// on a request's own goroutine (a context the middleware annotated), as
// opposed to the mail queue's: the work a response's timing could show.
type handlerCalls struct {
	store.Store
	mu    sync.Mutex
	calls []string
}

func (h *handlerCalls) note(ctx context.Context, call string) {
	if ctx.Value(reqInfoKey{}) == nil {
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	h.calls = append(h.calls, call)
}

func (h *handlerCalls) take() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := h.calls
	h.calls = nil
	return out
}

func (h *handlerCalls) SubscriberByEmail(ctx context.Context, email string) (store.Subscriber, error) {
	h.note(ctx, "SubscriberByEmail")
	return h.Store.SubscriberByEmail(ctx, email)
}

func (h *handlerCalls) Subscriber(ctx context.Context, id string) (store.Subscriber, error) {
	h.note(ctx, "Subscriber")
	return h.Store.Subscriber(ctx, id)
}

func (h *handlerCalls) CreateSubscriber(ctx context.Context, s store.Subscriber) error {
	h.note(ctx, "CreateSubscriber")
	return h.Store.CreateSubscriber(ctx, s)
}

func (h *handlerCalls) UpdateSubscriber(ctx context.Context, s store.Subscriber, now time.Time) (store.Subscriber, error) {
	h.note(ctx, "UpdateSubscriber")
	return h.Store.UpdateSubscriber(ctx, s, now)
}

func (h *handlerCalls) TakeBudget(ctx context.Context, key, id string, limit int, window time.Duration, now time.Time) (bool, error) {
	h.note(ctx, "TakeBudget")
	return h.Store.TakeBudget(ctx, key, id, limit, window, now)
}

// TestSignUpSameWork: a sign-up and a link request do the same work on the
// request's path for a confirmed, a pending, a suppressed and an unknown
// address (none of it touches the address in the store) and answer the
// same bytes; the queue does the rest. Timing is measured by
// BenchmarkSignUp, not asserted here.
func TestSignUpSameWork(t *testing.T) {
	var rec *handlerCalls
	e := newEnv(t, func(c *Config) {
		rec = &handlerCalls{Store: c.Store.(store.Store)}
		c.Store = rec
	})
	e.confirmed("attivo@example.it", "one-piece")
	require.NoError(t, e.st.CreateSubscriber(context.Background(), store.Subscriber{ID: "sup", Email: "respinto@example.it", Status: store.Suppressed, CreatedAt: t0, UpdatedAt: t0}))
	e.postForm("/iscriviti", url.Values{"email": {"attesa@example.it"}, "series_id": {"one-piece"}})
	e.drain()
	rec.take()

	for _, form := range []struct {
		path   string
		values func(addr string) url.Values
	}{
		{"/iscriviti", func(a string) url.Values { return url.Values{"email": {a}, "series_id": {"solo-leveling"}} }},
		{"/link", func(a string) url.Values { return url.Values{"email": {a}} }},
	} {
		var answers []string
		for _, addr := range []string{"attivo@example.it", "attesa@example.it", "respinto@example.it", "ignoto@example.it"} {
			w := e.postForm(form.path, form.values(addr))
			require.Equal(t, http.StatusOK, w.Code)
			answers = append(answers, strings.ReplaceAll(w.Body.String(), addr, "ADDR"))
			assert.Empty(t, rec.take(), "%s %s: no address-dependent store call on the request's path", form.path, addr)
			e.drain()
		}
		for _, a := range answers[1:] {
			assert.True(t, a == answers[0], "%s: the same answer for every address", form.path)
		}
	}
	ms := e.mail.to("ignoto@example.it")
	require.NotEmpty(t, ms)
	assert.Contains(t, ms[0].Subject, "Conferma", "the unknown address got its confirmation, from the queue")
}

// BenchmarkSignUp times the sign-up's answer for a confirmed and an
// unknown address (the mail queue works behind it): compare the two.
//
//	go test -run '^$' -bench SignUp -benchtime 2000x ./backend
func BenchmarkSignUp(b *testing.B) {
	for _, kind := range []string{"known", "unknown"} {
		b.Run(kind, func(b *testing.B) {
			be := benchBackend(b, 0)
			be.cfg.MailsPerAddress, be.cfg.MailsPerIP, be.cfg.MailsPerHour = -1, -1, -1
			be.cfg.FormsPerIP = Off
			be.forms = newIPLimiter(Off)
			addr := "nuovo@example.it"
			if kind == "known" {
				require.NoError(b, be.cfg.Store.(store.Store).CreateSubscriber(context.Background(),
					store.Subscriber{ID: "known", Email: addr, Status: store.Active, CreatedAt: t0, UpdatedAt: t0}))
			}
			// The queue starts a job only when the timer is stopped: its
			// work is not the answer's, and would compete for the CPU.
			prepare, gate := be.mailq.prepare, make(chan struct{})
			be.mailq.prepare = func(ctx context.Context, j mailJob) (Mail, bool) {
				<-gate
				return prepare(ctx, j)
			}
			body := url.Values{"email": {addr}, "series_id": {"serie-001"}}.Encode()
			b.ReportAllocs()
			for b.Loop() {
				r := httptest.NewRequest(http.MethodPost, "/iscriviti", strings.NewReader(body))
				r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				r.RemoteAddr = "192.0.2.7:1"
				w := httptest.NewRecorder()
				be.ServeHTTP(w, r)
				if w.Code != http.StatusOK {
					b.Fatalf("status %d", w.Code)
				}
				b.StopTimer()
				gate <- struct{}{}
				be.mailq.wait()
				b.StartTimer()
			}
		})
	}
}
