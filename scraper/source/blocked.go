package source

import (
	"bytes"
	"net/http"
	"strings"
)

// The kinds of waiting rooms and anti-bot walls Blocker names.
const (
	QueueIt    = "Queue-it"
	Cloudflare = "Cloudflare"
	DataDome   = "DataDome"
	Akamai     = "Akamai"
	PerimeterX = "PerimeterX"
	OtherWall  = "anti-bot challenge" // DDoS-Guard, Sucuri and the like
)

// Blocker names the waiting room or anti-bot wall an answer is instead of
// the page asked for ("Queue-it", "Cloudflare", ...), or "" when it is a
// page. status is the HTTP status (0 for a saved page) and header may be
// nil. Cookies that the bot managers set on ordinary pages too (_abck,
// _pxhd, datadome) count only on an error answer: on a 200 page they are
// just the site's protection, not a wall.
func Blocker(status int, header http.Header, body []byte) string {
	// Queue-it's waiting room answers 200 with a redirect script to
	// ?c=<customer>&e=<event>, and no content (seen on Panini, 2026).
	// Ordinary Panini pages load Queue-it's connector script too: only the
	// redirect is the waiting room.
	if bytes.Contains(body, []byte("decodeURIComponent('%2F%3Fc%3D")) && bytes.Contains(body, []byte("%26e%3D")) {
		return QueueIt
	}
	failed := status >= 400
	if header != nil {
		if strings.EqualFold(header.Get("cf-mitigated"), "challenge") {
			return Cloudflare
		}
		if failed && header.Get("x-datadome") != "" {
			return DataDome
		}
		for _, c := range header.Values("Set-Cookie") {
			name, _, _ := strings.Cut(c, "=")
			switch strings.TrimSpace(name) {
			case "datadome":
				if failed {
					return DataDome
				}
			case "_abck":
				if failed {
					return Akamai
				}
			case "_pxhd":
				if failed {
					return PerimeterX
				}
			}
		}
	}
	switch {
	case bytes.Contains(body, []byte("captcha-delivery.com")):
		return DataDome
	case bytes.Contains(body, []byte("px-captcha")) || bytes.Contains(body, []byte("captcha.px-cdn.net")):
		return PerimeterX
	case bytes.Contains(body, []byte("Access Denied")) && bytes.Contains(body, []byte("Reference #")):
		return Akamai
	case bytes.Contains(body, []byte("cf-browser-verification")), bytes.Contains(body, []byte("challenge-platform")),
		bytes.Contains(body, []byte("cf_chl_opt")), bytes.Contains(body, []byte("cf-chl")), bytes.Contains(body, []byte("_cf_chl")),
		bytes.Contains(body, []byte("cf-challenge")), bytes.Contains(body, []byte("<title>Just a moment")),
		bytes.Contains(body, []byte("Attention Required! | Cloudflare")):
		return Cloudflare
	case IsChallenge(body):
		return OtherWall
	}
	return ""
}
