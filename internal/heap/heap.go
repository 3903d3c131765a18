// Package heap measures the heap a piece of work keeps live at once, for
// the memory targets of benchmarks (B/op counts every allocation made; the
// peak is what has to fit in the machine).
package heap

import (
	"runtime"
	"runtime/metrics"
	"sync"
	"sync/atomic"
	"time"
)

// Peak runs fn and returns the largest HeapInuse sampled meanwhile (every
// 10 ms, and once before fn returns). It collects first, so that garbage
// left by earlier work is not counted as fn's. The samples come from
// runtime/metrics, which does not stop the world as ReadMemStats does: a
// benchmark that also counts fn's CPU time counts little of the
// sampling's.
func Peak(fn func()) uint64 {
	runtime.GC()
	var peak atomic.Uint64
	// HeapInuse is the heap's objects and the unused room in their spans.
	samples := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}, {Name: "/memory/classes/heap/unused:bytes"}}
	sample := func() {
		metrics.Read(samples)
		if inuse := samples[0].Value.Uint64() + samples[1].Value.Uint64(); inuse > peak.Load() {
			peak.Store(inuse)
		}
	}
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		for {
			sample()
			select {
			case <-done:
				return
			case <-time.After(10 * time.Millisecond):
			}
		}
	})
	fn()
	close(done)
	wg.Wait()
	sample() // after the sampler stops: samples is one slice
	return peak.Load()
}
