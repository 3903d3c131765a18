package network_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/manga-alert-italia/mangaalert/network"
)

// PreflightSpec is Preflight on what Ensure would build: a tool runs it
// before its first write.
func TestPreflightSpec(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name         string
		topology     network.Topology
		mode, launch string
		trap         bool
	}{
		{name: "bridge, public only", mode: "bridge", launch: "EC2"},
		{name: "awsvpc on EC2, public only", mode: "awsvpc", launch: "EC2", trap: true},
		{name: "awsvpc on EC2 with the NAT", topology: network.PrivateWithNAT, mode: "awsvpc", launch: "EC2"},
		{name: "awsvpc on Fargate, public only", mode: "awsvpc", launch: "FARGATE"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := network.PreflightSpec(network.Spec{Stack: "s", Topology: tt.topology}, tt.mode, tt.launch)
			if tt.trap {
				require.ErrorIs(t, err, network.ErrAwsvpcNeedsNAT)
				return
			}
			require.NoError(t, err)
		})
	}
}

// The jobs' group is planned with no inbound rule; with TaskPorts the
// host's group admits the load balancer on the tasks' own ports instead
// of the dynamic host ports.
func TestPlanOfflineAwsvpc(t *testing.T) {
	t.Parallel()
	spec := network.Spec{Stack: "s", Topology: network.PrivateWithNAT, LoadBalancer: true, JobsGroup: true, TaskPorts: []int32{8080}}
	p, err := network.New(nil, offline).Plan(t.Context(), spec)
	require.NoError(t, err)
	jobs, ok := find(p, "sg/jobs")
	require.True(t, ok)
	assert.Equal(t, []string{"no inbound rule; outbound everything (the jobs only call out)"}, jobs.Details)
	host, ok := find(p, "sg/host")
	require.True(t, ok)
	assert.Equal(t, []string{"allow inbound tcp 8080 from sg/alb"}, host.Details)

	p, err = network.New(nil, offline).Plan(t.Context(), network.Spec{Stack: "s"})
	require.NoError(t, err)
	_, ok = find(p, "sg/jobs")
	assert.False(t, ok, "no jobs' group unless asked for")
}
