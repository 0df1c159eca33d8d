package planner

import (
	"strings"
	"testing"
	"time"

	"github.com/eaapl/eaapl/plan"
)

// TestThePromptDescribesEveryConstruct: a construct added to plan.Step appears in the prompt and the
// response schema by itself, and this test fails until constructNotes says when to use it.
func TestThePromptDescribesEveryConstruct(t *testing.T) {
	names := constructNames()
	for _, want := range []string{plan.ConstructWait, plan.ConstructAwaitReply, plan.ConstructCheck, plan.ConstructAnswer, plan.ConstructSchedule} {
		if !strings.Contains(strings.Join(names, " "), want) {
			t.Errorf("constructs %v lack %s", names, want)
		}
	}
	prompt, schema := systemPrompt(), responseSchema()
	for _, n := range names {
		if constructNotes[n] == "" {
			t.Errorf("construct %s has no note in constructNotes", n)
		}
		if !strings.Contains(prompt, `- "`+n+`": {`) || !strings.Contains(schema, `"`+n+`":`) {
			t.Errorf("construct %s is not in the prompt's constructs or the response schema", n)
		}
	}
	if !strings.Contains(prompt, `"wait": {"until": string, "for": string}`) || !strings.Contains(prompt, `"calendar": [{"days_of_week": [string, ...], "day_of_month": integer, "hour": integer, "minute": integer}, ...]`) {
		t.Errorf("the constructs' fields are not read from the plan package's types:\n%s", constructsSection())
	}
}

// TestTheIdiomsAreValidPlans: every example the prompt shows plans and validates as the model's answer
// would, so the prompt never teaches a plan EaaPL refuses.
func TestTheIdiomsAreValidPlans(t *testing.T) {
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	l := &LLM{Location: berlin}
	now := time.Date(2026, time.November, 25, 21, 40, 0, 0, time.UTC)
	for _, id := range idioms {
		if _, err := l.finish([]byte(id.Plan), id.Program, now, berlin); err != nil {
			t.Errorf("%s: %v", id.Program, err)
		}
		if !strings.Contains(systemPrompt(), id.Program) {
			t.Errorf("the prompt lacks the idiom %q", id.Program)
		}
	}
}

func TestUntilOf(t *testing.T) {
	now := time.Date(2026, time.November, 25, 21, 40, 0, 0, time.UTC) // a Wednesday
	for phrase, want := range map[string]string{
		"tomorrow at 08:00":    "2026-11-26T08:00:00Z",
		"today at 23:30":       "2026-11-25T23:30:00Z",
		"Friday at 9:00":       "2026-11-27T09:00:00Z",
		"2026-12-24T18:00":     "2026-12-24T18:00:00Z",
		"2026-12-24T18:00:00Z": "2026-12-24T18:00:00Z",
		// The rule-based planner's words, with its meaning (whenOf is shared).
		"next Monday at 9am":         "2026-11-30T09:00:00Z",
		"this Friday at 09:00":       "2026-11-27T09:00:00Z",
		"24 December at 18:00":       "2026-12-24T18:00:00Z",
		"on December 24th at 6pm":    "2026-12-24T18:00:00Z",
		"Fri at 9am":                 "2026-11-27T09:00:00Z",
		"tonight at 11":              "2026-11-25T23:00:00Z",
		"tomorrow at 7.30pm":         "2026-11-26T19:30:00Z",
		"tomorrow at midnight":       "2026-11-27T00:00:00Z", // the end of tomorrow
		"tomorrow morning at 10":     "2026-11-26T10:00:00Z",
		"9am tomorrow":               "2026-11-26T09:00:00Z",
		"23:30":                      "2026-11-25T23:30:00Z",
		"on Friday 27 November at 9": "2026-11-27T09:00:00Z",
	} {
		if got, err := untilOf(phrase, now); err != nil || got != want {
			t.Errorf("untilOf(%q) = %q, %v; want %q", phrase, got, err, want)
		}
	}
	for bad, why := range map[string]string{
		"today at 08:00":     "has passed",
		"tomorrow at 25:00":  "say the time like",
		"soon":               "not a time to wait until",
		"2026-01-01T10:00":   "has passed",
		"wednesday at 22:00": "could mean today or Wednesday 2 December", // a weekday that is today: refused, as in a program
		"this Monday at 9am": "has passed",
		"tonight at 9am":     "not in the evening",
		"tomorrow at 9 EST":  "time zone is not written",
		"Christmas at 9am":   "dates of holidays",
		"in 2 hours":         "not a time to wait until", // a duration is wait.for
	} {
		if got, err := untilOf(bad, now); err == nil || !strings.Contains(err.Error(), why) {
			t.Errorf("untilOf(%q) = %q, %v; want an error saying %q", bad, got, err, why)
		}
	}
}
