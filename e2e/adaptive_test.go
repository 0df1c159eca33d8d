package e2e_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	commonpb "go.temporal.io/api/common/v1"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/converter"

	"github.com/eaapl/eaapl/workflows"
)

// TestAdaptiveForEach runs a for_each over 1,200 contacts, 20 at once, on the dev stack with adaptive
// tuning on (the default): each contact gets exactly one email, the history records the tuning version,
// and its batches are the tuner's (small probes first, then sized from their items' times), not the fixed
// 20 batches of 60. `-record` keeps the history for the replay tests.
func TestAdaptiveForEach(t *testing.T) {
	const n, concurrency, id = 1200, 20, "adaptive-for-each"
	s := newStack(t)
	st := s.worker(t, numberedContacts(t, n), nil)
	res, err := s.run(t, st, id, workflows.Input{Program: "Send 'Hi there' to all my contacts", MaxConcurrency: concurrency})
	if err != nil {
		t.Fatalf("program failed: %v", err)
	}
	if got, want := res.Summary, fmt.Sprintf("send: %d done, 0 skipped, 0 failed", n); got != want {
		t.Fatalf("summary = %q, want %q", got, want)
	}
	assertOneEmailEach(t, s.mailpit, n, numberedContact)

	var sizes []int
	marker := false
	it := s.temporal.Client().GetWorkflowHistory(context.Background(), id, "", false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	for it.HasNext() {
		e, err := it.Next()
		if err != nil {
			t.Fatal(err)
		}
		if a := e.GetMarkerRecordedEventAttributes(); a != nil && strings.Contains(a.String(), "adaptive-tuning") {
			marker = true
		}
		if a := e.GetActivityTaskScheduledEventAttributes(); a != nil && a.GetActivityType().GetName() == "RunBatch" {
			sizes = append(sizes, batchItems(t, a.GetInput()))
		}
	}
	if !marker {
		t.Error("the history has no adaptive-tuning version marker")
	}
	// The probes: 1,200 items over 4 × 20.
	for i, size := range sizes[:concurrency] {
		if size != 15 {
			t.Fatalf("batch %d has %d items, want the probe's 15 (%v)", i+1, size, sizes)
		}
	}
	if len(sizes) == concurrency {
		t.Errorf("%d batches, all probes: the rest was not sized from them (%v)", len(sizes), sizes)
	}
	t.Logf("batch sizes %v", sizes)
	s.recordHistory(t, id)
}

// batchItems reads the item count out of a batch activity's input.
func batchItems(t *testing.T, input *commonpb.Payloads) int {
	t.Helper()
	var in struct{ Items []json.RawMessage }
	if len(input.GetPayloads()) != 1 {
		t.Fatalf("batch input has %d payloads, want 1", len(input.GetPayloads()))
	}
	if err := converter.GetDefaultDataConverter().FromPayload(input.GetPayloads()[0], &in); err != nil {
		t.Fatalf("batch input: %v", err)
	}
	return len(in.Items)
}
