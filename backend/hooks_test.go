package backend

import (
	"bytes"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestHooksGoThroughTheMiddleware: a hook (the SES events endpoint) gets
// the site's security headers, access log and rate limit, and its own
// body cap.
func TestHooksGoThroughTheMiddleware(t *testing.T) {
	var got int
	hook := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, "too large", http.StatusRequestEntityTooLarge)
			return
		}
		got = len(b)
	})
	e := newEnv(t, func(c *Config) {
		c.Hooks = map[string]http.Handler{"/hooks/ses": hook}
		c.PerIP = Limit{Every: time.Hour, Burst: 3}
	})

	w := e.do(http.MethodPost, "/hooks/ses", bytes.NewReader(make([]byte, 200<<10)))
	require.Equal(t, http.StatusOK, w.Code, "an SNS message is bigger than a form: the hook's own cap")
	assert.Equal(t, 200<<10, got)
	assert.Contains(t, w.Header().Get("Content-Security-Policy"), "default-src 'none'")
	assert.Equal(t, "nosniff", w.Header().Get("X-Content-Type-Options"))
	assert.Contains(t, e.logText(), `"route":"/hooks/ses"`, "access logged")

	w = e.do(http.MethodPost, "/hooks/ses", bytes.NewReader(make([]byte, 300<<10)))
	assert.Equal(t, http.StatusRequestEntityTooLarge, w.Code)

	w = e.do(http.MethodPost, "/hooks/ses", bytes.NewReader([]byte("{}")))
	assert.Equal(t, http.StatusOK, w.Code)
	w = e.do(http.MethodPost, "/hooks/ses", bytes.NewReader([]byte("{}")))
	assert.Equal(t, http.StatusTooManyRequests, w.Code, "rate limited like the site")
	assert.NotEmpty(t, w.Header().Get("Retry-After"))
}

func TestHookPathsAreChecked(t *testing.T) {
	for _, path := range []string{"/", "/iscriviti", "POST /hooks/ses", "/hooks/{x}"} {
		_, err := New(Config{Store: newEnv(t).st, Keys: StaticKeys{Current: key1}, Mailer: &memMailer{}, BaseURL: "https://x.test",
			Hooks: map[string]http.Handler{path: http.NotFoundHandler()}})
		assert.ErrorIs(t, err, ErrConfig, path)
	}
}
