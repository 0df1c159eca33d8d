package workflows

import (
	"slices"
	"time"

	"go.temporal.io/sdk/workflow"

	"github.com/eaapl/eaapl/activities/api"
)

// Adaptive tuning (docs/scale.md, "Adaptive tuning"): a for_each step's batch size, how many of its batches
// run at once and its items' start-to-close timeout follow what the step's own finished batches show,
// instead of fixed numbers. Every figure the tuner reads is in the history: the items' execution times and
// outcomes come in the batches' results (api.BatchResult), and whether to tune at all comes in the planning
// result (api.Tuning, from the worker's EAAPL_ADAPTIVE), so a replay decides exactly as the run did. The
// arithmetic is integer (milliseconds, counts): no floating-point rounding can differ between machines.
//
//   - Batch size: a batch should take about Tuning.BatchSeconds. The first batches are small probes (a
//     quarter of the step's items spread over the window), then size = target / observed mean per-item
//     time, bounded by [1, tunedMaxBatchItems] and by maxBatches per step.
//   - Concurrency: additive increase, multiplicative decrease on each batch's result. A batch with items
//     that failed with an error a retry may fix (an SMTP 4xx deferral, a refused connection) halves the
//     window; a window's worth of clean batches widens it by one, up to the program's max_concurrency.
//   - Timeout: once tunedMinSamples items have finished, an item's start-to-close is the observed p99
//     times tunedTimeoutMargin, between tunedMinItemTimeout and the command's own timeout.

// versionAdaptive marks histories whose for_each steps were tuned; a change to how the tuner decides
// needs a new version, so that these histories keep replaying.
const versionAdaptive = "adaptive-tuning"

// Bounds of the tuner.
const (
	// tunedMinItems is the smallest step that is tuned: a smaller one is over in a wave or two of
	// batches, before there is anything to learn from.
	tunedMinItems       = 1000
	tunedMaxBatchItems  = 500
	tunedSamples        = 1024 // the latest item times kept, for the p99
	tunedMinSamples     = 50   // items seen before the timeout follows them
	tunedTimeoutMargin  = 3
	tunedMinItemTimeout = 5 * time.Second
	// defaultBatchTarget is how long a batch should take when the planning result does not say.
	defaultBatchTarget = 5 * time.Second
)

// tuner decides one for_each step's batches from the step's finished ones. Its zero value is off.
type tuner struct {
	on     bool
	target int64 // milliseconds a batch should take
	limit  int   // the most batches at once: the program's concurrency
	window int   // batches allowed at once now, 1..limit
	clean  int   // clean batches since the window last changed
	probe  int   // the size of the batches made before any finished: a quarter of the items over the window

	times   []int64 // the latest items' execution times, ms, a ring of tunedSamples
	next    int
	itemsMs int64 // sum over every item seen, and their count, for the mean
	items   int64

	inFlight int // the step's batch activities running now
	backoffs int // times the window was halved
}

// adaptive says whether this program tunes its for_each steps: the planning result asked for it and the
// history records the version (asked only then, so that programs run without tuning replay as before).
func adaptive(ctx workflow.Context, t *api.Tuning) *api.Tuning {
	if t == nil || !t.Adaptive || workflow.GetVersion(ctx, versionAdaptive, workflow.DefaultVersion, 1) < 1 {
		return nil
	}
	return t
}

// newTuner returns the tuner of a step over n items with concurrency batches at once; off (nil settings,
// or a step too small to learn from) it decides as the fixed sizing does.
func newTuner(settings *api.Tuning, n, concurrency int) *tuner {
	if settings == nil || n < tunedMinItems {
		return &tuner{}
	}
	target := int64(defaultBatchTarget / time.Millisecond)
	if settings.BatchSeconds > 0 {
		target = int64(settings.BatchSeconds) * 1000
	}
	limit := max(concurrency, 1)
	return &tuner{on: true, target: target, limit: limit, window: limit, probe: ceilDiv(n, 4*limit)}
}

// batchSize is the size of the next batch, with remaining items not yet in a batch, made batches so far,
// and fixed the size the fixed sizing gives the step.
func (t *tuner) batchSize(remaining, made, fixed int) int {
	if !t.on {
		return fixed
	}
	// Never more than maxBatches batches in the step, whatever the observations say.
	floor := ceilDiv(remaining, max(maxBatches-made, 1))
	size := 0
	if t.items == 0 {
		// Probes: the first wave takes a quarter of the items, so that the rest is sized from it.
		size = min(fixed, t.probe)
	} else {
		mean := max(t.itemsMs/t.items, 1)
		size = int(min(max(t.target/mean, 1), tunedMaxBatchItems))
	}
	return max(size, floor, 1)
}

// observe takes a finished batch: its items' results, or err when the activity itself failed.
func (t *tuner) observe(res []api.BatchItemResult, err error) {
	if !t.on {
		return
	}
	refused := err != nil
	for _, r := range res {
		ms := max(r.Result.ExecutionTime, 0)
		if len(t.times) < tunedSamples {
			t.times = append(t.times, ms)
		} else {
			t.times[t.next] = ms
		}
		t.next = (t.next + 1) % tunedSamples
		t.itemsMs += ms
		t.items++
		if r.Retryable {
			refused = true
		}
	}
	if refused { // multiplicative decrease
		t.window, t.clean = max(t.window/2, 1), 0
		t.backoffs++
		return
	}
	if t.clean++; t.clean >= t.window { // additive increase: one more per window of clean batches
		t.window, t.clean = min(t.window+1, t.limit), 0
	}
}

// mayStart says whether another batch may start now.
func (t *tuner) mayStart() bool { return !t.on || t.inFlight < t.window }

// itemTimeout is an item's start-to-close timeout: the command's own, or, once enough items were seen,
// their p99 times the margin, bounded by tunedMinItemTimeout and the command's.
func (t *tuner) itemTimeout(command time.Duration) time.Duration {
	if !t.on || len(t.times) < tunedMinSamples {
		return command
	}
	sorted := slices.Clone(t.times)
	slices.Sort(sorted)
	p99 := sorted[(len(sorted)*99)/100]
	d := time.Duration(p99*tunedTimeoutMargin) * time.Millisecond
	return min(max(d, tunedMinItemTimeout), command)
}
