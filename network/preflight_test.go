package network_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/manga-alert-italia/mangaalert/network"
)

func TestPreflight(t *testing.T) {
	t.Parallel()
	public := &network.State{Stack: "s", PublicSubnetIDs: []string{"subnet-1", "subnet-2"}}
	withNAT := &network.State{Stack: "s", PublicSubnetIDs: []string{"subnet-1"}, PrivateSubnetIDs: []string{"subnet-3"},
		NAT: true, NATGatewayID: "nat-1", NATPublicIP: "203.0.113.9"}
	tests := []struct {
		name          string
		state         *network.State
		mode, launch  string
		trap          bool   // ErrAwsvpcNeedsNAT
		wantErrSaying string // another error
	}{
		{name: "bridge on EC2", state: public, mode: "bridge", launch: "EC2"},
		{name: "defaults are bridge on EC2", state: public},
		{name: "host on EC2", state: public, mode: "host", launch: "EC2"},
		{name: "awsvpc on EC2 without NAT", state: public, mode: "awsvpc", launch: "EC2", trap: true},
		{name: "awsvpc, default launch type", state: public, mode: "awsvpc", trap: true},
		{name: "awsvpc on EC2, any case", state: public, mode: "AWSVPC", launch: "ec2", trap: true},
		{name: "awsvpc on EC2 with NAT", state: withNAT, mode: "awsvpc", launch: "EC2"},
		{name: "awsvpc on Fargate gets a public IP", state: public, mode: "awsvpc", launch: "FARGATE"},
		{name: "NAT flag without private subnets", state: &network.State{Stack: "s", NAT: true}, mode: "awsvpc", launch: "EC2", trap: true},
		{name: "unknown mode", state: public, mode: "overlay", launch: "EC2", wantErrSaying: "bridge, host, awsvpc or none"},
		{name: "unknown launch type", state: public, mode: "bridge", launch: "LAMBDA", wantErrSaying: "EC2, FARGATE or EXTERNAL"},
		{name: "no state", mode: "bridge", launch: "EC2", wantErrSaying: "run Ensure first"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := network.Preflight(tt.state, tt.mode, tt.launch)
			switch {
			case tt.trap:
				require.ErrorIs(t, err, network.ErrAwsvpcNeedsNAT)
				assert.Contains(t, err.Error(), "bridge network mode")
				assert.Contains(t, err.Error(), "PrivateWithNAT")
			case tt.wantErrSaying != "":
				require.Error(t, err)
				assert.NotErrorIs(t, err, network.ErrAwsvpcNeedsNAT)
				assert.Contains(t, err.Error(), tt.wantErrSaying)
			default:
				require.NoError(t, err)
			}
		})
	}
}
