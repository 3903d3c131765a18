package main

import (
	"bytes"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/manga-alert-italia/mangaalert/ecshost"
	"github.com/manga-alert-italia/mangaalert/network"
	"github.com/manga-alert-italia/mangaalert/schedule"
	"github.com/manga-alert-italia/mangaalert/secrets"
)

// The steps of the stack, in apply order.
const (
	stepNetwork  = "network"
	stepSecrets  = "secrets"
	stepStore    = "store"
	stepHost     = "host"
	stepSchedule = "schedule"
)

// What happens to one resource.
const (
	opCreate = "create"
	opUpdate = "update"
	opKeep   = "keep"
	opDelete = "delete"
)

// row is one resource of the plan: which step owns it, what happens to it.
type row struct {
	Step     string
	Op       string
	Resource string // "vpc", "secret", "role", …
	Name     string // its name or AWS id; "-" when it does not exist yet
	Detail   string
}

// tally counts rows by what happens to them.
type tally struct{ create, update, del, keep int }

func tallyOf(rows []row) tally {
	var t tally
	for _, r := range rows {
		switch r.Op {
		case opCreate:
			t.create++
		case opUpdate:
			t.update++
		case opDelete:
			t.del++
		default:
			t.keep++
		}
	}
	return t
}

func (t tally) changes() int { return t.create + t.update + t.del }

func (t tally) String() string {
	if t.changes() == 0 {
		return fmt.Sprintf("no changes, %d unchanged", t.keep)
	}
	return fmt.Sprintf("%d to create, %d to update, %d to delete, %d unchanged", t.create, t.update, t.del, t.keep)
}

// done says the same in the past tense, for apply.
func (t tally) done() string {
	if t.changes() == 0 {
		return fmt.Sprintf("no changes, %d unchanged", t.keep)
	}
	return fmt.Sprintf("%d created, %d updated, %d deleted, %d unchanged", t.create, t.update, t.del, t.keep)
}

func networkRows(p *network.Plan) []row {
	var out []row
	for _, c := range p.Changes {
		out = append(out, row{Step: stepNetwork, Op: string(c.Action), Resource: c.Component, Name: orDash(c.ID), Detail: strings.Join(c.Details, "; ")})
	}
	return out
}

// secretsRows lists every secret of spec: its changes, or that it is left
// alone (the plan names changes only).
func secretsRows(spec secrets.Spec, p secrets.Plan) []row {
	var out []row
	for _, s := range spec.Secrets {
		var ops, details []string
		for _, c := range p.Changes {
			if c.Secret == s.Name {
				ops = append(ops, string(c.Action))
				details = append(details, c.String())
			}
		}
		r := row{Step: stepSecrets, Op: opKeep, Resource: "secret", Name: s.Name}
		switch {
		case slices.Contains(ops, string(secrets.ActionCreate)):
			r.Op, r.Detail = opCreate, strings.TrimPrefix(details[0], "create "+s.Name+": ")
		case len(ops) > 0:
			r.Op, r.Detail = opUpdate, strings.Join(details, "; ")
		}
		out = append(out, r)
	}
	return out
}

func hostRows(actions []ecshost.Action) []row {
	var out []row
	for _, a := range actions {
		out = append(out, row{Step: stepHost, Op: string(a.Op), Resource: a.Resource, Name: a.Name, Detail: a.Detail})
	}
	return out
}

// scheduleRows lists a job's changes, or its group, role and schedule as
// left alone when there are none (the plan names changes only).
func scheduleRows(p *schedule.Plan) []row {
	var out []row
	for _, c := range p.Changes {
		out = append(out, row{Step: stepSchedule, Op: string(c.Action), Resource: c.Kind, Name: c.Name, Detail: strings.Join(c.Details, "; ")})
	}
	if len(out) == 0 {
		out = append(out,
			row{Step: stepSchedule, Op: opKeep, Resource: "schedule group", Name: p.Stack},
			row{Step: stepSchedule, Op: opKeep, Resource: "IAM role", Name: p.Stack + "-scheduler"})
	}
	for _, j := range p.Jobs {
		if !slices.ContainsFunc(p.Changes, func(c schedule.Change) bool { return c.Kind == "schedule" && c.Name == j.Name }) {
			out = append(out, row{Step: stepSchedule, Op: opKeep, Resource: "schedule", Name: j.Name, Detail: j.Expression})
		}
	}
	return out
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

var trailingBlanks = regexp.MustCompile(`(?m)[ \t]+$`)

// writeRows prints the rows as a table, details cut to keep lines readable.
func writeRows(w io.Writer, rows []row) error {
	var b bytes.Buffer
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "STEP\tACTION\tRESOURCE\tNAME / ID\tDETAILS")
	for _, r := range rows {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", r.Step, r.Op, r.Resource, r.Name, cut(r.Detail, 90))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	_, err := w.Write(trailingBlanks.ReplaceAll(b.Bytes(), nil))
	return err
}

func cut(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}
