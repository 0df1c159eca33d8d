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
