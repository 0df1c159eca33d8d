package planner

import (
	"context"
	"errors"
	"strings"
	"testing"
)

// TestCombinedStatementsPlanValidOrAreRefused plans every pair of statements with four separators: each
// program must give a plan (which Plan validates) or a NotUnderstoodError or a plain error, never a panic
// or an invalid plan.
func TestCombinedStatementsPlanValidOrAreRefused(t *testing.T) {
	statements := []string{
		"send 'Hi' to bob@example.com",
		"send 'Hi {first name}' to each of my contacts",
		"send it again",
		"send her 'Bye'",
		"send 'Hi' to them",
		"email my contacts at acme.com except Dave saying 'Hi'",
		"wait 10 minutes",
		"wait until tomorrow at 9am",
		"tomorrow at 8am send 'Morning' to ann@example.com",
		"if he doesn't reply within a day, send it again",
		"if I haven't emailed carol@example.com this week, send her 'Hi'",
		"how many of my contacts haven't I emailed this week?",
		"list my contacts whose name starts with A",
		"send 'Hi' to the first 2 of my contacts who I emailed last month",
		"send 'Hi' to my contact Ann on Friday at 9",
		"for each of my contacts, if I haven't emailed them today, send them an email saying 'Hi {name}'",
	}
	separators := []string{". ", " and then ", "\n", " and "}
	planned, refused := 0, 0
	for _, a := range statements {
		for _, b := range statements {
			for _, sep := range separators {
				program := strings.ToUpper(a[:1]) + a[1:] + sep + b
				p, err := (&Rules{}).Plan(context.Background(), program, now)
				var nu *NotUnderstoodError
				switch {
				case err == nil && p != nil:
					planned++
				case errors.As(err, &nu):
					refused++
				case err != nil && strings.Contains(err.Error(), "does not validate"):
					t.Errorf("%q: %v", program, err)
				case err != nil:
					refused++
				}
			}
		}
	}
	if planned < 250 {
		t.Errorf("only %d of the %d programs planned; the combinations should mostly work", planned, planned+refused)
	}
}
