package workflows_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"

	"github.com/eaapl/eaapl/planner"
	"github.com/eaapl/eaapl/workflows"
)

// planOf gives f the rule-based planner's plan of program, so that the tests run what `eaapl run` runs.
func planOf(t *testing.T, f *fakeWorld, program string) {
	t.Helper()
	p, err := (&planner.Rules{}).Plan(context.Background(), program, time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	f.plan = p
}

func stepStatus(t *testing.T, st workflows.Status, id string) workflows.StepStatus {
	t.Helper()
	for _, s := range st.Steps {
		if s.ID == id {
			return s
		}
	}
	t.Fatalf("no step %q in the status %+v", id, st)
	return workflows.StepStatus{}
}

func TestConstructs(t *testing.T) {
	t.Run("AWaitOfTwoHoursIsATimerAndTheSendHappensAfterIt", func(t *testing.T) {
		f := &fakeWorld{}
		planOf(t, f, "Wait 2 hours, then send 'Good morning' to bob@example.com")
		env := f.env(t)
		start := env.Now()
		var during workflows.Status
		sentDuring := -1
		env.RegisterDelayedCallback(func() {
			v, err := env.QueryWorkflow(workflows.QueryStatus)
			if err != nil {
				t.Errorf("status query: %v", err)
				return
			}
			if err := v.Get(&during); err != nil {
				t.Error(err)
			}
			sentDuring = len(f.sentTo())
		}, time.Hour)
		env.ExecuteWorkflow(workflows.WorkflowType, workflows.Input{Program: f.plan.Program})
		if err := env.GetWorkflowError(); err != nil {
			t.Fatalf("workflow failed: %v", err)
		}
		if got := env.Now().Sub(start); got < 2*time.Hour {
			t.Errorf("the program ended %s after it started, before its wait of 2 hours", got)
		}
		w := stepStatus(t, during, "wait")
		want := "waiting until " + start.Add(2*time.Hour).UTC().Format("Monday 2 January 15:04:05 MST")
		if w.State != workflows.StateWaiting || w.Reason != want {
			t.Errorf("an hour in, the wait step is %q (%q), want %q (%q)", w.State, w.Reason, workflows.StateWaiting, want)
		}
		if sentDuring != 0 {
			t.Errorf("an hour into the wait, %d emails were sent, want none", sentDuring)
		}
		if _, ok := f.sentTo()["bob@example.com"]; !ok {
			t.Errorf("no email to bob@example.com after the wait: %v", f.sentTo())
		}
	})

	t.Run("ACancelDuringAWaitEndsTheProgramCanceledWithoutSending", func(t *testing.T) {
		f := &fakeWorld{}
		planOf(t, f, "Wait 2 hours, then send 'Good morning' to bob@example.com")
		env := f.env(t)
		start := env.Now()
		env.RegisterDelayedCallback(env.CancelWorkflow, 30*time.Minute)
		env.ExecuteWorkflow(workflows.WorkflowType, workflows.Input{Program: f.plan.Program})
		err := env.GetWorkflowError()
		var canceled *temporal.CanceledError
		if !errors.As(err, &canceled) {
			t.Fatalf("error = %v, want the workflow canceled", err)
		}
		if n := len(f.sentTo()); n != 0 {
			t.Errorf("sent %d emails after a cancel during the wait, want none", n)
		}
		// The result goes with the cancellation: the wait was canceled, the steps after it did not run.
		var res workflows.Result
		if !canceled.HasDetails() {
			t.Fatal("the cancellation carries no result")
		}
		if err := canceled.Details(&res); err != nil {
			t.Fatal(err)
		}
		if res.State != workflows.StateCanceled || !strings.HasPrefix(res.Summary, "the program was canceled; wait canceled while waiting until") {
			t.Errorf("result %q: %q, want canceled, saying so", res.State, res.Summary)
		}
		want := map[string]string{"wait": workflows.StateCanceled, "compose_2": workflows.StateNotRun, "send_2": workflows.StateNotRun}
		for _, s := range res.Steps {
			if s.State != want[s.ID] {
				t.Errorf("step %s is %q (%s), want %q", s.ID, s.State, s.Reason, want[s.ID])
			}
		}
		if got, want := res.Steps[0].Reason, "canceled while waiting until "+start.Add(2*time.Hour).UTC().Format("Monday 2 January 15:04:05 MST"); got != want {
			t.Errorf("the wait's reason is %q, want %q", got, want)
		}
		v, err := env.QueryWorkflow(workflows.QueryStatus)
		if err != nil {
			t.Fatal(err)
		}
		var st workflows.Status
		if err := v.Get(&st); err != nil {
			t.Fatal(err)
		}
		if st.State != workflows.StateCanceled || stepStatus(t, st, "wait").State != workflows.StateCanceled || stepStatus(t, st, "send_2").State != workflows.StateNotRun {
			t.Errorf("status after the cancel = %+v, want the program and its wait canceled, the send not run", st)
		}
	})

	t.Run("AFailingCheckStopsTheProgramBeforeAnySend", func(t *testing.T) {
		f := &fakeWorld{contacts: contacts("alice@example.com", "bob@example.com")}
		f.contacts[1].(map[string]any)["name"] = " "
		planOf(t, f, "Send 'Hi {first name}' to all my contacts")
		env := f.env(t)
		env.ExecuteWorkflow(workflows.WorkflowType, workflows.Input{Program: f.plan.Program})
		res := failedResult(t, env.GetWorkflowError())
		if n := len(f.sentTo()); n != 0 {
			t.Errorf("sent %d emails although the check failed, want none", n)
		}
		if want := "check failed: the placeholder {first name} cannot be filled: a contact the email goes to has no name; no email was sent (bob@example.com)"; !strings.Contains(res.Summary, want) {
			t.Errorf("summary = %q, want it to contain %q", res.Summary, want)
		}
		if got := itemsOf(t, res, "send"); len(got) != 0 {
			t.Errorf("the send step has items %v, want none (skipped)", got)
		}
	})

	t.Run("APassingCheckLetsTheSendsRun", func(t *testing.T) {
		f := &fakeWorld{contacts: contacts("alice@example.com", "bob@example.com")}
		planOf(t, f, "Send 'Hi {first name}' to all my contacts")
		env := f.env(t)
		env.ExecuteWorkflow(workflows.WorkflowType, workflows.Input{Program: f.plan.Program})
		if err := env.GetWorkflowError(); err != nil {
			t.Fatalf("workflow failed: %v", err)
		}
		if n := len(f.sentTo()); n != 2 {
			t.Errorf("sent %d emails, want 2", n)
		}
	})

	t.Run("AnAnswerIsTheProgramsResult", func(t *testing.T) {
		f := &fakeWorld{contacts: contacts("alice@example.com", "bob@example.com", "carol@example.com"), emailed: []any{"bob@example.com"}}
		planOf(t, f, "How many of my contacts have I not emailed this month?")
		env := f.env(t)
		env.ExecuteWorkflow(workflows.WorkflowType, workflows.Input{Program: f.plan.Program})
		res := completed(t, env)
		if res.Answer == nil {
			t.Fatalf("the result has no answer: %+v", res)
		}
		if got, ok := res.Answer.Value.(float64); !ok || got != 2 {
			t.Errorf("answer = %v (%T), want 2", res.Answer.Value, res.Answer.Value)
		}
		if want := "How many of your contacts you have not emailed since Sunday 1 November: 2"; res.Answer.Text != want {
			t.Errorf("answer text = %q, want %q", res.Answer.Text, want)
		}
	})

	t.Run("AListAnswerNamesTheContacts", func(t *testing.T) {
		f := &fakeWorld{contacts: contacts("alice@example.com", "bob@example.com")}
		planOf(t, f, "List my contacts")
		env := f.env(t)
		env.ExecuteWorkflow(workflows.WorkflowType, workflows.Input{Program: f.plan.Program})
		res := completed(t, env)
		if res.Answer == nil || !strings.Contains(res.Answer.Text, "(2): alice@example.com <alice@example.com>, bob@example.com <bob@example.com>") {
			t.Errorf("answer = %+v, want the two contacts listed", res.Answer)
		}
	})
}

// TestEveryStepKindHasACommandName runs a program of each construct and checks that the result names
// every step's command: the result table's command column is never empty.
func TestEveryStepKindHasACommandName(t *testing.T) {
	for _, tt := range []struct {
		program string
		want    map[string]string // step id -> command column
	}{
		{"Wait 2 hours, then send 'Good morning' to bob@example.com", map[string]string{"wait": "Wait", "send_2": "SendEmail"}},
		{"Tomorrow at 8am send 'Good morning' to bob@example.com", map[string]string{"wait": "WaitUntil"}},
		{"Send 'Hi {first name}' to all my contacts", map[string]string{"check": "Check", "send": "SendEmail"}},
		{"How many of my contacts have I not emailed this month?", map[string]string{"answer": "Answer"}},
	} {
		t.Run(tt.program, func(t *testing.T) {
			f := &fakeWorld{contacts: contacts("alice@example.com"), emailed: []any{}}
			f.contacts[0].(map[string]any)["name"] = "Alice Smith"
			planOf(t, f, tt.program)
			env := f.env(t)
			env.ExecuteWorkflow(workflows.WorkflowType, workflows.Input{Program: f.plan.Program})
			if err := env.GetWorkflowError(); err != nil {
				t.Fatalf("workflow failed: %v", err)
			}
			var res workflows.Result
			if err := env.GetWorkflowResult(&res); err != nil {
				t.Fatal(err)
			}
			seen := 0
			for _, s := range res.Steps {
				if s.Command == "" {
					t.Errorf("step %s has no command name in the result", s.ID)
				}
				if w, ok := tt.want[s.ID]; ok {
					seen++
					if s.Command != w {
						t.Errorf("step %s is named %q in the result, want %q", s.ID, s.Command, w)
					}
				}
			}
			if seen != len(tt.want) {
				t.Errorf("the result has %d of the steps %v: %+v", seen, tt.want, res.Steps)
			}
		})
	}
}

// TestAWaitWhoseTimeHasPassedSaysSo runs "..., then at 5pm send ..." where the step before the wait
// ends past 5pm: the send runs at once, and the wait says that its time had passed and when it began, in
// the status and the result; a wait that begins on time says nothing.
func TestAWaitWhoseTimeHasPassedSaysSo(t *testing.T) {
	const program = "Send 'x' to all my contacts, then at 5pm send 'y' to bob@example.com"
	for _, tt := range []struct {
		name  string
		start time.Time
		want  string // the wait's note
	}{
		{"TwentyMinutesLate", time.Date(2026, 11, 25, 17, 20, 5, 0, time.UTC),
			"Wednesday 25 November 17:00:00 UTC had passed when this step began, at 17:20:05 UTC: it did not wait, and the steps after it ran at once, 20 minutes 5 seconds late"},
		{"ADayLate", time.Date(2026, 11, 26, 18, 0, 0, 0, time.UTC),
			"Wednesday 25 November 17:00:00 UTC had passed when this step began, at Thursday 26 November 18:00:00 UTC: it did not wait, and the steps after it ran at once, 1 day 1 hour late"},
		{"UnderAMinuteIsOnTime", time.Date(2026, 11, 25, 17, 0, 30, 0, time.UTC), ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := &fakeWorld{contacts: contacts("alice@example.com")}
			planOf(t, f, program) // planned at 10:00: 5pm is today's
			env := f.env(t)
			env.SetStartTime(tt.start)
			env.ExecuteWorkflow(workflows.WorkflowType, workflows.Input{Plan: f.plan})
			if err := env.GetWorkflowError(); err != nil {
				t.Fatalf("workflow failed: %v", err)
			}
			var res workflows.Result
			if err := env.GetWorkflowResult(&res); err != nil {
				t.Fatal(err)
			}
			if _, ok := f.sentTo()["bob@example.com"]; !ok {
				t.Errorf("no email to bob@example.com after the wait: %v", f.sentTo())
			}
			if got := env.Now().Sub(tt.start); got > time.Minute {
				t.Errorf("the program took %s, want it not to wait for a time that had passed", got)
			}
			var wait workflows.StepResult
			for _, s := range res.Steps {
				if s.ID == "wait_2" {
					wait = s
				}
			}
			if wait.State != workflows.StateDone || wait.Reason != tt.want {
				t.Errorf("the wait is %q: %q, want done: %q", wait.State, wait.Reason, tt.want)
			}
			if tt.want != "" && !strings.Contains(res.Summary, "wait_2: "+tt.want) {
				t.Errorf("summary = %q, want it to say that the wait's time had passed", res.Summary)
			}
			v, err := env.QueryWorkflow(workflows.QueryStatus)
			if err != nil {
				t.Fatal(err)
			}
			var st workflows.Status
			if err := v.Get(&st); err != nil {
				t.Fatal(err)
			}
			if got := stepStatus(t, st, "wait_2").Reason; got != tt.want {
				t.Errorf("the status says of the wait %q, want %q", got, tt.want)
			}
		})
	}
}

// TestACancelWhileASendRetriesShowsItCanceled cancels a program while its one send is being retried (the
// mail server keeps failing): the send is canceled while it ran, not failed.
func TestACancelWhileASendRetriesShowsItCanceled(t *testing.T) {
	f := &fakeWorld{flaky: map[string]int{"bob@example.com": 1000}}
	planOf(t, f, "Send 'Hi' to bob@example.com")
	env := f.env(t)
	env.RegisterDelayedCallback(env.CancelWorkflow, 2*time.Minute)
	env.ExecuteWorkflow(workflows.WorkflowType, workflows.Input{Program: f.plan.Program})
	res := canceledResult(t, env)
	if f.calls["bob@example.com"] < 2 {
		t.Errorf("the send was tried %d times before the cancel, want it retried", f.calls["bob@example.com"])
	}
	want := map[string]string{"compose": workflows.StateDone, "send": workflows.StateCanceled}
	for _, s := range res.Steps {
		if s.State != want[s.ID] {
			t.Errorf("step %s is %q (%s), want %q", s.ID, s.State, s.Reason, want[s.ID])
		}
		if s.ID == "send" && s.Reason != "canceled while it ran" {
			t.Errorf("the send's reason is %q, want %q", s.Reason, "canceled while it ran")
		}
	}
}

// TestACancelWhileASendToEachContactRetriesShowsItCanceled: the same over a for_each, whose batch keeps
// retrying one contact: the step is canceled, counting what was done.
func TestACancelWhileASendToEachContactRetriesShowsItCanceled(t *testing.T) {
	f := &fakeWorld{contacts: contacts("alice@example.com", "bob@example.com"), flaky: map[string]int{"bob@example.com": 1000}}
	planOf(t, f, "Send 'Hi' to all my contacts")
	env := f.env(t)
	env.RegisterDelayedCallback(env.CancelWorkflow, 10*time.Minute)
	env.ExecuteWorkflow(workflows.WorkflowType, workflows.Input{Program: f.plan.Program})
	res := canceledResult(t, env)
	for _, s := range res.Steps {
		if s.ID == "send" && (s.State != workflows.StateCanceled || s.Reason != "canceled while it ran: 1 of 2 tasks done") {
			t.Errorf("the send is %q (%s), want canceled while it ran: 1 of 2 tasks done", s.State, s.Reason)
		}
	}
	if want := "the program was canceled; send canceled while it ran: 1 of 2 tasks done"; res.Summary != want {
		t.Errorf("summary = %q, want %q", res.Summary, want)
	}
}

// canceledResult is the result a canceled program carries in its cancellation.
func canceledResult(t *testing.T, env *testsuite.TestWorkflowEnvironment) workflows.Result {
	t.Helper()
	var canceled *temporal.CanceledError
	if err := env.GetWorkflowError(); !errors.As(err, &canceled) {
		t.Fatalf("error = %v, want the workflow canceled", err)
	}
	var res workflows.Result
	if err := canceled.Details(&res); err != nil {
		t.Fatal(err)
	}
	return res
}
