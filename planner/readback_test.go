package planner

import (
	"testing"
	"time"

	"github.com/eaapl/eaapl/plan"
)

func TestReadBackConstructs(t *testing.T) {
	berlin := mustZone(t, "Europe/Berlin")
	tests := []struct {
		program string
		step    string
		loc     *time.Location
		want    string
	}{
		{"Tomorrow at 8am send 'Good morning' to bob@example.com", "wait", nil, "Wait until Thursday 26 November at 08:00."},
		{"Tomorrow at 8am send 'Good morning' to bob@example.com", "wait", berlin, "Wait until Thursday 26 November at 09:00."},
		{"Wait 90 minutes, then send 'Ready?' to bob@example.com", "wait", nil, "Wait 1 hour 30 minutes."},
		{"Send 'Are you coming?' to bob@example.com and if he doesn't reply within a day, send it again", "wait_for_reply_2", nil, "Wait up to a day for a reply from bob@example.com to that email; a reply ends the wait."},
		{"Wait 45 seconds, then send 'Ready?' to bob@example.com", "wait", nil, "Wait 45 seconds."},
		{"In 30 seconds send 'Ping' to bob@example.com", "wait", nil, "Wait 30 seconds."},
		{"Send 'Are you coming?' to bob@example.com and if he doesn't reply within 20 seconds, send it again", "wait_for_reply_2", nil, "Wait up to 20 seconds for a reply from bob@example.com to that email; a reply ends the wait."},
		{"Email each of my contacts saying 'Dear {first name}'", "check", nil, "Before sending, check: every contact it goes to has a name to fill {first name}."},
		{"How many of my contacts haven't I emailed this week?", "answer", nil, "Answer with how many of your contacts you have not emailed since Monday 23 November."},
		{"List my contacts at acme.com", "answer", nil, "Answer with the list of your contacts at acme.com."},
	}
	for _, tt := range tests {
		t.Run(tt.program, func(t *testing.T) {
			p := mustPlan(t, &Rules{}, tt.program, now)
			s, ok := p.Step(tt.step)
			if !ok {
				t.Fatalf("no step %q in %s", tt.step, planJSON(t, p))
			}
			got, ok := ReadBackConstruct(*s, tt.loc)
			if !ok || got != tt.want {
				t.Errorf("ReadBackConstruct = %q, %v; want %q", got, ok, tt.want)
			}
		})
	}
	t.Run("CommandStepsAreNotConstructs", func(t *testing.T) {
		if got, ok := ReadBackConstruct(plan.Step{ID: "send", Command: "SendEmail"}, nil); ok {
			t.Errorf("ReadBackConstruct of a command = %q, true; want false", got)
		}
	})
	t.Run("Schedule", func(t *testing.T) {
		p := mustPlan(t, &Rules{Location: berlin}, "Every weekday at 8:30, send 'Stand-up' to bob@example.com", now)
		if got, want := ReadBackSchedule(p.Schedule), "Every weekday at 8:30 (Europe/Berlin), run: send 'Stand-up' to bob@example.com"; got != want {
			t.Errorf("ReadBackSchedule = %q, want %q", got, want)
		}
	})
}

// TestReadBackConditionSaysTheGrammarsConditions reads back the "if" of each condition the grammar
// writes, and refuses words for any other shape, so a condition is never misread.
func TestReadBackConditionSaysTheGrammarsConditions(t *testing.T) {
	for _, tt := range []struct{ program, step, want string }{
		{"If I haven't emailed alice@example.com this month, send her 'Long time no see'", "send", "you have not emailed alice@example.com since Sunday 1 November"},
		{"If I haven't emailed my contact Ann this week, send her 'Hi'", "send", "you have not emailed the contact (step 1) since Monday 23 November"},
		{"Read notes.md, classify it as urgent or normal and if the label is urgent, send 'Urgent' to bob@example.com", "send_3", `the label (step 2) is "urgent"`},
		{"Read notes.md, classify it as urgent or normal and if the label is not urgent, send 'Calm' to bob@example.com", "send_3", `the label (step 2) is not "urgent"`},
		{"Fetch https://example.com and if the page contains 'down', send 'Down' to bob@example.com", "send_2", `the page's text (step 1) contains "down"`},
		{"Fetch https://example.com and if the page does not contain 'up', send 'Down' to bob@example.com", "send_2", `the page's text (step 1) does not contain "up"`},
		{"List the files matching *.csv and if there are at least 3 files, send 'Many' to bob@example.com", "send_2", "there are at least 3 files (step 1)"},
	} {
		t.Run(tt.program, func(t *testing.T) {
			p := mustPlan(t, &Rules{}, tt.program, now)
			s, ok := p.Step(tt.step)
			if !ok || s.If == "" {
				t.Fatalf("no step %q with a condition in %s", tt.step, planJSON(t, p))
			}
			if got, ok := ReadBackCondition(p, s.If, nil); !ok || got != tt.want {
				t.Errorf("ReadBackCondition(%q) = %q, %v; want %q", s.If, got, ok, tt.want)
			}
		})
	}
	p := mustPlan(t, &Rules{}, "Fetch https://example.com and if the page contains 'down', send 'Down' to bob@example.com", now)
	for _, cond := range []string{"true", "steps.fetch.text == 'x'", "steps.fetch.text.contains('x')", "!(steps.nowhere.emailed)", "size(steps.fetch.text) > 2", "steps.fetch.text.lowerAscii().contains(steps.fetch.title)", "(((", ""} {
		if got, ok := ReadBackCondition(p, cond, nil); ok {
			t.Errorf("ReadBackCondition(%q) = %q, true; want no words for a shape the grammar does not write", cond, got)
		}
	}
}
