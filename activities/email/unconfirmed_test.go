package email_test

import (
	"context"
	"errors"
	"net/mail"
	"strings"
	"testing"

	"go.temporal.io/sdk/temporal"

	"github.com/eaapl/eaapl/activities/email"
	"github.com/eaapl/eaapl/catalog"
)

// pendingMailbox holds one unconfirmed copy, as an attempt killed between saving its copy in Sent and
// hearing the server's reply leaves it.
type pendingMailbox struct {
	emptyMailbox
	copy      string // the unconfirmed copy's name, "" for none
	confirmed bool
	discarded int
}

func (p *pendingMailbox) HasMessageID(context.Context, string) (bool, error) { return p.confirmed, nil }
func (p *pendingMailbox) Unconfirmed(context.Context, string) (string, error) {
	if p.confirmed {
		return "", nil
	}
	return p.copy, nil
}
func (p *pendingMailbox) ConfirmCopy(context.Context, string) error { p.confirmed = true; return nil }
func (p *pendingMailbox) DiscardCopy(context.Context, string) error {
	p.copy, p.discarded = "", p.discarded+1
	return nil
}

// A retry that finds the copy of an earlier attempt unconfirmed does not guess: it asks, and sends again
// or counts it sent as the user answers.
func TestAnUnconfirmedCopyIsAQuestion(t *testing.T) {
	run := func(mb *pendingMailbox, s *recordingSender, check bool, answer string) (catalog.TaskResult, error) {
		params := map[string]any{"to": "bob@example.com", "subject": "Hello", "body": "Hello World!"}
		if answer != "" {
			params["if_unconfirmed"] = answer
		}
		deps := catalog.Deps{email.Deps{Mailbox: mb, Sender: s, From: mail.Address{Address: "me@example.com"}}}
		return email.SendEmail.Run(context.Background(), deps, catalog.Call{Check: check, Task: catalog.Task{
			TaskID: "t1", Command: email.SendEmail.Name, Parameters: params,
			Context: catalog.TaskContext{WorkflowID: "wf", Step: "send", IdempotencyKey: "wf/send/0"}}})
	}
	t.Run("TheRetryAsks", func(t *testing.T) {
		s := &recordingSender{}
		_, err := run(&pendingMailbox{copy: "uid-7"}, s, true, "")
		var ae *temporal.ApplicationError
		var req catalog.InputRequest
		if !errors.As(err, &ae) || ae.Type() != catalog.ErrNeedsInput || ae.Details(&req) != nil {
			t.Fatalf("error %v, want a question (NeedsInput)", err)
		}
		if req.Param != "if_unconfirmed" || len(req.Options) != 2 || req.Options[0].Value != "send" || req.Options[1].Value != "sent" ||
			req.Options[0].Arg != "send uid-7" || req.Options[1].Arg != "sent uid-7" ||
			!strings.Contains(req.Question, "bob@example.com") || !strings.Contains(req.Question, "may have been sent before a crash") {
			t.Fatalf("question %+v, want send or sent for if_unconfirmed, naming bob@example.com", req)
		}
		if len(s.sent) != 0 {
			t.Fatalf("sent %d emails before the answer, want none", len(s.sent))
		}
	})
	t.Run("AnsweredSentCountsItSentAndConfirmsTheCopy", func(t *testing.T) {
		s, mb := &recordingSender{}, &pendingMailbox{copy: "uid-7"}
		res, err := run(mb, s, true, "sent uid-7")
		if err != nil {
			t.Fatal(err)
		}
		if res.Output["already_sent"] != true || len(s.sent) != 0 || !mb.confirmed {
			t.Fatalf("already_sent %v, %d sent, copy confirmed %v; want already sent, nothing sent, the copy confirmed", res.Output["already_sent"], len(s.sent), mb.confirmed)
		}
	})
	t.Run("AnsweredSendRemovesTheCopyAndSendsItAgain", func(t *testing.T) {
		s, mb := &recordingSender{}, &pendingMailbox{copy: "uid-7"}
		res, err := run(mb, s, true, "send uid-7")
		if err != nil {
			t.Fatal(err)
		}
		if res.Output["already_sent"] == true || len(s.sent) != 1 || mb.discarded != 1 {
			t.Fatalf("already_sent %v, %d sent, %d copies removed; want it sent once, its old copy removed", res.Output["already_sent"], len(s.sent), mb.discarded)
		}
	})
	t.Run("AnAnswerAboutAnEarlierCopyIsNotTakenForALaterOne", func(t *testing.T) {
		// The resend was killed in its turn, leaving a copy of its own unconfirmed: it is asked about again.
		s := &recordingSender{}
		_, err := run(&pendingMailbox{copy: "uid-9"}, s, true, "send uid-7")
		var ae *temporal.ApplicationError
		if !errors.As(err, &ae) || ae.Type() != catalog.ErrNeedsInput || len(s.sent) != 0 {
			t.Fatalf("error %v, %d sent; want the question again and nothing sent", err, len(s.sent))
		}
	})
	t.Run("AFirstAttemptDoesNotLook", func(t *testing.T) {
		s := &recordingSender{}
		if _, err := run(&pendingMailbox{copy: "uid-7"}, s, false, ""); err != nil || len(s.sent) != 1 {
			t.Fatalf("first attempt: %v, %d sent; want it sent", err, len(s.sent))
		}
	})
	t.Run("AnotherAnswerIsRefused", func(t *testing.T) {
		_, err := run(&pendingMailbox{copy: "uid-7"}, &recordingSender{}, true, "maybe")
		var ae *temporal.ApplicationError
		if !errors.As(err, &ae) || ae.Type() != catalog.ErrInvalidArgument || !strings.Contains(err.Error(), "if_unconfirmed") {
			t.Fatalf("error %v, want InvalidArgument naming if_unconfirmed", err)
		}
	})
}
