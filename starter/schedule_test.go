package starter

import (
	"context"
	"strings"
	"testing"
	"time"

	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"

	"github.com/eaapl/eaapl/internal/testenv"
	"github.com/eaapl/eaapl/planner"
	"github.com/eaapl/eaapl/workflows"
)

// TestCreateScheduleFromEnglish plans scheduled programs with the rule-based planner, creates their
// Temporal Schedules on a dev server, and checks the times the server says they run next, in their zone.
func TestCreateScheduleFromEnglish(t *testing.T) {
	t.Parallel()
	srv := testenv.Temporal(t)
	s := &Starter{Client: srv.Client(), TaskQueue: "eaapl"}
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for i, tc := range []struct {
		program string
		inner   string
		ok      func(time.Time) bool
	}{
		{"Every Monday at 9am, send 'Hi' to bob@example.com", "send 'Hi' to bob@example.com",
			func(t time.Time) bool { return t.Weekday() == time.Monday && t.Hour() == 9 && t.Minute() == 0 }},
		{"Every weekday at 8:30, send 'Hi' to bob@example.com", "send 'Hi' to bob@example.com",
			func(t time.Time) bool {
				return t.Weekday() != time.Saturday && t.Weekday() != time.Sunday && t.Hour() == 8 && t.Minute() == 30
			}},
		{"Every day at 18:00, send 'Hi' to bob@example.com", "send 'Hi' to bob@example.com",
			func(t time.Time) bool { return t.Hour() == 18 && t.Minute() == 0 }},
		{"On the 1st of every month at 9am, send 'Hi' to bob@example.com", "send 'Hi' to bob@example.com",
			func(t time.Time) bool { return t.Day() == 1 && t.Hour() == 9 && t.Minute() == 0 }},
	} {
		t.Run(tc.program, func(t *testing.T) {
			p, err := (&planner.Rules{Location: ny}).Plan(ctx, tc.program, time.Now().In(ny))
			if err != nil {
				t.Fatal(err)
			}
			if p.Schedule == nil {
				t.Fatal("the plan has no schedule")
			}
			id := "sched-" + string(rune('a'+i))
			got, err := s.CreateSchedule(ctx, id, p.Schedule, workflows.Input{Program: tc.program, UserID: "u1"})
			if err != nil {
				t.Fatal(err)
			}
			if got.ID != id || len(got.Next) == 0 {
				t.Fatalf("created %+v, want %s with next runs", got, id)
			}
			for _, n := range got.Next {
				if !tc.ok(n.In(ny)) {
					t.Errorf("next run %s is not one the program says", n.In(ny))
				}
			}
			d, err := s.DescribeSchedule(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			if d.Schedule.Policy.Overlap != enums.SCHEDULE_OVERLAP_POLICY_SKIP {
				t.Errorf("overlap = %v, want SKIP", d.Schedule.Policy.Overlap)
			}
			if d.Schedule.Spec.TimeZoneName != "America/New_York" {
				t.Errorf("zone = %q", d.Schedule.Spec.TimeZoneName)
			}
			var in workflows.Input
			act := d.Schedule.Action.(*client.ScheduleWorkflowAction)
			if act.Workflow != workflows.WorkflowType || act.TaskQueue != "eaapl" {
				t.Errorf("action starts %v on %q", act.Workflow, act.TaskQueue)
			}
			if err := converter.GetDefaultDataConverter().FromPayload(act.Args[0].(*commonpb.Payload), &in); err != nil {
				t.Fatal(err)
			}
			if in.Program != tc.inner || in.UserID != "u1" || in.Plan != nil {
				t.Errorf("each run's input = %+v, want the program %q", in, tc.inner)
			}
		})
	}

	t.Run("ATakenIDIsAnError", func(t *testing.T) {
		p, err := (&planner.Rules{Location: ny}).Plan(ctx, "Every day at 7am, send 'Hi' to bob@example.com", time.Now())
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.CreateSchedule(ctx, "sched-a", p.Schedule, workflows.Input{}); err == nil || !strings.Contains(err.Error(), "sched-a") {
			t.Errorf("creating a schedule with a taken ID = %v, want an error naming it", err)
		}
	})

	t.Run("AnUnknownIDSaysThereIsNoSuchSchedule", func(t *testing.T) {
		for name, do := range map[string]func(context.Context, string) error{
			"pause": s.PauseSchedule, "unpause": s.UnpauseSchedule, "trigger": s.TriggerSchedule, "delete": s.DeleteSchedule,
		} {
			err := do(ctx, "nope")
			if err == nil || !strings.Contains(err.Error(), `there is no schedule "nope"`) || !strings.HasPrefix(err.Error(), name) {
				t.Errorf("%s of an unknown ID = %v", name, err)
			}
		}
	})
}
