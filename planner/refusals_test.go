package planner

import (
	"context"
	"testing"
)

// TestPlanRefusalsSayWhatIsMissing: refusals of programs a person clearly meant, or nearly, say what is
// wrong with the part quoted, not a reason that would mislead ("say until when" after a day that is said).
func TestPlanRefusalsSayWhatIsMissing(t *testing.T) {
	tests := []struct{ program, part, why string }{
		{"Wait until Friday, then send 'Hi' to bob@example.com", "Friday", "say at what time, like wait until Friday at 9am"},
		{"Wait until 24 December, then send 'Hi' to bob@example.com", "24 December", "say at what time, like wait until 24 December at 9am"},
		{"Wait until later, then send 'Hi' to bob@example.com", "Wait until", "say until when"},
	}
	for _, tt := range tests {
		t.Run(tt.program, func(t *testing.T) {
			_, err := (&Rules{}).Plan(context.Background(), tt.program, now)
			assertRefused(t, err, tt.part, tt.why)
		})
	}
}

// TestPlanPoliteWordsAnywhereAStatementStartsOrEnds: "please" after "and" before the next statement's
// verb, and ", please" at the end of a question, add nothing: the plan is the one without them.
func TestPlanPoliteWordsAnywhereAStatementStartsOrEnds(t *testing.T) {
	for polite, plain := range map[string]string{
		"Please send 'Hi' to bob@example.com and please send 'Bye' to ann@example.com": "Send 'Hi' to bob@example.com and send 'Bye' to ann@example.com",
		"Send 'Hi' to bob@example.com and could you send 'Bye' to ann@example.com":     "Send 'Hi' to bob@example.com and send 'Bye' to ann@example.com",
		"How many of my contacts haven't I emailed this week, please?":                 "How many of my contacts haven't I emailed this week?",
		"Which of my contacts are at acme.com, please?":                                "Which of my contacts are at acme.com?",
	} {
		t.Run(polite, func(t *testing.T) {
			got, want := mustPlan(t, &Rules{}, polite, now), mustPlan(t, &Rules{}, plain, now)
			got.Program, want.Program = "", ""
			if g, w := planJSON(t, got), planJSON(t, want); g != w {
				t.Errorf("plan:\n%s\nwant the plan of %q:\n%s", g, plain, w)
			}
		})
	}
	_, err := (&Rules{}).Plan(context.Background(), "Send 'Hi' to bob@example.com and please", now)
	assertRefused(t, err, "and please", "")
}
