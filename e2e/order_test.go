package e2e_test

import (
	"context"
	"testing"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"

	"github.com/eaapl/eaapl/internal/testenv"
	"github.com/eaapl/eaapl/planner"
	"github.com/eaapl/eaapl/workflows"
)

// TestThenAfterAConditionalEmail runs "If I haven't emailed alice@example.com today, send her 'Hi'. Then
// send 'Yo' to bob@example.com" twice on the real stack. The first time alice has not been emailed: she
// is, and bob's statement begins only once her email has been sent. The second time she has (by the first
// run): her email is skipped, and bob's is still sent, after her step ended.
func TestThenAfterAConditionalEmail(t *testing.T) {
	const program = "If I haven't emailed alice@example.com today, send her 'Hi'. Then send 'Yo' to bob@example.com"
	s := newStack(t)
	st := s.worker(t, testenv.WriteFile(t, "contacts.vcf", threeContacts), nil)
	runs := []struct {
		id, alice string // the workflow ID, and the state of alice's send
		hi        int    // the 'Hi' emails to alice in Mailpit after the run
	}{
		{id: "then-after-condition", alice: workflows.StateDone, hi: 1},
		{id: "then-after-condition-skipped", alice: workflows.StateSkipped, hi: 1},
	}
	for i, run := range runs {
		res, err := s.run(t, st, run.id, workflows.Input{Program: program, UserID: "user_123"})
		if err != nil {
			t.Fatalf("%s: program failed: %v", run.id, err)
		}
		if got := resultStep(t, res, "send").State; got != run.alice {
			t.Errorf("%s: alice's send is %s, want %s", run.id, got, run.alice)
		}
		if got := resultStep(t, res, "send_2").State; got != workflows.StateDone {
			t.Errorf("%s: bob's send is %s (%s), want done", run.id, got, resultStep(t, res, "send_2").Reason)
		}
		if n := len(testenv.Messages(t, s.mailpit, `to:alice@example.com subject:"Hi"`)); n != run.hi {
			t.Errorf("%s: Mailpit holds %d 'Hi' to alice, want %d", run.id, n, run.hi)
		}
		if n := len(testenv.Messages(t, s.mailpit, `to:bob@example.com subject:"Yo"`)); n != i+1 {
			t.Errorf("%s: Mailpit holds %d 'Yo' to bob, want %d", run.id, n, i+1)
		}
		// Bob's statement began after alice's step ended: its first task was scheduled after the last task
		// alice's step waited for (her email, or what her condition read) had completed.
		events := history(t, s.temporal.Client(), run.id)
		last := "send"
		if run.alice == workflows.StateSkipped {
			last = "history" // her send ran no task: it ended when its condition, read from the history, was false
		}
		if ended, began := completedAt(events, last), scheduledAt(events, "compose_2"); ended == 0 || began < ended {
			t.Errorf("%s: bob's compose_2 was scheduled at event %d, alice's %s completed at event %d: want it after", run.id, began, last, ended)
		}
	}
}

// scheduledAt is the event ID at which the activity with the ID was scheduled, 0 when it was not.
func scheduledAt(events []*historypb.HistoryEvent, activityID string) int64 {
	for _, e := range events {
		if e.GetEventType() == enumspb.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED && e.GetActivityTaskScheduledEventAttributes().GetActivityId() == activityID {
			return e.GetEventId()
		}
	}
	return 0
}

// completedAt is the event ID at which the activity with the ID completed, 0 when it did not.
func completedAt(events []*historypb.HistoryEvent, activityID string) int64 {
	scheduled := scheduledAt(events, activityID)
	for _, e := range events {
		if e.GetEventType() == enumspb.EVENT_TYPE_ACTIVITY_TASK_COMPLETED && scheduled != 0 && e.GetActivityTaskCompletedEventAttributes().GetScheduledEventId() == scheduled {
			return e.GetEventId()
		}
	}
	return 0
}

// TestALaterConditionSeesTheProgramsOwnEmail runs "Send 'Hi' to bob@example.com. Unless I emailed him today,
// send him 'Bye'": the history step of the second statement reads up to when it runs, so the 'Hi' the first
// statement sent is in it and 'Bye' is skipped (a window ending when the plan was made left it out, and
// 'Bye' went too).
func TestALaterConditionSeesTheProgramsOwnEmail(t *testing.T) {
	s := newStack(t)
	st := s.worker(t, testenv.WriteFile(t, "contacts.vcf", threeContacts), nil)
	// Planned a few seconds before it runs, as when a person reads the plan back before --confirm.
	p, err := (&planner.Rules{}).Plan(context.Background(), "Send 'Hi' to bob@example.com. Unless I emailed him today, send him 'Bye'", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(3 * time.Second)
	res, err := s.run(t, st, "later-condition-own-email", workflows.Input{Plan: p, UserID: "user_123"})
	if err != nil {
		t.Fatalf("program failed: %v", err)
	}
	if got := resultStep(t, res, "send").State; got != workflows.StateDone {
		t.Errorf("the 'Hi' send is %s, want done", got)
	}
	if got := resultStep(t, res, "send_2"); got.State != workflows.StateSkipped {
		t.Errorf("the 'Bye' send is %s (%s), want skipped: bob was emailed 'Hi' today", got.State, got.Reason)
	}
	if n := len(testenv.Messages(t, s.mailpit, `to:bob@example.com subject:"Hi"`)); n != 1 {
		t.Errorf("Mailpit holds %d 'Hi' to bob, want 1", n)
	}
	if n := len(testenv.Messages(t, s.mailpit, `to:bob@example.com subject:"Bye"`)); n != 0 {
		t.Errorf("Mailpit holds %d 'Bye' to bob, want none", n)
	}
}
