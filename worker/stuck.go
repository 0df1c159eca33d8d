package worker

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	commonpb "go.temporal.io/api/common/v1"
	enumspb "go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
	"google.golang.org/grpc"

	"github.com/eaapl/eaapl/bridge"
)

// A workflow task that fails for a reason the worker's panic policy does not see (its completion is
// too large for gRPC, the server refuses a command, a payload cannot be encoded) is retried by Temporal
// for ever, and the program looks like it runs while it does nothing. Server 1.29 has no setting that
// ends such a run, and the SDK does not tell workflow code its task's attempt, so the worker watches the
// tasks it polls: a task that comes back StuckTaskAttempts times ends its run, terminated with the
// cause as the reason, and says so on system.alerts and security.events.

// StuckTaskAttempts is the attempt of a workflow task at which the worker gives up on its run. A worker
// that dies during a task costs one attempt; five in a row is no longer a crash. The SDK reports only a
// task's first failure and lets the later attempts time out (10 s each, and from the fourth the server
// adds 5 s, 10 s, 20 s ...), so the fifth attempt comes about 40 seconds after the first.
const StuckTaskAttempts = 5

// stuckQueue bounds the runs waiting to be ended; more at once are seen again on their next attempt.
const stuckQueue = 64

// TaskWatch finds the workflow tasks that keep failing in what the worker polls, and ends their runs.
type TaskWatch struct {
	attempts  int32
	failures  converter.FailureConverter
	events    *bridge.Buffer // nil: no events
	workerID  string
	logger    *slog.Logger
	found     chan stuckRun
	mu        sync.Mutex
	handled   map[string]bool // run IDs ended or being ended
	namespace string
}

// stuckRun is a run whose workflow task came back once too often.
type stuckRun struct {
	workflowID, runID, workflowType string
	attempt                         int32
}

// NewTaskWatch returns a watch that gives up on a run at its task's attempt attempts (StuckTaskAttempts
// when 0), and reports on events (nil: only in the log).
func NewTaskWatch(attempts int32, events *bridge.Buffer, workerID string, logger *slog.Logger) *TaskWatch {
	if attempts <= 0 {
		attempts = StuckTaskAttempts
	}
	return &TaskWatch{attempts: attempts, events: events, workerID: workerID, logger: logger,
		found: make(chan stuckRun, stuckQueue), handled: map[string]bool{}, namespace: "default"}
}

// ClientOptions adds the watch to the options of the worker's client, which it reads the polled tasks
// from; the options' failure converter (set before, so that it decrypts) reads the recorded failures.
func (w *TaskWatch) ClientOptions(opts *client.Options) {
	w.namespace = cmp.Or(opts.Namespace, w.namespace)
	w.failures = opts.FailureConverter
	opts.ConnectionOptions.DialOptions = append(opts.ConnectionOptions.DialOptions, grpc.WithChainUnaryInterceptor(w.intercept))
}

// intercept sees each polled workflow task; one on its last allowed attempt is queued to be ended.
func (w *TaskWatch) intercept(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
	err := invoker(ctx, method, req, reply, cc, opts...)
	task, ok := reply.(*workflowservice.PollWorkflowTaskQueueResponse)
	if err != nil || !ok || task.GetAttempt() < w.attempts || task.GetWorkflowExecution() == nil {
		return err
	}
	run := stuckRun{workflowID: task.GetWorkflowExecution().GetWorkflowId(), runID: task.GetWorkflowExecution().GetRunId(),
		workflowType: task.GetWorkflowType().GetName(), attempt: task.GetAttempt()}
	w.mu.Lock()
	seen := w.handled[run.runID]
	if !seen {
		select {
		case w.found <- run:
			w.handled[run.runID] = true
		default: // full: the task comes back, and is seen again then
		}
	}
	w.mu.Unlock()
	return err
}

// Run ends the runs found, with c, until ctx ends.
func (w *TaskWatch) Run(ctx context.Context, c client.Client) {
	for {
		select {
		case <-ctx.Done():
			return
		case run := <-w.found:
			endCtx, cancel := context.WithTimeout(ctx, 30*time.Second)
			if err := w.end(endCtx, c, run); err != nil {
				w.logger.Error("Could not end a program whose workflow task keeps failing", "workflow_id", run.workflowID, "run_id", run.runID, "error", err)
				w.mu.Lock()
				delete(w.handled, run.runID) // tried again on its next attempt
				w.mu.Unlock()
			}
			cancel()
		}
	}
}

// end terminates a run whose workflow task keeps failing, with the last recorded cause as the reason.
func (w *TaskWatch) end(ctx context.Context, c client.Client, run stuckRun) error {
	cause, message := w.lastFailure(ctx, c, run)
	reason := fmt.Sprintf("its workflow task failed %d times in a row", run.attempt-1)
	if cause != enumspb.WORKFLOW_TASK_FAILED_CAUSE_UNSPECIFIED {
		reason += ", the last recorded failure: " + causeText(cause)
	}
	if message != "" {
		reason += ": " + excerpt(message, 300)
	}
	reason += "; the worker ended it, since retrying cannot help"
	err := c.TerminateWorkflow(ctx, run.workflowID, run.runID, reason)
	var notFound *serviceerror.NotFound
	if errors.As(err, &notFound) {
		return nil // it ended meanwhile
	}
	if err != nil {
		return err
	}
	w.logger.Error("Ended a program whose workflow task keeps failing", "workflow_id", run.workflowID, "run_id", run.runID, "attempt", run.attempt, "reason", reason)
	w.publish(run, reason)
	return nil
}

// lastFailure is the cause and message of the run's last recorded workflow task failure (Temporal
// records the first failure of a series, then only counts the attempts), or nothing when none is.
func (w *TaskWatch) lastFailure(ctx context.Context, c client.Client, run stuckRun) (enumspb.WorkflowTaskFailedCause, string) {
	var token []byte
	for range 20 { // at most 20 pages of 100 events, newest first
		resp, err := c.WorkflowService().GetWorkflowExecutionHistoryReverse(ctx, &workflowservice.GetWorkflowExecutionHistoryReverseRequest{
			Namespace:       w.namespace,
			Execution:       &commonpb.WorkflowExecution{WorkflowId: run.workflowID, RunId: run.runID},
			MaximumPageSize: 100,
			NextPageToken:   token,
		})
		if err != nil {
			return enumspb.WORKFLOW_TASK_FAILED_CAUSE_UNSPECIFIED, ""
		}
		for _, ev := range resp.GetHistory().GetEvents() {
			if ev.GetEventType() == enumspb.EVENT_TYPE_WORKFLOW_TASK_FAILED {
				return failureOf(ev, w.failures)
			}
		}
		if token = resp.GetNextPageToken(); len(token) == 0 {
			break
		}
	}
	return enumspb.WORKFLOW_TASK_FAILED_CAUSE_UNSPECIFIED, ""
}

func failureOf(ev *historypb.HistoryEvent, failures converter.FailureConverter) (enumspb.WorkflowTaskFailedCause, string) {
	attrs := ev.GetWorkflowTaskFailedEventAttributes()
	if attrs.GetFailure() == nil || failures == nil {
		return attrs.GetCause(), attrs.GetFailure().GetMessage()
	}
	return attrs.GetCause(), failures.FailureToError(attrs.GetFailure()).Error()
}

// causeText is a cause as people read it: "GRPC_MESSAGE_TOO_LARGE".
func causeText(c enumspb.WorkflowTaskFailedCause) string {
	name, ok := enumspb.WorkflowTaskFailedCause_name[int32(c)]
	if !ok {
		return c.String()
	}
	return strings.TrimPrefix(name, "WORKFLOW_TASK_FAILED_CAUSE_")
}

// publish says on system.alerts and security.events that the worker ended a run.
func (w *TaskWatch) publish(run stuckRun, reason string) {
	if w.events == nil {
		return
	}
	now := time.Now().UTC().Format(time.RFC3339Nano)
	message := fmt.Sprintf("program %s (run %s, %s) terminated by worker %s: %s", run.workflowID, run.runID, run.workflowType, w.workerID, reason)
	alertID := bridge.EventID(run.workflowID, bridge.TopicSystemAlerts, "stuck/"+run.runID)
	securityID := bridge.EventID(run.workflowID, bridge.TopicSecurityEvents, "stuck/"+run.runID)
	for _, v := range []struct {
		id    string
		value bridge.Value
	}{
		{alertID, bridge.SystemAlert{AlertID: alertID, Timestamp: now, Severity: "HIGH", Message: message, AffectedComponents: []string{"workflow", run.workflowID}, ActionRequired: true}},
		{securityID, bridge.SecurityEvent{EventID: securityID, Timestamp: now, EventType: EventStuckTerminated, WorkerID: w.workerID, Description: message, Severity: "HIGH"}},
	} {
		if ev, err := bridge.NewEvent(v.id, v.value); err == nil {
			w.events.Send(ev)
		}
	}
}

// EventStuckTerminated is the security.events type of a program the worker ended because its workflow
// task kept failing.
const EventStuckTerminated = "program_terminated"

// excerpt is at most n bytes of s, marked when cut.
func excerpt(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
