package email_test

import (
	"context"
	"errors"
	"net/mail"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"go.temporal.io/sdk/temporal"

	"github.com/eaapl/eaapl/activities"
	"github.com/eaapl/eaapl/activities/email"
	"github.com/eaapl/eaapl/activities/email/attachfiles"
	"github.com/eaapl/eaapl/catalog"
	"github.com/eaapl/eaapl/internal/workspace"
)

type recordingSender struct{ sent []email.Message }

func (s *recordingSender) Send(_ context.Context, m email.Message) error {
	s.sent = append(s.sent, m)
	return nil
}

type emptyMailbox struct{}

func (emptyMailbox) Emailed(context.Context, string, []string, time.Time, time.Time) (map[string]time.Time, error) {
	return nil, nil
}
func (emptyMailbox) HasMessageID(context.Context, string) (bool, error) { return false, nil }

// SendEmail with copies and attachments, the files read through the real workspace adapter.
func TestSendEmailWithCopiesAndAttachments(t *testing.T) {
	root := t.TempDir()
	dir := filepath.Join(root, "ws")
	os.Mkdir(dir, 0o755)
	os.WriteFile(filepath.Join(dir, "slides.pdf"), []byte("%PDF-1.4 slides"), 0o644)
	os.WriteFile(filepath.Join(root, "secrets.txt"), []byte("secret"), 0o644)
	ws, err := workspace.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer ws.Close()
	s := &recordingSender{}
	c := &activities.Commands{Deps: catalog.Deps{email.Deps{Mailbox: emptyMailbox{}, Sender: s,
		From: mail.Address{Address: "me@example.com"}, Attachments: attachfiles.Files{WS: ws}}}}
	send := func(params map[string]any) (catalog.TaskResult, error) {
		params["subject"], params["body"] = "Slides", "Slides attached"
		return c.Run(context.Background(), catalog.Task{TaskID: "t1", Command: email.SendEmail.Name, Parameters: params,
			Context: catalog.TaskContext{WorkflowID: "wf", Step: "send", IdempotencyKey: "wf/send/0"}})
	}

	res, err := send(map[string]any{"to": "carol@example.com", "cc": []any{"dave@example.com", "Carol@example.com", "dave@example.com"}, "attachments": []any{"slides.pdf"}})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := res.Output["cc"], []string{"dave@example.com"}; !reflect.DeepEqual(got, want) {
		t.Errorf("cc %v, want %v: the recipient and repeats left out", got, want)
	}
	if got := res.Output["attached"]; !reflect.DeepEqual(got, []string{"slides.pdf"}) {
		t.Errorf("attached %v", got)
	}
	if len(s.sent) != 1 || len(s.sent[0].Attachments) != 1 || string(s.sent[0].Attachments[0].Data) != "%PDF-1.4 slides" ||
		s.sent[0].Attachments[0].ContentType != "application/pdf" || !reflect.DeepEqual(s.sent[0].Cc, []string{"dave@example.com"}) {
		t.Fatalf("sent %+v", s.sent)
	}

	t.Run("AnAttachmentOutsideTheWorkspaceIsRefusedWithNothingSent", func(t *testing.T) {
		s.sent = nil
		_, err := send(map[string]any{"to": "carol@example.com", "attachments": []any{"../secrets.txt"}})
		var ae *temporal.ApplicationError
		if !errors.As(err, &ae) || ae.Type() != catalog.ErrInvalidArgument || !strings.Contains(err.Error(), "../secrets.txt is outside the workspace") {
			t.Errorf("error %v, want InvalidArgument naming ../secrets.txt", err)
		}
		if len(s.sent) != 0 {
			t.Errorf("sent %d messages, want none", len(s.sent))
		}
	})
	t.Run("ABadCopyAddressIsRefused", func(t *testing.T) {
		_, err := send(map[string]any{"to": "carol@example.com", "cc": []any{"not an address"}})
		var ae *temporal.ApplicationError
		if !errors.As(err, &ae) || ae.Type() != catalog.ErrInvalidArgument || !strings.Contains(err.Error(), "not an address") {
			t.Errorf("error %v, want InvalidArgument naming the address", err)
		}
	})
}
