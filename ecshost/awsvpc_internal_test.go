package ecshost

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// Every instance type the package prices has its network interfaces
// known: awsvpc's rollout and the jobs' refusal depend on them.
func TestEveryInstanceTypeHasItsNetworkInterfaces(t *testing.T) {
	for name := range Instances {
		assert.GreaterOrEqual(t, networkInterfaces[name], 2, name)
	}
}
