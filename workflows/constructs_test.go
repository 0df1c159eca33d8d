package workflows_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"go.temporal.io/sdk/temporal"

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
