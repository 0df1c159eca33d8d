package activities

import (
	"context"
	"net/mail"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/eaapl/eaapl/activities/contacts"
	"github.com/eaapl/eaapl/activities/contacts/contactsfile"
	"github.com/eaapl/eaapl/activities/email"
	"github.com/eaapl/eaapl/activities/email/mailpit"
	"github.com/eaapl/eaapl/activities/email/smtp"
	"github.com/eaapl/eaapl/catalog"
	"github.com/eaapl/eaapl/internal/contactfile"
)

// The tests of this package run each command the way a worker does: through Commands (the single-task
// activity) and Batches (RunBatch), over the families' own code, with fakes or the real adapters as
// their dependencies.

// testWorker is a worker's dependencies, field by field, with one method per command as the tests call
// them: each runs the command through Commands.Run.
type testWorker struct {
	Contacts contacts.Source
	Mailbox  email.Mailbox
	Sender   email.Sender
	From     mail.Address
	WorkerID string
}

func (w *testWorker) commands() *Commands {
	return &Commands{
		Deps:     append(catalog.Deps{contacts.Deps{Source: w.Contacts}, email.Deps{Mailbox: w.Mailbox, Sender: w.Sender, Inbox: noReplies{}, From: w.From}}, familyDeps()...),
		WorkerID: w.WorkerID,
	}
}

func (w *testWorker) run(command string) func(context.Context, catalog.Task) (catalog.TaskResult, error) {
	return func(ctx context.Context, t catalog.Task) (catalog.TaskResult, error) {
		t.Command = command
		return w.commands().Run(ctx, t)
	}
}

func (w *testWorker) RetrieveContacts(ctx context.Context, t catalog.Task) (catalog.TaskResult, error) {
	return w.run("RetrieveContacts")(ctx, t)
}

func (w *testWorker) FindContact(ctx context.Context, t catalog.Task) (catalog.TaskResult, error) {
	return w.run("FindContact")(ctx, t)
}

func (w *testWorker) CheckEmailHistory(ctx context.Context, t catalog.Task) (catalog.TaskResult, error) {
	return w.run("CheckEmailHistory")(ctx, t)
}

func (w *testWorker) ComposeEmail(ctx context.Context, t catalog.Task) (catalog.TaskResult, error) {
	return w.run("ComposeEmail")(ctx, t)
}

func (w *testWorker) SendEmail(ctx context.Context, t catalog.Task) (catalog.TaskResult, error) {
	return w.run("SendEmail")(ctx, t)
}

// The families' and adapters' names, as the tests use them.
type (
	Contact            = catalog.ContactValue
	ContactsCheckpoint = contactfile.Checkpoint
	FileContacts       = contactsfile.FileContacts
	Message            = email.Message
	RejectedError      = email.RejectedError
	SMTPConfig         = smtp.Config
	SenderSession      = email.SenderSession
)

var (
	MessageID  = email.MessageID
	NewSMTP    = smtp.New
	NewMailpit = mailpit.New
)

// writeFile writes content to a file called name in a fresh temporary folder and returns its path.
func writeFile(tb testing.TB, name, content string) string {
	tb.Helper()
	path := filepath.Join(tb.TempDir(), name)
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		tb.Fatal(err)
	}
	return path
}

// noReplies is an inbox with no replies in it.
type noReplies struct{}

func (noReplies) Answering(context.Context, string, string, time.Time) ([]email.Received, error) {
	return nil, nil
}

func (noReplies) ReceivedFrom(context.Context, string, string, time.Time) ([]email.Received, error) {
	return nil, nil
}
