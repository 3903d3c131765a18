package ecshost_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"
)

// The targets, on moto: a full Ensure within 10 s, a no-op Ensure
// with no write and at most 60 calls. Run with
//
//	go test -run '^$' -bench . -benchtime 5x ./ecshost/
//
// and read ns/op, calls/op and writes/op.

// BenchmarkEnsure is a full Ensure of a new stack, each in a new account.
func BenchmarkEnsure(b *testing.B) {
	ctx := context.Background()
	var calls, writes int
	for b.Loop() {
		b.StopTimer()
		e := newEnv(b)
		b.StartTimer()
		_, err := e.host.Ensure(ctx, e.spec)
		require.NoError(b, err)
		calls += e.calls.Count()
		writes += len(e.calls.Mutating())
	}
	b.ReportMetric(float64(calls)/float64(b.N), "calls/op")
	b.ReportMetric(float64(writes)/float64(b.N), "writes/op")
}

// BenchmarkEnsureNoop is an Ensure of a stack that needs nothing.
func BenchmarkEnsureNoop(b *testing.B) {
	ctx := context.Background()
	e := newEnv(b)
	_, err := e.host.Ensure(ctx, e.spec)
	require.NoError(b, err)
	e.calls.Reset()
	for b.Loop() {
		_, err := e.host.Ensure(ctx, e.spec)
		require.NoError(b, err)
	}
	b.ReportMetric(float64(e.calls.Count())/float64(b.N), "calls/op")
	b.ReportMetric(float64(len(e.calls.Mutating()))/float64(b.N), "writes/op")
}
