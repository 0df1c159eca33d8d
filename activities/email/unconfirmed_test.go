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
	pending   bool
	confirmed bool
}

func (p *pendingMailbox) HasMessageID(context.Context, string) (bool, error) { return p.confirmed, nil }
func (p *pendingMailbox) Unconfirmed(context.Context, string) (bool, error) {
	return p.pending && !p.confirmed, nil
}
func (p *pendingMailbox) ConfirmCopy(context.Context, string) error { p.confirmed = true; return nil }

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
		_, err := run(&pendingMailbox{pending: true}, s, true, "")
		var ae *temporal.ApplicationError
		var req catalog.InputRequest
		if !errors.As(err, &ae) || ae.Type() != catalog.ErrNeedsInput || ae.Details(&req) != nil {
			t.Fatalf("error %v, want a question (NeedsInput)", err)
		}
		if req.Param != "if_unconfirmed" || len(req.Options) != 2 || req.Options[0].Value != "send" || req.Options[1].Value != "sent" ||
			!strings.Contains(req.Question, "bob@example.com") || !strings.Contains(req.Question, "may have been sent before a crash") {
			t.Fatalf("question %+v, want send or sent for if_unconfirmed, naming bob@example.com", req)
		}
		if len(s.sent) != 0 {
			t.Fatalf("sent %d emails before the answer, want none", len(s.sent))
		}
	})
	t.Run("AnsweredSentCountsItSentAndConfirmsTheCopy", func(t *testing.T) {
		s, mb := &recordingSender{}, &pendingMailbox{pending: true}
		res, err := run(mb, s, true, "sent")
		if err != nil {
			t.Fatal(err)
		}
		if res.Output["already_sent"] != true || len(s.sent) != 0 || !mb.confirmed {
			t.Fatalf("already_sent %v, %d sent, copy confirmed %v; want already sent, nothing sent, the copy confirmed", res.Output["already_sent"], len(s.sent), mb.confirmed)
		}
	})
	t.Run("AnsweredSendSendsItAgain", func(t *testing.T) {
		s := &recordingSender{}
		res, err := run(&pendingMailbox{pending: true}, s, true, "send")
		if err != nil {
			t.Fatal(err)
		}
		if res.Output["already_sent"] == true || len(s.sent) != 1 {
			t.Fatalf("already_sent %v, %d sent; want it sent once", res.Output["already_sent"], len(s.sent))
		}
	})
	t.Run("AFirstAttemptDoesNotLook", func(t *testing.T) {
		s := &recordingSender{}
		if _, err := run(&pendingMailbox{pending: true}, s, false, ""); err != nil || len(s.sent) != 1 {
			t.Fatalf("first attempt: %v, %d sent; want it sent", err, len(s.sent))
		}
	})
	t.Run("AnotherAnswerIsRefused", func(t *testing.T) {
		_, err := run(&pendingMailbox{pending: true}, &recordingSender{}, true, "maybe")
		var ae *temporal.ApplicationError
		if !errors.As(err, &ae) || ae.Type() != catalog.ErrInvalidArgument || !strings.Contains(err.Error(), "if_unconfirmed") {
			t.Fatalf("error %v, want InvalidArgument naming if_unconfirmed", err)
		}
	})
}
