package planner

import (
	"context"
	"testing"
)

// TestPlanWaitsOfSeveralParts: a duration may be written in parts, from the largest unit down ("1 day 2
// hours", "1 hour and 30 minutes"); the wait is their sum.
func TestPlanWaitsOfSeveralParts(t *testing.T) {
	for program, want := range map[string]string{
		"Wait 1 day 2 hours, then send 'Hi' to bob@example.com":                     "26h0m0s",
		"Wait 1 hour and 30 minutes, then send 'Hi' to bob@example.com":             "1h30m0s",
		"Wait 2 hours, 15 minutes, then send 'Hi' to bob@example.com":               "2h15m0s",
		"Send 'Hi' to bob@example.com in 1 hour and 30 minutes":                     "1h30m0s",
		"In 2 days, 3 hours and 5 minutes send 'Hi' to bob@example.com":             "51h5m0s",
		"Wait 2 hours and a half and 10 minutes, then send 'Hi' to bob@example.com": "2h40m0s",
		"Wait 10 minutes and send 'Hi' to bob@example.com":                          "10m0s", // "and" before a verb still starts the next statement
	} {
		t.Run(program, func(t *testing.T) {
			p := mustPlan(t, &Rules{}, program, now)
			assertValid(t, p)
			w, ok := p.Step("wait")
			if !ok || w.Wait == nil || w.Wait.For != want {
				t.Fatalf("wait = %+v, want a wait for %s", w, want)
			}
			if last := p.Steps[len(p.Steps)-1]; last.Command != "SendEmail" || len(last.DependsOn) == 0 {
				t.Errorf("last step = %+v, want the email, after the wait", last)
			}
		})
	}
}

// TestPlanRefusesNumbersOutOfRange: a number too large to read, a fraction or 0 where a whole number is
// expected is refused saying the range, not "say how long" or "say whom to email"; so are parts of a
// duration out of order and a sum over 366 days.
func TestPlanRefusesNumbersOutOfRange(t *testing.T) {
	tests := []struct{ program, part, why string }{
		{"Wait 99999999999999999999 minutes, then send 'Hi' to bob@example.com", "99999999999999999999 minutes", "a wait must be from 1 second to 366 days"},
		{"Wait 300 days and 100 days, then send 'Hi' to bob@example.com", "300 days and 100 days", "from the largest unit down, each once"},
		{"Wait 30 minutes 1 hour, then send 'Hi' to bob@example.com", "30 minutes 1 hour", "from the largest unit down"},
		{"Wait 52 weeks 3 days, then send 'Hi' to bob@example.com", "52 weeks 3 days", "a wait must be from 1 second to 366 days"},
		{"Send 'Hi' to the first 999999999999 of my contacts", "999999999999", "the number must be from 1 to 10000"},
		{"Send 'Hi' to the first 1.5 of my contacts", "1.5", "the number must be a whole number from 1 to 10000"},
	}
	for _, tt := range tests {
		t.Run(tt.program, func(t *testing.T) {
			_, err := (&Rules{}).Plan(context.Background(), tt.program, now)
			assertRefused(t, err, tt.part, tt.why)
		})
	}
}

// TestPlanNumberWords: numbers may be written as words up to ninety-nine ("the first twenty",
// "twenty-five", "fifteen minutes").
func TestPlanNumberWords(t *testing.T) {
	for program, want := range map[string]string{
		"Send 'Hi' to the first twenty of my contacts":                           "Send 'Hi' to the first 20 of my contacts",
		"Send 'Hi' to the first twenty-five of my contacts":                      "Send 'Hi' to the first 25 of my contacts",
		"Wait fifteen minutes, then send 'Hi' to bob@example.com":                "Wait 15 minutes, then send 'Hi' to bob@example.com",
		"Send 'Hi' to my contacts who I haven't emailed in the last thirty days": "Send 'Hi' to my contacts who I haven't emailed in the last 30 days",
	} {
		t.Run(program, func(t *testing.T) {
			got, plain := mustPlan(t, &Rules{}, program, now), mustPlan(t, &Rules{}, want, now)
			got.Program, plain.Program = "", ""
			if g, w := planJSON(t, got), planJSON(t, plain); g != w {
				t.Errorf("plan:\n%s\nwant the plan of %q:\n%s", g, want, w)
			}
		})
	}
	if _, ok := number("twenty-ten"); ok {
		t.Error("twenty-ten read as a number")
	}
}

// TestPlanReplyWaitInParts: "within 1 day 2 hours" waits as long as "wait 1 day 2 hours" (was: "2 hours"
// not understood).
func TestPlanReplyWaitInParts(t *testing.T) {
	p := mustPlan(t, &Rules{}, "Send 'Hi' to bob@example.com and if he doesn't reply within 1 day 2 hours, send it again", now)
	for _, s := range p.Steps {
		if s.AwaitReply != nil {
			if s.AwaitReply.Within != "26h0m0s" {
				t.Errorf("the reply wait is %s, want 26h0m0s", s.AwaitReply.Within)
			}
			return
		}
	}
	t.Fatalf("no reply wait in %s", planJSON(t, p))
}
