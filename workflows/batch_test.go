package workflows_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/eaapl/eaapl/catalog"
	"github.com/eaapl/eaapl/workflows"
)

func TestBatches(t *testing.T) {
	// A run whose starter did not make sure its ID is new (eaapl run --allow-reuse, another client) may
	// follow a finished run of the same ID, whose emails have the same Message-IDs: each item is looked
	// for in the mailbox before it is sent.
	t.Run("ChecksEveryItemWhenTheIDMayHaveRunBefore", func(t *testing.T) {
		f := &fakeWorld{plan: helloPlan(t), contacts: contacts("a@example.com", "b@example.com"), emailed: []any{}}
		env := f.env(t)
		env.ExecuteWorkflow(workflows.WorkflowType, workflows.Input{Program: f.plan.Program})
		completed(t, env)
		if len(f.batches) == 0 {
			t.Fatal("no batch ran")
		}
		for _, b := range f.batches {
			for _, it := range b.Items {
				if !it.Check {
					t.Errorf("%s: check false, want the mailbox checked first", it.Task.TaskID)
				}
			}
		}
	})
	t.Run("SendsEveryItemOnceInBatchesAndKeepsEachItemsResult", func(t *testing.T) {
		var emails []string
		for i := range 450 {
			emails = append(emails, fmt.Sprintf("c%03d@example.com", i))
		}
		f := &fakeWorld{plan: helloPlan(t), contacts: contacts(emails...), emailed: []any{}}
		env := f.env(t)
		env.ExecuteWorkflow(workflows.WorkflowType, workflows.Input{Program: f.plan.Program, MaxConcurrency: 100, FirstRun: true})
		res := completed(t, env)
		if got, want := res.Summary, "send: 450 done, 0 skipped, 0 failed"; got != want {
			t.Errorf("summary = %q, want %q", got, want)
		}
		if got, want := len(f.sentTo()), 450; got != want || len(f.sent) != want {
			t.Errorf("sent %d emails to %d contacts, want %d to %d", len(f.sent), got, want, want)
		}
		if got, want := len(f.batches), 90; got != want {
			t.Errorf("%d batch activities, want %d: 5 items in each of 90", got, want)
		}
		items := itemsOf(t, res, "send")
		for _, e := range emails {
			if it := items[e]; it.State != workflows.StateDone || it.Task == nil || it.Task.Output["recipient"] != e {
				t.Fatalf("%s: %+v, want done with its own task result", e, it)
			}
		}
		for _, b := range f.batches {
			for _, it := range b.Items {
				if it.Check || it.Attempt != 1 {
					t.Fatalf("first attempt of %s: check %v, attempt %d; want no mailbox check, attempt 1", it.Task.TaskID, it.Check, it.Attempt)
				}
			}
		}
	})

	t.Run("RetriesATemporaryFailureAloneAndChecksTheMailboxFirst", func(t *testing.T) {
		f := &fakeWorld{plan: helloPlan(t), contacts: contacts("alice@example.com", "bob@example.com", "carol@example.com"), emailed: []any{},
			flaky: map[string]int{"bob@example.com": 2}}
		env := f.env(t)
		env.ExecuteWorkflow(workflows.WorkflowType, workflows.Input{Program: f.plan.Program, MaxConcurrency: 1})
		res := completed(t, env)
		if got, want := len(f.batches), 3; got != want {
			t.Fatalf("%d batches, want %d: all three, then bob twice", got, want)
		}
		for i, b := range f.batches[1:] {
			if len(b.Items) != 1 || b.Items[0].Task.TaskID != "send_2" || !b.Items[0].Check || b.Items[0].Attempt != int32(i+2) || b.Items[0].LastError == "" {
				t.Errorf("retry %d: %+v, want send_2 alone, attempt %d, checked, with the last error", i+1, b.Items, i+2)
			}
		}
		bob := itemsOf(t, res, "send")["bob@example.com"]
		if bob.State != workflows.StateDone || bob.Task == nil || bob.Task.Attempt != 3 {
			t.Errorf("bob: %+v, want done at attempt 3", bob)
		}
	})

	t.Run("GivesUpAfterTheCatalogsAttemptsThenAsks", func(t *testing.T) {
		f := &fakeWorld{plan: helloPlan(t), contacts: contacts("alice@example.com", "bob@example.com"), emailed: []any{},
			flaky: map[string]int{"bob@example.com": 100}}
		env := f.env(t)
		// Nobody answers the question that follows, and its default is abort.
		env.ExecuteWorkflow(workflows.WorkflowType, workflows.Input{Program: f.plan.Program, QuestionDefault: "abort"})
		res := failedResult(t, env.GetWorkflowError())
		qs := query[[]workflows.Question](t, env, workflows.QueryQuestions)
		if len(qs) != 1 || qs[0].Kind != workflows.KindDecision || qs[0].Item != "bob@example.com" || qs[0].Answer != "abort" {
			t.Errorf("questions = %+v, want one decision about bob, aborted at its timeout", qs)
		}
		cmd, _ := catalog.Lookup("SendEmail")
		bob := itemsOf(t, res, "send")["bob@example.com"]
		if !strings.HasPrefix(res.Summary, `aborted: q1 ("SendEmail for bob@example.com failed after`) || !strings.Contains(res.Summary, "had no answer within 1h0m0s, and the default is abort") {
			t.Errorf("summary = %q, want it to say that q1 had no answer and its default aborted the program", res.Summary)
		}
		if bob.State != workflows.StateFailed || bob.Task == nil || bob.Task.Attempt != cmd.Retry.MaximumAttempts {
			t.Errorf("bob: %+v, want failed after %d attempts", bob, cmd.Retry.MaximumAttempts)
		}
		if got, want := f.flaky["bob@example.com"], 100-int(cmd.Retry.MaximumAttempts); got != want {
			t.Errorf("bob was tried %d times, want %d", 100-got, cmd.Retry.MaximumAttempts)
		}
		if got, want := itemsOf(t, res, "send")["alice@example.com"].State, workflows.StateDone; got != want {
			t.Errorf("alice: %q, want %q", got, want)
		}
	})
}
