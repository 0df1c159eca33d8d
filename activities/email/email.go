// Package email is the email command family: CheckEmailHistory (whom the user emailed when), ComposeEmail
// (a message from a text), SendEmail (one email, at most once per task, with copies and workspace
// files attached, and a batch capability: a batch's emails share one SMTP connection) and FindReply (a
// reply to an email, for "if he doesn't reply within a day"). It reaches the mail server, the mailbox
// and the workspace only through Sender, Mailbox, Inbox and Attachments, which the worker wires to
// adapters (smtp, mailpit or IMAP, attachfiles).
package email

import (
	"context"
	"fmt"
	"net/mail"
	"time"

	"github.com/eaapl/eaapl/catalog"
)

// Commands are the family's commands, for catalog.Register.
func Commands() []*catalog.Spec {
	return []*catalog.Spec{CheckEmailHistory, ComposeEmail, SendEmail, FindReply}
}

// Deps are what the family's commands use.
type Deps struct {
	Mailbox Mailbox      // the user's email history, also consulted before a send
	Sender  Sender       // outgoing mail
	Inbox   Inbox        // where replies arrive, which FindReply searches
	From    mail.Address // the user: the sender of every email, and whose history is searched
	// Attachments reads the workspace files an email carries; nil refuses attachments.
	Attachments Attachments
	// Store is where a body given as stored content (a large document) is read from.
	Store catalog.ContentStore
}

// Attachments reads the workspace files an email carries, in order. A path outside the workspace, a
// missing file and files over the cap are an *AttachmentError (a retry cannot fix it), refused before
// anything is read or sent; any other error is temporary.
type Attachments interface {
	Collect(ctx context.Context, paths []string) ([]Attachment, error)
}

// Attachment is one file an email carries.
type Attachment struct {
	Name        string // as the recipient sees it: the file's base name, unique in the message
	Path        string // inside the workspace
	ContentType string
	Data        []byte
}

// AttachmentError is an attachment that can never be sent: outside the workspace, missing, too large.
type AttachmentError struct{ Err error }

func (e *AttachmentError) Error() string { return e.Err.Error() }
func (e *AttachmentError) Unwrap() error { return e.Err }

// Mailbox is the user's email history. It is an interface because Mailpit, the dev stack's mailbox, is the
// first of several backends (IMAP comes next).
type Mailbox interface {
	// Emailed returns, for each address in to that from emailed within [since, until), the latest time it
	// did. Addresses match case-insensitively; the map's keys are the strings of to.
	Emailed(ctx context.Context, from string, to []string, since, until time.Time) (map[string]time.Time, error)
	// HasMessageID reports whether a message with this Message-ID (with or without its angle brackets) is
	// already in the mailbox, i.e. was sent before.
	HasMessageID(ctx context.Context, messageID string) (bool, error)
}

// UnconfirmedCopies is a Mailbox whose Sent folder gets each email's copy before the submission, marked
// unconfirmed until the server accepted it (IMAP, on a mail system that does not save sent mail itself),
// so that an attempt that died in between leaves a copy saying it may have gone.
type UnconfirmedCopies interface {
	// Unconfirmed names the copy of the message still marked unconfirmed when there is no confirmed one
	// (whether it went is not known), and is "" otherwise. A later copy of the same message has another
	// name, so an answer about one copy is not taken for the next.
	Unconfirmed(ctx context.Context, messageID string) (string, error)
	// ConfirmCopy marks the unconfirmed copy confirmed: the user said the email went.
	ConfirmCopy(ctx context.Context, messageID string) error
	// DiscardCopy removes the unconfirmed copy: the user said it did not go, and it is sent again (with a
	// copy of its own).
	DiscardCopy(ctx context.Context, messageID string) error
}

// Sender sends email.
type Sender interface {
	// Send sends m. A refusal that retrying cannot change is a *RejectedError; a message sent whose copy
	// was not saved in Sent is a *NotSavedError; any other error is temporary.
	Send(ctx context.Context, m Message) error
}

// SessionSender is a Sender that can also send several messages over one connection.
type SessionSender interface {
	Sender
	Session() SenderSession
}

// SenderSession sends messages one after another over one connection; Close ends it. It is not safe for
// concurrent use.
type SenderSession interface {
	Sender
	Close()
}

// Message is one plain-text email to one recipient, with copies and attachments.
type Message struct {
	From, FromName string
	To, ToName     string
	Cc             []string // bare addresses
	Subject, Body  string
	MessageID      string // the Message-ID header, with its angle brackets
	Attachments    []Attachment
}

// RejectedError reports that the mail server refused a message for good (an SMTP 5xx reply), so that
// sending it again cannot succeed. Auth is true when the refusal was of the credentials.
type RejectedError struct {
	Server string // host:port
	Code   int    // the SMTP reply code, 500..599; 0 when the message was refused before reaching the server
	Reply  string // the server's reply, or what is wrong when there was none
	Auth   bool
	// TLS is true when the server's certificate was not trusted: no message can go until that is fixed.
	TLS bool
	Fix string // what to change, when the sender knows
}

func (e *RejectedError) Error() string {
	var msg string
	switch {
	case e.TLS:
		msg = fmt.Sprintf("SMTP server %s: %s", e.Server, e.Reply)
	case e.Auth:
		msg = fmt.Sprintf("SMTP server %s refused the credentials: %s", e.Server, e.Reply)
	default:
		msg = fmt.Sprintf("SMTP server %s refused the message: %s", e.Server, e.Reply)
	}
	if e.Fix != "" {
		msg += "; " + e.Fix
	}
	return msg
}

// NotSavedError reports that a message was sent but its copy for the Sent folder could not be saved.
// The message went, so the task must not send it again: SendEmail reports success and logs this.
type NotSavedError struct {
	MessageID string
	Err       error
}

func (e *NotSavedError) Error() string {
	return fmt.Sprintf("sent %s, but its copy was not saved in the Sent folder: %v", e.MessageID, e.Err)
}

func (e *NotSavedError) Unwrap() error { return e.Err }
