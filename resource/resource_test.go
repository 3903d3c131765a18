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
