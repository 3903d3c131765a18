package fetch

import (
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/manga-alert-italia/mangaalert/scraper/source"
)

// ErrDisallowed means robots.txt keeps us out of the page (or could not be
// read, which RFC 9309 says means the same).
var ErrDisallowed = errors.New("disallowed by robots.txt")

// ErrTooLarge means the body was longer than the Fetcher's MaxBody. The
// page is not cut and parsed in part: a cut page would lose volumes.
var ErrTooLarge = errors.New("response body too large")

// ChallengeError is an anti-bot challenge (Cloudflare's "Just a moment...",
// a cf-mitigated header) where the page should be. errors.Is(err,
// source.ErrChallenge) holds.
type ChallengeError struct {
	URL    string
	Status int
	Signal string // what gave it away
}

func (e *ChallengeError) Error() string {
	return fmt.Sprintf("%s answered an anti-bot challenge (status %d, %s): the page was not read; "+
		"slow down or ask the site to allow the scraper's User-Agent", e.URL, e.Status, e.Signal)
}

// Unwrap makes the error match source.ErrChallenge.
func (e *ChallengeError) Unwrap() error { return source.ErrChallenge }

// StatusError is an HTTP answer the fetcher could not use.
type StatusError struct {
	URL        string
	Status     int
	RetryAfter time.Duration // what the site asked, for 429 and 503
}

func (e *StatusError) Error() string {
	s := fmt.Sprintf("%s answered %d %s", e.URL, e.Status, http.StatusText(e.Status))
	if e.RetryAfter > 0 {
		s += fmt.Sprintf(" (retry after %s)", e.RetryAfter)
	}
	return s
}

// challenge recognises a challenge in an error answer: Cloudflare marks in
// the body, or its server header with a challenge title.
func challenge(resp *http.Response, body []byte, u string) *ChallengeError {
	if source.IsChallenge(body) {
		return &ChallengeError{URL: u, Status: resp.StatusCode, Signal: "challenge page"}
	}
	return nil
}
