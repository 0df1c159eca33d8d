package email_test

import (
	"context"
	"errors"
	"fmt"
	"net/mail"
	"strings"
	"testing"
	"time"

	"go.temporal.io/sdk/temporal"

	"github.com/eaapl/eaapl/activities"
	"github.com/eaapl/eaapl/activities/email"
	"github.com/eaapl/eaapl/catalog"
)

// fakeInbox answers Answering and ReceivedFrom from a list, as the adapters do: by the ids and the sender.
type fakeInbox struct {
	answering map[string][]email.Received // by Message-ID
	from      []email.Received
	asked     []string
}

func (f *fakeInbox) Answering(_ context.Context, user, id string, since time.Time) ([]email.Received, error) {
	f.asked = append(f.asked, "answering "+user+" "+id)
	return f.answering[id], nil
}

func (f *fakeInbox) ReceivedFrom(_ context.Context, user, from string, since time.Time) ([]email.Received, error) {
	f.asked = append(f.asked, "from "+user+" "+from)
	var out []email.Received
	for _, m := range f.from {
		if strings.EqualFold(m.From, from) && !m.At.Before(since) {
			out = append(out, m)
		}
	}
	return out, nil
}

func TestFindReply(t *testing.T) {
	sent := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	find := func(t *testing.T, inbox *fakeInbox, params map[string]any) (map[string]any, error) {
		t.Helper()
		c := &activities.Commands{Deps: catalog.Deps{email.Deps{Inbox: inbox, From: mail.Address{Address: "me@example.com"}}}}
		res, err := c.Run(context.Background(), catalog.Task{TaskID: "t1", Command: email.FindReply.Name, Parameters: params,
			Context: catalog.TaskContext{WorkflowID: "wf", Step: "await", IdempotencyKey: "wf/await"}})
		return res.Output, err
	}
	params := map[string]any{"message_id": "<ask@eaapl.test>", "from": "bob@example.com", "since": sent.Format(time.RFC3339)}

	t.Run("InReplyToWinsOverReferencesAndFrom", func(t *testing.T) {
		inbox := &fakeInbox{
			answering: map[string][]email.Received{"ask@eaapl.test": {
				{MessageID: "refs@x", From: "alice@example.com", At: sent.Add(time.Minute)},
				{MessageID: "irt@x", From: "bob@example.com", At: sent.Add(2 * time.Minute), InReplyTo: true},
			}},
			from: []email.Received{{MessageID: "new@x", From: "bob@example.com", At: sent.Add(30 * time.Second)}},
		}
		out, err := find(t, inbox, params)
		if err != nil {
			t.Fatal(err)
		}
		if out["replied"] != true || out["matched"] != email.MatchedInReplyTo || out["reply_message_id"] != "irt@x" || out["reply_from"] != "bob@example.com" {
			t.Fatalf("output %v; want Bob's In-Reply-To reply", out)
		}
		if out["received_at"] != sent.Add(2*time.Minute).Format(time.RFC3339) {
			t.Errorf("received_at %v", out["received_at"])
		}
	})
	t.Run("ReferencesWhenNoInReplyTo", func(t *testing.T) {
		inbox := &fakeInbox{answering: map[string][]email.Received{"ask@eaapl.test": {{MessageID: "refs@x", From: "bob@example.com", At: sent.Add(time.Minute)}}}}
		out, err := find(t, inbox, params)
		if err != nil || out["matched"] != email.MatchedReferences || out["reply_message_id"] != "refs@x" {
			t.Fatalf("output %v, %v; want the References reply", out, err)
		}
		if want := "[from me@example.com bob@example.com answering me@example.com ask@eaapl.test]"; fmt.Sprint(inbox.asked) != want {
			t.Errorf("asked %q, want %s: the sender's search first, so that a reply landing between them is seen by its header", inbox.asked, want)
		}
	})
	t.Run("FromTheRecipientAfterTheSendFailingThose", func(t *testing.T) {
		inbox := &fakeInbox{from: []email.Received{
			{MessageID: "before@x", From: "bob@example.com", At: sent.Add(-time.Minute)},
			{MessageID: "after@x", From: "Bob@Example.com", At: sent.Add(time.Hour)},
		}}
		out, err := find(t, inbox, params)
		if err != nil || out["matched"] != email.MatchedFrom || out["reply_message_id"] != "after@x" {
			t.Fatalf("output %v, %v; want the message sent after the email", out, err)
		}
	})
	t.Run("NoReply", func(t *testing.T) {
		inbox := &fakeInbox{from: []email.Received{{MessageID: "before@x", From: "bob@example.com", At: sent.Add(-time.Minute)},
			{MessageID: "carol@x", From: "carol@example.com", At: sent.Add(time.Minute)}}}
		out, err := find(t, inbox, params)
		if err != nil || out["replied"] != false || out["matched"] != "" || out["reply_message_id"] != "" {
			t.Fatalf("output %v, %v; want replied false", out, err)
		}
	})
	for name, bad := range map[string]map[string]any{
		"message_id": {"message_id": "two words", "from": "bob@example.com", "since": sent.Format(time.RFC3339)},
		"from":       {"message_id": "<a@b>", "from": "not an address", "since": sent.Format(time.RFC3339)},
		"since":      {"message_id": "<a@b>", "from": "bob@example.com", "since": "yesterday"},
	} {
		t.Run("RefusesABad_"+name, func(t *testing.T) {
			_, err := find(t, &fakeInbox{}, bad)
			var ae *temporal.ApplicationError
			if !errors.As(err, &ae) || ae.Type() != catalog.ErrInvalidArgument || !strings.Contains(err.Error(), name) {
				t.Fatalf("error %v; want InvalidArgument naming %s", err, name)
			}
		})
	}
}
