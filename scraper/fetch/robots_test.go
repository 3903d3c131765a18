package fetch_test

import (
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/manga-alert-italia/mangaalert/scraper/fetch"
)

const ua = "MangaAlertItalia/1.0 (+https://example.org)"

func TestRobots(t *testing.T) {
	const txt = `# comment
Disallow: /ignored-no-group

User-agent: *
Disallow: /private
Allow: /private/ok
Disallow: /*.pdf$
Disallow: /search?*sort=
Disallow: /fumetto/*/print
Allow: /$
Disallow: /

User-agent: OtherBot
User-agent: mangaalertitalia
Disallow: /titoli-fumetti/secret   # for us only
Allow: /titoli-fumetti/secret/open
Crawl-delay: 2.5
Disallow: /tmp/

User-agent: googlebot
Disallow:
`
	r := fetch.ParseRobots([]byte(txt))
	tests := []struct {
		agent, path string
		want        bool
	}{
		// Our group (named, case-insensitively, by product token) replaces "*".
		{ua, "/titoli-fumetti/solo-leveling", true},
		{ua, "/titoli-fumetti/secret", false},
		{ua, "/titoli-fumetti/secret/x", false},
		{ua, "/titoli-fumetti/secret/open", true},
		{ua, "/tmp/x", false},
		{ua, "/private", true},
		{ua, "/robots.txt", true},
		// Everyone else gets "*".
		{"SomeBot/2.0", "/", true},
		{"SomeBot/2.0", "/x", false},
		{"SomeBot/2.0", "/private/ok/1", true},
		{"SomeBot/2.0", "/private/x", false},
		{"SomeBot/2.0", "/a.pdf", false},
		{"SomeBot/2.0", "/private/ok/a.pdf", true}, // Allow /private/ok is a longer pattern than /*.pdf$
		{"SomeBot/2.0", "/a.pdf?x=1", false},       // still "/" disallowed
		{"SomeBot/2.0", "/robots.txt", true},
		{"Googlebot/2.1", "/anything", true}, // empty Disallow allows all
	}
	for _, tt := range tests {
		u, err := url.Parse("https://www.starcomics.com" + tt.path)
		assert.NoError(t, err)
		assert.Equal(t, tt.want, r.Allowed(tt.agent, u), "%s %s", tt.agent, tt.path)
	}
	assert.Equal(t, 2500*time.Millisecond, r.CrawlDelay(ua))
	assert.Zero(t, r.CrawlDelay("SomeBot"))
}

func TestRobotsPatterns(t *testing.T) {
	tests := []struct {
		rules string
		path  string
		want  bool
	}{
		{"Disallow: /a*b$", "/a/x/b", false},
		{"Disallow: /a*b$", "/a/x/bc", true},
		{"Disallow: /a*b", "/a/x/bc", false},
		{"Disallow: /*", "/", false},
		{"Disallow: /search\nAllow: /search", "/search", true}, // a tie: Allow wins
		{"Disallow: /uscite?*page=", "/uscite?x=1&page=2", false},
		{"Disallow: /uscite?*page=", "/uscite?x=1", true},
		{"Disallow: /città", "/citt%C3%A0", false}, // UTF-8 in the file, escaped in the URL
		{"Disallow: /%7Euser", "/~user", false},
		{"Disallow: /a$", "/a", false},
		{"Disallow: /a$", "/ab", true},
		{"", "/anything", true},
		{"Disallow /no-colon", "/no-colon", true},
	}
	for _, tt := range tests {
		r := fetch.ParseRobots([]byte("User-agent: *\n" + tt.rules + "\n"))
		u, err := url.Parse("https://h" + tt.path)
		assert.NoError(t, err)
		assert.Equal(t, tt.want, r.Allowed(ua, u), "%q %s", tt.rules, tt.path)
	}
	u, _ := url.Parse("https://h/x")
	assert.False(t, fetch.DisallowAll.Allowed(ua, u))
	assert.True(t, fetch.AllowAll.Allowed(ua, u))
	assert.True(t, fetch.ParseRobots([]byte("garbage\x00\xff\n")).Allowed(ua, u))
}

func FuzzParseRobots(f *testing.F) {
	f.Add([]byte("User-agent: *\nDisallow: /a*b$\nAllow: /a\nCrawl-delay: 3\n"), "/a/b")
	f.Fuzz(func(t *testing.T, txt []byte, path string) {
		r := fetch.ParseRobots(txt)
		u, err := url.Parse("https://h/" + path)
		if err != nil {
			return
		}
		_ = r.Allowed(ua, u)
		_ = r.CrawlDelay(ua)
	})
}
