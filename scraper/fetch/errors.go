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

// ErrBlocked means the site put a waiting room (Queue-it) or an anti-bot
// wall (Cloudflare, DataDome, Akamai, PerimeterX) where the page should
// be: the page was not read, and asking again soon is useless.
var ErrBlocked = errors.New("blocked by a waiting room or anti-bot challenge")

// BlockedError is a waiting room or anti-bot challenge where the page
// should be. errors.Is(err, ErrBlocked) and errors.Is(err,
// source.ErrChallenge) hold.
type BlockedError struct {
	Kind   string // source.QueueIt, source.Cloudflare, ...
	Host   string
	URL    string
	Status int
}

func (e *BlockedError) Error() string {
	return fmt.Sprintf("%s answered a %s waiting room or anti-bot challenge (status %d): the page was not read; "+
		"leave %s alone for this run, and slow down or ask the site to allow the scraper's User-Agent", e.URL, e.Kind, e.Status, e.Host)
}

// Unwrap makes the error match ErrBlocked and source.ErrChallenge.
func (e *BlockedError) Unwrap() []error { return []error{ErrBlocked, source.ErrChallenge} }

// ChallengeError is the former name of BlockedError.
//
// Deprecated: use BlockedError.
type ChallengeError = BlockedError

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

// blocked recognises a waiting room or challenge in an answer.
func blocked(resp *http.Response, body []byte, u string) *BlockedError {
	if k := source.Blocker(resp.StatusCode, resp.Header, body); k != "" {
		return &BlockedError{Kind: k, Host: resp.Request.URL.Host, URL: u, Status: resp.StatusCode}
	}
	return nil
}
