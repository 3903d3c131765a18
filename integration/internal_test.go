package integration

import (
	"context"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestRingLogKeepsTheLastLines(t *testing.T) {
	r := newRingLog(3)
	for i := 1; i <= 5; i++ {
		fmt.Fprintf(r, "line %d\n", i)
	}
	fmt.Fprint(r, "partial")
	assert.Equal(t, "line 3\nline 4\nline 5", r.tail(10))
	assert.Equal(t, "line 5", r.tail(1))
}

func TestLocalStackServices(t *testing.T) {
	got := localStackServices([]byte(`{"services":{"ec2":"available","ecs":"disabled","ses":"running","dynamodb":"available"}}`))
	assert.Equal(t, []Service{EC2, DynamoDB, SES}, got)
	assert.Equal(t, localStackCommunity, localStackServices(nil))
	assert.NotContains(t, localStackServices(nil), ECS)
}

func TestAtEndpointRecognisesMoto(t *testing.T) {
	e := Env(t)
	if e.Kind != Moto {
		t.Skipf("recognising moto needs moto, not %s", e.Kind)
	}
	got, err := atEndpoint(context.Background(), e.Endpoint+"/")
	require.NoError(t, err)
	assert.Equal(t, Moto, got.Kind)
	assert.Equal(t, e.Endpoint, got.Endpoint)
}

func TestAccountIDs(t *testing.T) {
	seen := map[string]bool{}
	for range 1000 {
		id := NewAccountID()
		require.Len(t, id, 12)
		require.NotEqual(t, "123456789012", id)
		seen[id] = true
	}
	assert.Greater(t, len(seen), 990)
}
