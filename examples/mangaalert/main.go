// Command mangaalert is the runtime binary of Manga Alert Italia: one
// container image, one subcommand per job.
//
//	mangaalert scrape --file PAGE --source starcomics --json
//
// Each subcommand lives in its own file and is one entry of the commands
// table; `mangaalert --help` lists them, `mangaalert CMD --help` explains
// one. Exit status: 0 done, 1 the job failed, 2 the command line or its
// input was wrong.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"text/tabwriter"

	// Release dates are reckoned in Europe/Rome, wherever the binary runs:
	// that zone alone is embedded (1 KB; time/tzdata is 450 KB).
	_ "github.com/manga-alert-italia/mangaalert/internal/tzrome"
)

// command is one subcommand.
type command struct {
	name    string
	summary string // one line, for the list
	// run runs the subcommand with its arguments (without its name) and
	// returns the exit status.
	run func(ctx context.Context, args []string, stdout, stderr io.Writer) int
}

// commands are the subcommands, in the order --help lists them.
var commands = []*command{
	localCommand,
	serveCommand,
	scrapeCommand,
	notifyCommand,
	healthcheckCommand,
}

// Exit statuses.
const (
	exitOK    = 0
	exitFail  = 1 // the job ran and failed
	exitUsage = 2 // wrong command line or input: nothing was done
)

func main() {
	// ECS stops a task with SIGTERM: jobs stop between units of work.
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run dispatches args to a subcommand and returns the exit status.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		usage(stderr)
		return exitUsage
	}
	switch args[0] {
	case "-h", "-help", "--help", "help":
		if len(args) > 1 {
			if c := lookup(args[1]); c != nil {
				return c.run(ctx, []string{"--help"}, stdout, stderr)
			}
		}
		usage(stdout)
		return exitOK
	}
	c := lookup(args[0])
	if c == nil {
		fmt.Fprintf(stderr, "mangaalert: unknown command %q\n\n", args[0])
		usage(stderr)
		return exitUsage
	}
	return c.run(ctx, args[1:], stdout, stderr)
}

func lookup(name string) *command {
	for _, c := range commands {
		if c.name == name {
			return c
		}
	}
	return nil
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "Usage: mangaalert COMMAND [flags]")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Commands:")
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	for _, c := range commands {
		fmt.Fprintf(tw, "  %s\t%s\n", c.name, c.summary)
	}
	tw.Flush()
	fmt.Fprintln(w)
	fmt.Fprintln(w, `Run "mangaalert COMMAND --help" for a command's flags.`)
}
