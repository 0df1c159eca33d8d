package workflows_test

import (
	"strings"
	"testing"
	"time"

	sdkpb "go.temporal.io/api/sdk/v1"
	"go.temporal.io/sdk/testsuite"

	"github.com/eaapl/eaapl/workflows"
)

// currentDetails is what the Web UI shows as the workflow's current details.
func currentDetails(tb testing.TB, env *testsuite.TestWorkflowEnvironment) string {
	tb.Helper()
	return query[*sdkpb.WorkflowMetadata](tb, env, "__temporal_workflow_metadata").GetCurrentDetails()
}

func TestCurrentDetailsShowThePlanProgressAndHowToAnswer(t *testing.T) {
	f := &fakeWorld{plan: johnPlan(t, "Hi"), contacts: twoJohns}
	env := f.env(t)
	var answered *outcome
	env.RegisterDelayedCallback(func() {
		st := query[workflows.Status](t, env, workflows.QueryStatus)
		got := currentDetails(t, env)
		for _, want := range []string{
			"**running**: Send 'Hi' to my contact John",
			"### The plan",
			"(` send `): pending",
			"### Open questions",
			"- **q1**: 2 contacts are named John. Which one?",
			"` john.smith@example.com ` John Smith",
			"answer with ` eaapl answer " + st.WorkflowID + " q1 john.smith@example.com `",
			`Send Update ` + "` answer `" + ` with ` + "` " + `{"question_id":"q1","answer":"john.smith@example.com"} ` + "`",
		} {
			if !strings.Contains(got, want) {
				t.Errorf("current details lack %q:\n%s", want, got)
			}
		}
		answered = update(t, env, "a1", workflows.Answer{QuestionID: "q1", Answer: "2"})
	}, time.Minute)
	env.ExecuteWorkflow(workflows.WorkflowType, workflows.Input{Program: f.plan.Program})
	completed(t, env)
	answered.accepted(t)
	got := currentDetails(t, env)
	if !strings.HasPrefix(got, "**completed**") || strings.Contains(got, "Open questions") || !strings.Contains(got, "(` send `): done") {
		t.Errorf("final current details = \n%s\nwant completed, every step done and no open question", got)
	}
}
