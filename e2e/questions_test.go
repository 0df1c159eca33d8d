package e2e_test

import (
	"context"
	"errors"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/eaapl/eaapl/config"
	"github.com/eaapl/eaapl/internal/testenv"
	"github.com/eaapl/eaapl/plan"
	"github.com/eaapl/eaapl/starter"
	"github.com/eaapl/eaapl/workflows"
)

const johnsAndAnn = `BEGIN:VCARD
VERSION:3.0
FN:John Smith
EMAIL:john.smith@example.com
END:VCARD
BEGIN:VCARD
VERSION:3.0
FN:John Doe
EMAIL:jd@example.com
END:VCARD
BEGIN:VCARD
VERSION:3.0
FN:Ann Lee
EMAIL:ann@example.com
END:VCARD
`

// TestQuestions runs programs that ask their user, on real parts, and answers them the two ways a user
// can: the answer update (what `eaapl answer` sends) and the answer signal (`temporal workflow signal`).
func TestQuestions(t *testing.T) {
	s := newStack(t)
	st := s.worker(t, testenv.WriteFile(t, "contacts.vcf", johnsAndAnn), func(cfg *config.Config) { cfg.ApprovalThreshold = 2 })

	t.Run("WhichJohnIsAnsweredByTheOwnerAloneWhateverTheOthersSend", func(t *testing.T) {
		const id = "ask-which-john"
		mallory := &starter.Starter{Client: st.Client, TaskQueue: st.TaskQueue, Identity: "mallory@attacker"}
		res := s.runAnswering(t, st, id, workflows.Input{Program: "Send 'Lunch?' to my contact John"}, func(q workflows.Question) {
			if q.Text != "2 contacts are named John. Which one?" {
				t.Errorf("question = %q", q.Text)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			// The attack: another user's update, through eaapl and through the temporal CLI.
			_, err := mallory.Answer(ctx, id, q.ID, "john.smith@example.com")
			var rejected *starter.RejectedAnswerError
			if !errors.As(err, &rejected) || !strings.Contains(rejected.Reason, "mallory@attacker may not answer this program: only its owner, "+testOwner) {
				t.Errorf("mallory's answer: %v, want it rejected naming the owner", err)
			}
			out, err := exec.Command(testenv.Bin(t, "temporal"), "workflow", "update", "execute", "--address", s.temporal.FrontendHostPort(),
				"--identity", "mallory@attacker", "--workflow-id", id, "--name", "answer",
				"--input", `{"question_id": "`+q.ID+`", "answer": "john.smith@example.com"}`).CombinedOutput()
			if err == nil || !strings.Contains(string(out), "does not say who sent it") {
				t.Errorf("temporal workflow update --identity mallory@attacker: %v\n%s\nwant it rejected: no eaapl identity", err, out)
			}
			// A signal without an identity (the temporal CLI's) is ignored.
			if out, err := exec.Command(testenv.Bin(t, "temporal"), "workflow", "signal", "--address", s.temporal.FrontendHostPort(),
				"--workflow-id", id, "--name", "answer", "--input", `{"question_id": "`+q.ID+`", "answer": "john.smith@example.com"}`).CombinedOutput(); err != nil {
				t.Fatalf("temporal workflow signal: %v\n%s", err, out)
			}
			time.Sleep(time.Second) // the signal is taken (and ignored) before the owner's answer
			if _, err := st.Answer(ctx, id, q.ID, "jd@example.com"); err != nil {
				t.Fatalf("the owner's answer: %v", err)
			}
		})
		if res.State != workflows.StateCompleted {
			t.Fatalf("state %q: %s", res.State, res.Summary)
		}
		if got := testenv.Messages(t, s.mailpit, "to:jd@example.com subject:Lunch?"); len(got) != 1 {
			t.Errorf("jd@example.com got %d emails, want 1", len(got))
		}
		if got := testenv.Messages(t, s.mailpit, "to:john.smith@example.com"); len(got) != 0 {
			t.Errorf("john.smith@example.com got %d emails, want none", len(got))
		}
		a, err := st.Audit(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		if a.Owner != testOwner || len(a.Questions) != 1 || a.Questions[0].By != testOwner || len(a.Refused) != 1 || a.Refused[0].Via != "signal" || a.Refused[0].By != "" {
			t.Errorf("audit = %+v, want owned and answered by %s, the anonymous signal refused", a, testOwner)
		}
	})

	t.Run("AnUnknownNameAndAMissingBodyAreAnsweredWithTheUpdate", func(t *testing.T) {
		const id = "ask-address-and-body"
		answers := map[string]string{
			"No contact is named Dave. What is Dave's email address?":                 "dave@example.org",
			"The program does not say what the email should say. What should it say?": "See you at 8",
		}
		res := s.runAnswering(t, st, id, workflows.Input{Program: "Send it to my contact Dave"}, func(q workflows.Question) {
			answer, ok := answers[q.Text]
			if !ok {
				t.Fatalf("unexpected question %q", q.Text)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			_, err := st.Answer(ctx, id, q.ID, "")
			var rejected *starter.RejectedAnswerError
			if !errors.As(err, &rejected) || !strings.Contains(rejected.Reason, "is empty") {
				t.Errorf("an empty answer: %v, want it rejected as empty", err)
			}
			if _, err := st.Answer(ctx, id, q.ID, answer); err != nil {
				t.Fatalf("answer %s: %v", q.ID, err)
			}
		})
		if res.State != workflows.StateCompleted {
			t.Fatalf("state %q: %s", res.State, res.Summary)
		}
		got := testenv.Messages(t, s.mailpit, "to:dave@example.org")
		if len(got) != 1 || strings.TrimSpace(got[0].Text) != "See you at 8" {
			t.Errorf("dave@example.org got %+v, want one email saying the answered text", got)
		}
	})

	t.Run("AForEachComposeWithNoBodyAsksForEachContact", func(t *testing.T) {
		const id = "ask-for-each-body"
		p, err := plan.Parse([]byte(`{"version": 1, "program": "Write each of my contacts a message", "steps": [
			{"id": "contacts", "command": "RetrieveContacts"},
			{"id": "compose", "command": "ComposeEmail", "depends_on": ["contacts"], "args": {"body": ""},
			 "for_each": {"items": "${steps.contacts.contacts}", "as": "contact"}}]}`))
		if err != nil {
			t.Fatal(err)
		}
		var asked []string
		res := s.runAnswering(t, st, id, workflows.Input{Plan: p}, func(q workflows.Question) {
			asked = append(asked, q.Item)
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			if _, err := st.Answer(ctx, id, q.ID, "See you at 8"); err != nil {
				t.Fatalf("answer %s: %v", q.ID, err)
			}
		})
		if res.State != workflows.StateCompleted {
			t.Fatalf("state %q: %s", res.State, res.Summary)
		}
		if len(asked) != 3 {
			t.Errorf("asked about %v, want each of the 3 contacts", asked)
		}
		for _, step := range res.Steps {
			for _, it := range step.Items {
				if step.ID == "compose" && (it.Task == nil || it.Task.Output["body"] != "See you at 8") {
					t.Errorf("compose item %s: %+v, want done with the answered body", it.Label, it)
				}
			}
		}
	})

	t.Run("ASendToMoreThanTheThresholdWaitsForApproval", func(t *testing.T) {
		const id = "ask-approval"
		before := len(testenv.Messages(t, s.mailpit, "subject:\"Hello all\""))
		// The input's threshold of 0 skipped the gate before identities: now the worker's (2) decides.
		res := s.runAnswering(t, st, id, workflows.Input{Program: "Send 'Hello all' to all my contacts", ApprovalThreshold: 0}, func(q workflows.Question) {
			if q.Kind != workflows.KindApproval || len(testenv.Messages(t, s.mailpit, "subject:\"Hello all\"")) != before {
				t.Errorf("question %+v, or something was sent before the approval", q)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			if _, err := st.Answer(ctx, id, q.ID, "approve"); err != nil {
				t.Fatalf("answer %s: %v", q.ID, err)
			}
		})
		if res.State != workflows.StateCompleted {
			t.Fatalf("state %q: %s", res.State, res.Summary)
		}
		if got := len(testenv.Messages(t, s.mailpit, "subject:\"Hello all\"")) - before; got != 3 {
			t.Errorf("%d emails sent after the approval, want 3", got)
		}
	})
}

// runAnswering starts a program and calls answer with each question it asks, once, until it ends.
func (s *stack) runAnswering(t *testing.T, st *starter.Starter, id string, in workflows.Input, answer func(workflows.Question)) workflows.Result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	wr, err := st.Start(ctx, id, in)
	if err != nil {
		t.Fatal(err)
	}
	answered := map[string]bool{}
	res, err := st.Wait(ctx, wr, 200*time.Millisecond, func(status workflows.Status) {
		for _, q := range status.Questions {
			if !answered[q.ID] {
				answered[q.ID] = true
				answer(q)
			}
		}
	})
	var failed *starter.FailedError
	if errors.As(err, &failed) {
		res = failed.Result
	} else if err != nil {
		t.Fatal(err)
	}
	if len(answered) == 0 {
		t.Error("the program asked nothing")
	}
	s.recordHistory(t, id)
	return res
}
