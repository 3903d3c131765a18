package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

// internalNames are the packages' own words an operator never typed: Go
// field paths (Spec.Image, Host.InstanceType) and option names.
var internalNames = regexp.MustCompile(`\b(Spec|Options|Clients|Host|Jobs|Alerts|Network|Table|Container)\.[A-Z]|MemoryMiB|InstanceType|ErrNo`)

// TestErrorsSpeakTheOperatorsTerms drives the tool into the errors an
// operator meets and checks each says what to set or run in the tool's
// own terms: configuration fields, flags, commands, never the packages'
// field names. The offline cases call nothing; the others run against the
// emulator.
func TestErrorsSpeakTheOperatorsTerms(t *testing.T) {
	t.Parallel()
	bad := filepath.Join(t.TempDir(), "deploy.json")
	if err := os.WriteFile(bad, []byte(`{"stack": "abc", "instance": "t3.micro"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	offline := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"an instance type without a price", []string{"plan", "--offline", "--instance-type", "t3a.xlarge"}, exitUsage,
			`instance_type: instance type "t3a.xlarge" is not one this package knows the price and memory of`},
		{"operator address", []string{"plan", "--offline", "--operator-email", "ops"}, exitUsage, `operator_email: "ops" is not a plain address`},
		{"region", []string{"plan", "--offline", "--region", "eu-sout-1"}, exitUsage, `region: "eu-sout-1" is not an AWS region: did you mean "eu-south-1"?`},
		{"schedule", []string{"plan", "--offline", "--scrape-schedule", "rate(5)"}, exitUsage, "schedules.scrape: "},
		{"zone", []string{"plan", "--offline", "--schedule-zone", "Europe/Milano"}, exitUsage, "schedules.zone: "},
		{"stack name", []string{"plan", "--offline", "--stack", "A"}, exitUsage, `stack: "A": use 3-28 lower-case letters`},
		{"table name", []string{"plan", "--offline", "--table", "a"}, exitUsage, `table: "a": DynamoDB table names`},
		{"unknown field", []string{"plan", "--offline", "--config", bad}, exitUsage, `unknown field "instance": see deploy.example.json`},
		{"port flag", []string{"plan", "--offline", "--smtp-port", "abc"}, exitUsage, "--smtp-port=abc: want a number"},
		{"apply's fields", []string{"apply", "--image", "ghcr.io/o/m:1"}, exitUsage, "base_url: needed by apply"},
		{"image argument", []string{"deploy-image", "Not An Image", "--domain", "manga.example.test"}, exitUsage, `IMAGE: "Not An Image" is not an image reference`},
	}
	check := func(t *testing.T, code, wantCode int, out, want string) {
		assert.Equal(t, wantCode, code, "%s", out)
		assert.Contains(t, out, want)
		assert.Empty(t, internalNames.FindAllString(out, -1), "internal names in:\n%s", out)
	}
	for _, tc := range offline {
		t.Run(tc.name, func(t *testing.T) {
			var out bytes.Buffer
			a := &app{stdout: &out, stderr: &out, stdin: strings.NewReader(""), now: time.Now, getenv: func(string) string { return "" }}
			check(t, a.run(context.Background(), tc.args), tc.code, out.String(), tc.want)
		})
	}

	ac := newAccount(t)
	for _, tc := range []struct {
		name string
		args []string
		code int
		want string
	}{
		{"deploy-image before apply", []string{"deploy-image", "ghcr.io/owner/mangaalert:1.1"}, exitFailure, "run apply --image IMAGE first"},
		{"first apply without an image", []string{"apply", "--image", ""}, exitUsage, "image: needed by the first apply"},
		{"SMTP password", []string{"apply", "--sender", "smtp", "--smtp-host", "smtp.example.test", "--smtp-username", "u"}, exitUsage,
			"MANGAALERT_SMTP_PASSWORD: is not set, and the SMTP secret mangaalert/smtp does not exist yet"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, out := ac.run(t, tc.args...)
			check(t, code, tc.code, out, tc.want)
		})
	}
}
