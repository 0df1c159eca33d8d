package starter

import (
	"testing"

	"go.temporal.io/sdk/converter"

	"github.com/eaapl/eaapl/activities"
	"github.com/eaapl/eaapl/catalog"
	"github.com/eaapl/eaapl/workflows"
)

// TestProgressCountsWhatBatchesReported decodes a batch's heartbeat as RunBatch records it and adds it to a
// status whose step the workflow still counts as all running.
func TestProgressCountsWhatBatchesReported(t *testing.T) {
	beat := []activities.BatchItemResult{
		{Result: catalog.TaskResult{Status: catalog.StatusSuccess}},
		{Result: catalog.TaskResult{Status: catalog.StatusSuccess}},
		{Result: catalog.TaskResult{Status: catalog.StatusFailure}, Retryable: true}, // tried again later
		{Result: catalog.TaskResult{Status: catalog.StatusFailure}},
	}
	dc := converter.GetDefaultDataConverter()
	payloads, err := dc.ToPayloads(beat)
	if err != nil {
		t.Fatal(err)
	}
	r, err := reportedBy(dc, payloads)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := r, (Reported{Done: 2, Failed: 1}); got != want {
		t.Fatalf("reported %+v, want %+v", got, want)
	}
	if step, ok := batchStep("send/batch-3/attempt-2"); !ok || step != "send" {
		t.Errorf("batchStep = %q, %v; want send", step, ok)
	}
	st := workflows.Status{Steps: []workflows.StepStatus{
		{ID: "contacts", State: workflows.StateDone, Total: 1, Done: 1},
		{ID: "send", Command: "SendEmail", State: workflows.StateRunning, Total: 10000, Running: 10000},
	}}
	got := WithReported(st, map[string]Reported{"send": {Done: 7000, Failed: 3}})
	if s := got.Steps[1]; s.Done != 7000 || s.Failed != 3 || s.Running != 2997 {
		t.Errorf("send = %+v, want 7000 done, 3 failed, 2997 running", s)
	}
	if st.Steps[1].Done != 0 {
		t.Errorf("WithReported changed the status it was given")
	}
	if got, want := stepCounts(got.Steps[1]), "running: 7000/10000 done, 2997 running, 3 failed"; got != want {
		t.Errorf("progress line %q, want %q", got, want)
	}
}
