package main

import (
	"context"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/manga-alert-italia/mangaalert/change"
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
	for _, tt := range []struct {
		answer string
		ok     bool
	}{{"mangaalert\n", true}, {"  mangaalert  \n", true}, {"yes\n", false}, {"", false}, {"Mangaalert\n", false}} {
		a, out, _ := testApp(nil)
		a.stdin = strings.NewReader(tt.answer)
		err := a.confirm(c, "123456789012", false, false)
		if tt.ok {
			assert.NoError(t, err, "%q", tt.answer)
			continue
		}
		assert.ErrorIs(t, err, errNotConfirmed, "%q", tt.answer)
		assert.Contains(t, out.String(), "WITH ALL ITS DATA")
		assert.Contains(t, out.String(), "Type the stack name (mangaalert)")
	}
}

// Each change made is a line, with how long it took; a rollout's events
// say what AWS is doing.
func TestProgressLines(t *testing.T) {
	var b strings.Builder
	var clock time.Time
	p := newProgress(&b, false, func() time.Time { return clock })
	clock = clock.Add(1500 * time.Millisecond)
	p.change(change.Change{Action: change.Create, Kind: "cluster", Name: "m"})
	p.activity("deployment: started")
	clock = clock.Add(250 * time.Millisecond)
	p.change(change.Change{Action: change.Update, Kind: "service", Name: "m-serve"})

	want := "" +
		"  ✓ create cluster m 1.5s\n" +
		"  · deployment: started\n" +
		"  ✓ update service m-serve 0.2s\n"
	assert.Equal(t, want, regexp.MustCompile(`(\S) +`).ReplaceAllString(b.String(), "$1 "))
}

// In a pipe, a long wait shows as a line every few seconds; on a
// terminal, a spinner erased before the next line.
func TestProgressHeartbeat(t *testing.T) {
	var b strings.Builder
	now := time.Now()
	p := newProgress(&b, false, func() time.Time { return now })
	p.activity("create table")
	now = now.Add(6 * time.Second)
	p.beat()
	p.beat() // not again before p.every has passed
	assert.Equal(t, "  · create table\n  … create table (6.0s so far)\n", b.String())

	b.Reset()
	p = newProgress(&b, true, func() time.Time { return now })
	p.beat()
	p.change(change.Change{Action: change.Create, Kind: "table", Name: "t"})
	assert.Equal(t, "\r\033[K⠙ working (0.0s)\r\033[K  ✓ create table t                                                        0.0s\n", b.String())
}

// Every command has its help text, and so has the configuration.
func TestHelpTexts(t *testing.T) {
	for _, c := range commands {
		assert.NotEmpty(t, helpText(c.name), c.name)
	}
	for _, name := range []string{"config", "usage", "usage-end"} {
		assert.NotEmpty(t, helpText(name), name)
	}
}
