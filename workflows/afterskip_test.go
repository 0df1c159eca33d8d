package workflows_test

import (
	"testing"
	"time"

	"github.com/eaapl/eaapl/workflows"
)

// TestAStatementAfterASkippedEmailStillRuns: a step whose condition is false is skipped, and so is every
// step that depends on it. The rule-based planner makes the statement after a conditional email wait for
// what the condition reads, not for the email: when Bob replies, the email again is skipped, and Ann
// still gets hers (on the plans of before, she was skipped with it).
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
