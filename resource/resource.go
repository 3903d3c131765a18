// Package resource holds what every infrastructure package says the same
// way about the AWS resources of a stack: the tags that make a resource
// ours, the one error for a resource that exists but is not, and ARNs in
// the region's partition.
package resource

import (
	"errors"
	"fmt"
	"maps"
	"strings"
)

// The tags that make a resource ours. A resource without both, or with
// another stack's name, is never changed or deleted.
const (
	TagStack     = "mangaalert:stack"
	TagComponent = "mangaalert:component"
)

// ErrNotOurs is wrapped by every error about a resource that exists under
// the name a Spec wants but does not carry this stack's tags: the package
// leaves it alone and says which one it is.
var ErrNotOurs = errors.New("exists without this stack's tags (" + TagStack + ", " + TagComponent + ")")

// Partition is the ARN partition of a region: "aws-cn" for China,
// "aws-us-gov" for GovCloud, "aws" elsewhere.
func Partition(region string) string {
	switch {
	case strings.HasPrefix(region, "cn-"):
		return "aws-cn"
	case strings.HasPrefix(region, "us-gov-"):
		return "aws-us-gov"
	}
	return "aws"
}

// ARN builds arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE, the partition
// taken from region. IAM's ARNs have no region: pass region "" and the
// partition is "aws" (use ARNIn for another partition).
func ARN(service, region, account, resource string) string {
	return ARNIn(Partition(region), service, region, account, resource)
}

// ARNIn is ARN with the partition given.
func ARNIn(partition, service, region, account, resource string) string {
	return fmt.Sprintf("arn:%s:%s:%s:%s:%s", partition, service, region, account, resource)
}

// Tags returns the two tags of a stack's component as a map, for the SDKs
// that take tags that way.
func Tags(stack, component string) map[string]string {
	return map[string]string{TagStack: stack, TagComponent: component}
}

// WithTags returns extra plus the ownership tags of a stack's component,
// which win over extra's.
func WithTags(stack, component string, extra map[string]string) map[string]string {
	t := maps.Clone(extra)
	if t == nil {
		t = map[string]string{}
	}
	maps.Copy(t, Tags(stack, component))
	return t
}

// Owned reports whether tags mark a resource as the stack's component's.
func Owned(tags map[string]string, stack, component string) bool {
	return tags[TagStack] == stack && tags[TagComponent] == component
}

// NotOurs is the error for a resource under one of the stack's names that
// lacks its tags: it wraps ErrNotOurs and says what to do.
func NotOurs(kind, name, stack, component string) error {
	return fmt.Errorf("%s %q %w: want %s=%s and %s=%s; choose another stack name, or delete or tag it yourself",
		kind, name, ErrNotOurs, TagStack, stack, TagComponent, component)
}
