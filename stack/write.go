package stack

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"
	"text/tabwriter"

	"github.com/manga-alert-italia/mangaalert/change"
)

var trailingSpace = regexp.MustCompile(`(?m)[ \t]+$`)

// WritePlan prints a stack's plan for a person: a line per resource (its
// action, kind, name, then its ID and details), how many of each action,
// the policies checked, the monthly cost beside the alternatives, the
// notes.
func WritePlan(w io.Writer, spec Spec, p *change.Plan) error {
	var b bytes.Buffer
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ACTION\tRESOURCE\tNAME\tID / DETAILS")
	for _, c := range p.Changes {
		what := c.ID
		if d := strings.Join(c.Details, "; "); d != "" {
			what = strings.TrimPrefix(what+"; "+d, "; ")
		}
		if r := []rune(what); len(r) > 90 {
			what = string(r[:89]) + "…"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", c.Action, c.Kind, c.Name, what)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(&b, "\n%s\n", Tally(p.Changes, false))
	fmt.Fprintf(&b, "\nLeast privilege: %d IAM policies checked, no findings (no \"*\" resource where AWS allows a narrower one; no dynamodb:* or ses:*)\n\n", len(p.Policies))
	if err := WriteCost(&b, p.Cost, Alternatives(spec, p.Cost)); err != nil {
		return err
	}
	for _, n := range p.Notes {
		fmt.Fprintf(&b, "\nnote: %s", n)
	}
	b.WriteString("\n")
	_, err := w.Write(trailingSpace.ReplaceAll(b.Bytes(), nil))
	return err
}

// Tally counts changes by action: in the future tense for a plan ("2 to
// create, …, 5 unchanged"), in the past for what was done ("2 created, …").
func Tally(cs []change.Change, done bool) string {
	p := &change.Plan{Changes: cs}
	c, u, d, k := p.Count(change.Create), p.Count(change.Update), p.Count(change.Delete), p.Count(change.Keep)
	switch {
	case c+u+d == 0 && done && k == 0:
		return "no changes"
	case c+u+d == 0:
		return fmt.Sprintf("no changes, %d unchanged", k)
	case done:
		return fmt.Sprintf("%d created, %d updated, %d deleted", c, u, d)
	}
	return fmt.Sprintf("%d to create, %d to update, %d to delete, %d unchanged", c, u, d, k)
}

// Ended says how a command that changes the stack ended, for its summary
// line: done, interrupted (Ctrl-C: what was made stays, and the next run
// resumes), or stopped by an error.
func Ended(err error) string {
	switch {
	case err == nil:
		return "done"
	case errors.Is(err, context.Canceled):
		return "interrupted; what is listed above was done, the rest was not started: run the same command again and it resumes where it stopped"
	}
	return "stopped by an error; run it again to finish"
}
