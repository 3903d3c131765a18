package source_test

import (
	"net/http"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/manga-alert-italia/mangaalert/scraper/sample"
	"github.com/manga-alert-italia/mangaalert/scraper/source"
)

func TestBlocker(t *testing.T) {
	cookie := func(c string) http.Header { return http.Header{"Set-Cookie": {c + "=x; Path=/"}} }
	tests := []struct {
		name   string
		status int
		header http.Header
		body   string
		want   string
	}{
		{"queue-it waiting room", 200, nil, string(sample.Page("queueit-panini-written.html")), source.QueueIt},
		{"cloudflare title", 403, nil, "<title>Just a moment...</title>", source.Cloudflare},
		{"cloudflare challenge platform", 200, nil, `<script src="/cdn-cgi/challenge-platform/h/b/orchestrate/jsch/v1"></script>`, source.Cloudflare},
		{"cloudflare cf-chl", 503, nil, `<form id="cf-chl-widget">`, source.Cloudflare},
		{"cloudflare header", 200, http.Header{"Cf-Mitigated": {"challenge"}}, "<html></html>", source.Cloudflare},
		{"datadome captcha", 403, nil, `<script src="https://ct.captcha-delivery.com/c.js"></script>`, source.DataDome},
		{"datadome cookie on 403", 403, cookie("datadome"), "<html></html>", source.DataDome},
		{"akamai access denied", 403, nil, "<H1>Access Denied</H1>You don't have permission. Reference #18.6f2e1002.1700000000.1a2b3c", source.Akamai},
		{"akamai cookie on 403", 403, cookie("_abck"), "", source.Akamai},
		{"perimeterx captcha", 403, nil, `<div id="px-captcha"></div>`, source.PerimeterX},
		{"perimeterx cookie on 403", 403, cookie("_pxhd"), "", source.PerimeterX},
		// The bot managers' cookies ride on ordinary pages too.
		{"akamai cookie on a page", 200, cookie("_abck"), "<html>products</html>", ""},
		{"datadome cookie on a page", 200, cookie("datadome"), "<html>products</html>", ""},
		{"empty panini search", 200, nil, string(sample.Page("panini-search-empty.html")), ""},
		{"star comics listing", 200, nil, string(sample.Page("starcomics-uscite.html")), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, source.Blocker(tt.status, tt.header, []byte(tt.body)))
		})
	}
}

// TestBlockerRealCaptures: real pages, which load Queue-it's connector
// script, are not waiting rooms.
func TestBlockerRealCaptures(t *testing.T) {
	dir := publisherPages(t)
	for _, f := range []string{"panini-search-jujutsu-kaisen-2024-09.html", "starcomics-series-solo-leveling-2024-09.html"} {
		b, err := os.ReadFile(filepath.Join(dir, f))
		if err != nil {
			t.Fatal(err)
		}
		assert.Empty(t, source.Blocker(200, nil, b), f)
	}
}
