package testenv

import (
	"runtime"
	"time"
)

// PeakHeap runs f and returns the most heap in use while it ran (runtime.MemStats.HeapInuse, after a GC),
// sampled every interval: what a memory bound on a long read or run measures.
func PeakHeap(every time.Duration, f func()) uint64 {
	runtime.GC()
	done, sampled := make(chan struct{}), make(chan uint64)
	go func() {
		var m runtime.MemStats
		var peak uint64
		tick := time.NewTicker(every)
		defer tick.Stop()
		for {
			runtime.ReadMemStats(&m)
			peak = max(peak, m.HeapInuse)
			select {
			case <-done:
				sampled <- peak
				return
			case <-tick.C:
			}
		}
	}()
	f()
	close(done)
	return <-sampled
}
