package network_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/manga-alert-italia/mangaalert/network"
)

// Offline, Plan sees an empty account: everything is created.
func TestPlanOffline(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	tests := []struct {
		name       string
		spec       network.Spec
		components []string
	}{
		{name: "default", spec: network.Spec{Stack: "s"},
			components: []string{"vpc", "igw", "subnet/public/0", "subnet/public/1", "rt/public", "sg/host"}},
		{name: "one zone", spec: network.Spec{Stack: "s", AZs: 1},
			components: []string{"vpc", "igw", "subnet/public/0", "rt/public", "sg/host"}},
		{name: "NAT", spec: network.Spec{Stack: "s", Topology: network.PrivateWithNAT},
			components: []string{"vpc", "igw", "subnet/public/0", "subnet/public/1", "rt/public",
				"subnet/private/0", "subnet/private/1", "eip/nat", "nat", "rt/private", "sg/host"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, n := range []*network.Network{network.New(nil), network.New(nil, network.Offline())} {
				p, err := n.Plan(ctx, tt.spec)
				require.NoError(t, err)
				assert.True(t, p.Offline)
				assert.True(t, p.Changed())
				var got []string
				for _, c := range p.Changes {
					got = append(got, c.Component)
					assert.Equal(t, network.Create, c.Action, c.Component)
					assert.Empty(t, c.ID)
				}
				assert.Equal(t, tt.components, got)
				assert.Equal(t, len(tt.components), p.Count(network.Create))
				assert.InDelta(t, n.Estimate(tt.spec).Total(), p.Cost.Total(), 1e-9)
			}
		})
	}
}

func TestPlanDetails(t *testing.T) {
	t.Parallel()
	p, err := network.New(nil).Plan(context.Background(), network.Spec{Stack: "s", SSHCIDRs: []string{"198.51.100.7/32"},
		Topology: network.PrivateWithNAT})
	require.NoError(t, err)
	sg, ok := p.Change("sg/host")
	require.True(t, ok)
	assert.Equal(t, []string{"allow inbound tcp 80 from 0.0.0.0/0", "allow inbound tcp 443 from 0.0.0.0/0",
		"allow inbound tcp 22 from 198.51.100.7/32"}, sg.Details)
	rt, _ := p.Change("rt/private")
	assert.Equal(t, []string{"route 0.0.0.0/0 -> NAT gateway", "associate subnet/private/0", "associate subnet/private/1"}, rt.Details)
	sub, _ := p.Change("subnet/public/1")
	assert.Equal(t, []string{"10.0.1.0/24 in (zone 2)", "public IPv4 on launch"}, sub.Details)
	out := p.String()
	assert.Contains(t, out, "offline: nothing read from AWS")
	assert.Contains(t, out, "ssh from 198.51.100.7/32")
	assert.Regexp(t, `TOTAL\s+36\.95`, out)
}

func TestOfflineRefusesWrites(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	n := network.New(nil)
	_, err := n.Ensure(ctx, network.Spec{Stack: "s"})
	assert.ErrorIs(t, err, network.ErrOffline)
	assert.ErrorIs(t, n.Delete(ctx, "s"), network.ErrOffline)
	// An invalid Spec is reported as such, even offline.
	_, err = n.Plan(ctx, network.Spec{Stack: "s", CIDR: "10.0.0.0/8"})
	assert.ErrorIs(t, err, network.ErrInvalidSpec)
	assert.ErrorIs(t, n.Delete(ctx, ""), network.ErrInvalidSpec)
}
