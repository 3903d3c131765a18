package stack

import (
	"context"
	"fmt"

	"github.com/manga-alert-italia/mangaalert/change"
)

// Destroy deletes the stack named stack in the reverse order of Apply:
// schedules, host, autoscale (Spec.Scaling's), load balancer, alerts, table (with all its data, unless Options.KeepTable),
// secrets (recoverable for 7 days, unless Options.PurgeSecrets), network.
// It finds each part by the stack's tags and touches nothing else. It
// returns what it deleted: nil, nil when nothing was there, so a Destroy
// that stopped is finished by the next.
func (s *Stack) Destroy(ctx context.Context, stack string) ([]change.Change, error) {
	if s.o.Offline {
		return nil, ErrOffline
	}
	steps := []struct {
		name   string
		delete func(context.Context, string) ([]change.Change, error)
	}{
		{"schedules", s.deleteSchedules},
		{"host", s.deleteHost},
		{"autoscale", s.deleteAutoscale}, // after the host: ECS detaches a provider only from a cluster no service uses it in
		{"load balancer", s.deleteLoadBalancer},
		{"alerts", s.deleteAlerts},
		{"table", s.deleteTable},
		{"secrets", s.deleteSecrets},
		{"network", s.deleteNetwork},
	}
	var done []change.Change
	for _, step := range steps {
		if step.name == "table" && s.o.KeepTable {
			continue
		}
		s.o.Logger.DebugContext(ctx, "delete", "stack", stack, "step", step.name)
		cs, err := step.delete(ctx, stack)
		done = append(done, cs...)
		if err != nil {
			return done, fmt.Errorf("%s: %w", step.name, err)
		}
	}
	return done, nil
}

// DestroyWarning says what Destroy deletes, for the question a tool asks
// first: the table's data and the secrets' recovery as the options say.
func DestroyWarning(stack, region, account, table string, keepTable, purgeSecrets bool) string {
	t := fmt.Sprintf("the DynamoDB table %s WITH ALL ITS DATA (subscribers, follows, alerts)", table)
	if keepTable {
		t = fmt.Sprintf("(not the table %s)", table)
	}
	secrets := "the secrets (recoverable for 7 days)"
	if purgeSecrets {
		secrets = "the secrets (at once, unrecoverable)"
	}
	return fmt.Sprintf("This deletes stack %q in %s, account %s: its schedules, the ECS host and service, the operator's alerts, %s, %s, and the network.",
		stack, region, account, t, secrets)
}
