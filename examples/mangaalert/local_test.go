package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"mime/quotedprintable"
	"net/http"
	"net/mail"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/manga-alert-italia/mangaalert/scraper/sample"
)

// syncBuffer is an io.Writer two goroutines may share, which tells who
// waits on it of each write.
type syncBuffer struct {
	mu      sync.Mutex
	b       bytes.Buffer
	written chan struct{} // closed and replaced at each write: a broadcast
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.written != nil {
		close(s.written)
	}
	s.written = make(chan struct{})
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// next is closed at the next write.
func (s *syncBuffer) next() <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.written == nil {
		s.written = make(chan struct{})
	}
	return s.written
}

// stuck bounds a wait: a test that waits this long has hung, it is not
// slow.
const stuck = time.Minute

// waitFor waits until cond holds, looking again at each write to w: the
// events whose effects cond checks are written there after they happen.
func waitFor(t *testing.T, what string, w *syncBuffer, cond func() bool) {
	t.Helper()
	give := time.NewTimer(stuck)
	defer give.Stop()
	for {
		next := w.next() // before looking, so no write slips between
		if cond() {
			return
		}
		select {
		case <-next:
		case <-give.C:
			t.Fatalf("%s: still waiting after %s, hung", what, stuck)
		}
	}
}

// startLocal runs `local` in-process on a free port with a fast timer and
// returns its site's URL and a function that stops it.
// Its debug log goes to logs, where the mail queue says what it sent.
func startLocal(t *testing.T, data string, out, logs *syncBuffer) (site string, stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	f := &localFlags{addr: "127.0.0.1:0", data: data, every: 300 * time.Millisecond}
	done := make(chan error, 1)
	log := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	go func() { done <- local(ctx, f, out, log) }()
	re := regexp.MustCompile(`running at (http://\S+) `)
	waitFor(t, "the site is up", out, func() bool { return re.MatchString(out.String()) })
	stop = func() {
		cancel()
		select {
		case err := <-done:
			require.NoError(t, err)
		case <-time.After(20 * time.Second):
			t.Fatal("local did not stop within 20 s of its context ending")
		}
	}
	return re.FindStringSubmatch(out.String())[1], stop
}

// mails reads the outbox's messages.
func mails(t *testing.T, dir string) []*mail.Message {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(dir, "outbox", "*.eml"))
	var out []*mail.Message
	for _, f := range files {
		if strings.HasPrefix(filepath.Base(f), ".") {
			continue // the outbox's temporary file, being written: "*" matches it too
		}
		b, err := os.ReadFile(f)
		require.NoError(t, err)
		m, err := mail.ReadMessage(bytes.NewReader(b))
		require.NoError(t, err)
		out = append(out, m)
	}
	return out
}

func postJSON(t *testing.T, url, token string, body any) (int, map[string]any) {
	t.Helper()
	b, _ := json.Marshal(body)
	method := http.MethodPost
	if body == nil {
		method = http.MethodPut
	}
	req, _ := http.NewRequest(method, url, bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	var v map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&v)
	return resp.StatusCode, v
}

// TestLocalRunsTheWholeService is the README's first command, in-process:
// a reader signs up through the API, confirms with the link mailed to the
// outbox, follows a series, and the next cycle mails the reminder of its
// next volume (the sample pages' day is 9 September 2024; Mob Psycho 100
// n. 15 comes out on the 17th). A restart changes nothing.
func TestLocalRunsTheWholeService(t *testing.T) {
	data := t.TempDir()
	var out, logs syncBuffer
	site, stop := startLocal(t, data, &out, &logs)
	waitFor(t, "the first cycle", &out, func() bool { return strings.Contains(out.String(), "notify:") })
	assert.Contains(t, out.String(), "36 new volumes")

	code, body := postJSON(t, site+"/api/v1/subscriptions", "", map[string]string{"email": "lettore@example.it", "series_id": "mob-psycho-100"})
	require.Equal(t, http.StatusAccepted, code, "%v", body)
	var confirm *mail.Message
	waitFor(t, "the confirmation mail", &logs, func() bool {
		ms := mails(t, data)
		if len(ms) > 0 {
			confirm = ms[0]
		}
		return confirm != nil
	})
	assert.Equal(t, `"Manga Alert Italia" <account@mangaalert.localhost>`, confirm.Header.Get("From"))
	text, err := io.ReadAll(quotedprintable.NewReader(confirm.Body))
	require.NoError(t, err)
	link := regexp.MustCompile(`/conferma/([A-Za-z0-9_.-]+)`).FindSubmatch(text)
	require.NotNil(t, link, "%s", text)

	code, body = postJSON(t, site+"/api/v1/confirmations", "", map[string]string{"token": string(link[1])})
	require.Equal(t, http.StatusOK, code, "%v", body)

	var alert *mail.Message
	waitFor(t, "the alert mail of the next cycle", &out, func() bool {
		for _, m := range mails(t, data) {
			if strings.Contains(m.Header.Get("From"), "avvisi@") {
				alert = m
			}
		}
		return alert != nil
	})
	// Every mail, the backend's and the notifier's, is dated on the sample
	// pages' day, and the outbox's names sort as the mails were sent.
	names, _ := filepath.Glob(filepath.Join(data, "outbox", "[0-9]*.eml"))
	require.GreaterOrEqual(t, len(names), 2)
	var prev time.Time
	for i, f := range names {
		b, err := os.ReadFile(f)
		require.NoError(t, err)
		m, err := mail.ReadMessage(bytes.NewReader(b))
		require.NoError(t, err)
		d, err := m.Header.Date()
		require.NoError(t, err)
		assert.WithinDuration(t, sample.Captured, d, 12*time.Hour, "%s is dated %s: the simulated day is %s", filepath.Base(f), d, sample.Captured)
		assert.False(t, d.Before(prev), "%s sorts after a later mail", filepath.Base(f))
		prev = d
		if i == 0 {
			assert.Contains(t, m.Header.Get("From"), "account@", "the confirmation comes first")
		}
	}
	assert.Equal(t, "List-Unsubscribe=One-Click", alert.Header.Get("List-Unsubscribe-Post"))
	assert.Contains(t, alert.Header.Get("List-Unsubscribe"), site+"/")
	assert.Contains(t, alert.Header.Get("List-Unsubscribe"), "mailto:unsubscribe@mangaalert.localhost")
	stop()
	sent := len(mails(t, data))

	// A restart on the same data: the same pages, nothing new, nothing resent.
	var out2, logs2 syncBuffer
	_, stop = startLocal(t, data, &out2, &logs2)
	waitFor(t, "the first cycle after the restart", &out2, func() bool { return strings.Contains(out2.String(), "notify:") })
	stop()
	assert.Contains(t, out2.String(), "0 new volumes, 0 changed, 0 errors")
	assert.Contains(t, out2.String(), "notify: 0 emails")
	assert.Len(t, mails(t, data), sent)
}

func TestLocalUsage(t *testing.T) {
	code, _, stderr := mangaalert("local", "--every", "10s")
	assert.Equal(t, exitUsage, code)
	assert.Contains(t, stderr, "at least 1m")
	code, _, stderr = mangaalert("local", "--log-level", "loud")
	assert.Equal(t, exitUsage, code)
	assert.Contains(t, stderr, "want debug, info, warn or error")
}
