package email

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/mail"
	"strings"
	"time"

	"go.temporal.io/sdk/activity"

	"github.com/eaapl/eaapl/activities/contentvalue"
	"github.com/eaapl/eaapl/catalog"
)

type sendArgs struct {
	To          catalog.Recipient   `json:"to" eaapl:"required" desc:"the recipient"`
	Subject     string              `json:"subject" eaapl:"required" desc:"the subject line"`
	Body        catalog.Content     `json:"body" eaapl:"required" desc:"the message text (a document's or a page's text may be given as it is)"`
	Cc          []catalog.Recipient `json:"cc" desc:"who gets a copy"`
	Attachments []string            `json:"attachments" eaapl:"list<path>" desc:"workspace files to attach, as the user named them"`
	// IfUnconfirmed is the user's answer when an earlier attempt may have sent the email (see send).
	IfUnconfirmed string `json:"if_unconfirmed" desc:"send (again) or sent (count it sent), and the copy in Sent it is about, when an earlier attempt may have sent it; set by an answer"`
}

// The answers to "may have been sent before a crash".
const (
	ResendUnconfirmed = "send"
	CountUnconfirmed  = "sent"
	unconfirmedParam  = "if_unconfirmed"
)

type sendOutput struct {
	Recipient   string   `json:"recipient" eaapl:"address,required" desc:"the address the email went to"`
	MessageID   string   `json:"message_id" eaapl:"required" desc:"the Message-ID header, deterministic per task"`
	AlreadySent bool     `json:"already_sent" desc:"true when an earlier attempt had sent it"`
	Cc          []string `json:"cc" eaapl:"list<address>" desc:"the addresses that got a copy"`
	Attached    []string `json:"attached" desc:"the names of the files attached"`
}

// The bounds of one email: a body (a document's text) and the copies it goes to.
const (
	MaxBodyBytes = 10 << 20
	MaxCc        = 50
)

var SendEmail = catalog.Define(catalog.Def[Deps, sendArgs, sendOutput]{
	Name:        "SendEmail",
	Description: "Send an email to one recipient, with copies (cc) and workspace files attached, at most once per task.",
	SideEffect:  catalog.Writes,
	Timeout:     time.Minute,
	// a dead worker's task is retried elsewhere within seconds
	HeartbeatTimeout: catalog.HeartbeatTimeout,
	Retry:            catalog.DefaultRetry,
	Label:            catalog.Label{Arg: "to", Word: "to", Verb: "Send", Quote: "subject", Items: "recipients"},
	Run:              send,
	Preview:          previewSend,
	Verb:             "send",
	// A batch's emails go over one SMTP connection.
	Session: func(d Deps) (Deps, func()) {
		s, ok := d.Sender.(SessionSender)
		if !ok {
			return d, func() {}
		}
		session := s.Session()
		d.Sender = session
		return d, session.Close
	},
	Hint: func(string) string {
		return "check that the mail server (EAAPL_SMTP_ADDR) and the mailbox (EAAPL_MAILBOX_URL) are up, then answer retry; the email is never sent twice"
	},
	ReadBack: readBackSend,
	Outcome: func(state string, output map[string]any) (string, string) {
		id, _ := output["message_id"].(string)
		switch state {
		case "done":
			if output["already_sent"] == true {
				return "already sent", id
			}
			return "sent", id
		case "skipped":
			return "not sent", ""
		}
		return state, id
	},
	Forms: catalog.Forms{
		// As docs/english.md writes them; the message and the subject are ComposeEmail's.
		Phrases: []string{"send an email to {to}", "send {body} to {to}", "email {to}", "send {to} an email",
			"send {body} to {to} with {attachments} attached", "email {attachments} to {to}",
			"tell {to} {body}", "say {body} to {to}", "let {to} know {body}"},
		Args: map[string][]string{"to": {"to"}, "cc": {"cc", "copying", "with a copy to"},
			"attachments": {"attached", "attaching", "with the file"}},
		Results: map[string]catalog.ResultWords{
			"cc":           {Noun: "the addresses copied"},
			"attached":     {Noun: "the files attached"},
			"recipient":    {Noun: "the address it went to"},
			"message_id":   {Noun: "its Message-ID"},
			"already_sent": {Noun: "whether it had been sent before"},
		},
		// A verb with {to} goes around its recipients: "let all my contacts know", "drop ann@example.com a
		// line". "mail" is "email" (the post is no command of EaaPL); "say" and "tell" give a message.
		Verbs: []string{"send", "email", "mail", "write", "drop a line", "message", "remind", "reach out to", "tell", "say",
			"drop a note", "drop a quick note", "drop a quick line", "drop an email", "drop a quick email",
			"shoot a note", "shoot a quick note", "shoot a line", "shoot a quick line", "shoot an email", "shoot a quick email",
			"let {to} know", "drop {to} a line", "drop {to} a note", "drop {to} a quick line", "drop {to} a quick note",
			"drop {to} an email", "shoot {to} a note", "shoot {to} a quick note", "shoot {to} an email", "shoot {to} a quick email"},
		Objects: append([]string{"email", "emails", "message", "messages", "note", "mail", "a email", "a emails", "a message", "a messages", "a note", "a mail", "an email", "an emails", "an message", "an messages", "an note", "an mail", "it", "this"},
			sizedObjects()...),
		Examples: []catalog.Example{
			{Pattern: "Send an email to <recipients> that says '<message>'", Program: "Send an email to each of my contacts that says 'Hello World!'"},
			{Pattern: "Send '<message>' to <recipients>", Program: "Send 'Lunch?' to bob@example.com"},
			{Pattern: "Email <recipients> saying '<message>'", Program: "Email everyone in my contacts saying 'Happy new year'"},
			{Pattern: "Send '<message>' to <address> with <file> attached (and a copy to <address>)", Program: "Send 'Slides attached' to carol@example.com with slides.pdf attached"},
			{Pattern: "Email <result> to <recipients>: it, the summary, the trends, the page, the document", Program: "Read todo.txt and email it to bob@example.com"},
			{Pattern: "Email <file> to <recipients>: the file attached (the program asks for the message unless it gives one)", Program: "Email slides.pdf to carol@example.com"},
			{Pattern: "Tell <recipients> '<message>' (also: mail, say '<message>' to, let <recipients> know, drop or shoot a (quick) note or line to)", Program: "Tell ann@example.com 'Thanks for yesterday'"},
		},
	},
})

// send sends one email, at most once per task: its Message-ID is made from the task's idempotency key,
// and a message with that ID already in the mailbox means an earlier attempt sent it. It looks in the
// mailbox first only when the call says an earlier attempt may have sent it (Call.Check): a batch's
// fresh items skip the search (see activities/batch.go).
func send(ctx context.Context, d Deps, args sendArgs) (sendOutput, error) {
	call := catalog.CallOf(ctx)
	to, err := validAddress(args.To.Email)
	if err != nil {
		return sendOutput{}, catalog.Invalid("%q%s is not a valid email address: %v", args.To.Email, fromSource(args.To.Source), err)
	}
	name := strings.TrimSpace(args.To.Name)
	if name == "" {
		name = to.Name
	}
	if args.Body.Ref == nil && strings.TrimSpace(args.Body.Text) == "" {
		return sendOutput{}, catalog.Invalid("parameter %q must not be blank", "body")
	}
	cc, err := copies(args.Cc, to.Address)
	if err != nil {
		return sendOutput{}, err
	}
	key := call.Task.Context.IdempotencyKey
	if strings.TrimSpace(key) == "" {
		return sendOutput{}, catalog.Invalid("the task has no idempotency key, so the email could be sent twice")
	}
	if (call.Check && d.Mailbox == nil) || d.Sender == nil {
		return sendOutput{}, fmt.Errorf("%w: Mailbox and Sender", catalog.ErrMissingDependency)
	}
	// The attachments and the body are read before anything is sent: a path outside the workspace is
	// refused with nothing sent.
	files, err := attachments(ctx, d, args.Attachments)
	if err != nil {
		return sendOutput{}, err
	}
	body, err := contentvalue.Read(ctx, d.Store, args.Body, MaxBodyBytes)
	var tl *contentvalue.TooLargeError
	switch {
	case errors.As(err, &tl):
		return sendOutput{}, catalog.Invalid("the body: %v; attach the file instead", err)
	case err != nil:
		return sendOutput{}, err
	case strings.TrimSpace(body) == "":
		return sendOutput{}, catalog.Invalid("parameter %q must not be blank", "body")
	}
	id := MessageID(key, d.From.Address)
	out := sendOutput{Recipient: to.Address, MessageID: id, Cc: cc}
	for _, f := range files {
		out.Attached = append(out.Attached, f.Name)
	}

	if a := args.IfUnconfirmed; a != "" && !strings.HasPrefix(a, ResendUnconfirmed+" ") && !strings.HasPrefix(a, CountUnconfirmed+" ") {
		return sendOutput{}, catalog.Invalid("parameter %q is %q; it must be %q or %q and the copy's name", unconfirmedParam, a, ResendUnconfirmed, CountUnconfirmed)
	}
	if call.Check {
		sent, err := d.Mailbox.HasMessageID(ctx, id)
		if err != nil {
			// Not knowing whether an earlier attempt sent it, sending now could send it twice: retry later.
			return sendOutput{}, fmt.Errorf("check whether %s was already sent: %w", id, err)
		}
		if sent {
			out.AlreadySent = true
			return out, nil
		}
		if done, err := unconfirmed(ctx, d.Mailbox, args, to.Address, id); err != nil || done {
			out.AlreadySent = done
			return out, err
		}
	}
	err = d.Sender.Send(ctx, Message{
		From:        d.From.Address,
		FromName:    d.From.Name,
		To:          to.Address,
		ToName:      name,
		Cc:          cc,
		Subject:     oneLine(args.Subject),
		Body:        body,
		MessageID:   id,
		Attachments: files,
	})
	var rejected *RejectedError
	var notSaved *NotSavedError
	switch {
	case errors.As(err, &notSaved):
		// It went: failing the task would send it again, as the duplicate check reads Sent. The history
		// of the next run will not see it, which the log says.
		if activity.IsActivity(ctx) {
			activity.GetLogger(ctx).Warn("email sent but not saved in Sent", "to", to.Address, "error", err.Error())
		}
		return out, nil
	case errors.As(err, &rejected) && (rejected.Auth || rejected.TLS):
		return sendOutput{}, catalog.Fail(catalog.ErrUnauthorized, "send to %s: %v", to.Address, err)
	case errors.As(err, &rejected):
		return sendOutput{}, catalog.Invalid("send to %s: %v", to.Address, err)
	case err != nil:
		return sendOutput{}, fmt.Errorf("send to %s: %w", to.Address, err)
	}
	return out, nil
}

// unconfirmed handles a copy an earlier attempt saved in Sent before its submission and never confirmed:
// that attempt died (or lost its connection) between saving it and hearing whether the server accepted
// the email, so whether it went is not known, and no guess is made: the user is asked. The answer names
// the copy it is about ("send uid-17"), so that an answer is never taken for a later copy (the resend
// killed in its turn): that one is asked about again. done is true when the answer counts it sent; with
// the answer send, the copy is removed and the email goes again.
func unconfirmed(ctx context.Context, mb Mailbox, args sendArgs, to, id string) (done bool, err error) {
	copies, ok := mb.(UnconfirmedCopies)
	if !ok {
		return false, nil
	}
	copy, err := copies.Unconfirmed(ctx, id)
	if err != nil {
		return false, fmt.Errorf("check whether %s was already sent: %w", id, err)
	}
	if copy == "" {
		return false, nil
	}
	switch args.IfUnconfirmed {
	case CountUnconfirmed + " " + copy:
		if err := copies.ConfirmCopy(ctx, id); err != nil {
			return false, fmt.Errorf("mark the copy of %s in Sent confirmed: %w", id, err)
		}
		return true, nil
	case ResendUnconfirmed + " " + copy:
		if err := copies.DiscardCopy(ctx, id); err != nil {
			return false, fmt.Errorf("remove the unconfirmed copy of %s from Sent before sending it again: %w", id, err)
		}
		return false, nil
	}
	return false, catalog.Ask(catalog.InputRequest{
		Question: fmt.Sprintf("The email %q to %s may have been sent before a crash: its copy is in your Sent folder, "+
			"but whether the mail server accepted it is not known. Send it again, or count it as sent?", oneLine(args.Subject), to),
		Kind: catalog.InputChoice,
		Options: []catalog.Option{
			{Value: ResendUnconfirmed, Label: "send it again (" + to + " may get it twice)", Arg: ResendUnconfirmed + " " + copy},
			{Value: CountUnconfirmed, Label: "count it as sent, and keep its copy in Sent", Arg: CountUnconfirmed + " " + copy},
		},
		Param: unconfirmedParam,
	})
}

// copies checks the CC addresses and returns them bare, without the recipient or repeats.
func copies(cc []catalog.Recipient, to string) ([]string, error) {
	if len(cc) > MaxCc {
		return nil, catalog.Invalid("parameter %q has %d addresses; an email takes at most %d copies", "cc", len(cc), MaxCc)
	}
	var out []string
	seen := map[string]bool{strings.ToLower(to): true}
	for _, r := range cc {
		a, err := validAddress(r.Email)
		if err != nil {
			return nil, catalog.Invalid("copy to %q%s is not a valid email address: %v", r.Email, fromSource(r.Source), err)
		}
		if !seen[strings.ToLower(a.Address)] {
			seen[strings.ToLower(a.Address)] = true
			out = append(out, a.Address)
		}
	}
	return out, nil
}

// attachments reads the files to attach; one that can never be sent is the task's InvalidArgument.
func attachments(ctx context.Context, d Deps, paths []string) ([]Attachment, error) {
	if len(paths) == 0 {
		return nil, nil
	}
	if d.Attachments == nil {
		return nil, fmt.Errorf("%w: Attachments", catalog.ErrMissingDependency)
	}
	files, err := d.Attachments.Collect(ctx, paths)
	var bad *AttachmentError
	if errors.As(err, &bad) {
		return nil, catalog.Invalid("%v", err)
	}
	if err != nil {
		return nil, fmt.Errorf("read the attachments: %w", err)
	}
	return files, nil

}

// previewSend is what a dry run says of one email, checked as send checks it: "send 'Hello World!' to
// alice@example.com". It sends nothing and looks in no mailbox; the Message-ID is the one the email would have.
func previewSend(ctx context.Context, d Deps, args sendArgs) (sendOutput, string, error) {
	to, err := validAddress(args.To.Email)
	if err != nil {
		return sendOutput{}, "", catalog.Invalid("%q%s is not a valid email address: %v", args.To.Email, fromSource(args.To.Source), err)
	}
	if args.Body.Ref == nil && strings.TrimSpace(args.Body.Text) == "" {
		return sendOutput{}, "", catalog.Invalid("parameter %q must not be blank", "body")
	}
	what := oneLine(args.Subject)
	if what == "" {
		what = oneLine(args.Body.Text) // a large body stored by reference is not read for a preview
	}
	if len([]rune(what)) > 60 {
		what = string([]rune(what)[:59]) + "…"
	}
	out := sendOutput{Recipient: to.Address, MessageID: MessageID(catalog.CallOf(ctx).Task.Context.IdempotencyKey, d.From.Address)}
	return out, fmt.Sprintf("send '%s' to %s", what, to.Address), nil
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

// sizedObjects are the everyday "a quick email", "a short note", "brief messages": the word before the
// noun says how long the message is, which the quoted message already says, so it adds nothing.
func sizedObjects() []string {
	var out []string
	for _, adj := range []string{"quick", "short", "brief"} {
		for _, noun := range []string{"email", "message", "note", "mail"} {
			out = append(out, "a "+adj+" "+noun, adj+" "+noun+"s")
		}
	}
	return out
}
