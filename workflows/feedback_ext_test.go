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
	f := &fakeWorld{plan: helloPlan(t), contacts: contacts("alice@example.com", "carol@example.com"), emailed: []any{},
		sendErr: map[string]error{"carol@example.com": temporal.NewApplicationErrorWithOptions("550 mailbox unavailable", catalog.ErrInvalidArgument,
			temporal.ApplicationErrorOptions{NonRetryable: true, Details: []any{feedback}})}}
	env := f.env(t)
	env.ExecuteWorkflow(workflows.WorkflowType, workflows.Input{Program: f.plan.Program})
	carol := itemsOf(t, failedResult(t, env.GetWorkflowError()), "send")["carol@example.com"]
	got := carol.Task
	if got == nil || got.Status != catalog.StatusFailure || got.Error == nil || got.Error.Message != "550 mailbox unavailable" {
		t.Fatalf("carol's task = %+v, want the failure with its error", got)
	}
	if got.WorkerID != "worker-7" || got.Attempt != 1 || got.ExecutionTime != 42 || got.Resources == nil || *got.Resources != *feedback.Resources {
		t.Fatalf("carol's task = %+v (resources %+v), want the feedback %+v", got, got.Resources, feedback)
	}
}
