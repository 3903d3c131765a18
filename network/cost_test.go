package network_test

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/manga-alert-italia/mangaalert/cost"
	"github.com/manga-alert-italia/mangaalert/network"
)

func TestEstimate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		spec  network.Spec
		opts  []func(*network.Options)
		total float64
		lines int
	}{
		{name: "public only is free", spec: network.Spec{Stack: "s"}, total: 0, lines: 1},
		{name: "NAT, default traffic", spec: network.Spec{Stack: "s", Topology: network.PrivateWithNAT},
			total: 730*0.045 + 10*0.045 + 730*0.005, lines: 3}, // 32.85 + 0.45 + 3.65
		{name: "NAT, 100 GB", spec: network.Spec{Stack: "s", Topology: network.PrivateWithNAT},
			opts: []func(*network.Options){func(o *network.Options) { o.NATGBPerMonth = 100 }}, total: 32.85 + 4.5 + 3.65, lines: 3},
		{name: "more zones cost nothing more", spec: network.Spec{Stack: "s", AZs: 3, Topology: network.PrivateWithNAT},
			total: 36.95, lines: 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := network.New(nil, append(tt.opts, offline)...).Estimate(tt.spec)
			assert.InDelta(t, tt.total, e.Total(), 1e-9)
			assert.Len(t, e, tt.lines)
			for _, l := range e {
				assert.NotEmpty(t, l.Price.Source, l.Item)
				assert.Regexp(t, `^\d{4}-\d{2}-\d{2}$`, l.Price.Date, l.Item)
			}
		})
	}
}

func TestPrices(t *testing.T) {
	t.Parallel()
	for name, p := range map[string]cost.Price{"ipv4": network.PublicIPv4Price, "nat hour": network.NATHourPrice, "nat GB": network.NATGBPrice} {
		assert.Equal(t, "https://aws.amazon.com/vpc/pricing/", p.Source, name)
	}
	assert.Equal(t, 0.005, network.PublicIPv4Price.USD)
	assert.Equal(t, "2024-02-01", network.PublicIPv4Price.Date)
	assert.Equal(t, 0.045, network.NATHourPrice.USD)
	assert.Equal(t, 0.045, network.NATGBPrice.USD)
}
