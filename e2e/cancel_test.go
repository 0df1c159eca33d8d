package e2e_test

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/eaapl/eaapl/config"
	"github.com/eaapl/eaapl/internal/testenv"
	"github.com/eaapl/eaapl/starter"
	"github.com/eaapl/eaapl/workflows"
)

// TestACancelWhileItIsPlannedEndsTheProgramCanceled runs a program whose planning is slow (the LLM
// planner, with a fake model that takes two minutes to answer) and cancels it while the model thinks: the
// program ends canceled, not failed, soon after the cancel, and its result (also read back once it has
// ended, as `eaapl status` reads it) says it was canceled while it was being planned, with nothing run.
func TestACancelWhileItIsPlannedEndsTheProgramCanceled(t *testing.T) {
	model := testenv.NewFakeModel(t, testenv.ModelAnswer{Status: http.StatusOK, Body: []byte(`{}`), Delay: "2m"})
	s := newStack(t)
	st := s.worker(t, testenv.WriteFile(t, "contacts.vcf", threeContacts), func(c *config.Config) {
		c.Planner = "llm"
		c.OpenAIBaseURL, c.OpenAIAPIKey = model.URL, "sk-test"
		c.PlannerModel = "gpt-4o-mini"
		c.PlannerTimeout = 3 * time.Minute // the model's slowness, not a timeout, is what the cancel meets
		c.PlanCache = t.TempDir()          // no plan cached by another run answers for the model
	})
	const id = "canceled-while-planning"
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	wr, err := st.Start(ctx, id, workflows.Input{Program: "Send 'Hi' to bob@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(time.Minute); len(model.Requests()) == 0; time.Sleep(100 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the model was not asked to plan within a minute")
		}
	}
	canceledAt := time.Now()
	if err := st.Cancel(ctx, id); err != nil {
		t.Fatal(err)
	}
	_, err = st.Wait(ctx, wr, 200*time.Millisecond, nil)
	ended := time.Since(canceledAt)
	s.recordHistory(t, id)
	var canceled *starter.CanceledError
	if !errors.As(err, &canceled) {
		t.Fatalf("the program ended with %v, want it canceled with its result", err)
	}
	if ended > 30*time.Second {
		t.Errorf("the program ended %s after the cancel, want it within 30s: it waited for its planning", ended)
	}
	const summary = "the program was canceled while it was being planned: nothing was run"
	check := func(how string, res workflows.Result) {
		t.Helper()
		if res.State != workflows.StateCanceled || res.Summary != summary || len(res.Steps) != 0 || res.WorkflowID != id {
			t.Errorf("%s: result %+v, want %s canceled, %q, with no steps", how, res, id, summary)
		}
	}
	check("waiting for it", canceled.Result)
	f, ok, err := st.Finished(ctx, id)
	if err != nil || !ok {
		t.Fatalf("the program has not ended (%v)", err)
	}
	if f.Status != "canceled" {
		t.Errorf("it ended %s, want canceled", f.Status)
	}
	check("after it ended", f.Result)
	if n := len(testenv.Messages(t, s.mailpit, "to:bob@example.com")); n != 0 {
		t.Errorf("%d emails to bob@example.com, want none", n)
	}
}
