package backend

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// accessRecords are the access-log lines of e with the status given.
func accessRecords(e *env, status int) []string {
	var out []string
	for _, l := range strings.Split(e.logText(), "\n") {
		if strings.Contains(l, `"msg":"request"`) && strings.Contains(l, fmt.Sprintf(`"status":%d,`, status)) {
			out = append(out, l)
		}
	}
	return out
}

func (e *env) getFrom(ip, target string) int {
	r := httptest.NewRequest(http.MethodGet, target, nil)
	r.RemoteAddr = ip + ":40000"
	w := httptest.NewRecorder()
	e.b.ServeHTTP(w, r)
	return w.Code
}

// TestFloodLogsO1: a flood of N rate-limited requests from one client is
// counted N times and logged once a minute, whatever N; the next record
// says how many were left out.
func TestFloodLogsO1(t *testing.T) {
	for _, n := range []int{10, 1000} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			e := newEnv(t, func(c *Config) { c.PerIP = Limit{Every: time.Hour, Burst: 1} })
			require.Equal(t, http.StatusOK, e.getFrom("198.51.100.7", "/robots.txt"))
			for range n {
				require.Equal(t, http.StatusTooManyRequests, e.getFrom("198.51.100.7", "/robots.txt"))
			}
			assert.Len(t, accessRecords(e, 429), 1, "one line for the flood")
			assert.Equal(t, uint64(n), e.b.Stats().RateLimited)
			assert.Equal(t, uint64(n-1), e.b.Stats().AccessLogSkipped)

			// Another client's first 429 is logged: sampling is per client.
			require.Equal(t, http.StatusOK, e.getFrom("198.51.100.8", "/robots.txt"))
			require.Equal(t, http.StatusTooManyRequests, e.getFrom("198.51.100.8", "/robots.txt"))
			assert.Len(t, accessRecords(e, 429), 2)

			e.clock.Advance(limitedWindow)
			require.Equal(t, http.StatusTooManyRequests, e.getFrom("198.51.100.7", "/robots.txt"))
			recs := accessRecords(e, 429)
			require.Len(t, recs, 3)
			assert.Contains(t, recs[2], fmt.Sprintf(`"limited_not_logged":%d`, n-1))
		})
	}
}

// TestAccessLogBudget: past the access log's budget, records of any status
// are counted, not written; the next one written says how many.
func TestAccessLogBudget(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.AccessLogRate = Limit{Every: time.Second, Burst: 5} })
	for i := range 100 {
		require.Equal(t, http.StatusOK, e.getFrom(fmt.Sprintf("203.0.113.%d", i), "/robots.txt"))
	}
	assert.Len(t, accessRecords(e, 200), 5)
	assert.Equal(t, uint64(95), e.b.Stats().AccessLogSkipped)

	e.clock.Advance(time.Second)
	require.Equal(t, http.StatusOK, e.getFrom("203.0.113.1", "/robots.txt"))
	recs := accessRecords(e, 200)
	require.Len(t, recs, 6)
	assert.Contains(t, recs[5], `"records_not_logged":95`)
}
