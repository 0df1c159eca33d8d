package activities

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/mail"
	"strings"
	"time"

	"github.com/eaapl/eaapl/catalog"
)

// Sender sends email.
type Sender interface {
	// Send sends m. A refusal that retrying cannot change is a *RejectedError; any other error is
	// temporary.
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

// Message is one plain-text email to one recipient.
type Message struct {
	From, FromName string
	To, ToName     string
	Subject, Body  string
	MessageID      string // the Message-ID header, with its angle brackets
}

// RejectedError reports that the mail server refused a message for good (an SMTP 5xx reply), so that
// sending it again cannot succeed. Auth is true when the refusal was of the credentials.
type RejectedError struct {
	Server string // host:port
	Code   int    // the SMTP reply code, 500..599; 0 when the message was refused before reaching the server
	Reply  string // the server's reply
	Auth   bool
}

func (e *RejectedError) Error() string {
	if e.Auth {
		return fmt.Sprintf("SMTP server %s refused the credentials: %s", e.Server, e.Reply)
	}
	return fmt.Sprintf("SMTP server %s refused the message: %s", e.Server, e.Reply)
}

// recipient is SendEmail's "to": a contact object, or an address as a bare string.
type recipient Contact

func (r *recipient) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		*r = recipient{Email: s}
		return nil
	}
	var c Contact
	if err := json.Unmarshal(b, &c); err != nil {
		return err
	}
	*r = recipient(c)
	return nil
}

type sendEmailArgs struct {
	To      recipient `json:"to"`
	Subject string    `json:"subject"`
	Body    string    `json:"body"`
}

// SendEmail sends one email, at most once per task: its Message-ID is made from the task's idempotency
// key, and a message with that ID already in the mailbox means an earlier attempt sent it. Output:
// recipient, message_id and already_sent.
func (a *Activities) SendEmail(ctx context.Context, t catalog.Task) (catalog.TaskResult, error) {
	return a.sendEmail(ctx, t, a.Sender, true)
}

// sendEmail is SendEmail through sender. check says whether to look in the mailbox for the Message-ID
// first: RunBatch leaves it out for an item that no earlier attempt can have started (see batch.go).
func (a *Activities) sendEmail(ctx context.Context, t catalog.Task, sender Sender, check bool) (catalog.TaskResult, error) {
	started := time.Now()
	t.Command = "SendEmail"
	var args sendEmailArgs
	if err := decodeArgs(t, &args); err != nil {
		return catalog.TaskResult{}, err
	}
	to, err := validAddress(args.To.Email)
	if err != nil {
		return catalog.TaskResult{}, invalidArgument(t, "%q%s is not a valid email address: %v", args.To.Email, fromSource(args.To.Source), err)
	}
	name := strings.TrimSpace(args.To.Name)
	if name == "" {
		name = to.Name
	}
	if strings.TrimSpace(args.Body) == "" {
		return catalog.TaskResult{}, invalidArgument(t, "parameter %q must not be blank", "body")
	}
	if strings.TrimSpace(t.Context.IdempotencyKey) == "" {
		return catalog.TaskResult{}, invalidArgument(t, "the task has no idempotency key, so the email could be sent twice")
	}
	if (check && a.Mailbox == nil) || sender == nil {
		return catalog.TaskResult{}, fmt.Errorf("%w: Mailbox and Sender", errMissingDependency)
	}
	id := MessageID(t.Context.IdempotencyKey, a.From.Address)
	output := map[string]any{"recipient": to.Address, "message_id": id, "already_sent": false}

	if check {
		sent, err := a.Mailbox.HasMessageID(ctx, id)
		if err != nil {
			// Not knowing whether an earlier attempt sent it, sending now could send it twice: retry later.
			return catalog.TaskResult{}, fmt.Errorf("check whether %s was already sent: %w", id, err)
		}
		if sent {
			output["already_sent"] = true
			return a.result(ctx, t, started, output), nil
		}
	}
	err = sender.Send(ctx, Message{
		From:      a.From.Address,
		FromName:  a.From.Name,
		To:        to.Address,
		ToName:    name,
		Subject:   oneLine(args.Subject),
		Body:      args.Body,
		MessageID: id,
	})
	var rejected *RejectedError
	switch {
	case errors.As(err, &rejected) && rejected.Auth:
		return catalog.TaskResult{}, taskError(t, catalog.ErrUnauthorized, "send to %s: %v", to.Address, err)
	case errors.As(err, &rejected):
		return catalog.TaskResult{}, taskError(t, catalog.ErrInvalidArgument, "send to %s: %v", to.Address, err)
	case err != nil:
		return catalog.TaskResult{}, fmt.Errorf("send to %s: %w", to.Address, err)
	}
	return a.result(ctx, t, started, output), nil
}

// validAddress parses an email address, bare or with a display name, and requires a domain.
func validAddress(s string) (*mail.Address, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, errors.New("it is empty")
	}
	addr, err := mail.ParseAddress(s)
	if err != nil {
		return nil, err
	}
	at := strings.LastIndexByte(addr.Address, '@')
	if at < 0 || at == len(addr.Address)-1 {
		return nil, errors.New("it has no domain")
	}
	return addr, nil
}

// fromSource is " (from contacts.vcf:12)" for a recipient that names where it came from.
func fromSource(source string) string {
	if source == "" {
		return ""
	}
	return " (from " + source + ")"
}

// MessageID returns the Message-ID of the email sent for an idempotency key: "<eaapl.HASH@DOMAIN>", where
// HASH is a hash of the key (so that the key's characters, which a header may not hold, do not matter) and
// DOMAIN is the sender's domain, as RFC 5322 asks. The same key always gives the same ID.
func MessageID(idempotencyKey, fromAddress string) string {
	sum := sha256.Sum256([]byte(idempotencyKey))
	domain := strings.ToLower(fromAddress[strings.LastIndexByte(fromAddress, '@')+1:])
	if !isDotAtom(domain) {
		domain = "eaapl.invalid"
	}
	return "<eaapl." + hex.EncodeToString(sum[:16]) + "@" + domain + ">"
}

// isDotAtom reports whether s is a plain host name, safe as the right side of a Message-ID.
func isDotAtom(s string) bool {
	if s == "" || strings.HasPrefix(s, ".") || strings.HasSuffix(s, ".") || strings.Contains(s, "..") {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' || r == '.') {
			return false
		}
	}
	return true
}
