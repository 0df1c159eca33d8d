package planner

import (
	"context"
	"strings"
	"testing"
	"time"
)

// FuzzPlan: any text gives a plan (which Plan validates) or an error, quickly, and never a panic.
func FuzzPlan(f *testing.F) {
	for _, form := range AllForms() {
		f.Add(form.Example)
	}
	f.Add("Send 'Hi' to my contact Ann on Friday at 9. If she doesn't reply within a day, send it again")
	f.Add("List my contacts at acme.com and call them the acme people. Send 'Hi {first name}' to the acme people")
	f.Fuzz(func(t *testing.T, program string) {
		start := time.Now()
		p, err := (&Rules{}).Plan(context.Background(), program, now)
		if err == nil && p == nil {
			t.Fatalf("%q: no plan and no error", program)
		}
		if err != nil && strings.Contains(err.Error(), "does not validate") {
			t.Fatalf("%q: %v", program, err)
		}
		if d := time.Since(start); d > 2*time.Second {
			t.Fatalf("%q took %s", program, d)
		}
	})
}

// TestLongProgramsPlanQuickly: the longest programs the planner reads, of the words that make the parser
// look furthest ahead, still plan or fail in well under a second.
func TestLongProgramsPlanQuickly(t *testing.T) {
	for _, unit := range []string{"and ", "my contact ", "send ", "to my contacts at acme.com except ", "if ", "then ", "'x' "} {
		program := strings.Repeat(unit, maxTokens/len(strings.Fields(unit)))
		start := time.Now()
		(&Rules{}).Plan(context.Background(), program, now)
		if d := time.Since(start); d > time.Second {
			t.Errorf("%d words of %q took %s", len(strings.Fields(program)), unit, d)
		}
	}
}
