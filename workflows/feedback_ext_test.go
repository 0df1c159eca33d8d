package workflows_test

import (
	"testing"

	"go.temporal.io/sdk/temporal"

	"github.com/eaapl/eaapl/catalog"
	"github.com/eaapl/eaapl/workflows"
)

func TestAFailedTaskCarriesItsLastAttemptsFeedback(t *testing.T) {
	// What a worker's Usage interceptor makes of a failed attempt: the error, with a failed TaskResult in
	// its details.
	feedback := catalog.TaskResult{WorkerID: "worker-7", Status: catalog.StatusFailure, ExecutionTime: 42, Attempt: 1,
		Resources: &catalog.ResourceUsage{CPUTimeMs: 2.5, AllocatedBytes: 8192, OverlappingTasks: 4}}
	// A single task (a for_each's items run in batches, whose results the batch measures itself).
	f := &fakeWorld{plan: johnPlan(t, "Hi"), contacts: twoJohns[:1],
		sendErr: map[string]error{"john.smith@example.com": temporal.NewApplicationErrorWithOptions("550 mailbox unavailable", catalog.ErrInvalidArgument,
			temporal.ApplicationErrorOptions{NonRetryable: true, Details: []any{feedback}})}}
	env := f.env(t)
	env.ExecuteWorkflow(workflows.WorkflowType, workflows.Input{Program: f.plan.Program})
	var got *catalog.TaskResult
	for _, it := range itemsOf(t, failedResult(t, env.GetWorkflowError()), "send") {
		got = it.Task
	}
	if got == nil || got.Status != catalog.StatusFailure || got.Error == nil || got.Error.Message != "550 mailbox unavailable" {
		t.Fatalf("the send's task = %+v, want the failure with its error", got)
	}
	if got.WorkerID != "worker-7" || got.Attempt != 1 || got.ExecutionTime != 42 || got.Resources == nil || *got.Resources != *feedback.Resources {
		t.Fatalf("the send's task = %+v (resources %+v), want the feedback %+v", got, got.Resources, feedback)
	}
}
