package workflows_test

import (
	"errors"
	"testing"
	"time"

	"go.temporal.io/sdk/temporal"

	"github.com/eaapl/eaapl/workflows"
)

// TestACancelWhileItIsPlannedEndsTheProgramCanceled cancels a program while it is being planned (its
// planning runs until it is canceled, as a slow model's might): the planning is canceled, and the program
// ends canceled, not failed, its result saying it was canceled while it was being planned, with nothing run.
func TestACancelWhileItIsPlannedEndsTheProgramCanceled(t *testing.T) {
	f := &fakeWorld{slowPlan: make(chan struct{})}
	planOf(t, f, "Send 'Hi' to bob@example.com")
	env := f.env(t)
	// On the wall clock: the test clock stands still while an activity runs.
	env.RegisterDelayedCallback(env.CancelWorkflow, 100*time.Millisecond)
	env.ExecuteWorkflow(workflows.WorkflowType, workflows.Input{Program: f.plan.Program})
	select {
	case <-f.slowPlan:
	default:
		t.Error("the planning was not canceled")
	}
	var failed *temporal.ApplicationError
	if err := env.GetWorkflowError(); errors.As(err, &failed) {
		t.Fatalf("the program failed (%v), want it canceled", err)
	}
	res := canceledResult(t, env)
	if res.State != workflows.StateCanceled || len(res.Steps) != 0 || res.Program != f.plan.Program {
		t.Errorf("result = %+v, want canceled, for its program, with no steps", res)
	}
	if want := "the program was canceled while it was being planned: nothing was run"; res.Summary != want {
		t.Errorf("summary = %q, want %q", res.Summary, want)
	}
	if n := len(f.sentTo()); n != 0 {
		t.Errorf("sent %d emails, want none", n)
	}
	v, err := env.QueryWorkflow(workflows.QueryStatus)
	if err != nil {
		t.Fatal(err)
	}
	var st workflows.Status
	if err := v.Get(&st); err != nil {
		t.Fatal(err)
	}
	if st.State != workflows.StateCanceled || len(st.Steps) != 0 {
		t.Errorf("the status query says %+v, want canceled, with no steps", st)
	}
}
