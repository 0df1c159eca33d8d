package workflows

import (
	"fmt"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/eaapl/eaapl/activities/api"
	"github.com/eaapl/eaapl/bridge"
)

// The program's events go to Kafka through the bridge activity, in batches: a single publisher coroutine
// sends, in one activity call, every event produced while its previous call was in flight. So events
// keep their order, and a program with thousands of tasks makes few activity calls, not one per event.

// BacklogWorkflowType publishes the events a program could not publish before it ended.
const BacklogWorkflowType = "PublishEventBacklog"

// versionKafkaBridge marks histories recorded after the bridge: older ones replay without it.
const versionKafkaBridge = "kafka-bridge"

// DefaultEventsTimeout is how long a program waits, at its end, for its events to reach Kafka.
const DefaultEventsTimeout = 30 * time.Second

// maxBatch and maxBatchBytes keep one activity call's events well under Temporal's limits on a command
// (2 MiB) and on a workflow task (4 MiB), whatever the tasks' parameters hold; an event larger than
// maxEventBytes (a task whose parameters hold a long text) is dropped with a warning, since no batch
// could carry it and Kafka's default record limit (1 MB) would refuse it anyway.
const (
	maxBatch      = 500
	maxBatchBytes = 512 << 10
	maxEventBytes = 256 << 10
)

// versionMirrorBounds marks histories whose mirror bounds its batches by bytes too: it is asked only when
// the bytes decide (a batch cut shorter, an event dropped), so a history from before replays as it ran.
const versionMirrorBounds = "mirror-bounds"

var publishOptions = workflow.ActivityOptions{
	StartToCloseTimeout: 30 * time.Second,
	RetryPolicy: &temporal.RetryPolicy{
		InitialInterval:    time.Second,
		BackoffCoefficient: 2,
		MaximumInterval:    10 * time.Second,
		MaximumAttempts:    0, // until the broker is back: events are never dropped
	},
	Summary: "Mirror events to Kafka",
}

// mirror buffers a program's events and publishes them.
type mirror struct {
	on       bool
	pending  []bridge.Event
	inFlight []bridge.Event
	closed   bool
}

// start turns the mirror on and starts its publisher.
func (m *mirror) start(ctx workflow.Context) {
	m.on = true
	workflow.Go(ctx, m.run)
}

// handBack queues events that the worker could not publish (a batch's), to go out with the program's own.
func (m *mirror) handBack(events []bridge.Event) {
	if m.on {
		m.pending = append(m.pending, events...)
	}
}

// emit queues an event. id is deterministic, so a replay or a retried publish yields the same id.
func (m *mirror) emit(ctx workflow.Context, id string, v bridge.Value) {
	if !m.on {
		return
	}
	ev, err := bridge.NewEvent(id, v)
	if err != nil {
		workflow.GetLogger(ctx).Warn("Dropped an event that cannot be encoded", "event", id, "error", err)
		return
	}
	if len(ev.Value) > maxEventBytes && workflow.GetVersion(ctx, versionMirrorBounds, workflow.DefaultVersion, 1) >= 1 {
		workflow.GetLogger(ctx).Warn("Dropped an event too large to mirror", "event", id, "bytes", len(ev.Value), "limit", maxEventBytes)
		return
	}
	m.pending = append(m.pending, ev)
}

// run publishes queued events until the mirror is closed and empty.
func (m *mirror) run(ctx workflow.Context) {
	ctx = workflow.WithActivityOptions(ctx, publishOptions)
	for {
		if err := workflow.Await(ctx, func() bool { return len(m.pending) > 0 || m.closed }); err != nil {
			return
		}
		if len(m.pending) == 0 {
			return
		}
		n := batchLength(ctx, m.pending)
		m.inFlight, m.pending = m.pending[:n:n], m.pending[n:]
		if err := workflow.ExecuteActivity(ctx, api.PublishEvents, m.inFlight).Get(ctx, nil); err != nil {
			// Only cancellation ends an activity that retries forever; keep the events for the backlog.
			m.pending = append(m.inFlight, m.pending...)
			m.inFlight = nil
			return
		}
		m.inFlight = nil
	}
}

// batchLength is how many of the pending events the next call publishes: at most maxBatch, and (since
// versionMirrorBounds) at most maxBatchBytes of values, but at least one.
func batchLength(ctx workflow.Context, pending []bridge.Event) int {
	n := min(len(pending), maxBatch)
	size := 0
	for i, ev := range pending[:n] {
		if size += len(ev.Value); size > maxBatchBytes && i > 0 {
			if workflow.GetVersion(ctx, versionMirrorBounds, workflow.DefaultVersion, 1) >= 1 {
				return i
			}
			break
		}
	}
	return n
}

// drain waits up to timeout for every event to be published, and returns those that were not.
func (m *mirror) drain(ctx workflow.Context, timeout time.Duration) []bridge.Event {
	if !m.on {
		return nil
	}
	m.closed = true
	wait := workflow.AwaitOptions{Timeout: timeout, TimerOptions: workflow.TimerOptions{Summary: "Waiting for the program's last events to reach Kafka"}}
	done, err := workflow.AwaitWithOptions(ctx, wait, func() bool { return len(m.pending) == 0 && m.inFlight == nil })
	if done && err == nil {
		return nil
	}
	return append(append([]bridge.Event{}, m.inFlight...), m.pending...)
}

// flush waits up to timeout for the program's events to reach Kafka; what has not by then is handed to a
// backlog workflow, and system.alerts says the events are late.
func (e *eventSink) flush(ctx workflow.Context, timeout time.Duration) {
	late := e.drain(ctx, timeout)
	if len(late) == 0 {
		return
	}
	e.on, e.pending = true, nil // the alert goes with the late events
	e.alert(ctx, "events-late", "MEDIUM", fmt.Sprintf("Kafka did not take %d events of program %s within %s; they follow when the broker is back", len(late), e.workflowID, timeout), false)
	handOver(ctx, e.workflowID, append(late, e.pending...))
}

// handOver starts a backlog workflow that publishes late events after the program has ended. It outlives
// the program (ParentClosePolicy ABANDON); the events carry their ids, so a batch that the program's own
// publisher also got through is recognisable.
func handOver(ctx workflow.Context, workflowID string, late []bridge.Event) {
	opts := workflow.ChildWorkflowOptions{
		WorkflowID:        workflowID + "/events",
		ParentClosePolicy: enumspb.PARENT_CLOSE_POLICY_ABANDON,
		StaticSummary:     "Events of " + workflowID + " that Kafka had not taken when it ended",
	}
	child := workflow.ExecuteChildWorkflow(workflow.WithChildOptions(ctx, opts), BacklogWorkflowType, late)
	if err := child.GetChildWorkflowExecution().Get(ctx, nil); err != nil {
		workflow.GetLogger(ctx).Error("Could not hand the late events over", "events", len(late), "error", err)
	}
}

// PublishEventBacklog publishes a program's late events, retrying until Kafka takes them.
func PublishEventBacklog(ctx workflow.Context, events []bridge.Event) error {
	m := &mirror{on: true, pending: events, closed: true}
	m.run(ctx)
	if len(m.pending) > 0 {
		return temporal.NewCanceledError("canceled with events left")
	}
	return nil
}
