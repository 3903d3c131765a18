package ecshost

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"maps"
	"slices"

	"github.com/manga-alert-italia/mangaalert/iampolicy"
)

// run is one Ensure or Plan: the desired state, what was observed, and what
// was (or would be) done. Plan and Ensure share every step; apply says
// whether a step may write, offline whether it may read.
type run struct {
	h       *Host
	spec    Spec
	n       names
	apply   bool
	offline bool
	st      *State

	current  map[string]*currentTaskDef // latest ACTIVE revision per container
	policies map[string]iampolicy.Document
}

// start checks the spec, before any write, and prepares a run.
func (h *Host) start(ctx context.Context, spec Spec, apply, offline bool) (*run, error) {
	s := spec.withDefaults()
	if err := s.validate(); err != nil {
		return nil, err
	}
	n, err := h.names(ctx, s.Stack, offline)
	if err != nil {
		return nil, err
	}
	return &run{
		h: h, spec: s, n: n, apply: apply, offline: offline,
		st: &State{
			Stack:           s.Stack,
			ClusterName:     n.cluster(),
			ClusterARN:      n.clusterARN(),
			LogGroup:        n.logGroup(),
			TaskRoleARNs:    map[string]string{},
			TaskDefinitions: map[string]TaskDefinition{},
			GroupName:       n.group(),
			ServiceName:     n.service(s.Service.Name),
			Deployment:      s.deployment(),
		},
		current:  map[string]*currentTaskDef{},
		policies: map[string]iampolicy.Document{},
	}, nil
}

// steps run in dependency order: roles name the log group and the Elastic
// IP, the template names the instance profile and the cluster, the group
// names the template, the service names the task definitions.
func (r *run) steps() []func(context.Context) error {
	return []func(context.Context) error{
		r.images,
		r.logGroup,
		r.elasticIP,
		r.roles,
		r.cluster,
		r.launchTemplate,
		r.group,
		r.taskDefinitions,
		r.service,
	}
}

func (r *run) all(ctx context.Context) error {
	for _, step := range r.steps() {
		if err := step(ctx); err != nil {
			return err
		}
	}
	return nil
}

// add records an action and logs it.
func (r *run) add(resource, name string, op Op, detail string) {
	a := Action{Resource: resource, Name: name, Op: op, Detail: detail}
	r.st.Actions = append(r.st.Actions, a)
	if r.apply {
		r.h.log.Debug("ensure", "stack", r.n.stack, "resource", resource, "name", name, "op", op, "detail", detail)
	}
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
