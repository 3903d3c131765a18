package resource_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/manga-alert-italia/mangaalert/resource"
)

func TestARN(t *testing.T) {
	tests := []struct{ region, want string }{
		{"eu-south-1", "arn:aws:ecs:eu-south-1:123456789012:cluster/x"},
		{"cn-north-1", "arn:aws-cn:ecs:cn-north-1:123456789012:cluster/x"},
		{"us-gov-west-1", "arn:aws-us-gov:ecs:us-gov-west-1:123456789012:cluster/x"},
	}
	for _, tt := range tests {
		t.Run(tt.region, func(t *testing.T) {
			assert.Equal(t, tt.want, resource.ARN("ecs", tt.region, "123456789012", "cluster/x"))
		})
	}
	assert.Equal(t, "arn:aws:iam::123456789012:role/r", resource.ARN("iam", "", "123456789012", "role/r"))
}

func TestErrNotOurs(t *testing.T) {
	err := fmt.Errorf("role %q: %w", "x", resource.ErrNotOurs)
	assert.True(t, errors.Is(err, resource.ErrNotOurs))
	assert.Contains(t, err.Error(), resource.TagStack)
}

// The ownership tags win over the caller's, and only both make a
// resource ours.
func TestOwnership(t *testing.T) {
	tags := resource.WithTags("shop", "ecshost", map[string]string{"team": "manga", resource.TagStack: "other"})
	assert.Equal(t, map[string]string{"team": "manga", resource.TagStack: "shop", resource.TagComponent: "ecshost"}, tags)
	assert.Equal(t, resource.Tags("shop", "ecshost"), resource.WithTags("shop", "ecshost", nil))
	for _, tc := range []struct {
		name string
		tags map[string]string
		ours bool
	}{
		{"both", tags, true},
		{"another stack", resource.Tags("other", "ecshost"), false},
		{"another component", resource.Tags("shop", "network"), false},
		{"untagged", nil, false},
	} {
		assert.Equal(t, tc.ours, resource.Owned(tc.tags, "shop", "ecshost"), tc.name)
	}
	err := resource.NotOurs("security group", "shop-host", "shop", "network")
	assert.ErrorIs(t, err, resource.ErrNotOurs)
	assert.EqualError(t, err, `security group "shop-host" exists without this stack's tags (mangaalert:stack, mangaalert:component): want mangaalert:stack=shop and mangaalert:component=network; choose another stack name, or delete or tag it yourself`)
}
