package stack

import (
	"context"
	"fmt"

	"github.com/manga-alert-italia/mangaalert/change"
	"github.com/manga-alert-italia/mangaalert/resource"
)

// DeployImage rolls the service to image and waits until it is stable
// (or the circuit breaker rolled it back: the error says why the new
// tasks stopped), reporting the rollout through Options.OnEvent; then the
// jobs' task definitions get the image too, and their schedules point at
// the new revisions. The stack must have been applied with spec: its
// network and secrets are read, never written.
func (s *Stack) DeployImage(ctx context.Context, spec Spec, image string) (*State, error) {
	if s.o.Offline {
		return nil, ErrOffline
	}
	spec = spec.WithDefaults()
	if err := spec.Validate(); err != nil {
		return nil, err
	}
	o, err := s.outputs(ctx)
	if err != nil {
		return nil, err
	}
	// The network's and the secrets' outputs, as Apply handed them on.
	np, err := s.planNetwork(ctx, spec, o)
	if err != nil {
		return nil, err
	}
	if np.Count(change.Create) > 0 {
		return nil, fmt.Errorf("%w (no network)", ErrNotDeployed)
	}
	sp, err := s.planSecrets(ctx, spec, o)
	if err != nil {
		return nil, err
	}
	for _, c := range sp.Changes {
		if c.Action == change.Create {
			return nil, fmt.Errorf("%w (secret %s missing)", ErrNotDeployed, c.Name)
		}
	}
	if spec.Table != nil {
		o.TableARN = resource.ARNIn(o.Partition, "dynamodb", o.Region, o.Account, "table/"+spec.Table.Name)
	}
	st := &State{}
	cs, err := s.deployHost(ctx, spec, o, image)
	st.Changes = append(st.Changes, cs...)
	if err != nil {
		st.Outputs = *o
		return st, fmt.Errorf("host: %w", err)
	}
	cs, err = s.ensureSchedules(ctx, spec, o)
	st.Changes = append(st.Changes, cs...)
	st.Outputs = *o
	if err != nil {
		return st, fmt.Errorf("schedules: %w", err)
	}
	return st, nil
}
