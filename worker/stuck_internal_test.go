package worker

import (
	"context"
	"io"
	"log/slog"
	"testing"

	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/api/workflowservice/v1"
	"google.golang.org/grpc"
)

// TestTaskWatchQueuesARunOnItsLastAttempt: a polled workflow task under StuckTaskAttempts is left alone;
// one on it is queued to be ended, once, however often it comes back.
func TestTaskWatchQueuesARunOnItsLastAttempt(t *testing.T) {
	w := NewTaskWatch(0, nil, "w-1", slog.New(slog.NewTextHandler(io.Discard, nil)))
	poll := func(run string, attempt int32) {
		t.Helper()
		invoker := func(_ context.Context, _ string, _, reply any, _ *grpc.ClientConn, _ ...grpc.CallOption) error {
			r := reply.(*workflowservice.PollWorkflowTaskQueueResponse)
			r.Attempt = attempt
			r.WorkflowExecution = &commonpb.WorkflowExecution{WorkflowId: "p-" + run, RunId: run}
			r.WorkflowType = &commonpb.WorkflowType{Name: "Program"}
			return nil
		}
		if err := w.intercept(context.Background(), "/temporal.api.workflowservice.v1.WorkflowService/PollWorkflowTaskQueue",
			&workflowservice.PollWorkflowTaskQueueRequest{}, &workflowservice.PollWorkflowTaskQueueResponse{}, nil, invoker); err != nil {
			t.Fatal(err)
		}
	}
	for attempt := int32(1); attempt < StuckTaskAttempts; attempt++ {
		poll("r1", attempt)
	}
	if got := len(w.found); got != 0 {
		t.Fatalf("%d runs queued before the task's attempt %d, want none", got, StuckTaskAttempts)
	}
	poll("r1", StuckTaskAttempts)
	poll("r1", StuckTaskAttempts+1)
	poll("r2", StuckTaskAttempts+3)
	if got := len(w.found); got != 2 {
		t.Fatalf("%d runs queued, want 2 (r1 once, r2)", got)
	}
	if run := <-w.found; run.workflowID != "p-r1" || run.attempt != StuckTaskAttempts || run.workflowType != "Program" {
		t.Errorf("queued %+v, want p-r1 at attempt %d", run, StuckTaskAttempts)
	}
}
