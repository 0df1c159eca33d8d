package main

import (
	"context"
	"encoding/json"
	"os/exec"
	"strings"
	"testing"
	"time"

	"go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"

	"github.com/eaapl/eaapl/config"
	"github.com/eaapl/eaapl/internal/testenv"
	"github.com/eaapl/eaapl/starter"
)

// TestSchedule creates a schedule from English on a dev stack, checks its calendar and overlap policy on
// the server, triggers a run that sends an email, and pauses, unpauses, lists and deletes it.
func TestSchedule(t *testing.T) {
	t.Parallel()
	d := newDevEnv(t)
	d.env = append(d.env, "EAAPL_TIMEZONE=Europe/Berlin")
	d.startInBackground(t)

	r := d.eaapl(t, "run", "--id", "weekly", "Every Monday at 9am, send 'Weekly hello' to dora@example.com")
	if r.code != 0 {
		t.Fatalf("eaapl run: %s", r)
	}
	t.Logf("eaapl run printed:\n%s", r.stdout)
	for _, want := range []string{"Created schedule weekly", "Next runs:", "Mon ", "CET"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("eaapl run does not say %q:\n%s", want, r)
		}
	}

	dc, err := dataConverter(config.Config{DataDir: d.dataDir})
	if err != nil {
		t.Fatal(err)
	}
	c, err := client.Dial(client.Options{HostPort: d.addr("EAAPL_DEV_TEMPORAL_PORT"), DataConverter: dc})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	s := &starter.Starter{Client: c}
	desc, err := s.DescribeSchedule(ctx, "weekly")
	if err != nil {
		t.Fatal(err)
	}
	spec := desc.Schedule.Spec
	if spec.TimeZoneName != "Europe/Berlin" || len(spec.Calendars) != 1 {
		t.Fatalf("spec = %+v, want one calendar in Europe/Berlin", spec)
	}
	cal := spec.Calendars[0]
	if len(cal.DayOfWeek) != 1 || cal.DayOfWeek[0].Start != 1 || cal.Hour[0].Start != 9 || cal.Minute[0].Start != 0 {
		t.Errorf("calendar = %+v, want Monday 09:00", cal)
	}
	if desc.Schedule.Policy.Overlap != enums.SCHEDULE_OVERLAP_POLICY_SKIP {
		t.Errorf("overlap = %v, want SKIP", desc.Schedule.Policy.Overlap)
	}
	berlin, _ := time.LoadLocation("Europe/Berlin")
	if len(desc.Info.NextActionTimes) == 0 {
		t.Fatal("no next run times")
	}
	for _, n := range desc.Info.NextActionTimes {
		if b := n.In(berlin); b.Weekday() != time.Monday || b.Hour() != 9 || b.Minute() != 0 {
			t.Errorf("next run %s is not a Monday at 09:00 in Berlin", b)
		}
	}

	t.Run("TriggerRunsTheProgramOnce", func(t *testing.T) {
		if r := d.eaapl(t, "schedule", "trigger", "weekly"); r.code != 0 || !strings.Contains(r.stdout, "Triggered weekly") {
			t.Fatalf("trigger: %s", r)
		}
		deadline := time.Now().Add(90 * time.Second)
		for {
			desc, err := s.DescribeSchedule(ctx, "weekly")
			if err != nil {
				t.Fatal(err)
			}
			if n := len(desc.Info.RecentActions); n == 1 {
				run := desc.Info.RecentActions[0].StartWorkflowResult
				var res any
				if err := c.GetWorkflow(ctx, run.WorkflowID, run.FirstExecutionRunID).Get(ctx, &res); err != nil {
					t.Fatalf("the triggered run %s failed: %v", run.WorkflowID, err)
				}
				st := d.eaapl(t, "status", run.WorkflowID)
				if !sentTo("dora@example.com").MatchString(st.stdout) {
					t.Errorf("the triggered run did not send to dora@example.com:\n%s", st)
				}
				break
			}
			if time.Now().After(deadline) {
				t.Fatal("the trigger started no run in 90s")
			}
			time.Sleep(300 * time.Millisecond)
		}
		inbox := d.eaapl(t, "inbox")
		if !strings.Contains(inbox.stdout, "dora@example.com") {
			t.Errorf("Mailpit has no email to dora@example.com:\n%s", inbox)
		}
	})

	// listed waits for `eaapl schedule list` to show want: the list is read from the eventually
	// consistent visibility store.
	listed := func(t *testing.T, want string) {
		t.Helper()
		deadline := time.Now().Add(30 * time.Second)
		for {
			l := d.eaapl(t, "schedule", "list")
			if strings.Contains(l.stdout, want) {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("the list does not show %q in 30s:\n%s", want, l)
			}
			time.Sleep(500 * time.Millisecond)
		}
	}
	t.Run("PauseUnpauseList", func(t *testing.T) {
		if r := d.eaapl(t, "schedule", "pause", "weekly"); r.code != 0 {
			t.Fatal(r)
		}
		if desc, err := s.DescribeSchedule(ctx, "weekly"); err != nil || !desc.Schedule.State.Paused {
			t.Errorf("after pause: paused = %v, %v", desc != nil && desc.Schedule.State.Paused, err)
		}
		listed(t, "weekly  paused  send 'Weekly hello' to dora@example.com")
		if r := d.eaapl(t, "schedule", "unpause", "weekly"); r.code != 0 {
			t.Fatal(r)
		}
		if desc, err := s.DescribeSchedule(ctx, "weekly"); err != nil || desc.Schedule.State.Paused {
			t.Errorf("after unpause: paused = %v, %v", desc != nil && desc.Schedule.State.Paused, err)
		}
		listed(t, "weekly  next Mon ")
	})

	t.Run("TheTemporalCLIListsIt", func(t *testing.T) {
		deadline := time.Now().Add(30 * time.Second)
		for {
			out, err := exec.Command(testenv.Bin(t, "temporal"), "schedule", "list", "--address", d.addr("EAAPL_DEV_TEMPORAL_PORT")).CombinedOutput()
			if err == nil && strings.Contains(string(out), "weekly") {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("temporal schedule list does not show weekly: %v\n%s", err, out)
			}
			time.Sleep(500 * time.Millisecond)
		}
	})

	t.Run("JSON", func(t *testing.T) {
		r := d.eaapl(t, "run", "--json", "--id", "daily", "Every day at 18:00, send 'Evening' to dora@example.com")
		var got starter.Scheduled
		if err := json.Unmarshal([]byte(r.stdout), &got); r.code != 0 || err != nil {
			t.Fatalf("eaapl run --json: %v\n%s", err, r)
		}
		if got.ID != "daily" || len(got.Next) == 0 || got.Next[0].In(berlin).Hour() != 18 {
			t.Errorf("eaapl run --json = %+v, want daily with runs at 18:00 in Berlin", got)
		}
		if r := d.eaapl(t, "schedule", "delete", "daily"); r.code != 0 {
			t.Error(r)
		}
	})

	t.Run("ABadIDSaysThereIsNoSuchSchedule", func(t *testing.T) {
		r := d.eaapl(t, "schedule", "pause", "no-such-schedule")
		if r.code == 0 || !strings.Contains(r.stderr, `there is no schedule "no-such-schedule"`) {
			t.Errorf("pause of a bad ID: %s", r)
		}
	})

	t.Run("Delete", func(t *testing.T) {
		if r := d.eaapl(t, "schedule", "delete", "weekly"); r.code != 0 {
			t.Fatal(r)
		}
		deadline := time.Now().Add(30 * time.Second)
		for {
			l := d.eaapl(t, "schedule", "list")
			if !strings.Contains(l.stdout, "weekly") {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("the deleted schedule is still listed:\n%s", l)
			}
			time.Sleep(500 * time.Millisecond) // the list is eventually consistent
		}
		if r := d.eaapl(t, "schedule", "trigger", "weekly"); r.code == 0 {
			t.Errorf("trigger after delete succeeded: %s", r)
		}
	})
}
