package workflows

import (
	"fmt"
	"math"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/eaapl/eaapl/activities/api"
	"github.com/eaapl/eaapl/catalog"
	"github.com/eaapl/eaapl/plan"
)

// A for_each step's items run in batches: one RunBatch activity runs several items one after another
// (SendEmail over one SMTP connection) and returns each item's result. Measured on 10,000 contacts (see
// bench/results.md), it is several times faster than one activity per item, and it keeps a program far
// under Temporal's limits at any N: at most maxBatches batch activities per step, so a few thousand
// history events, and at most max_concurrency of them pending at once. Each item keeps its own result,
// its own retries (a retryable failure sends the item again, alone or with others, in a later batch,
// after the catalog's backoff, up to the catalog's attempts) and its own idempotency key.
//
// The semaphore counts batches: a batch runs one task at a time, so max_concurrency still bounds the
// program's tasks running at once.

// versionBatches marks histories recorded after batching: older ones replay one activity per item.
const versionBatches = "batch-for-each"

// Batch sizing: enough batches to use max_concurrency, no batch over maxBatchItems unless that would make
// more than maxBatches (each batch adds about 3 history events, plus its share of workflow tasks).
const (
	maxBatchItems = 100
	maxBatches    = 1000
)

// detailedItems is the number of items above which a done item's result leaves out its task's details
// (worker, output, timing), which stay in the batch's result in the history and on task.result: the
// program's Result must stay under Temporal's 2 MB payload limit.
const detailedItems = 1000

// versionItemsAsTasks marks histories recorded after a batch item began to behave as a single task: an
// item that needs input leaves its batch and runs alone, asking as a single task asks, and a retried item
// waits by its step's retry policy, not its command's. Older histories replay as they ran.
const versionItemsAsTasks = "for-each-items-as-tasks"

// itemsAsTasks says whether this program's batch items behave as single tasks (versionItemsAsTasks).
func itemsAsTasks(ctx workflow.Context) bool {
	return workflow.GetVersion(ctx, versionItemsAsTasks, workflow.DefaultVersion, 1) >= 1
}

// batching says whether this program runs for_each steps in batches: GetVersion records the answer at
// the first for_each step and returns the same one after, so a replay of an older history takes the path
// it took.
func batching(ctx workflow.Context) bool {
	return workflow.GetVersion(ctx, versionBatches, workflow.DefaultVersion, 1) >= 1
}

// queuedItem is a for_each item whose condition held and whose arguments are ready.
type queuedItem struct {
	n     int // 1-based
	label string
	args  map[string]any
}

// batchSize is how many of n items go in one batch when concurrency batches run at once.
func batchSize(n, concurrency int) int {
	size := min(ceilDiv(n, max(concurrency, 1)), maxBatchItems)
	return max(size, ceilDiv(n, maxBatches), 1)
}

func ceilDiv(a, b int) int { return (a + b - 1) / b }

// mayRepeat says whether this run may repeat an earlier run of its workflow ID, and so find its emails
// already sent: then every item is checked in the mailbox first. A shard repeats when its program does.
func (p *program) mayRepeat(ctx workflow.Context) bool {
	info := workflow.GetInfo(ctx)
	// A retry, a continue-as-new or a reset (a reset run keeps the started event of the run it resets,
	// whose run ID is OriginalRunID).
	reset := info.OriginalRunID != "" && info.OriginalRunID != info.WorkflowExecution.RunID
	repeat := info.Attempt > 1 || info.ContinuedExecutionRunID != "" || reset
	// A run whose starter did not make sure the ID is new (--allow-reuse, another client) may follow a
	// finished run of the same ID, whose emails have the same Message-IDs (versionIdentities).
	return repeat || p.asker.authorize && !p.in.FirstRun || p.programRepeats
}

// runBatches runs a step's queued items in batches and records each item's result; outputs[n-1] gets
// item n's output.
func (p *program) runBatches(ctx workflow.Context, id string, queued []queuedItem, total int, outputs []any) {
	s := p.steps[id]
	concurrency := p.in.MaxConcurrency
	if concurrency <= 0 {
		concurrency = DefaultMaxConcurrency
	}
	concurrency = min(concurrency, maxConcurrency)
	fixed := batchSize(len(queued), concurrency)
	tune := newTuner(p.tuning, len(queued), concurrency)
	p.steps[id].tuner = tune
	repeat := p.mayRepeat(ctx)
	asTasks := itemsAsTasks(ctx)
	wg := workflow.NewWaitGroup(ctx)
	for b, pos := 0, 0; pos < len(queued); b++ {
		// The window's wait and the slot come before the batch is sized: a tuned size follows the
		// batches that finished meanwhile (without tuning, the size is fixed and the wait never blocks).
		err := workflow.Await(ctx, tune.mayStart)
		if err == nil {
			err = p.sem.Acquire(ctx, 1)
		}
		size := tune.batchSize(len(queued)-pos, b, fixed)
		part := queued[pos:min(pos+size, len(queued))]
		pos += len(part)
		items := make([]api.BatchItem, 0, len(part))
		labels := map[int]string{}
		for _, q := range part {
			items = append(items, api.BatchItem{Task: p.task(id, q.n, q.args), Attempt: 1, Check: repeat})
			labels[q.n] = q.label
		}
		if err != nil {
			for _, it := range items {
				s.record(ItemResult{Item: it.Task.Context.Item, Label: labels[it.Task.Context.Item], State: StateFailed, Reason: fmt.Sprintf("canceled: %v", err)})
			}
			continue
		}
		if p.asker.aborted != "" { // the user aborted the program while this batch waited for a slot
			p.sem.Release(1)
			for _, it := range items {
				s.record(ItemResult{Item: it.Task.Context.Item, Label: labels[it.Task.Context.Item], State: StateSkipped, Reason: "not run: the program was " + p.asker.aborted})
			}
			continue
		}
		s.status.Running += len(items)
		tune.inFlight++ // now, so that the window's wait for the next batch counts this one
		wg.Add(1)
		workflow.Go(ctx, func(ctx workflow.Context) {
			defer wg.Done()
			p.runBatch(ctx, id, fmt.Sprintf("%s/batch-%d", id, b+1), items, labels, total, outputs, asTasks)
		})
	}
	wg.Wait(ctx)
}

// runBatch runs one batch, holding one unit of the semaphore, then runs its retryable failures again,
// after the step's backoff, until each item is done or out of attempts. With asTasks, an item that needs
// input runs again alone as a single task, which asks.
func (p *program) runBatch(ctx workflow.Context, id, batchID string, items []api.BatchItem, labels map[int]string, total int, outputs []any, asTasks bool) {
	cmd := p.plan.Command(id)
	step := p.plan.Step(id)
	policy := p.plan.RetryPolicy(id)
	wait := policy
	if !asTasks {
		wait = cmd.Retry // as older histories ran: the command's backoff, whatever the step said
	}
	activityID := batchID
	var unsettled []unsettledItem // items the batch cannot finish: they go on as single tasks
	defer func() {
		if p.handBack != nil { // a shard: the program settles them
			*p.handBack = append(*p.handBack, unsettled...)
			return
		}
		p.settleAlone(ctx, id, unsettled, outputs)
	}()
	tune := p.steps[id].tuner // runBatches counted this batch in flight
	for again := false; ; again = true {
		var res api.BatchResult
		opts := batchOptions(cmd, step, policy, activityID, cmd.BatchSummary(step.Description, len(items), items[0].Task.Parameters, items[len(items)-1].Task.Parameters), len(items))
		if tune.on {
			opts.StartToCloseTimeout = tune.itemTimeout(time.Duration(cmd.Timeout)) * time.Duration(len(items))
		}
		if again {
			tune.inFlight++
		}
		err := workflow.ExecuteActivity(workflow.WithActivityOptions(ctx, opts), api.RunBatch,
			api.BatchInput{Items: items, Mirror: p.events.on, Deps: p.plan.Deps(id)}).Get(ctx, &res)
		tune.inFlight--
		tune.observe(res.Items, err)
		p.sem.Release(1)
		p.events.handBack(res.Events) // what Kafka had not taken from the worker
		var retry []api.BatchItem
		for i, it := range items {
			var r api.BatchItemResult
			if err != nil || i >= len(res.Items) {
				typ, msg := describeError(err)
				if err == nil {
					typ, msg = "Error", "the batch returned no result for this item"
				}
				r = api.BatchItemResult{Result: catalog.TaskResult{TaskID: it.Task.TaskID, Status: catalog.StatusFailure, Error: &catalog.TaskError{Type: typ, Message: msg}, Attempt: it.Attempt}}
			} else {
				r = res.Items[i]
			}
			if !res.Published { // the worker has no Kafka: the workflow mirrors the item
				p.events.dispatch(ctx, it.Task, p.plan.Deps(id))
			}
			if asTasks && p.asker.on && r.Result.Error != nil && r.Result.Error.Type == catalog.ErrNeedsInput {
				unsettled = append(unsettled, unsettledItem{task: it.Task, label: labels[it.Task.Context.Item], needsInput: true})
				continue
			}
			if r.Retryable && (policy.MaximumAttempts <= 0 || it.Attempt < policy.MaximumAttempts) {
				retry = append(retry, api.BatchItem{Task: it.Task, Attempt: it.Attempt + 1, Check: true, LastError: r.Result.Error.Message})
				continue
			}
			if !res.Published {
				p.events.result(ctx, r.Result)
			}
			if r.Retryable && p.asker.on {
				unsettled = append(unsettled, unsettledItem{task: it.Task, label: labels[it.Task.Context.Item], result: r.Result})
				continue
			}
			p.recordBatchItem(id, it.Task.Context.Item, labels[it.Task.Context.Item], r, total, outputs)
		}
		if len(retry) == 0 {
			return
		}
		err = workflow.Sleep(ctx, backoff(wait, retry[0].Attempt-1))
		if err == nil {
			err = p.sem.Acquire(ctx, 1)
		}
		if err != nil { // canceled
			for _, it := range retry {
				canceled := catalog.TaskResult{TaskID: it.Task.TaskID, Status: catalog.StatusFailure, Error: &catalog.TaskError{Type: "Canceled", Message: "canceled"}, Attempt: it.Attempt - 1}
				p.recordBatchItem(id, it.Task.Context.Item, labels[it.Task.Context.Item], api.BatchItemResult{Result: canceled}, total, outputs)
			}
			return
		}
		items, activityID = retry, fmt.Sprintf("%s/attempt-%d", batchID, retry[0].Attempt)
	}
}

// recordBatchItem records an item's end in the step's results and counts.
func (p *program) recordBatchItem(id string, n int, label string, r api.BatchItemResult, total int, outputs []any) {
	s := p.steps[id]
	s.status.Attempts = max(s.status.Attempts, r.Result.Attempt)
	item := ItemResult{Item: n, Label: label, State: StateDone, Task: &r.Result}
	if r.Result.Status == catalog.StatusSuccess {
		setOutput(outputs, n, r.Result.Output)
		if total > detailedItems {
			item.Task = nil
		}
	} else {
		item.State, item.Reason = StateFailed, r.Result.Error.Message
		if r.Retryable {
			item.Reason += " (gave up after the last retry)"
		}
	}
	if item.Task == nil {
		s.status.Running-- // record counts down only the items that carry a task
	}
	s.record(item)
}

// task is the catalog.Task of item n (0 for a step without for_each) of step id.
func (p *program) task(id string, item int, args map[string]any) catalog.Task {
	taskID := id
	if item > 0 {
		taskID = fmt.Sprintf("%s_%d", id, item)
	}
	return catalog.Task{
		TaskID:     taskID,
		Command:    p.plan.Command(id).Name,
		Parameters: args,
		Context: catalog.TaskContext{
			WorkflowID:     p.workflowID,
			Step:           id,
			Item:           item,
			UserID:         p.in.UserID,
			IdempotencyKey: p.workflowID + "/" + taskID,
		},
		Priority: p.plan.Step(id).Priority,
		DryRun:   p.in.DryRun,
	}
}

// batchOptions are a batch's timeouts: an item's timeout per item, and the command's heartbeat timeout,
// which the batch's own heartbeats and the worker's keep-alive (worker.Heartbeats) meet between items, so
// that a dead worker is noticed as soon as with a single task. The retry
// policy covers the batch activity itself (a worker that died or timed out); items are retried by the
// workflow.
func batchOptions(cmd catalog.Command, step *plan.Step, policy catalog.RetryPolicy, activityID, summary string, n int) workflow.ActivityOptions {
	o := activityOptions(cmd, step, policy, activityID, summary)
	o.StartToCloseTimeout = time.Duration(cmd.Timeout) * time.Duration(n)
	return o
}

// backoff is a retry policy's wait before retry number retry (1 for the first retry), as Temporal computes
// it for a single task.
func backoff(r catalog.RetryPolicy, retry int32) time.Duration {
	d := float64(r.InitialInterval) * math.Pow(max(r.BackoffCoefficient, 1), float64(retry-1))
	if r.MaximumInterval > 0 {
		d = min(d, float64(r.MaximumInterval))
	}
	return time.Duration(d)
}

// unsettledItem is a batch item that the batch could not finish: it failed with an error a retry might
// fix, after all its attempts (result), or it needs input from the user (needsInput).
type unsettledItem struct {
	task       catalog.Task
	label      string
	result     catalog.TaskResult
	needsInput bool
}

// settleAlone takes each item a batch could not finish through the path of a single task, each in its
// own coroutine, so that their questions are open at once, and records how each ended. An item that gave
// up asks whether to retry it, skip it or abort (settle), as a single task that gave up asks; "retry" runs
// it again as a single task, with the item's idempotency key. An item that needs input runs again alone
// as a single task, which asks for it.
func (p *program) settleAlone(ctx workflow.Context, id string, items []unsettledItem, outputs []any) {
	s := p.steps[id]
	wg := workflow.NewWaitGroup(ctx)
	for _, u := range items {
		n := u.task.Context.Item
		wg.Add(1)
		workflow.Go(ctx, func(ctx workflow.Context) {
			defer wg.Done()
			// settle and runTaskAsking give the slot back while a question waits and expect it held.
			dctx, _ := workflow.NewDisconnectedContext(ctx)
			_ = p.sem.Acquire(dctx, 1)
			var item ItemResult
			if u.needsInput {
				item = p.runTaskAsking(ctx, id, n, u.label, u.task.Parameters)
			} else {
				res := u.result
				// An error of the type the item failed with, retryable: it gave up after its retries.
				err := temporal.NewApplicationError(res.Error.Message, res.Error.Type)
				item = p.settle(ctx, id, n, u.label, u.task.Parameters, ItemResult{Item: n, Label: u.label, State: StateFailed, Reason: res.Error.Message + " (gave up after the last retry)", Task: &res}, err, 1)
			}
			p.sem.Release(1)
			s.record(item)
			if item.State == StateDone {
				setOutput(outputs, n, item.Task.Output)
			}
		})
	}
	wg.Wait(ctx)
}

// setOutput keeps item n's output; a sharded step (nil outputs) keeps none.
func setOutput(outputs []any, n int, v any) {
	if outputs != nil {
		outputs[n-1] = v
	}
}
