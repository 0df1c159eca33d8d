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
