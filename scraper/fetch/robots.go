package fetch

import (
	"bufio"
	"bytes"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Robots is a parsed robots.txt (RFC 9309): groups of rules by user agent,
// Allow and Disallow with "*" and "$", the longest match wins and Allow
// wins a tie. Crawl-delay, which the RFC does not define but many sites
// set, is kept too.
type Robots struct {
	groups []robotsGroup
}

type robotsGroup struct {
	agents []string // lower-case product tokens, "*" for everyone
	rules  []robotsRule
	delay  time.Duration
}

type robotsRule struct {
	allow   bool
	pattern string // percent-encoded, as paths are compared
}

// AllowAll is the robots.txt of a site that has none (a 4xx answer).
var AllowAll = &Robots{}

// DisallowAll is what an unreachable robots.txt (a 5xx answer) means.
var DisallowAll = &Robots{groups: []robotsGroup{{agents: []string{"*"}, rules: []robotsRule{{allow: false, pattern: "/"}}}}}

// ParseRobots reads a robots.txt. It never fails: lines it does not
// understand are ignored, as the RFC asks.
func ParseRobots(b []byte) *Robots {
	r := &Robots{}
	var cur *robotsGroup
	inRules := false // the current group has had a rule: a user-agent line starts a new one
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 0, 4096), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if i := strings.IndexByte(line, '#'); i >= 0 {
			line = line[:i]
		}
		key, val, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		key = strings.ToLower(strings.TrimSpace(key))
		val = strings.TrimSpace(val)
		switch key {
		case "user-agent":
			if cur == nil || inRules {
				r.groups = append(r.groups, robotsGroup{})
				cur = &r.groups[len(r.groups)-1]
				inRules = false
			}
			cur.agents = append(cur.agents, agentToken(val))
		case "allow", "disallow":
			if cur == nil {
				continue // rules before any user-agent belong to no group
			}
			inRules = true
			if val == "" {
				continue // "Disallow:" with nothing allows everything: no rule
			}
			cur.rules = append(cur.rules, robotsRule{allow: key == "allow", pattern: encodePattern(val)})
		case "crawl-delay":
			if cur == nil {
				continue
			}
			inRules = true
			if s, err := strconv.ParseFloat(val, 64); err == nil && s > 0 && s < 86400 {
				cur.delay = time.Duration(s * float64(time.Second))
			}
		}
	}
	return r
}

// agentToken is the product token of a User-Agent value, lower case:
// "MangaAlert/1.0 (+https://…)" -> "mangaalert".
func agentToken(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexAny(s, "/ ("); i >= 0 {
		s = s[:i]
	}
	return strings.ToLower(s)
}

// group returns the rules that apply to agent: every group naming it, or
// else every "*" group, merged.
func (r *Robots) group(agent string) (rules []robotsRule, delay time.Duration) {
	agent = agentToken(agent)
	for _, pass := range []string{agent, "*"} {
		found := false
		for _, g := range r.groups {
			for _, a := range g.agents {
				if a == pass {
					found = true
					rules = append(rules, g.rules...)
					delay = max(delay, g.delay)
					break
				}
			}
		}
		if found {
			return rules, delay
		}
	}
	return nil, 0
}

// Allowed reports whether agent may fetch u.
func (r *Robots) Allowed(agent string, u *url.URL) bool {
	p := u.EscapedPath()
	if p == "" {
		p = "/"
	}
	if p == "/robots.txt" {
		return true
	}
	if u.RawQuery != "" {
		p += "?" + u.RawQuery
	}
	p = normalizeEscapes(p)
	rules, _ := r.group(agent)
	best, allow := -1, true
	for _, rule := range rules {
		if !matchPattern(rule.pattern, p) {
			continue
		}
		n := len(rule.pattern)
		if n > best || (n == best && rule.allow) {
			best, allow = n, rule.allow
		}
	}
	return allow
}

// CrawlDelay is the delay the site asks of agent between requests (0 when
// it asks none).
func (r *Robots) CrawlDelay(agent string) time.Duration {
	_, d := r.group(agent)
	return d
}

// matchPattern matches a robots.txt path pattern: "*" is any run of
// characters, a final "$" anchors the end, everything else is a prefix.
func matchPattern(pattern, p string) bool {
	end := strings.HasSuffix(pattern, "$")
	if end {
		pattern = pattern[:len(pattern)-1]
	}
	parts := strings.Split(pattern, "*")
	if !strings.HasPrefix(p, parts[0]) {
		return false
	}
	pos := len(parts[0])
	if len(parts) == 1 {
		return !end || pos == len(p)
	}
	for _, part := range parts[1 : len(parts)-1] {
		i := strings.Index(p[pos:], part)
		if i < 0 {
			return false
		}
		pos += i + len(part)
	}
	last := parts[len(parts)-1]
	if end {
		return len(p)-pos >= len(last) && strings.HasSuffix(p, last)
	}
	return strings.Contains(p[pos:], last)
}

// encodePattern percent-encodes what a pattern writes raw (UTF-8, spaces),
// so it compares with escaped paths; "*" and "$" stay.
func encodePattern(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x80 || c <= ' ' {
			b.WriteString("%" + strings.ToUpper(strconv.FormatUint(uint64(c)|0x100, 16)[1:]))
			continue
		}
		b.WriteByte(c)
	}
	return normalizeEscapes(b.String())
}

// normalizeEscapes upper-cases percent escapes ("%e2" -> "%E2") and decodes
// those of unreserved characters ("%7E" -> "~"), so both sides compare.
func normalizeEscapes(s string) string {
	if !strings.Contains(s, "%") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '%' && i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2]) {
			v, _ := strconv.ParseUint(s[i+1:i+3], 16, 8)
			c := byte(v)
			if c < utf8.RuneSelf && (c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '.' || c == '_' || c == '~') {
				b.WriteByte(c)
			} else {
				b.WriteString(strings.ToUpper(s[i : i+3]))
			}
			i += 2
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}
