package ecshost

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"maps"
	"slices"

	"github.com/manga-alert-italia/mangaalert/change"
	"github.com/manga-alert-italia/mangaalert/iampolicy"
	"github.com/manga-alert-italia/mangaalert/internal/engine"
)

// The kinds of resource in this package's changes.
const (
	kindLogGroup        = "log group"
	kindElasticIP       = "elastic IP"
	kindRole            = "IAM role"
	kindInstanceProfile = "instance profile"
	kindCluster         = "ECS cluster"
	kindLaunchTemplate  = "launch template"
	kindGroup           = "auto scaling group"
	kindTaskDefinition  = "task definition"
	kindService         = "ECS service"
)

// run is one Plan, Ensure or Deploy: the desired state, what was observed,
// and the state the steps fill in as they run. Steps are built from what
// was read before any of them runs; an Apply reads what an earlier one
// learned (a new ID) from st, and from the run's own methods (allocationID,
// serviceTaskDef) which look at st then.
type run struct {
	h       *Host
	spec    Spec
	n       names
	offline bool // read nothing: everything shows as created
	st      *State

	current  map[string]*currentTaskDef // latest ACTIVE revision per container
	policies map[string]iampolicy.Document
	// newTemplate: the template step makes a version, whose number the
	// group's Apply reads from st once it exists.
	newTemplate bool
}

// prepare checks the spec and its policies, before any read or write.
func (h *Host) prepare(ctx context.Context, spec Spec) (*run, error) {
	s := spec.withDefaults()
	if err := s.validate(); err != nil {
		return nil, err
	}
	n, err := h.names(ctx, s.Stack)
	if err != nil {
		return nil, err
	}
	r := &run{
		h: h, spec: s, n: n, offline: h.o.Offline,
		st: &State{
			Stack:              s.Stack,
			ClusterName:        n.cluster(),
			ClusterARN:         n.clusterARN(),
			LogGroup:           n.logGroup(),
			InstanceRoleARN:    n.roleARN(n.instanceRole()),
			InstanceProfileARN: n.instanceProfileARN(),
			ExecutionRoleARN:   n.roleARN(n.executionRole()),
			TaskRoleARNs:       map[string]string{},
			TaskDefinitions:    map[string]TaskDefinition{},
			GroupName:          n.group(),
			ServiceName:        n.service(s.Service.Name),
			ServiceARN:         n.serviceARN(n.service(s.Service.Name)),
			Deployment:         s.deployment(),
		},
		current:  map[string]*currentTaskDef{},
		policies: map[string]iampolicy.Document{},
	}
	// Roles are found by name and path, so their ARNs are known before
	// they exist: the task definitions name them.
	for _, c := range s.containers() {
		if !c.TaskPolicy.IsZero() {
			r.st.TaskRoleARNs[c.Name] = n.roleARN(n.taskRole(c.Name))
		}
	}
	if err := iampolicy.Err(r.findings()); err != nil {
		return nil, fmt.Errorf("ecshost: %w", err)
	}
	return r, nil
}

// findings checks every policy the run would write. The instance policy's
// shape does not depend on the allocation ID, so a placeholder stands in
// for an address not yet allocated.
func (r *run) findings() []iampolicy.Finding {
	var out []iampolicy.Finding
	for _, rs := range r.roleSpecs("eipalloc-planned") {
		out = append(out, iampolicy.Check(rs.name, rs.policy)...)
		out = append(out, iampolicy.Check(rs.name+" (trust)", rs.trust)...)
	}
	return out
}

// steps observes the account and diffs it against the Spec, in dependency
// order: the roles name the log group and the Elastic IP, the template
// names the instance profile and the address, the group names the
// template, the service names the task definitions. Nothing is written.
func (r *run) steps(ctx context.Context) ([]engine.Step, error) {
	if err := r.images(ctx); err != nil {
		return nil, err
	}
	var all []engine.Step
	for _, diff := range []func(context.Context) ([]engine.Step, error){
		r.logGroupSteps,
		r.elasticIPSteps,
		r.roleSteps,
		r.clusterSteps,
		r.fargateCapacitySteps, // issue 16: FARGATE_SPOT for the jobs
		r.launchTemplateSteps,
		r.groupSteps,
		r.taskDefinitionSteps,
		r.serviceSteps,
	} {
		s, err := diff(ctx)
		if err != nil {
			return nil, err
		}
		all = append(all, s...)
	}
	return all, nil
}

// create is the step that makes a resource.
func create(kind, name string, details []string, apply func(context.Context) error) engine.Step {
	return engine.Step{Change: change.Change{Action: change.Create, Kind: kind, Name: name, Details: details}, Apply: apply}
}

// remove is the step that deletes a resource.
func remove(kind, name, id, why string, apply func(context.Context) error) engine.Step {
	return engine.Step{Change: change.Change{Action: change.Delete, Kind: kind, Name: name, ID: id, Details: []string{why}}, Apply: apply}
}

// edits collects what drifted on one existing resource and the calls that
// put it back; step makes them one Update, or a Keep when nothing drifted.
type edits struct {
	details []string
	calls   []func(context.Context) error
}

// add records a drift and, when call is not nil, the call that fixes it.
func (e *edits) add(detail string, call func(context.Context) error) {
	e.details = append(e.details, detail)
	if call != nil {
		e.calls = append(e.calls, call)
	}
}

func (e *edits) step(kind, name, id string, keepDetails ...string) engine.Step {
	c := change.Change{Action: change.Keep, Kind: kind, Name: name, ID: id, Details: keepDetails}
	if len(e.details) == 0 {
		return engine.Step{Change: c}
	}
	c.Action, c.Details = change.Update, e.details
	calls := e.calls
	return engine.Step{Change: c, Apply: func(ctx context.Context) error {
		for _, call := range calls {
			if err := call(ctx); err != nil {
				return err
			}
		}
		return nil
	}}
}

// tags returns the stack's tags.
func (r *run) tags() map[string]string { return r.n.tags(r.spec.Tags) }

// missingTags returns the desired tags that have changed or are absent.
func missingTags(want, have map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range want {
		if have[k] != v {
			out[k] = v
		}
	}
	return out
}

// sortedKeys is the keys of a string map in order, for stable requests.
func sortedKeys[V any](m map[string]V) []string { return slices.Sorted(maps.Keys(m)) }

// hashOf is a short, stable digest of v's JSON: what a tag or a version
// description records of the definition it belongs to.
func hashOf(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("ecshost: hash: %v", err))
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:8])
}

func mergeTags(ms ...map[string]string) map[string]string {
	out := map[string]string{}
	for _, m := range ms {
		maps.Copy(out, m)
	}
	return out
}

// keepChange is a resource that stays as it is.
func keepChange(kind, name, id string, details ...string) change.Change {
	return change.Change{Action: change.Keep, Kind: kind, Name: name, ID: id, Details: details}
}
