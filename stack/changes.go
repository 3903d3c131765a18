package stack

import "github.com/manga-alert-italia/mangaalert/change"

// made keeps the changes that are more than a Keep: what a call did.
func made(cs []change.Change) []change.Change {
	var out []change.Change
	for _, c := range cs {
		if c.Action != change.Keep {
			out = append(out, c)
		}
	}
	return out
}
