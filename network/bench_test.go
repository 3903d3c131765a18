package network_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/manga-alert-italia/mangaalert/network"
)

// BenchmarkEnsure measures a default Ensure in a fresh emulator account
// (target: at most 3 s on moto) and a no-op Ensure after it, with the API
// calls (and writes) each makes. Run with
//
//	go test -run '^$' -bench Ensure -benchtime 10x ./network/
func BenchmarkEnsure(b *testing.B) {
	b.Run("fresh", func(b *testing.B) {
		calls, writes := 0, 0
		for b.Loop() {
			b.StopTimer()
			w := newWorld(b)
			// The emulator sets an account up at its first call: not ours to time.
			_, err := w.net.Plan(w.ctx, network.Spec{Stack: w.stack})
			require.NoError(b, err)
			w.calls.Reset()
			b.StartTimer()
			_, err = w.net.Ensure(w.ctx, network.Spec{Stack: w.stack})
			require.NoError(b, err)
			calls, writes = calls+w.calls.Count(), writes+len(w.calls.Mutating())
		}
		b.ReportMetric(float64(calls)/float64(b.N), "calls/op")
		b.ReportMetric(float64(writes)/float64(b.N), "writes/op")
	})
	b.Run("noop", func(b *testing.B) {
		w := newWorld(b)
		_, err := w.net.Ensure(w.ctx, network.Spec{Stack: w.stack})
		require.NoError(b, err)
		w.calls.Reset()
		for b.Loop() {
			_, err := w.net.Ensure(w.ctx, network.Spec{Stack: w.stack})
			require.NoError(b, err)
		}
		b.ReportMetric(float64(w.calls.Count())/float64(b.N), "calls/op")
		b.ReportMetric(float64(len(w.calls.Mutating()))/float64(b.N), "writes/op")
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
