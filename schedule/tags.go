package schedule

import (
	"maps"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/scheduler/types"

	"github.com/manga-alert-italia/mangaalert/internal/awserr"
	"github.com/manga-alert-italia/mangaalert/resource"
)

// ours reports whether tags mark a resource as this stack's.
func ours(tags map[string]string, stack string) bool { return resource.Owned(tags, stack, Component) }

// notOurs is the error for a resource with one of the stack's names that
// is someone else's.
func notOurs(kind, name, stack string) error { return resource.NotOurs(kind, name, stack, Component) }

// notFound recognises the Scheduler's answer for a group or schedule that
// does not exist.
func notFound(err error) bool { return awserr.Is(err, "ResourceNotFoundException") }

func tagsOf(in []types.Tag) map[string]string {
	m := map[string]string{}
	for _, t := range in {
		m[aws.ToString(t.Key)] = aws.ToString(t.Value)
	}
	return m
}

func schedulerTags(m map[string]string) []types.Tag {
	var out []types.Tag
	for _, k := range sortedKeys(m) {
		out = append(out, types.Tag{Key: aws.String(k), Value: aws.String(m[k])})
	}
	return out
}

// missingTags lists the desired tags that are absent or different; tags
// someone else added are left alone.
func missingTags(have, want map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range want {
		if hv, ok := have[k]; !ok || hv != v {
			out[k] = v
		}
	}
	return out
}

func formatTags(m map[string]string) string {
	parts := make([]string, 0, len(m))
	for _, k := range sortedKeys(m) {
		parts = append(parts, k+"="+m[k])
	}
	return strings.Join(parts, ", ")
}

func sortedKeys[V any](m map[string]V) []string {
	return slices.Sorted(maps.Keys(m))
}
