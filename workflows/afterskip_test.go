package workflows_test

import (
	"errors"
	"slices"
	"testing"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/eaapl/eaapl/catalog"
	"github.com/eaapl/eaapl/workflows"
)

// TestAStatementAfterASkippedEmailStillRuns: a step whose condition is false is skipped, and so is every
// step that depends on it. The rule-based planner makes the statement after a conditional email come after
// it for order only (plan.Step.After): when Bob replies, the email again is skipped, and Ann still gets
// hers (on the plans of before the planner's order-only links, she was skipped with it).
func TestAStatementAfterASkippedEmailStillRuns(t *testing.T) {
	f, inbox := &fakeWorld{}, &replyInbox{}
	planOf(t, f, askProgram+". Send 'Yo' to ann@example.com")
	env := replyEnv(t, f, inbox)
	env.RegisterDelayedCallback(func() {
		sent := f.sentTo()["bob@example.com"]
		inbox.reply("<" + sent.Context.IdempotencyKey + ">")
	}, 3*time.Hour)
	env.ExecuteWorkflow(workflows.WorkflowType, workflows.Input{Program: f.plan.Program})
	res := completed(t, env)
	if st := stepState(t, res, "send_2"); st != workflows.StateSkipped {
		t.Errorf("send_2 is %s, want skipped: Bob replied", st)
	}
	if n := sendsTo(f, "ann@example.com"); n != 1 {
		t.Errorf("Ann got %d emails, want 1: her statement does not depend on the email again", n)
	}
	if n := sendsTo(f, "bob@example.com"); n != 1 {
		t.Errorf("Bob got %d emails, want 1", n)
	}
}

// TestAStatementAfterAConditionalEmailRunsAfterIt: "then" after a conditional email is kept. Bob's
// statement comes after alice's send for order only (plan.Step.After): when her condition skips it, bob
// is still emailed; when she is emailed and her send is retried, bob's email waits for it (on the plans of
// before, it waited only for what her condition read, and went first); when her send fails, bob's is not
// sent, as after any failure. In a history from before order-only dependencies (no marker), after is
// waited for as depends_on is: bob's statement is skipped with hers.
func TestAStatementAfterAConditionalEmailRunsAfterIt(t *testing.T) {
	const program = "If I haven't emailed alice@example.com today, send her 'Hi'. Then send 'Yo' to bob@example.com"
	tests := []struct {
		name    string
		world   *fakeWorld
		old     bool              // replaying a history from before the order-only-after marker
		states  map[string]string // step -> want state
		reasons map[string]string // step -> want reason
		sent    []string          // the recipients, in the order they were sent to
	}{
		{
			name:   "AliceSkippedBobStillSent",
			world:  &fakeWorld{emailed: []any{"alice@example.com"}},
			states: map[string]string{"send": workflows.StateSkipped, "compose_2": workflows.StateDone, "send_2": workflows.StateDone},
			sent:   []string{"bob@example.com"},
		},
		{
			name:   "AliceRetriedBobSentAfterHer",
			world:  &fakeWorld{emailed: []any{}, flaky: map[string]int{"alice@example.com": 2}},
			states: map[string]string{"send": workflows.StateDone, "compose_2": workflows.StateDone, "send_2": workflows.StateDone},
			sent:   []string{"alice@example.com", "bob@example.com"},
		},
		{
			name:    "AliceFailedBobNotSent",
			world:   &fakeWorld{emailed: []any{}, sendErr: map[string]error{"alice@example.com": temporal.NewNonRetryableApplicationError("no such mailbox", catalog.ErrInvalidArgument, nil)}},
			states:  map[string]string{"send": workflows.StateFailed, "compose_2": workflows.StateSkipped, "send_2": workflows.StateSkipped},
			reasons: map[string]string{"compose_2": `it comes after step "send", which failed`},
		},
		{
			name:    "BeforeTheMarkerAliceSkippedSkipsBob",
			world:   &fakeWorld{emailed: []any{"alice@example.com"}},
			old:     true,
			states:  map[string]string{"send": workflows.StateSkipped, "compose_2": workflows.StateSkipped, "send_2": workflows.StateSkipped},
			reasons: map[string]string{"compose_2": `it depends on step "send", which was skipped`},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := tt.world
			planOf(t, f, program)
			if s, _ := f.plan.Step("compose_2"); !slices.Equal(s.After, []string{"send"}) {
				t.Fatalf("compose_2 comes after %v, want [send]", s.After)
			}
			env := f.env(t)
			if tt.old {
				env.OnGetVersion("order-only-after", workflow.DefaultVersion, 1).Return(workflow.DefaultVersion)
			}
			env.ExecuteWorkflow(workflows.WorkflowType, workflows.Input{Program: program})
			var res workflows.Result
			if err := env.GetWorkflowResult(&res); err != nil {
				var failed *temporal.ApplicationError
				if !errors.As(err, &failed) || !failed.HasDetails() || failed.Details(&res) != nil {
					t.Fatalf("workflow: %v", err)
				}
			}
			for id, want := range tt.states {
				if got := stepState(t, res, id); got != want {
					t.Errorf("%s is %s (%s), want %s", id, got, stepReason(t, res, id), want)
				}
			}
			for id, want := range tt.reasons {
				if got := stepReason(t, res, id); got != want {
					t.Errorf("%s's reason is %q, want %q", id, got, want)
				}
			}
			var sent []string
			for _, task := range f.sent {
				sent = append(sent, task.Parameters["to"].(map[string]any)["email"].(string))
			}
			if !slices.Equal(sent, tt.sent) {
				t.Errorf("sent to %v, in this order; want %v", sent, tt.sent)
			}
		})
	}
}
