package backend

import (
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/manga-alert-italia/mangaalert/store"
)

// FuzzParseToken: any string is either refused with ErrBadToken or parses
// to claims whose token, made again, is the same string: one spelling.
func FuzzParseToken(f *testing.F) {
	l := newLinks("https://mangaalert.test", key1, DefaultManageTTL, func() time.Time { return t0 })
	for _, s := range []string{
		"", ".", "a.b", strings.Repeat("A", 600),
		tokenFor(l, Manage), tokenFor(l, Feed),
		tokenFor(l, Manage) + "=", tokenFor(l, Manage) + "\n", " " + tokenFor(l, Manage),
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, tok string) {
		c, p, m, err := parseToken(tok)
		if err != nil {
			if err != ErrBadToken {
				t.Fatalf("%q: error %v, want ErrBadToken", tok, err)
			}
			return
		}
		if len(m) != 32 || len(p) == 0 {
			t.Fatalf("%q accepted with a MAC of %d bytes", tok, len(m))
		}
		if again := b64.EncodeToString([]byte(p)) + "." + b64.EncodeToString(m); again != tok {
			t.Fatalf("%q accepted, but its one spelling is %q", tok, again)
		}
		if _, err := verify([][]byte{key1}, tok, c.Purpose, "", t0); err != nil && !errors.Is(err, ErrBadToken) {
			t.Fatalf("%q: verify says %v", tok, err)
		}
	})
}

func tokenFor(l *Links, p Purpose) string {
	s := sampleReader()
	if p == Manage {
		return l.ManageToken(s)
	}
	return l.FeedToken(s)
}

func sampleReader() store.Subscriber {
	return store.Subscriber{ID: "r1", Email: "r1@example.it", Status: store.Active, TokenHash: strings.Repeat("ab", 32)}
}

// FuzzFormDecoding: any body posted to the forms is answered with a page
// (never a 5xx, never a panic), and nothing is mailed to an address the
// checker would refuse.
func FuzzFormDecoding(f *testing.F) {
	for _, s := range []string{
		"email=a%40example.it&series_id=one-piece", "email=%ff%fe%40example.it&series_id=one-piece",
		"email=a%40example.it%0d%0aBcc:+x%40y.it&series_id=one-piece", "email=a@b.it;series_id=x", "%zz",
		"email=" + strings.Repeat("a", 300) + "%40example.it", "series_id=one-piece&series_id=solo-leveling&email=a%40b.it",
		"email=a%E2%80%AEb%40example.it&series_id=one-piece",
	} {
		f.Add(s, "application/x-www-form-urlencoded")
	}
	f.Add("--x\r\nContent-Disposition: form-data; name=\"email\"\r\n\r\na@b.it\r\n--x--\r\n", "multipart/form-data; boundary=x")
	e := newEnv(f)
	f.Fuzz(func(t *testing.T, body, ctype string) {
		e.t = t // the env's helpers report to the input that runs
		for _, path := range []string{"/iscriviti", "/link"} {
			w := e.do(http.MethodPost, path, strings.NewReader(body), "Content-Type", ctype)
			if w.Code >= 500 && w.Code != http.StatusServiceUnavailable {
				t.Fatalf("POST %s %q (%s): %d", path, body, ctype, w.Code)
			}
		}
		for _, m := range e.mail.all() {
			if _, ferr := checkEmail(m.To); ferr != nil || !utf8.ValidString(m.To) {
				t.Fatalf("mailed %q", m.To)
			}
		}
	})
}

// FuzzFeedRoute: any token in the feed routes answers 404 (or 200 for a
// real feed), never a 5xx.
func FuzzFeedRoute(f *testing.F) {
	e := newEnv(f)
	l := e.links()
	s := sampleReader()
	for _, tok := range []string{"x", l.FeedToken(s), l.ManageToken(s), "a.b", "%00", "..", strings.Repeat("A", 600)} {
		f.Add(tok)
	}
	f.Fuzz(func(t *testing.T, tok string) {
		e.t = t
		for _, feed := range []string{"uscite.ics", "annunci.atom"} {
			target := "/feed/" + url.PathEscape(tok) + "/" + feed
			if _, err := url.ParseRequestURI(target); err != nil {
				return
			}
			w := e.get(target)
			if w.Code >= 500 {
				t.Fatalf("GET %s: %d", target, w.Code)
			}
			if strings.Contains(w.Body.String(), tok) && len(tok) > 8 && w.Code != http.StatusOK {
				t.Fatalf("GET %s: the error page repeats the token", target)
			}
		}
	})
}
