package check

import (
	"fmt"
	"time"
)

// MaxBudget caps a budget's limit: its events are kept in one record (a
// DynamoDB item holds 400 KB), so a budget is for rare events such as
// mail, not for counting requests.
const MaxBudget = 2000

// Event is one event a budget counted.
type Event struct {
	At time.Time
	ID string
}

// Budget checks TakeBudget's arguments.
func Budget(key, id string, limit int, window time.Duration) error {
	if err := ID("budget key", key); err != nil {
		return fmt.Errorf("take budget: %w", err)
	}
	if err := ID("budget event id", id); err != nil {
		return fmt.Errorf("take budget %s: %w", key, err)
	}
	if limit <= 0 || limit > MaxBudget || window <= 0 {
		return fmt.Errorf("take budget %s: limit %d in %v: want a limit in 1..%d and a positive window", key, limit, window, MaxBudget)
	}
	return nil
}

// Take is the sliding-window decision both stores make on the events
// they read: it drops the events out of the window, then takes id.
// write says whether the events changed and must be stored.
func Take(events []Event, id string, limit int, window time.Duration, now time.Time) (kept []Event, ok, write bool) {
	from := now.Add(-window)
	for _, e := range events {
		if e.At.After(from) {
			kept = append(kept, e)
		}
	}
	write = len(kept) != len(events)
	for _, e := range kept {
		if e.ID == id {
			return kept, true, write
		}
	}
	if len(kept) >= limit {
		return kept, false, write
	}
	return append(kept, Event{At: now, ID: id}), true, true
}
