package e2e_test

import (
	"context"
	"strings"
	"testing"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/converter"

	"github.com/eaapl/eaapl/devstack"
	"github.com/eaapl/eaapl/internal/testenv"
	"github.com/eaapl/eaapl/planner"
	"github.com/eaapl/eaapl/workflows"
)

// TestLanguage runs the language's constructs on the real stack: an answer, two statements in order, and
// a wait before a send.
func TestLanguage(t *testing.T) {
	s := newStack(t)
	st := s.worker(t, testenv.WriteFile(t, "contacts.vcf", threeContacts), nil)

	t.Run("HowManyContactsHaveINotEmailedThisMonth", func(t *testing.T) {
		monthStart := time.Date(time.Now().UTC().Year(), time.Now().UTC().Month(), 1, 0, 0, 0, 0, time.UTC)
		if _, err := devstack.SeedHistory(context.Background(), s.mailpit, "me@example.com", "bob@example.com", monthStart.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		res, err := s.run(t, st, "language-how-many", workflows.Input{Program: "How many of my contacts have I not emailed this month?", UserID: "user_123"})
		if err != nil {
			t.Fatalf("program failed: %v", err)
		}
		if res.Answer == nil {
			t.Fatalf("no answer in the result: %+v", res)
		}
		if got, ok := res.Answer.Value.(float64); !ok || got != 2 {
			t.Errorf("answer = %v (%T), want 2 (alice and carol; bob was emailed this month)", res.Answer.Value, res.Answer.Value)
		}
		if !strings.HasSuffix(res.Answer.Text, ": 2") {
			t.Errorf("answer text = %q, want it to end in \": 2\"", res.Answer.Text)
		}
	})

	t.Run("SendHelloThenBye", func(t *testing.T) {
		res, err := s.run(t, st, "language-then", workflows.Input{Program: "Send 'Hello' to alice@example.com, then send 'Bye' to bob@example.com", UserID: "user_123"})
		if err != nil {
			t.Fatalf("program failed: %v", err)
		}
		hello := testenv.Messages(t, s.mailpit, `to:alice@example.com subject:"Hello"`)
		bye := testenv.Messages(t, s.mailpit, `to:bob@example.com subject:"Bye"`)
		if len(hello) != 1 || len(bye) != 1 {
			t.Fatalf("Mailpit holds %d 'Hello' to alice and %d 'Bye' to bob, want 1 each (%s)", len(hello), len(bye), res.Summary)
		}
		bare := func(id string) string { return strings.Trim(id, "<>") }
		if hello[0].MessageID != bare(messageIDs(res, "send")["alice@example.com"]) || bye[0].MessageID != bare(messageIDs(res, "send_2")["bob@example.com"]) {
			t.Errorf("the Message-IDs in Mailpit (%s, %s) are not the ones the steps reported (%v, %v)", hello[0].MessageID, bye[0].MessageID, messageIDs(res, "send"), messageIDs(res, "send_2"))
		}
	})

	t.Run("AWaitOfFiveSecondsBeforeASend", func(t *testing.T) {
		// The planner's plan of a wait, shortened to seconds: the grammar's waits are minutes and longer.
		p, err := (&planner.Rules{}).Plan(context.Background(), "Wait 10 minutes, then send 'Good morning' to bob@example.com", time.Now())
		if err != nil {
			t.Fatal(err)
		}
		if p.Steps[0].Wait == nil {
			t.Fatalf("the first step is not a wait: %+v", p.Steps[0])
		}
		p.Steps[0].Wait.For = "5s"
		query := `to:bob@example.com subject:"Good morning"`
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		start := time.Now()
		wr, err := st.Start(ctx, "language-wait", workflows.Input{Plan: p, UserID: "user_123"})
		if err != nil {
			t.Fatal(err)
		}
		var during workflows.Status
		for deadline := time.Now().Add(4 * time.Second); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
			v, err := s.temporal.Client().QueryWorkflow(ctx, "language-wait", "", workflows.QueryStatus)
			if err == nil && v.Get(&during) == nil && len(during.Steps) > 0 && during.Steps[0].State == workflows.StateWaiting {
				break
			}
		}
		if len(during.Steps) == 0 || during.Steps[0].State != workflows.StateWaiting || !strings.HasPrefix(during.Steps[0].Reason, "waiting until ") {
			t.Errorf("the status during the wait is %+v, want its first step waiting until a time", during.Steps)
		}
		if n := len(testenv.Messages(t, s.mailpit, query)); n != 0 {
			t.Errorf("%d 'Good morning' emails during the wait, want none yet", n)
		}
		res, err := st.Wait(ctx, wr, 200*time.Millisecond, nil)
		s.recordHistory(t, "language-wait")
		if err != nil {
			t.Fatalf("program failed: %v", err)
		}
		if took := time.Since(start); took < 5*time.Second {
			t.Errorf("the program ended %s after it started, before its wait of 5 seconds", took)
		}
		if n := len(testenv.Messages(t, s.mailpit, query)); n != 1 {
			t.Errorf("%d 'Good morning' emails after the wait, want 1 (%s)", n, res.Summary)
		}
		// The timer is named for what it waits for, in the history (the Web UI shows it).
		var summaries []string
		events := s.temporal.Client().GetWorkflowHistory(ctx, "language-wait", "", false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
		for events.HasNext() {
			ev, err := events.Next()
			if err != nil {
				t.Fatal(err)
			}
			if ev.GetEventType() == enumspb.EVENT_TYPE_TIMER_STARTED {
				var text string
				if err := converter.GetDefaultDataConverter().FromPayload(ev.GetUserMetadata().GetSummary(), &text); err != nil {
					t.Fatal(err)
				}
				summaries = append(summaries, text)
			}
		}
		if len(summaries) != 1 || !strings.HasPrefix(summaries[0], "Wait until ") || !strings.HasSuffix(summaries[0], "Send it to bob@example.com") {
			t.Errorf("the timers' summaries are %q, want one: Wait until <time> to: ... Send it to bob@example.com", summaries)
		}
	})

	t.Run("AFailingCheckSendsNothing", func(t *testing.T) {
		noName := threeContacts + "BEGIN:VCARD\nVERSION:3.0\nFN:\nEMAIL:dan@example.com\nEND:VCARD\n"
		st := s.worker(t, testenv.WriteFile(t, "contacts.vcf", noName), nil)
		before := len(testenv.Messages(t, s.mailpit, ""))
		res, err := s.run(t, st, "language-check-fails", workflows.Input{Program: "Send 'Hi {first name}' to all my contacts", UserID: "user_123"})
		if err == nil {
			t.Fatalf("the program completed although dan@example.com has no name: %+v", res)
		}
		if want := "the placeholder {first name} cannot be filled: a contact the email goes to has no name; no email was sent (dan@example.com)"; !strings.Contains(res.Summary, want) {
			t.Errorf("summary = %q, want it to say %q", res.Summary, want)
		}
		if after := len(testenv.Messages(t, s.mailpit, "")); after != before {
			t.Errorf("Mailpit went from %d to %d emails, want no email sent", before, after)
		}
	})
}
