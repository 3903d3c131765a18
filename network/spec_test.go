package network_test

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/manga-alert-italia/mangaalert/network"
)

func TestSpecValidate(t *testing.T) {
	t.Parallel()
	ok := network.Spec{Stack: "shop"}
	tests := []struct {
		name   string
		spec   network.Spec
		fields []string // the SpecError fields expected, in order; none means valid
		says   string   // a piece of the message
	}{
		{name: "defaults", spec: ok},
		{name: "everything given", spec: network.Spec{Stack: "a-1", CIDR: "172.16.0.0/20", AZs: 3, Topology: network.PrivateWithNAT,
			Ports: []int32{8080, 443, 443}, IngressCIDRs: []string{"203.0.113.0/24"}, SSHCIDRs: []string{"198.51.100.7/32"}}},
		{name: "smallest VPC that fits", spec: network.Spec{Stack: "s", CIDR: "10.0.0.0/24"}},
		{name: "largest VPC", spec: network.Spec{Stack: "s", CIDR: "10.0.0.0/16", AZs: network.MaxAZs}},

		{name: "no stack", spec: network.Spec{}, fields: []string{"Stack"}, says: "name the stack"},
		{name: "bad stack", spec: network.Spec{Stack: "my stack!"}, fields: []string{"Stack"}, says: "letters, digits and hyphens"},
		{name: "long stack", spec: network.Spec{Stack: "a234567890123456789012345678901234"}, fields: []string{"Stack"}},
		{name: "malformed CIDR", spec: network.Spec{Stack: "s", CIDR: "10.0.0.0"}, fields: []string{"CIDR"}, says: "CIDR notation"},
		{name: "garbage CIDR", spec: network.Spec{Stack: "s", CIDR: "ten/16"}, fields: []string{"CIDR"}},
		{name: "IPv6 VPC", spec: network.Spec{Stack: "s", CIDR: "fd00::/56"}, fields: []string{"CIDR"}, says: "IPv6"},
		{name: "host bits", spec: network.Spec{Stack: "s", CIDR: "10.0.0.1/16"}, fields: []string{"CIDR"}, says: "the block is 10.0.0.0/16"},
		{name: "larger than /16", spec: network.Spec{Stack: "s", CIDR: "10.0.0.0/8"}, fields: []string{"CIDR"}, says: "use a /16, e.g. 10.0.0.0/16"},
		{name: "smaller than /28", spec: network.Spec{Stack: "s", CIDR: "10.0.0.0/29"}, fields: []string{"CIDR"}, says: "smallest VPC block AWS allows"},
		{name: "subnets do not fit", spec: network.Spec{Stack: "s", CIDR: "10.0.0.0/26"}, fields: []string{"CIDR"}, says: "must be /24 or larger"},
		{name: "reserved range", spec: network.Spec{Stack: "s", CIDR: "127.0.0.0/16"}, fields: []string{"CIDR"}, says: "reserved"},
		{name: "negative AZs", spec: network.Spec{Stack: "s", AZs: -1}, fields: []string{"AZs"}},
		{name: "too many AZs", spec: network.Spec{Stack: "s", AZs: 9}, fields: []string{"AZs"}, says: "use 1 to 8"},
		{name: "unknown topology", spec: network.Spec{Stack: "s", Topology: 7}, fields: []string{"Topology"}},
		{name: "port 0", spec: network.Spec{Stack: "s", Ports: []int32{0}}, fields: []string{"Ports"}, says: "1 to 65535"},
		{name: "port too high", spec: network.Spec{Stack: "s", Ports: []int32{80, 70000}}, fields: []string{"Ports"}},
		{name: "ssh through Ports", spec: network.Spec{Stack: "s", Ports: []int32{22}}, fields: []string{"Ports"}, says: "SSHCIDRs"},
		{name: "bad ingress CIDR", spec: network.Spec{Stack: "s", IngressCIDRs: []string{"0.0.0.0/0", "1.2.3.4"}}, fields: []string{"IngressCIDRs"}},
		{name: "IPv6 ingress", spec: network.Spec{Stack: "s", IngressCIDRs: []string{"::/0"}}, fields: []string{"IngressCIDRs"}, says: "no IPv6 block"},
		{name: "bad ssh CIDR", spec: network.Spec{Stack: "s", SSHCIDRs: []string{"198.51.100.7/24"}}, fields: []string{"SSHCIDRs"}, says: "198.51.100.0/24"},
		{name: "too many rules", spec: network.Spec{Stack: "s", Ports: ports(31), IngressCIDRs: []string{"10.1.0.0/16", "10.2.0.0/16"}},
			fields: []string{"Ports"}, says: "62 inbound rules"},
		{name: "several problems at once", spec: network.Spec{CIDR: "10.0.0.0/8", AZs: 12, SSHCIDRs: []string{"x"}},
			fields: []string{"Stack", "CIDR", "AZs", "SSHCIDRs"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.spec.Validate()
			if len(tt.fields) == 0 {
				require.NoError(t, err)
				return
			}
			require.Error(t, err)
			assert.ErrorIs(t, err, network.ErrInvalidSpec)
			var got []string
			for _, e := range unjoin(err) {
				var se *network.SpecError
				require.ErrorAs(t, e, &se)
				assert.NotEmpty(t, se.Fix, "every error says what to do")
				got = append(got, se.Field)
			}
			assert.Equal(t, tt.fields, got)
			assert.Contains(t, err.Error(), tt.says)
		})
	}
}

func ports(n int) []int32 {
	var ps []int32
	for p := range n {
		ps = append(ps, int32(1000+p))
	}
	return ps
}

func unjoin(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	return []error{err}
}

func TestSpecWithDefaults(t *testing.T) {
	t.Parallel()
	s := network.Spec{Stack: "s", Ports: []int32{443, 80, 443}}.WithDefaults()
	assert.Equal(t, network.Spec{Stack: "s", CIDR: "10.0.0.0/16", AZs: 2, Topology: network.PublicOnly,
		Ports: []int32{80, 443}, IngressCIDRs: []string{"0.0.0.0/0"}}, s)
}

func TestSpecLayout(t *testing.T) {
	t.Parallel()
	tests := []struct {
		spec            network.Spec
		public, private []string
	}{
		{network.Spec{}, []string{"10.0.0.0/24", "10.0.1.0/24"}, nil},
		{network.Spec{Topology: network.PrivateWithNAT}, []string{"10.0.0.0/24", "10.0.1.0/24"}, []string{"10.0.128.0/24", "10.0.129.0/24"}},
		{network.Spec{CIDR: "172.31.0.0/20", AZs: 3, Topology: network.PrivateWithNAT},
			[]string{"172.31.0.0/24", "172.31.1.0/24", "172.31.2.0/24"}, []string{"172.31.8.0/24", "172.31.9.0/24", "172.31.10.0/24"}},
		{network.Spec{CIDR: "10.9.4.0/22", AZs: 1, Topology: network.PrivateWithNAT}, []string{"10.9.4.0/26"}, []string{"10.9.6.0/26"}},
		{network.Spec{CIDR: "192.168.7.0/24", AZs: 8, Topology: network.PrivateWithNAT},
			[]string{"192.168.7.0/28", "192.168.7.16/28", "192.168.7.32/28", "192.168.7.48/28", "192.168.7.64/28", "192.168.7.80/28", "192.168.7.96/28", "192.168.7.112/28"},
			[]string{"192.168.7.128/28", "192.168.7.144/28", "192.168.7.160/28", "192.168.7.176/28", "192.168.7.192/28", "192.168.7.208/28", "192.168.7.224/28", "192.168.7.240/28"}},
	}
	for _, tt := range tests {
		t.Run(tt.spec.CIDR+"/"+tt.spec.Topology.String(), func(t *testing.T) {
			public, private := tt.spec.Layout()
			assert.Equal(t, tt.public, public)
			assert.Equal(t, tt.private, private)
		})
	}
	// Switching topology or adding zones never moves an existing subnet.
	small, _ := network.Spec{AZs: 1}.Layout()
	big, priv := network.Spec{AZs: 3, Topology: network.PrivateWithNAT}.Layout()
	assert.Equal(t, small[0], big[0])
	assert.NotContains(t, priv, big[0])
}

func TestZonesErrorIsInvalidSpec(t *testing.T) {
	t.Parallel()
	err := error(&network.ZonesError{Want: 4, Available: []string{"eu-south-1a", "eu-south-1b", "eu-south-1c"}})
	assert.True(t, errors.Is(err, network.ErrInvalidSpec))
	assert.Contains(t, err.Error(), "use AZs 3 or fewer")
}
