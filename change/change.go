// Package change is the one vocabulary the infrastructure packages speak:
// what Plan says Ensure would do, and what Ensure says it did.
//
// Every infrastructure package (network, secrets, ecshost, schedule, and
// stack, which composes them) returns a *Plan from Plan and records the
// changes it made in its State, as a []Change. A caller never has to plan
// before ensuring to learn what happened, and one printer shows any of them.
package change

import (
	"fmt"
	"io"
	"strings"

	"github.com/manga-alert-italia/mangaalert/cost"
	"github.com/manga-alert-italia/mangaalert/iampolicy"
)

// Action is what happens to one resource.
type Action string

// The actions. Keep is not a change: plans list kept resources so that a
// reader sees the whole stack, and HasChanges ignores them.
const (
	Create Action = "create"
	Update Action = "update" // exists; what drifted is fixed in place
	Delete Action = "delete"
	Keep   Action = "keep"
)

// Change is one resource and what happens to it.
type Change struct {
	Action Action
	// Kind is the resource kind as an operator reads it: "vpc", "subnet",
	// "IAM role", "launch template", "schedule", "secret".
	Kind string
	// Name is the resource's name, or its component tag where AWS gives it
	// no name ("subnet/public/0").
	Name string
	// ID is the AWS id or ARN, "" while it does not exist.
	ID string
	// Details say what is set or what differs ("expression: rate(6 hours)
	// → cron(0 3 * * ? *)"); never a secret's value.
	Details []string
}

func (c Change) String() string {
	s := fmt.Sprintf("%s %s %s", c.Action, c.Kind, c.Name)
	if c.ID != "" {
		s += " (" + c.ID + ")"
	}
	if len(c.Details) > 0 {
		s += ": " + strings.Join(c.Details, "; ")
	}
	return s
}

// Plan is what an Ensure would do with a Spec, without doing it.
type Plan struct {
	// Component names who planned: "network", "ecshost", … For a stack's
	// plan, each Change's Kind is still the resource kind.
	Component string
	// Offline is true when nothing was read from AWS: every resource shows
	// as created and IDs that do not exist yet are empty.
	Offline bool
	Changes []Change
	// Policies are the IAM policy documents Ensure would write, by role
	// name; trust policies as "ROLE (trust)". Each has passed
	// iampolicy.Check: Plan and Ensure refuse a Spec whose would not.
	Policies map[string]iampolicy.Document
	// Cost is the monthly estimate of what the Spec describes once applied.
	Cost cost.Estimate
	// Notes are what the operator should know and no Change says: the
	// deployment setting chosen and why, the free tier, the next runs.
	Notes []string
}

// HasChanges reports whether applying the plan writes anything.
func (p *Plan) HasChanges() bool {
	return HasChanges(p.Changes)
}

// Count is how many changes have action a.
func (p *Plan) Count(a Action) int {
	n := 0
	for _, c := range p.Changes {
		if c.Action == a {
			n++
		}
	}
	return n
}

// Find returns the first change of a resource by kind and name.
func (p *Plan) Find(kind, name string) (Change, bool) {
	for _, c := range p.Changes {
		if c.Kind == kind && c.Name == name {
			return c, true
		}
	}
	return Change{}, false
}

// Merge appends other's changes, policies, cost lines and notes to p, for
// a composer that plans several components as one.
func (p *Plan) Merge(other *Plan) {
	if other == nil {
		return
	}
	p.Changes = append(p.Changes, other.Changes...)
	if len(other.Policies) > 0 && p.Policies == nil {
		p.Policies = map[string]iampolicy.Document{}
	}
	for k, v := range other.Policies {
		p.Policies[k] = v
	}
	p.Cost = append(p.Cost, other.Cost...)
	p.Notes = append(p.Notes, other.Notes...)
	p.Offline = p.Offline || other.Offline
}

// Write prints one line per change, kept resources included, then the
// notes.
func (p *Plan) Write(w io.Writer) error {
	for _, c := range p.Changes {
		if _, err := fmt.Fprintln(w, c); err != nil {
			return err
		}
	}
	for _, n := range p.Notes {
		if _, err := fmt.Fprintln(w, "note:", n); err != nil {
			return err
		}
	}
	return nil
}

// HasChanges reports whether any of cs is more than a Keep.
func HasChanges(cs []Change) bool {
	for _, c := range cs {
		if c.Action != Keep {
			return true
		}
	}
	return false
}
