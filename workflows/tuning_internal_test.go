package workflows

import (
	"errors"
	"testing"
	"time"

	"github.com/eaapl/eaapl/activities/api"
	"github.com/eaapl/eaapl/catalog"
)

// results are n items that each took ms milliseconds; the first refused of them failed with an error a
// retry may fix.
func results(n int, ms int64, refused int) []api.BatchItemResult {
	out := make([]api.BatchItemResult, n)
	for i := range out {
		out[i].Result = catalog.TaskResult{Status: catalog.StatusSuccess, ExecutionTime: ms}
		if i < refused {
			out[i].Result.Status, out[i].Retryable = catalog.StatusFailure, true
		}
	}
	return out
}

func TestTunerOffDecidesAsTheFixedSizing(t *testing.T) {
	for _, tu := range []*tuner{
		newTuner(nil, 10_000, 100),
		newTuner(&api.Tuning{Adaptive: true}, tunedMinItems-1, 100), // too small to learn from
	} {
		tu.observe(results(100, 40, 10), nil)
		if got := tu.batchSize(10_000, 0, 100); got != 100 {
			t.Errorf("batch size %d, want the fixed 100", got)
		}
		if !tu.mayStart() {
			t.Error("an untuned step waited for a window")
		}
		if got := tu.itemTimeout(30 * time.Second); got != 30*time.Second {
			t.Errorf("item timeout %v, want the command's 30s", got)
		}
	}
}

func TestTunerSizesBatchesToTheTargetTime(t *testing.T) {
	tu := newTuner(&api.Tuning{Adaptive: true, BatchSeconds: 2}, 10_000, 100)
	// Nothing observed yet: probes that take a quarter of the items over the window.
	if got, want := tu.batchSize(10_000, 0, 100), 25; got != want {
		t.Errorf("first batch: %d items, want %d (10,000 / (4 × 100))", got, want)
	}
	tu.observe(results(25, 40, 0), nil) // 40 ms an item: 2 s is 50 items
	if got, want := tu.batchSize(7_500, 100, 100), 50; got != want {
		t.Errorf("after 40 ms items: %d items, want %d", got, want)
	}
	for range 20 {
		tu.observe(results(50, 1, 0), nil) // much faster now: the mean falls, batches grow
	}
	if got := tu.batchSize(7_000, 120, 100); got <= 50 || got > tunedMaxBatchItems {
		t.Errorf("after fast items: %d items, want more than 50 and at most %d", got, tunedMaxBatchItems)
	}
	slow := newTuner(&api.Tuning{Adaptive: true, BatchSeconds: 1}, 10_000, 100)
	slow.observe(results(10, 5_000, 0), nil) // 5 s an item: one a batch
	if got := slow.batchSize(900, 10, 100); got != 1 {
		t.Errorf("after 5 s items: %d items, want 1", got)
	}
	// Whatever the observations, a step never makes more than maxBatches batches.
	if got, want := slow.batchSize(9_000, maxBatches-10, 100), 900; got != want {
		t.Errorf("10 batches left for 9,000 items: %d items, want %d", got, want)
	}
}

func TestTunerWindowIsAdditiveIncreaseMultiplicativeDecrease(t *testing.T) {
	tu := newTuner(&api.Tuning{Adaptive: true}, 10_000, 16)
	if tu.window != 16 {
		t.Fatalf("window %d at the start, want the program's 16", tu.window)
	}
	tu.observe(results(10, 10, 1), nil) // the server refused one: halve
	tu.observe(results(10, 10, 3), nil)
	if tu.window != 4 || tu.backoffs != 2 {
		t.Fatalf("after two refusing batches: window %d, backoffs %d; want 4, 2", tu.window, tu.backoffs)
	}
	tu.observe(nil, errActivity) // the activity itself failed (timed out): halve too
	if tu.window != 2 {
		t.Fatalf("after a failed batch: window %d, want 2", tu.window)
	}
	// One more per window of clean batches: 2 clean at 2, 3 at 3, 4 at 4.
	for range 2 + 3 + 4 {
		tu.observe(results(10, 10, 0), nil)
	}
	if tu.window != 5 {
		t.Errorf("after 9 clean batches from 2: window %d, want 5", tu.window)
	}
	tu.inFlight = 5
	if tu.mayStart() {
		t.Error("a sixth batch may start with a window of 5")
	}
	for range 1000 {
		tu.observe(results(1, 10, 0), nil)
	}
	if tu.window != 16 {
		t.Errorf("after many clean batches: window %d, want at most the program's 16", tu.window)
	}
	for range 10 {
		tu.observe(results(1, 10, 1), nil)
	}
	if tu.window != 1 {
		t.Errorf("after many refusals: window %d, want at least 1", tu.window)
	}
}

var errActivity = errors.New("activity timed out")

func TestTunerTimeoutFollowsTheP99(t *testing.T) {
	tu := newTuner(&api.Tuning{Adaptive: true}, 10_000, 100)
	tu.observe(results(tunedMinSamples-1, 4_000, 0), nil)
	if got := tu.itemTimeout(30 * time.Second); got != 30*time.Second {
		t.Errorf("before %d items: %v, want the command's 30s", tunedMinSamples, got)
	}
	tu.observe(results(1, 4_000, 0), nil)
	if got, want := tu.itemTimeout(30*time.Second), 12*time.Second; got != want {
		t.Errorf("p99 4 s: %v, want %v (× %d)", got, want, tunedTimeoutMargin)
	}
	fast := newTuner(&api.Tuning{Adaptive: true}, 10_000, 100)
	fast.observe(results(200, 3, 0), nil)
	if got := fast.itemTimeout(30 * time.Second); got != tunedMinItemTimeout {
		t.Errorf("p99 3 ms: %v, want the floor %v", got, tunedMinItemTimeout)
	}
	slow := newTuner(&api.Tuning{Adaptive: true}, 10_000, 100)
	slow.observe(results(200, 60_000, 0), nil)
	if got := slow.itemTimeout(30 * time.Second); got != 30*time.Second {
		t.Errorf("p99 60 s: %v, want the command's 30s as the ceiling", got)
	}
	// The samples are bounded: the oldest go.
	for range 3 * tunedSamples / 200 {
		slow.observe(results(200, 3, 0), nil)
	}
	if len(slow.times) != tunedSamples {
		t.Errorf("%d samples kept, want %d", len(slow.times), tunedSamples)
	}
	if got := slow.itemTimeout(30 * time.Second); got != tunedMinItemTimeout {
		t.Errorf("after the slow items aged out: %v, want %v", got, tunedMinItemTimeout)
	}
}
