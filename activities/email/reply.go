package email

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/eaapl/eaapl/catalog"
)

// Inbox is where answers to the user's emails arrive: the dev stack's Mailpit (the messages addressed to
// the user) or the user's IMAP INBOX. FindReply reads it; nothing else does.
type Inbox interface {
	// Answering returns the messages to user received at or after since whose In-Reply-To or References
	// names messageID (with or without its angle brackets), oldest first, at most MaxReplies.
	Answering(ctx context.Context, user, messageID string, since time.Time) ([]Received, error)
	// ReceivedFrom returns the messages from the address from to user received at or after since, oldest
	// first, at most MaxReplies.
	ReceivedFrom(ctx context.Context, user, from string, since time.Time) ([]Received, error)
}

// MaxReplies bounds how many messages one Inbox search returns, so that a busy thread or a chatty
// correspondent costs a bounded read.
const MaxReplies = 100

// Received is a message in the user's inbox.
type Received struct {
	MessageID string    // without angle brackets
	From      string    // the sender's address
	Subject   string    //
	At        time.Time // when it was sent (its Date) or, without one, received
	// InReplyTo is true when its In-Reply-To names the message Answering was asked about; false when only
	// its References do.
	InReplyTo bool
}

// How a reply was recognised, FindReply's matched output.
const (
	MatchedInReplyTo  = "in-reply-to" // its In-Reply-To names the email
	MatchedReferences = "references"  // its References name the email (a reply further down the thread)
	MatchedFrom       = "from"        // no header names the email, but it came from the recipient after it was sent
)

type replyArgs struct {
	MessageID string `json:"message_id" eaapl:"required" desc:"the Message-ID of the email a reply answers"`
	From      string `json:"from" eaapl:"address,required" desc:"the address the email went to, whose reply is awaited"`
	Since     string `json:"since" eaapl:"time,required" desc:"when the email was sent: messages before it are not replies"`
}

type replyOutput struct {
	Replied        bool   `json:"replied" eaapl:"required" desc:"whether a reply is in the mailbox"`
	Matched        string `json:"matched" eaapl:"required" desc:"how the reply was recognised: in-reply-to, references or from; empty without one"`
	ReplyMessageID string `json:"reply_message_id" eaapl:"required" desc:"the reply's Message-ID; empty without one"`
	ReplyFrom      string `json:"reply_from" eaapl:"required" desc:"the address the reply came from; empty without one"`
	ReceivedAt     string `json:"received_at" eaapl:"required" desc:"when the reply was sent, RFC 3339; empty without one"`
}

// FindReply looks in the user's mailbox for a reply to an email: the await_reply construct ("if he
// doesn't reply within a day") asks it between its durable timers.
var FindReply = catalog.Define(catalog.Def[Deps, replyArgs, replyOutput]{
	Name:        "FindReply",
	Description: "Find a reply to an email the user sent: a message whose In-Reply-To or References names it or, failing that, one from its recipient after it was sent.",
	SideEffect:  catalog.Reads,
	Timeout:     time.Minute,
	// a dead worker's task is retried elsewhere within seconds
	HeartbeatTimeout: catalog.HeartbeatTimeout,
	Retry:            catalog.DefaultRetry,
	Label:            catalog.Label{Arg: "from", Word: "from"},
	Run:              findReply,
	Hint: func(string) string {
		return "check that the mailbox (EAAPL_MAILBOX_URL, or EAAPL_IMAP_URL) is up, then answer retry"
	},
	ReadBack: func(r catalog.Reading) string {
		from, ok := r.Address(r.Step().Args["from"])
		if !ok {
			return ""
		}
		return fmt.Sprintf("Look for a reply from %s.", from)
	},
	Forms: catalog.Forms{
		// The grammar's "if he doesn't reply within a day" plans an await_reply step, which asks FindReply.
		Phrases: []string{"a reply from {from}"},
		Args:    map[string][]string{"from": {"from"}, "message_id": {"to"}, "since": {"since"}},
		Results: map[string]catalog.ResultWords{
			"replied":          {Noun: "whether a reply came"},
			"matched":          {Noun: "how the reply was recognised"},
			"reply_message_id": {Noun: "the reply's Message-ID"},
			"reply_from":       {Noun: "who replied"},
			"received_at":      {Noun: "when the reply came"},
		},
	},
})

// findReply finds the reply to an email: first a message whose In-Reply-To names it, then one whose
// References do (both from anyone: only those who got the email can answer its thread), then, failing
// those, a message from the recipient sent at or after since (a reply written as a new email). The
// earliest of the first kind that has one wins.
func findReply(ctx context.Context, d Deps, args replyArgs) (replyOutput, error) {
	id := strings.Trim(strings.TrimSpace(args.MessageID), "<>")
	if id == "" || strings.ContainsAny(id, " \t\r\n<>\"") {
		return replyOutput{}, catalog.Invalid("parameter %q must be a Message-ID such as <abc@example.com>; got %q", "message_id", args.MessageID)
	}
	from, err := validAddress(args.From)
	if err != nil {
		return replyOutput{}, catalog.Invalid("parameter %q: %q is not a valid email address: %v", "from", args.From, err)
	}
	since, err := parseTime(args.Since)
	if err != nil {
		return replyOutput{}, catalog.Invalid("parameter %q must be %s; got %q", "since", catalog.Words(catalog.Time), args.Since)
	}
	if d.Inbox == nil {
		return replyOutput{}, fmt.Errorf("%w: Inbox", catalog.ErrMissingDependency)
	}
	// The sender's search goes first: a reply that lands between the two searches is then seen by the
	// header search, and so reported by its header rather than as a new email from the recipient.
	fromThem, err := d.Inbox.ReceivedFrom(ctx, d.From.Address, from.Address, since)
	if err != nil {
		return replyOutput{}, fmt.Errorf("look for messages from %s in the mailbox of %s: %w", from.Address, d.From.Address, err)
	}
	// A reply in the thread cannot be older than the email; a day's margin covers senders' clocks, and
	// still lets the server narrow the search.
	answers, err := d.Inbox.Answering(ctx, d.From.Address, id, since.Add(-24*time.Hour))
	if err != nil {
		return replyOutput{}, fmt.Errorf("look for replies to <%s> in the mailbox of %s: %w", id, d.From.Address, err)
	}
	for _, inReplyTo := range []bool{true, false} {
		for _, m := range answers {
			if m.InReplyTo == inReplyTo {
				return replied(m, map[bool]string{true: MatchedInReplyTo, false: MatchedReferences}[inReplyTo]), nil
			}
		}
	}
	for _, m := range fromThem {
		if !m.At.Before(since) && strings.EqualFold(m.From, from.Address) {
			return replied(m, MatchedFrom), nil
		}
	}
	return replyOutput{}, nil
}

func replied(m Received, matched string) replyOutput {
	return replyOutput{Replied: true, Matched: matched, ReplyMessageID: m.MessageID, ReplyFrom: m.From, ReceivedAt: formatTime(m.At)}
}
