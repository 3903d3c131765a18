package network_test

import (
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/manga-alert-italia/mangaalert/change"
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
		kinds      []string
	}{
		{name: "default", spec: network.Spec{Stack: "s"},
			components: []string{"vpc", "igw", "subnet/public/0", "subnet/public/1", "rt/public", "sg/host"},
			kinds:      []string{"vpc", "internet gateway", "subnet", "subnet", "route table", "security group"}},
		{name: "one zone", spec: network.Spec{Stack: "s", AZs: 1},
			components: []string{"vpc", "igw", "subnet/public/0", "rt/public", "sg/host"},
			kinds:      []string{"vpc", "internet gateway", "subnet", "route table", "security group"}},
		{name: "NAT", spec: network.Spec{Stack: "s", Topology: network.PrivateWithNAT},
			components: []string{"vpc", "igw", "subnet/public/0", "subnet/public/1", "rt/public",
				"subnet/private/0", "subnet/private/1", "eip/nat", "nat", "rt/private", "sg/host"},
			kinds: []string{"vpc", "internet gateway", "subnet", "subnet", "route table",
				"subnet", "subnet", "Elastic IP", "NAT gateway", "route table", "security group"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n := network.New(nil, offline)
			p, err := n.Plan(ctx, tt.spec)
			require.NoError(t, err)
			assert.Equal(t, "network", p.Component)
			assert.True(t, p.Offline)
			assert.True(t, p.HasChanges())
			var names, kinds []string
			for _, c := range p.Changes {
				names = append(names, c.Name)
				kinds = append(kinds, c.Kind)
				assert.Equal(t, change.Create, c.Action, c.Name)
				assert.Empty(t, c.ID)
			}
			assert.Equal(t, tt.components, names)
			assert.Equal(t, tt.kinds, kinds)
			assert.Equal(t, len(tt.components), p.Count(change.Create))
			assert.InDelta(t, n.Estimate(tt.spec).Total(), p.Cost.Total(), 1e-9)
		})
	}
}

func TestPlanDetails(t *testing.T) {
	t.Parallel()
	p, err := network.New(nil, offline).Plan(context.Background(), network.Spec{Stack: "s", SSHCIDRs: []string{"198.51.100.7/32"},
		Topology: network.PrivateWithNAT})
	require.NoError(t, err)
	sg, ok := p.Find("security group", "sg/host")
	require.True(t, ok)
	assert.Equal(t, []string{"allow inbound tcp 80 from 0.0.0.0/0", "allow inbound tcp 443 from 0.0.0.0/0",
		"allow inbound tcp 22 from 198.51.100.7/32"}, sg.Details)
	rt, _ := p.Find("route table", "rt/private")
	assert.Equal(t, []string{"route 0.0.0.0/0 -> NAT gateway", "associate subnet/private/0", "associate subnet/private/1"}, rt.Details)
	sub, _ := p.Find("subnet", "subnet/public/1")
	assert.Equal(t, []string{"10.0.1.0/24 in (zone 2)", "public IPv4 on launch"}, sub.Details)
	var out strings.Builder
	require.NoError(t, p.Write(&out))
	assert.Contains(t, out.String(), "offline: nothing read from AWS")
	assert.Contains(t, out.String(), "ssh from 198.51.100.7/32")
	assert.InDelta(t, 36.95, p.Cost.Total(), 1e-9)
}

func TestOfflineRefusesWrites(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	n := network.New(nil, offline)
	_, err := n.Ensure(ctx, network.Spec{Stack: "s"})
	assert.ErrorIs(t, err, network.ErrOffline)
	_, err = n.Delete(ctx, "s")
	assert.ErrorIs(t, err, network.ErrOffline)
	// An invalid Spec is reported as such, even offline.
	_, err = n.Plan(ctx, network.Spec{Stack: "s", CIDR: "10.0.0.0/8"})
	assert.ErrorIs(t, err, network.ErrInvalidSpec)
	_, err = n.Delete(ctx, "")
	assert.ErrorIs(t, err, network.ErrInvalidSpec)
}

// A nil client is not a way to plan offline: Options.Offline is.
func TestNilClientNeedsOffline(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	n := network.New(nil)
	_, err := n.Plan(ctx, network.Spec{Stack: "s"})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "Options.Offline")
	_, err = n.Ensure(ctx, network.Spec{Stack: "s"})
	require.Error(t, err)
	_, err = n.Delete(ctx, "s")
	require.Error(t, err)
}
