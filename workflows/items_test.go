package workflows_test

import (
	"testing"
	"time"

	"go.temporal.io/sdk/temporal"

	"github.com/eaapl/eaapl/catalog"
	"github.com/eaapl/eaapl/plan"
	"github.com/eaapl/eaapl/workflows"
)

// A for_each item runs through the same path as a single task: it asks the same questions and retries
// by the same policy.
func TestForEachItemsBehaveAsSingleTasks(t *testing.T) {
	t.Run("AForEachComposeWithNoBodyAsksAndUsesTheAnswer", func(t *testing.T) {
		p, err := plan.Parse([]byte(`{"version": 1, "program": "Write each of my contacts a message", "steps": [
			{"id": "contacts", "command": "RetrieveContacts"},
			{"id": "compose", "command": "ComposeEmail", "depends_on": ["contacts"], "args": {"body": ""},
			 "for_each": {"items": "${steps.contacts.contacts}", "as": "contact"}}]}`))
		if err != nil {
			t.Fatal(err)
		}
		f := &fakeWorld{plan: p, contacts: contacts("alice@example.com", "bob@example.com")}
		env := f.env(t)
		var asked []workflows.Question
		var answers []*outcome
		env.RegisterDelayedCallback(func() {
			asked = query[[]workflows.Question](t, env, workflows.QueryQuestions)
			for _, q := range asked {
				answers = append(answers, update(t, env, "a-"+q.ID, workflows.Answer{QuestionID: q.ID, Answer: "Lunch at noon?"}))
			}
		}, time.Minute)
		env.ExecuteWorkflow(workflows.WorkflowType, workflows.Input{Program: p.Program})
		res := completed(t, env)
		for _, a := range answers {
			a.accepted(t)
		}
		if len(asked) != 2 {
			t.Fatalf("questions asked = %+v, want one for each of the 2 items", asked)
		}
		for _, q := range asked {
			if q.Kind != catalog.InputText || q.Step != "compose" || q.Item == "" {
				t.Errorf("question = %+v, want a text question about an item of step compose", q)
			}
		}
		items := itemsOf(t, res, "compose")
		for _, to := range []string{"alice@example.com", "bob@example.com"} {
			it := items[to]
			if it.State != workflows.StateDone || it.Task == nil || it.Task.Output["body"] != "Lunch at noon?" {
				t.Errorf("%s: %+v, want done with the answered body", to, it)
			}
		}
	})

	t.Run("AForEachStepsRetryIntervalIsHonoured", func(t *testing.T) {
		p := helloPlan(t)
		attempts := int32(3)
		p.Steps[3].Retry = &plan.Retry{InitialInterval: "10m", MaximumInterval: "1h", MaximumAttempts: &attempts}
		f := &fakeWorld{plan: p, contacts: contacts("alice@example.com", "bob@example.com"), emailed: []any{},
			flaky: map[string]int{"bob@example.com": 1}}
		env := f.env(t)
		start := env.Now()
		env.ExecuteWorkflow(workflows.WorkflowType, workflows.Input{Program: p.Program})
		res := completed(t, env)
		bob := itemsOf(t, res, "send")["bob@example.com"]
		if bob.State != workflows.StateDone || bob.Task == nil || bob.Task.Attempt != 2 {
			t.Fatalf("bob: %+v, want done at attempt 2", bob)
		}
		if waited := env.Now().Sub(start); waited < 10*time.Minute {
			t.Errorf("bob was retried %s after the program started, before the step's initial_interval of 10m", waited)
		}
	})

	t.Run("AnItemThatNeedsInputDoesNotWaitForAnotherThatGaveUp", func(t *testing.T) {
		needs := temporal.NewNonRetryableApplicationError("which address?", catalog.ErrNeedsInput, nil,
			catalog.InputRequest{Question: "Which address of Bob?", Kind: catalog.InputText, Param: "to"})
		f := &fakeWorld{plan: helloPlan(t), contacts: contacts("alice@example.com", "bob@example.com"), emailed: []any{},
			flaky: map[string]int{"alice@example.com": 100}, sendErr: map[string]error{"bob@example.com": needs}}
		env := f.env(t)
		var open []workflows.Question
		env.RegisterDelayedCallback(func() {
			open = query[workflows.Status](t, env, workflows.QueryStatus).Questions
			for _, q := range open {
				env.SignalWorkflow(workflows.SignalAnswer, workflows.Answer{QuestionID: q.ID, Answer: "skip"})
			}
		}, 10*time.Minute)
		// One at a time: both items in one batch.
		env.ExecuteWorkflow(workflows.WorkflowType, workflows.Input{Program: f.plan.Program, MaxConcurrency: 1})
		res := completed(t, env)
		kinds := map[string]string{}
		for _, q := range open {
			kinds[q.Item] = q.Kind
		}
		if len(open) != 2 || kinds["alice@example.com"] != workflows.KindDecision || kinds["bob@example.com"] != catalog.InputText {
			t.Fatalf("open questions = %+v, want a decision about alice and bob's question, open at once", open)
		}
		for to, it := range itemsOf(t, res, "send") {
			if it.State != workflows.StateSkipped {
				t.Errorf("%s: %+v, want skipped by the answer", to, it)
			}
		}
	})
}
