package integration

import (
	"context"
	"fmt"
	"slices"
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

func TestEmulatorContainers(t *testing.T) {
	env := func(kv ...string) func(string) string {
		m := map[string]string{}
		for i := 0; i+1 < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return func(k string) string { return m[k] }
	}
	has := func(images ...string) func(string) bool {
		return func(img string) bool { return slices.Contains(images, img) }
	}
	for _, tc := range []struct {
		name  string
		env   func(string) string
		have  func(string) bool
		image string
	}{
		{"the local build when the engine has it", env(), has(LocalMotoImage), LocalMotoImage},
		{"upstream otherwise", env(), has(), MotoImage},
		{"the override wins", env("MANGAALERT_MOTO_IMAGE", "moto:x"), has(LocalMotoImage), "moto:x"},
	} {
		t.Run("moto/"+tc.name, func(t *testing.T) {
			c := motoContainer(tc.env, tc.have)
			assert.Equal(t, tc.image, c.image)
			assert.Equal(t, Moto, c.kind)
			assert.Equal(t, "5000/tcp", c.port)
			assert.Equal(t, "true", c.env["MOTO_IAM_LOAD_MANAGED_POLICIES"])
			assert.Equal(t, allServices, c.services(nil))
		})
	}

	for _, tc := range []struct {
		name    string
		env     func(string) string
		image   string
		token   string
		wantErr string
	}{
		{"free image without a token", env(), LocalStackImage, "", ""},
		{"token passed", env("LOCALSTACK_AUTH_TOKEN", "tok"), LocalStackImage, "tok", ""},
		{"newer image with a token", env("LOCALSTACK_AUTH_TOKEN", "tok", "MANGAALERT_LOCALSTACK_IMAGE", "localstack/localstack:2026.03"), "localstack/localstack:2026.03", "tok", ""},
		{"newer image without a token", env("MANGAALERT_LOCALSTACK_IMAGE", "localstack/localstack:2026.03"), "", "", "needs LOCALSTACK_AUTH_TOKEN"},
	} {
		t.Run("localstack/"+tc.name, func(t *testing.T) {
			c, err := localStackContainer(tc.env)
			if tc.wantErr != "" {
				require.ErrorContains(t, err, tc.wantErr)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.image, c.image)
			assert.Equal(t, LocalStack, c.kind)
			assert.Equal(t, "/_localstack/health", c.ready)
			assert.Equal(t, "4566/tcp", c.port)
			assert.Equal(t, tc.token, c.env["LOCALSTACK_AUTH_TOKEN"])
			assert.NotContains(t, c.services(nil), ECS, "the free edition has no ECS")
		})
	}
}
