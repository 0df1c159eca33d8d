package activities

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"

	"github.com/eaapl/eaapl/activities/api"
	"github.com/eaapl/eaapl/bridge"
	"github.com/eaapl/eaapl/catalog"
	"github.com/eaapl/eaapl/internal/usage"
)

// Batches runs several tasks of one for_each step in one activity, RunBatch, so that a program over
// thousands of items makes a few hundred activities instead of thousands: a workflow history stays under
// Temporal's limits, and the per-activity cost (scheduling, polling, recording) is paid once per batch.
// Each item keeps its own result, retries and idempotency key.
type Batches struct {
	Commands *Commands
	Events   *bridge.Buffer // the worker's one publisher to Kafka; nil when the bridge is off
}

// The batch's input and output, shared with the workflow (activities/api).
type (
	BatchInput      = api.BatchInput
	BatchItem       = api.BatchItem
	BatchResult     = api.BatchResult
	BatchItemResult = api.BatchItemResult
)

// RunBatch runs a batch's tasks one after another and returns each one's result. A task's failure is its
// item's result, not the batch's: the workflow retries the retryable ones, by item, in a later batch.
//
// As it goes it heartbeats the results so far. If the worker dies, the batch's next attempt starts
// after the last item the heartbeats recorded and reuses their results. Idempotency: the Message-ID of an
// email is made from its task's idempotency key, and the mailbox is searched for it before sending only
// when an earlier attempt may have sent it: for items the workflow marks (Check) and, in a retried batch,
// for every item not in the heartbeats (one of them was in flight when the earlier attempt died, and
// heartbeats reach the server only every so often). A first attempt of a fresh item cannot have been
// sent, so it skips the search, which costs a request to the mailbox per email.
func (b *Batches) RunBatch(ctx context.Context, in BatchInput) (BatchResult, error) {
	if len(in.Items) == 0 {
		return BatchResult{}, nil
	}
	var done []BatchItemResult
	info := activity.GetInfo(ctx)
	retried := info.Attempt > 1
	if activity.HasHeartbeatDetails(ctx) { // an earlier attempt's progress
		retried = true
		if err := activity.GetHeartbeatDetails(ctx, &done); err != nil || len(done) > len(in.Items) {
			done = nil // start over: every item will be checked, so nothing is sent twice
		}
	}
	publish := in.Mirror && b.Events != nil
	var events *batchEvents
	if publish {
		events = newBatchEvents(b.Events)
	}
	wf := in.Items[0].Task.Context.WorkflowID // as the workflow's own events have it
	if publish {
		// The earlier attempt may have died before its events of these items got out: send them again,
		// with the same ids.
		for _, r := range done {
			events.add(bridge.ResultEvents(wf, r.Result, time.Now().UTC().Format(time.RFC3339Nano)))
		}
	}
	run, err := b.runner(in.Items[0].Task.Command)
	if err != nil {
		return BatchResult{}, err
	}
	defer run.close()
	meter := usage.Split(ctx) // each item is a task of its own, measured as one (nil without the worker's meter)
	beat := time.Now()
	for _, it := range in.Items[len(done):] {
		if err := ctx.Err(); err != nil {
			if events != nil {
				events.close(ctx)
			}
			return BatchResult{}, err // canceled or timed out: the heartbeats keep what is done
		}
		if publish {
			events.add(bridge.DispatchEvents(it.Task, in.Deps))
			if it.Attempt > 1 {
				events.add([]bridge.IDEvent{{
					ID:    bridge.EventID(wf, bridge.TopicTaskRetry, fmt.Sprintf("%s/%d", it.Task.TaskID, it.Attempt)),
					Value: bridge.TaskRetry{TaskDispatch: bridge.DispatchOf(it.Task), RetryCount: int(it.Attempt - 1), LastError: map[string]any{"message": it.LastError}},
				}})
			}
		}
		var span *usage.Span
		if meter != nil {
			span = meter.Start()
		}
		res := run.task(ctx, it, it.Check || retried)
		if span != nil {
			res.Result.Resources = span.Stop()
		}
		done = append(done, res)
		if publish {
			events.add(bridge.ResultEvents(wf, res.Result, time.Now().UTC().Format(time.RFC3339Nano)))
		}
		if time.Since(beat) >= batchHeartbeatEvery || len(done) == len(in.Items) {
			catalog.Heartbeat(ctx, done)
			beat = time.Now()
		}
	}
	out := BatchResult{Items: done, Published: publish}
	if events != nil {
		out.Events = events.close(ctx)
	}
	return out, nil
}

// batchHeartbeatEvery spaces a batch's heartbeats: each one encodes (and encrypts) every result so far,
// and the SDK sends the latest to the server only every 80% of the heartbeat timeout (8 s) anyway. Every
// 0.5 s this was a tenth of the worker's CPU at 10,000 contacts (bench -profile); 2 s stays under the
// keep-alive's 2.5 s (worker.Heartbeats), which would otherwise encode them again.
const batchHeartbeatEvery = 2 * time.Second

// batchEvents are a batch's events on their way to Kafka through the worker's Buffer: the items never
// wait for the broker, and at the batch's end the events it has not taken go back to the workflow.
type batchEvents struct {
	buf  *bridge.Buffer
	sent []*bridge.Receipt
}

// batchFlushTimeout bounds the wait, at a batch's end, for its events to reach Kafka; those that have not
// go back to the workflow, whose own publisher keeps trying.
const batchFlushTimeout = 10 * time.Second

func newBatchEvents(buf *bridge.Buffer) *batchEvents { return &batchEvents{buf: buf} }

func (e *batchEvents) add(events []bridge.IDEvent) {
	encoded := make([]bridge.Event, 0, len(events))
	for _, ev := range events {
		if ev, err := bridge.NewEvent(ev.ID, ev.Value); err == nil {
			encoded = append(encoded, ev)
		}
	}
	e.sent = append(e.sent, e.buf.Send(encoded...))
}

// close waits, up to batchFlushTimeout or the end of ctx, for the batch's events to be published, and
// takes back and returns those that were not.
func (e *batchEvents) close(ctx context.Context) []bridge.Event {
	ctx, cancel := context.WithTimeout(ctx, batchFlushTimeout)
	defer cancel()
	var late []bridge.Event
	for _, r := range e.sent {
		if ctx.Err() != nil || r.Wait(ctx) != nil {
			late = append(late, r.Withdraw()...)
		}
	}
	return late
}

// batchRunner runs a batch's items, one after another, each through its command's implementation, as a
// single task runs: over the command's batch session when it has one (SendEmail's SMTP connection).
type batchRunner struct {
	c     *Commands
	spec  *catalog.Spec
	deps  catalog.Deps
	close func()
}

func (b *Batches) runner(command string) (*batchRunner, error) {
	spec, ok := catalog.Get(command)
	if !ok {
		return nil, unknownCommand(command)
	}
	deps, end := spec.Session(b.Commands.Deps)
	return &batchRunner{c: b.Commands, spec: spec, deps: deps, close: end}, nil
}

// task runs one item and turns its error, if any, into the item's result.
func (r *batchRunner) task(ctx context.Context, it BatchItem, check bool) BatchItemResult {
	started := time.Now()
	res, err := r.spec.Run(ctx, r.deps, catalog.Call{Task: it.Task, WorkerID: r.c.WorkerID, Check: check, InBatch: true})
	res.Attempt = it.Attempt
	if err == nil {
		return BatchItemResult{Result: res}
	}
	typ, msg, retryable := "Error", err.Error(), true
	var appErr *temporal.ApplicationError
	if errors.As(err, &appErr) {
		typ, msg, retryable = appErr.Type(), appErr.Message(), !appErr.NonRetryable()
	}
	return BatchItemResult{
		Result: catalog.TaskResult{
			TaskID:        it.Task.TaskID,
			WorkerID:      r.c.WorkerID,
			Status:        catalog.StatusFailure,
			Error:         &catalog.TaskError{Type: typ, Message: msg},
			ExecutionTime: time.Since(started).Milliseconds(),
			Attempt:       it.Attempt,
		},
		Retryable: retryable,
	}
}
