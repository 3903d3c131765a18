// Command deploy puts Manga Alert Italia on AWS in its cheap shape (one
// EC2 host running ECS tasks, scheduled jobs, secrets, a DynamoDB table;
// no NAT, no load balancer) and shows what that costs before it spends
// anything: `go run ./examples/deploy plan` needs no AWS account. It
// builds Manga Alert Italia's stack.Spec from the configuration and drives
// package stack. `deploy help` lists the commands and the exit statuses,
// `deploy COMMAND --help` a command's flags and the configuration fields
// (help/*.txt); deploy.example.json sets every field.
package main

import (
	"context"
	"embed"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"
	_ "time/tzdata" // schedules are read in Europe/Rome on any machine

	"github.com/aws/smithy-go/middleware"

	"github.com/manga-alert-italia/mangaalert/stack"
)

// Exit codes.
const (
	exitOK      = 0
	exitFailure = 1
	exitUsage   = 2
)

// app is one invocation, with its world passed in so tests can drive it.
type app struct {
	stdout io.Writer
	stderr io.Writer
	stdin  io.Reader
	getenv func(string) string
	now    func() time.Time
	// tty says whether stdout is a terminal: a spinner there, periodic
	// plain lines otherwise.
	tty bool
	// help prints the help of the command being parsed.
	help func()
	// apiOptions are added to every SDK client: tests give the emulator
	// harness's (an account of their own, recorded calls, faults).
	apiOptions []func(*middleware.Stack) error
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	context.AfterFunc(ctx, stop) // a second Ctrl-C ends the tool at once
	a := &app{stdout: os.Stdout, stderr: os.Stderr, stdin: os.Stdin, getenv: os.Getenv, now: time.Now, tty: isTerminal(os.Stdout)}
	os.Exit(a.run(ctx, os.Args[1:]))
}

func isTerminal(f *os.File) bool {
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// usageError is a mistake on the command line.
type usageError struct{ error }

func usagef(format string, args ...any) error { return &usageError{fmt.Errorf(format, args...)} }

type command struct {
	name    string
	summary string
	run     func(a *app, ctx context.Context, args []string) error
}

var commands = []command{
	{"plan", "show what apply would create, change or leave alone, and the monthly cost beside the alternatives", (*app).planCmd},
	{"apply", "create or update the whole stack; a second run changes nothing", (*app).applyCmd},
	{"status", "show what runs: the instance, the service, task definitions, the next scheduled runs, the last runs, alerts", (*app).statusCmd},
	{"diff", "show what differs between the account and the configuration; exit 2 when something does", (*app).diffCmd},
	{"deploy-image", "roll the backend and the jobs to a new container image", (*app).deployImageCmd},
	{"local", "run the task definitions in the local Docker engine as ECS would; Ctrl-C stops them", (*app).localCmd},
	{"destroy", "delete the whole stack (asks first unless --yes)", (*app).destroyCmd},
}

func (a *app) run(ctx context.Context, args []string) int {
	if len(args) == 0 {
		a.usage(a.stderr)
		return exitUsage
	}
	name := args[0]
	if name == "help" || name == "-h" || name == "--help" || name == "-help" {
		a.usage(a.stdout)
		return exitOK
	}
	for _, c := range commands {
		if c.name == name {
			return a.exit(c.run(a, ctx, args[1:]))
		}
	}
	fmt.Fprintf(a.stderr, "deploy: unknown command %q\n\n", name)
	a.usage(a.stderr)
	return exitUsage
}

// exit reports err and maps it to the exit code.
func (a *app) exit(err error) int {
	var ue *usageError
	var ce *ConfigError
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
		return exitOK
	case errors.Is(err, context.Canceled):
		fmt.Fprintln(a.stderr, "deploy: interrupted (Ctrl-C): nothing more was sent to AWS")
		return 130 // 128 + SIGINT, as a shell reports it
	case errors.Is(err, stack.ErrDrift):
		return exitUsage // what diff wrote says it all
	case errors.As(err, &ue):
		fmt.Fprintf(a.stderr, "deploy: %v\n(run with --help for the flags)\n", err)
		return exitUsage
	case errors.As(err, &ce):
		fmt.Fprintf(a.stderr, "deploy: %v\nNothing was sent to AWS.\n", err)
		return exitUsage
	}
	fmt.Fprintf(a.stderr, "deploy: %v\n", err)
	return exitFailure
}

func (a *app) usage(w io.Writer) {
	fmt.Fprint(w, helpText("usage"))
	for _, c := range commands {
		fmt.Fprintf(w, "  %-13s %s\n", c.name, c.summary)
	}
	fmt.Fprint(w, "\n"+helpText("usage-end"))
}

// The help texts are plain text beside the code, one file each.
//
//go:embed help/*.txt
var helpFiles embed.FS

func helpText(name string) string {
	b, err := helpFiles.ReadFile("help/" + name + ".txt")
	if err != nil {
		panic(err) // a missing file is a build mistake: the tests read every one
	}
	return string(b)
}
