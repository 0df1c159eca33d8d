package e2e_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	enumspb "go.temporal.io/api/enums/v1"

	"github.com/eaapl/eaapl/internal/testenv"
	"github.com/eaapl/eaapl/workflows"
)

// TestLargeForEach runs a for_each over 300 contacts: its items run in batches, each contact gets
// exactly one email, and the history stays a small fraction of one activity per contact.
func TestLargeForEach(t *testing.T) {
	const n, concurrency = 300, 20
	s := newStack(t)
	var csv strings.Builder
	csv.WriteString("name,email\n")
	for i := range n {
		fmt.Fprintf(&csv, "Contact %d,contact-%03d@example.com\n", i+1, i+1)
	}
	st := s.worker(t, testenv.WriteFile(t, "contacts.csv", csv.String()), nil)
	res, err := s.run(t, st, "large-for-each", workflows.Input{Program: "Send 'Hi there' to all my contacts", MaxConcurrency: concurrency})
	if err != nil {
		t.Fatalf("program failed: %v", err)
	}
	if got, want := res.Summary, fmt.Sprintf("send: %d done, 0 skipped, 0 failed", n); got != want {
		t.Fatalf("summary = %q, want %q", got, want)
	}

	t.Run("EachContactGotExactlyOneEmail", func(t *testing.T) {
		got := map[string]int{}
		ids := map[string]bool{}
		for _, m := range testenv.Messages(t, s.mailpit, "") {
			for _, to := range m.To {
				got[to]++
			}
			if ids[m.MessageID] {
				t.Errorf("Message-ID %s twice", m.MessageID)
			}
			ids[m.MessageID] = true
		}
		for i := range n {
			if addr := fmt.Sprintf("contact-%03d@example.com", i+1); got[addr] != 1 {
				t.Errorf("%s got %d emails, want 1", addr, got[addr])
			}
		}
		if len(ids) != n {
			t.Errorf("Mailpit holds %d emails, want %d", len(ids), n)
		}
	})

	t.Run("EachItemHasItsOwnResult", func(t *testing.T) {
		for _, it := range res.Steps[len(res.Steps)-1].Items {
			if it.State != workflows.StateDone || it.Task == nil || it.Task.Output["message_id"] == nil || it.Task.Output["recipient"] != it.Label {
				t.Fatalf("item %d: %+v, want done with its own recipient and Message-ID", it.Item, it)
			}
		}
	})

	t.Run("TheHistoryHoldsBatchesNotOneActivityPerContact", func(t *testing.T) {
		events, batches := 0, 0
		it := s.temporal.Client().GetWorkflowHistory(context.Background(), "large-for-each", "", false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
		for it.HasNext() {
			e, err := it.Next()
			if err != nil {
				t.Fatal(err)
			}
			events++
			if a := e.GetActivityTaskScheduledEventAttributes(); a != nil && a.GetActivityType().GetName() == "RunBatch" {
				batches++
			}
		}
		if got, want := batches, concurrency; got != want {
			t.Errorf("%d RunBatch activities, want %d: %d contacts over %d at once", got, want, n, concurrency)
		}
		// One activity per contact would take at least 3 events each.
		if events > n {
			t.Errorf("%d history events for %d contacts, want fewer than one per contact", events, n)
		}
		t.Logf("%d history events, %d batches", events, batches)
	})
}
