package network_test

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/manga-alert-italia/mangaalert/change"
	"github.com/manga-alert-italia/mangaalert/integration"
	"github.com/manga-alert-italia/mangaalert/network"
)

var faults = []struct {
	name  string
	fault integration.Fault
}{{"before", integration.FailBefore}, {"after", integration.FailAfter}}

// An Ensure that fails at its Nth write, before AWS sees it or after AWS
// did it and the answer was lost, followed by a plain Ensure, ends exactly
// where an uninterrupted Ensure does: same resources, no duplicates, and a
// third Ensure with nothing left to do (which, as Ensure checks every
// attribute it owns, shows the topology is whole: TestEnsureBuildsTheTopology
// checks that against Describe calls).
func TestEnsureRecoversFromFaults(t *testing.T) {
	t.Parallel()
	for _, topo := range []network.Topology{network.PublicOnly, network.PrivateWithNAT} {
		t.Run(topo.String(), func(t *testing.T) {
			t.Parallel()
			ref := newWorld(t)
			spec := network.Spec{Stack: ref.stack, Topology: topo}
			want, err := ref.net.Ensure(ref.ctx, spec)
			require.NoError(t, err)
			writes := ref.calls.Mutating()
			wantInv := ref.inventory(t)
			require.Equal(t, wantInventory(spec), wantInv)

			for i, call := range writes {
				for _, f := range faults {
					if topo != network.PublicOnly && f.fault == integration.FailBefore && i > 0 {
						continue // the same case as failing after write i, see TestDeleteRecoversFromFaults
					}
					t.Run(fmt.Sprintf("%02d-%s-%s", i+1, call.Operation, f.name), func(t *testing.T) {
						t.Parallel()
						w := newWorld(t)
						w.calls.FailAt(i+1, f.fault)
						_, err := w.net.Ensure(w.ctx, spec)
						require.ErrorIs(t, err, integration.ErrInjected)

						got, err := w.net.Ensure(w.ctx, spec)
						require.NoError(t, err)
						assert.Equal(t, wantInv, w.inventory(t), "same resources, no duplicates")
						assert.Equal(t, shape(want), shape(got))

						w.calls.Reset()
						again, err := w.net.Ensure(w.ctx, spec)
						require.NoError(t, err)
						assert.Empty(t, w.calls.Mutating(), "converged")
						assert.Empty(t, again.Changes)
					})
				}
			}
		})
	}
}

// shape is a State without its ids: what two accounts' runs share.
func shape(s *network.State) string {
	return fmt.Sprintf("%s %s %v public=%d private=%d igw=%t sg=%t nat=%t/%t/%t", s.Stack, s.CIDR, s.AZs,
		len(s.PublicSubnetIDs), len(s.PrivateSubnetIDs), s.InternetGatewayID != "", s.HostSecurityGroupID != "",
		s.NAT, s.NATGatewayID != "", s.NATPublicIP != "")
}

// The same for Delete: a Delete broken at any write, then a plain Delete,
// leaves nothing of ours.
func TestDeleteRecoversFromFaults(t *testing.T) {
	t.Parallel()
	spec := network.Spec{Topology: network.PrivateWithNAT}
	ref := newWorld(t)
	spec.Stack = ref.stack
	_, err := ref.net.Ensure(ref.ctx, spec)
	require.NoError(t, err)
	ref.calls.Reset()
	changes, err := ref.net.Delete(ref.ctx, ref.stack)
	require.NoError(t, err)
	writes := ref.calls.Mutating()
	require.NotEmpty(t, changes)
	for _, c := range changes {
		assert.Equal(t, change.Delete, c.Action, c.String())
		assert.NotEmpty(t, c.ID, c.String())
	}

	for i, call := range writes {
		for _, f := range faults {
			if f.fault == integration.FailBefore && i > 0 {
				// Failing before write N leaves AWS as failing after write
				// N-1 does, and a run stops at its first error: the same case.
				continue
			}
			t.Run(fmt.Sprintf("%02d-%s-%s", i+1, call.Operation, f.name), func(t *testing.T) {
				t.Parallel()
				w := newWorld(t)
				_, err := w.net.Ensure(w.ctx, spec)
				require.NoError(t, err)
				w.calls.FailAt(i+1, f.fault)
				_, err = w.net.Delete(w.ctx, w.stack)
				require.ErrorIs(t, err, integration.ErrInjected)
				require.NoError(t, deleted(w.net.Delete(w.ctx, w.stack)))
				assert.Empty(t, w.inventory(t))
			})
		}
	}
}
