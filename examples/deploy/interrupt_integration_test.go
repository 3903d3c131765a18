package main

import (
	"bytes"
	"context"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/smithy-go/middleware"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/manga-alert-italia/mangaalert/integration"
)

// TestCtrlCStopsCleanly: an apply interrupted (its context cancelled, as
// Ctrl-C does) between two writes says what it did and that apply
// resumes, exits 130, and the next apply finishes the stack.
func TestCtrlCStopsCleanly(t *testing.T) {
	t.Parallel()
	ac := newAccount(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	// The interrupt arrives as the 6th write is about to be sent.
	var writes atomic.Int32
	interrupt := func(s *middleware.Stack) error {
		return s.Initialize.Add(middleware.InitializeMiddlewareFunc("interruptAt6", func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
			if integration.IsMutating(middleware.GetOperationName(ctx)) && writes.Add(1) == 6 {
				cancel()
			}
			return next.HandleInitialize(ctx, in)
		}), middleware.After)
	}
	var out bytes.Buffer
	a := &app{stdout: &out, stderr: &out, stdin: strings.NewReader(""), now: time.Now,
		getenv: func(string) string { return "" }, apiOptions: append(ac.cfg.APIOptions, interrupt)}
	code := a.run(ctx, []string{"apply", "--endpoint", aws.ToString(ac.cfg.BaseEndpoint), "--poll", "10ms",
		"--image", "ghcr.io/owner/mangaalert:1.0", "--domain", "manga.example.test"})
	assert.Equal(t, 130, code, "%s", out.String())
	assert.Contains(t, out.String(), "apply interrupted; what is listed above was done, the rest was not started: run the same command again and it resumes where it stopped")
	assert.Contains(t, out.String(), "✓ create")
	assert.Contains(t, out.String(), "deploy: interrupted (Ctrl-C)")

	ac.mustRun(t, "apply")
	ac.calls.Reset()
	ac.mustRun(t, "apply")
	require.Empty(t, operations(ac.calls.Mutating()), "the resumed apply finished the stack")
}
