// Package heap measures the heap a piece of work keeps live at once, for
// the memory targets of benchmarks (B/op counts every allocation made; the
// peak is what has to fit in the machine).
package heap

import (
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// Peak runs fn and returns the largest HeapInuse sampled meanwhile (every
// 10 ms, and once before fn returns). It collects first, so that garbage
// left by earlier work is not counted as fn's.
func Peak(fn func()) uint64 {
	runtime.GC()
	var peak atomic.Uint64
	sample := func() {
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		if ms.HeapInuse > peak.Load() {
			peak.Store(ms.HeapInuse)
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
	sample()
	close(done)
	wg.Wait()
	return peak.Load()
}
