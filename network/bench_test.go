package network_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/manga-alert-italia/mangaalert/network"
)

// BenchmarkEnsure measures a default Ensure in a fresh emulator account
// (target: at most 3 s on moto) and a no-op Ensure after it. Run with
//
//	go test -run '^$' -bench Ensure -benchtime 5x ./network/
func BenchmarkEnsure(b *testing.B) {
	b.Run("fresh", func(b *testing.B) {
		for b.Loop() {
			b.StopTimer()
			w := newWorld(b)
			// The emulator sets an account up at its first call: not ours to time.
			_, err := w.net.Plan(w.ctx, network.Spec{Stack: w.stack})
			require.NoError(b, err)
			b.StartTimer()
			_, err = w.net.Ensure(w.ctx, network.Spec{Stack: w.stack})
			require.NoError(b, err)
		}
	})
	b.Run("noop", func(b *testing.B) {
		w := newWorld(b)
		_, err := w.net.Ensure(w.ctx, network.Spec{Stack: w.stack})
		require.NoError(b, err)
		for b.Loop() {
			_, err := w.net.Ensure(w.ctx, network.Spec{Stack: w.stack})
			require.NoError(b, err)
		}
	})
}

// TestEnsureDuration logs how long a default Ensure takes on the emulator,
// first call of a fresh account included (what a user sees). No assertion:
// the machine is shared; the benchmark above is the measurement.
func TestEnsureDuration(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	start := time.Now()
	_, err := w.net.Ensure(w.ctx, network.Spec{Stack: w.stack})
	require.NoError(t, err)
	t.Logf("default Ensure in a fresh account: %s (%d calls)", time.Since(start), w.calls.Count())
}
