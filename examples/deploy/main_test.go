package main

import (
	"context"
	"errors"
	"log/slog"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

func TestExitCodes(t *testing.T) {
	tests := []struct {
		name   string
		args   []string
		code   int
		stdout string // a substring, when not empty
		stderr string
	}{
		{"no command", nil, exitUsage, "", "Usage:"},
		{"help", []string{"help"}, exitOK, "Commands:", ""},
		{"unknown command", []string{"deploy"}, exitUsage, "", `unknown command "deploy"`},
		{"command help", []string{"apply", "--help"}, exitOK, "Configuration file", ""},
		{"unknown flag", []string{"plan", "--cidr", "10.0.0.0/8"}, exitUsage, "", "flag provided but not defined: -cidr"},
		{"stray argument", []string{"apply", "now"}, exitUsage, "", `apply takes no arguments`},
		{"bad config names the field", []string{"plan", "--sender", "pigeon"}, exitUsage, "", "sender: \"pigeon\": use \"ses\""},
		{"apply checks before any call", []string{"apply", "--endpoint", "http://127.0.0.1:1"}, exitUsage, "",
			"base_url: needed by apply"},
		{"deploy-image needs an image", []string{"deploy-image"}, exitUsage, "", "needs the IMAGE"},
		{"deploy-image checks the image", []string{"deploy-image", "Not An Image"}, exitUsage, "", "IMAGE: \"Not An Image\""},
		{"offline and online", []string{"plan", "--offline", "--online"}, exitUsage, "", "exclude each other"},
		{"plan offline", []string{"plan"}, exitOK, "TOTAL", ""},
		// Nothing listens on port 1: the first AWS call fails.
		{"an AWS failure is 1", []string{"status", "--endpoint", "http://127.0.0.1:1"}, exitFailure, "", "sts:GetCallerIdentity"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, out, errOut := testApp(nil)
			assert.Equal(t, tt.code, a.run(context.Background(), tt.args), "stdout:\n%s\nstderr:\n%s", out, errOut)
			assert.Contains(t, out.String(), tt.stdout)
			assert.Contains(t, errOut.String(), tt.stderr)
		})
	}
}

func TestDestroyAsksForTheStackName(t *testing.T) {
	c := Config{}.WithDefaults()
	n := newNames(c, "123456789012")
	for _, tt := range []struct {
		answer string
		ok     bool
	}{{"mangaalert\n", true}, {"  mangaalert  \n", true}, {"yes\n", false}, {"", false}, {"Mangaalert\n", false}} {
		a, out, _ := testApp(nil)
		a.stdin = strings.NewReader(tt.answer)
		err := a.confirm(c, n, false, false)
		if tt.ok {
			assert.NoError(t, err, "%q", tt.answer)
			continue
		}
		assert.ErrorIs(t, err, errNotConfirmed, "%q", tt.answer)
		assert.Contains(t, out.String(), "WITH ALL ITS DATA")
		assert.Contains(t, out.String(), "Type the stack name (mangaalert)")
	}
}

func TestActivityText(t *testing.T) {
	tests := []struct {
		msg   string
		attrs [][2]string
		want  string
	}{
		{"create VPC", [][2]string{{"stack", "m"}}, "create VPC"},
		{"ensure", [][2]string{{"stack", "m"}, {"resource", "role"}, {"name", "m-task-serve"}, {"op", "create"}, {"detail", "inline policy task"}},
			"create role m-task-serve: inline policy task"},
		{"apply", [][2]string{{"stack", "m"}, {"change", `create schedule "scrape"`}}, `create schedule "scrape"`},
		{"delete", [][2]string{{"stack", "m"}, {"step", "delete the cluster"}}, "delete the cluster"},
		{"created secret", [][2]string{{"name", "m/signing-key"}, {"arn", "arn:aws:…"}}, "created secret m/signing-key"},
		{"x", [][2]string{{"detail", strings.Repeat("long ", 20)}}, "x " + strings.Repeat("long ", 11) + "lo…"},
	}
	for _, tt := range tests {
		m := map[string]string{}
		var order []string
		for _, kv := range tt.attrs {
			m[kv[0]] = kv[1]
			order = append(order, kv[0])
		}
		assert.Equal(t, tt.want, activityText(tt.msg, m, order))
	}
}

// A package's Debug records become lines, with how long each took; the
// unchanged ones (op=keep) are left to the plan's lines.
func TestProgressLines(t *testing.T) {
	var b strings.Builder
	var clock time.Time
	p := quiet(newProgress(&b, false, func() time.Time { return clock }))
	log := slog.New(&activityHandler{p: p})
	p.begin("host", "reading")
	clock = clock.Add(time.Second)
	log.Debug("ensure", "resource", "cluster", "name", "m", "op", "create")
	clock = clock.Add(1500 * time.Millisecond)
	log.Debug("ensure", "resource", "role", "name", "r", "op", "keep")
	log.Debug("ensure", "resource", "service", "name", "m-serve", "op", "update")
	clock = clock.Add(250 * time.Millisecond)
	p.settle()
	p.line("  = host      unchanged role r")
	p.end("1 created, 1 updated", nil)

	p.begin("network", "reading")
	log.Debug("create VPC")
	clock = clock.Add(time.Second)
	p.end("", errors.New("boom"))

	want := "" +
		"  ✓ host create cluster m 1.5s\n" +
		"  ✓ host update service m-serve 0.2s\n" +
		"  = host unchanged role r\n" +
		"✓ host: 1 created, 1 updated (2.8s)\n" +
		"✗ network failed after 1.0s (at: create VPC)\n"
	assert.Equal(t, want, regexp.MustCompile(`(\S) +`).ReplaceAllString(b.String(), "$1 "))
}

// In a pipe, a long wait shows as a line every few seconds.
func TestProgressHeartbeat(t *testing.T) {
	var b strings.Builder
	now := time.Now()
	p := quiet(newProgress(&b, false, func() time.Time { return now }))
	p.begin("store", "create table")
	now = now.Add(6 * time.Second)
	p.mu.Lock()
	p.beat()
	p.beat() // not again before p.every has passed
	p.mu.Unlock()
	p.end("1 created", nil)
	assert.Equal(t, "  … store: create table (6.0s so far)\n✓ store: 1 created (6.0s)\n", b.String())

	b.Reset()
	p = quiet(newProgress(&b, true, func() time.Time { return now }))
	p.begin("store", "create table")
	p.mu.Lock()
	p.beat()
	p.mu.Unlock()
	p.end("1 created", nil)
	assert.Equal(t, "\r\033[K⠙ store: create table (0.0s)\r\033[K✓ store: 1 created (0.0s)\n", b.String(),
		"on a terminal a spinner, erased before the next line")
}

func TestCallCounter(t *testing.T) {
	for op, want := range map[string]bool{"CreateVpc": true, "DescribeVpcs": false, "GetRole": false, "ListTagsOfResource": false,
		"PutRolePolicy": true, "TagResource": true, "Query": false, "BatchGetItem": false, "BatchWriteItem": true} {
		assert.Equal(t, want, isMutating(op), op)
	}
}

// quiet keeps the ticker from drawing while a test draws by hand.
func quiet(p *progress) *progress {
	p.interval = time.Hour
	return p
}
