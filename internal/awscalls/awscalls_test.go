package awscalls_test

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/smithy-go/middleware"
	"github.com/stretchr/testify/assert"

	"github.com/manga-alert-italia/mangaalert/internal/awscalls"
)

func TestIsMutating(t *testing.T) {
	for op, want := range map[string]bool{"CreateVpc": true, "DescribeVpcs": false, "GetRole": false, "ListTagsOfResource": false,
		"PutRolePolicy": true, "TagResource": true, "Query": false, "BatchGetItem": false, "BatchWriteItem": true} {
		assert.Equal(t, want, awscalls.IsMutating(op), op)
	}
}

// Two recorders on one config (a test's and the deploy tool's) each get
// a middleware of their own: the SDK refuses two with one id.
func TestTwoRecordersOnOneConfig(t *testing.T) {
	var cfg aws.Config
	awscalls.Record(&cfg)
	awscalls.Record(&cfg)
	assert.Len(t, cfg.APIOptions, 2)
	ids := map[string]bool{}
	for _, add := range cfg.APIOptions {
		s := newStack()
		assert.NoError(t, add(s))
		for _, id := range s.Initialize.List() {
			ids[id] = true
		}
	}
	assert.Len(t, ids, 2, "distinct middleware ids")
}

func newStack() *middleware.Stack { return middleware.NewStack("test", nil) }
