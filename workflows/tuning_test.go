package workflows_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/eaapl/eaapl/activities/api"
	"github.com/eaapl/eaapl/workflows"
)

// TestAdaptiveTuning runs a for_each over 2,000 contacts, 20 at once, with and without adaptive tuning: a
// tuned step probes with small batches, then sizes the rest from their items' times (1 ms each here, so
// the largest batches) with a start-to-close from their p99; untuned, every batch has the fixed size and
// the command's timeout.
func TestAdaptiveTuning(t *testing.T) {
	var emails []string
	for i := range 2000 {
		emails = append(emails, fmt.Sprintf("c%04d@example.com", i))
	}
	run := func(t *testing.T, tuning *api.Tuning) *fakeWorld {
		f := &fakeWorld{plan: helloPlan(t), contacts: contacts(emails...), emailed: []any{}, tuning: tuning}
		env := f.env(t)
		env.ExecuteWorkflow(workflows.WorkflowType, workflows.Input{Program: f.plan.Program, MaxConcurrency: 20})
		res := completed(t, env)
		if got, want := res.Summary, "send: 2000 done, 0 skipped, 0 failed"; got != want {
			t.Errorf("summary = %q, want %q", got, want)
		}
		if got := len(f.sentTo()); got != 2000 || len(f.sent) != 2000 {
			t.Errorf("sent %d emails to %d contacts, want one to each of 2000", len(f.sent), got)
		}
		return f
	}
	sizes := func(f *fakeWorld) []int {
		var out []int
		for _, b := range f.batches {
			out = append(out, len(b.Items))
		}
		return out
	}

	t.Run("TunedProbesThenSizesFromTheItemsTimes", func(t *testing.T) {
		f := run(t, &api.Tuning{Adaptive: true, BatchSeconds: 1})
		got := sizes(f)
		for i, n := range got[:20] {
			if n != 25 {
				t.Fatalf("batch %d has %d items, want 25: the first wave probes with a quarter of the items (%v)", i+1, n, got)
			}
		}
		biggest, floored := 0, 0
		for i, n := range got {
			biggest = max(biggest, n)
			if n == 500 && f.timeouts[i].Round(time.Second) == 500*5*time.Second {
				floored++
			}
		}
		// 1 s at 1 ms an item is 1,000 items, over the cap of 500.
		if biggest != 500 {
			t.Errorf("largest batch %d items, want 500 (%v)", biggest, got)
		}
		// Those sized once 50 items were seen have 500 × the 5 s floor (their items' p99 is 1 ms); the
		// first may come after one probe only, and keep the command's timeout.
		if floored == 0 {
			t.Errorf("no 500-item batch has a start-to-close of 500 × the 5 s floor: %v", f.timeouts)
		}
		if len(got) > 30 {
			t.Errorf("%d batches, want fewer than 30 (%v)", len(got), got)
		}
	})

	t.Run("OffKeepsTheFixedSizes", func(t *testing.T) {
		for _, tuning := range []*api.Tuning{nil, {Adaptive: false, BatchSeconds: 1}} {
			f := run(t, tuning)
			got := sizes(f)
			if len(got) != 20 {
				t.Fatalf("%d batches, want 20 of 100 (%v)", len(got), got)
			}
			for i, n := range got {
				if n != 100 {
					t.Fatalf("batch %d has %d items, want the fixed 100", i+1, n)
				}
				if d := f.timeouts[i]; d < 100*time.Duration(10*time.Second) {
					t.Errorf("batch %d's start-to-close is %v, want the command's timeout × 100", i+1, d)
				}
			}
		}
	})
}
