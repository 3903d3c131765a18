package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/manga-alert-italia/mangaalert/backend"
)

var healthcheckCommand = &command{
	name:    "healthcheck",
	summary: "exit 0 when the local server answers /healthz (the container health check: the image has no shell)",
	run:     runHealthcheck,
}

func runHealthcheck(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("healthcheck", flag.ContinueOnError)
	fs.SetOutput(stderr)
	url := fs.String("url", "http://127.0.0.1:8080/healthz", "the health `URL` to GET")
	timeout := fs.Duration("timeout", 3*time.Second, "give up after this `duration`")
	if code := parseFlags(fs, args, stdout); code >= 0 {
		return code
	}
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	if err := backend.Healthcheck(ctx, *url); err != nil {
		fmt.Fprintf(stderr, "healthcheck: %v\n", err)
		return exitFail
	}
	return exitOK
}
