package imapbox

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
	"github.com/emersion/go-message"
	"github.com/emersion/go-message/mail"
	"github.com/emersion/go-message/textproto"
)

// fetchPage is how many envelopes one FETCH asks for: a page is a few hundred kilobytes at most.
const fetchPage = 500

// serverRecipients is the most addresses Emailed puts in the SEARCH itself; a longer list (a whole
// address book) is searched by date and sender only, and the envelopes of those matches are checked here.
const serverRecipients = 20

// maxReplies bounds how many replies to one message Replies reads.
const maxReplies = 100

// Emailed returns, for each address in to that from emailed within [since, until), the latest time it
// did, read from the Sent folder. It has the signature of the activities' Mailbox interface.
//
// The server searches by the Date header (SENTSINCE/SENTBEFORE, whole days, widened by a day each side
// for time zones), the sender and, for a short list, the recipients; the envelopes of the matches are
// fetched a page at a time and checked exactly here: the sender, the time, and To, Cc and Bcc.
func (m *Mailbox) Emailed(ctx context.Context, from string, to []string, since, until time.Time) (map[string]time.Time, error) {
	wanted := make(map[string][]string, len(to)) // lower-case address -> the strings of to that spell it
	for _, addr := range to {
		k := strings.ToLower(strings.TrimSpace(addr))
		wanted[k] = append(wanted[k], addr)
	}
	found := make(map[string]time.Time)
	if len(wanted) == 0 {
		return found, nil
	}
	criteria := imap.SearchCriteria{
		SentSince:  since.UTC().AddDate(0, 0, -1),
		SentBefore: until.UTC().AddDate(0, 0, 2),
		// A copy still marked unconfirmed is an email not known to have gone (see PrepareSent).
		NotFlag: []imap.Flag{PendingKeyword, imap.FlagDeleted},
	}
	from = strings.TrimSpace(from)
	if from != "" {
		criteria.Header = append(criteria.Header, imap.SearchCriteriaHeaderField{Key: "From", Value: from})
	}
	if len(wanted) <= serverRecipients {
		var any []imap.SearchCriteria
		for addr := range wanted {
			for _, field := range []string{"To", "Cc", "Bcc"} {
				any = append(any, imap.SearchCriteria{Header: []imap.SearchCriteriaHeaderField{{Key: field, Value: addr}}})
			}
		}
		slices.SortFunc(any, func(a, b imap.SearchCriteria) int { // a stable command, for logs and tests
			return strings.Compare(a.Header[0].Key+a.Header[0].Value, b.Header[0].Key+b.Header[0].Value)
		})
		criteria.And(orAll(any))
	}
	err := m.with(ctx, func(c *conn) error {
		folder, err := m.sent(c)
		if err != nil {
			return err
		}
		if err := m.examine(c, folder); err != nil {
			return err
		}
		uids, err := m.search(c, &criteria)
		if err != nil {
			return err
		}
		return m.envelopes(ctx, c, uids, nil, func(msg *imapclient.FetchMessageBuffer) {
			env := msg.Envelope
			if env == nil || (from != "" && !hasAddress(env.From, from)) {
				return
			}
			at := env.Date
			if at.IsZero() {
				at = msg.InternalDate
			}
			if at.Before(since) || !at.Before(until) {
				return
			}
			for _, list := range [][]imap.Address{env.To, env.Cc, env.Bcc} {
				for _, rcpt := range list {
					for _, addr := range wanted[strings.ToLower(rcpt.Addr())] {
						if last, ok := found[addr]; !ok || at.After(last) {
							found[addr] = at
						}
					}
				}
			}
		})
	})
	if err != nil {
		return nil, err
	}
	return found, nil
}

// HasMessageID reports whether the Sent folder holds a confirmed copy of the message with this
// Message-ID (with or without its angle brackets): one the server accepted. A copy still marked
// unconfirmed does not count (Unconfirmed reports it). It has the signature of the activities' Mailbox
// interface.
func (m *Mailbox) HasMessageID(ctx context.Context, messageID string) (bool, error) {
	var has bool
	err := m.inSent(ctx, messageID, func(c *conn, folder, id string) error {
		var err error
		has, err = m.hasID(ctx, c, folder, id)
		return err
	})
	return has, err
}

// hasID reports whether folder holds a confirmed copy of the message.
func (m *Mailbox) hasID(ctx context.Context, c *conn, folder, id string) (bool, error) {
	found, err := m.copiesOf(ctx, c, folder, id)
	return len(found.confirmed) > 0, err
}

// copies are the UIDs of a folder's copies of one message, not deleted: those marked unconfirmed
// (PendingKeyword) and the others.
type copies struct{ pending, confirmed []imap.UID }

// copiesOf searches folder for the Message-ID; the server's HEADER search matches substrings, so the
// matches' envelopes are compared exactly.
func (m *Mailbox) copiesOf(ctx context.Context, c *conn, folder, id string) (copies, error) {
	var found copies
	if err := m.examine(c, folder); err != nil {
		return found, err
	}
	uids, err := m.search(c, &imap.SearchCriteria{
		Header:  []imap.SearchCriteriaHeaderField{{Key: "Message-ID", Value: "<" + id + ">"}},
		NotFlag: []imap.Flag{imap.FlagDeleted},
	})
	if err != nil {
		return found, err
	}
	if len(uids) > maxReplies {
		uids = uids[:maxReplies]
	}
	err = m.envelopes(ctx, c, uids, nil, func(msg *imapclient.FetchMessageBuffer) {
		if msg.Envelope == nil || msg.Envelope.MessageID != id {
			return
		}
		if slices.Contains(msg.Flags, PendingKeyword) {
			found.pending = append(found.pending, msg.UID)
		} else {
			found.confirmed = append(found.confirmed, msg.UID)
		}
	})
	return found, err
}

// Reply is a message in INBOX that answers one the user sent.
type Reply struct {
	MessageID string    // without angle brackets
	From      string    // the sender's address
	Subject   string    //
	Date      time.Time // its Date header, or when the server received it
	// InReplyTo is true when its In-Reply-To names the message (Replies); false when only its References do.
	InReplyTo bool
}

// Replies returns the messages in INBOX since the given time (zero for any time) whose In-Reply-To or
// References names messageID, oldest first, at most 100. The "if he doesn't reply within a day" of a
// program asks it, and checks From itself when only the recipient's reply counts.
func (m *Mailbox) Replies(ctx context.Context, messageID string, since time.Time) ([]Reply, error) {
	id, err := bareID(messageID)
	if err != nil {
		return nil, err
	}
	quoted := "<" + id + ">"
	criteria := imap.SearchCriteria{Or: [][2]imap.SearchCriteria{{
		{Header: []imap.SearchCriteriaHeaderField{{Key: "In-Reply-To", Value: quoted}}},
		{Header: []imap.SearchCriteriaHeaderField{{Key: "References", Value: quoted}}},
	}}}
	refs := &imap.FetchItemBodySection{Specifier: imap.PartSpecifierHeader, HeaderFields: []string{"References"}, Peek: true}
	return m.inboxSince(ctx, criteria, since, refs, func(msg *imapclient.FetchMessageBuffer, at time.Time) (Reply, bool) {
		env := msg.Envelope
		inReplyTo := slices.Contains(env.InReplyTo, id)
		if !inReplyTo && !referencesID(msg.FindBodySection(refs), id) {
			return Reply{}, false
		}
		r := Reply{MessageID: env.MessageID, Subject: env.Subject, Date: at, InReplyTo: inReplyTo}
		if len(env.From) > 0 {
			r.From = env.From[0].Addr()
		}
		return r, true
	})
}

// ReceivedFrom returns the messages in INBOX from the address from sent since the given time, oldest
// first, at most 100 (the latest): a reply written as a new email, which names no Message-ID.
func (m *Mailbox) ReceivedFrom(ctx context.Context, from string, since time.Time) ([]Reply, error) {
	from = strings.TrimSpace(from)
	if from == "" || strings.ContainsAny(from, " \"\r\n\\") {
		return nil, fmt.Errorf("IMAP: cannot search for messages from %q", from)
	}
	criteria := imap.SearchCriteria{Header: []imap.SearchCriteriaHeaderField{{Key: "From", Value: from}}}
	return m.inboxSince(ctx, criteria, since, nil, func(msg *imapclient.FetchMessageBuffer, at time.Time) (Reply, bool) {
		env := msg.Envelope
		if !hasAddress(env.From, from) {
			return Reply{}, false
		}
		return Reply{MessageID: env.MessageID, From: env.From[0].Addr(), Subject: env.Subject, Date: at}, true
	})
}

// inboxSince searches INBOX for the messages criteria find that are dated since the given time (zero for
// any time), the latest maxReplies of them, and returns, oldest first, those that reply takes. A message's
// date is its Date header, or when the server received it; reply is given only messages with an envelope,
// fetched with extra (nil for none).
func (m *Mailbox) inboxSince(ctx context.Context, criteria imap.SearchCriteria, since time.Time, extra *imap.FetchItemBodySection,
	reply func(msg *imapclient.FetchMessageBuffer, at time.Time) (Reply, bool)) ([]Reply, error) {
	if !since.IsZero() {
		criteria.Since = since.UTC().AddDate(0, 0, -1) // INTERNALDATE, whole days: checked exactly below
	}
	var out []Reply
	err := m.with(ctx, func(c *conn) error {
		if err := m.examine(c, "INBOX"); err != nil {
			return err
		}
		uids, err := m.search(c, &criteria)
		if err != nil {
			return err
		}
		if len(uids) > maxReplies {
			uids = uids[len(uids)-maxReplies:]
		}
		return m.envelopes(ctx, c, uids, extra, func(msg *imapclient.FetchMessageBuffer) {
			if msg.Envelope == nil {
				return
			}
			at := msg.Envelope.Date
			if at.IsZero() {
				at = msg.InternalDate
			}
			if !since.IsZero() && at.Before(since) {
				return
			}
			if r, ok := reply(msg, at); ok {
				out = append(out, r)
			}
		})
	})
	if err != nil {
		return nil, err
	}
	slices.SortStableFunc(out, func(a, b Reply) int { return a.Date.Compare(b.Date) })
	return out, nil
}

// referencesID reports whether a fetched References header lists id.
func referencesID(header []byte, id string) bool {
	if len(header) == 0 {
		return false
	}
	h, err := textproto.ReadHeader(bufio.NewReader(bytes.NewReader(header)))
	if err != nil {
		return false
	}
	ids, _ := (&mail.Header{Header: message.Header{Header: h}}).MsgIDList("References")
	return slices.Contains(ids, id)
}

// search runs UID SEARCH; with ESEARCH the server answers with ranges, a few bytes however many match.
func (m *Mailbox) search(c *conn, criteria *imap.SearchCriteria) ([]imap.UID, error) {
	var opts *imap.SearchOptions
	if c.client.Caps().Has(imap.CapESearch) {
		opts = &imap.SearchOptions{ReturnAll: true}
	}
	c.arm()
	data, err := c.client.UIDSearch(criteria, opts).Wait()
	if err != nil {
		return nil, m.classify("search", err)
	}
	return data.AllUIDs(), nil
}

// envelopes fetches the envelope, flags and internal date (and section, if any) of the messages, fetchPage at
// a time, handing each to fn.
func (m *Mailbox) envelopes(ctx context.Context, c *conn, uids []imap.UID, section *imap.FetchItemBodySection, fn func(*imapclient.FetchMessageBuffer)) error {
	opts := &imap.FetchOptions{Envelope: true, InternalDate: true, UID: true, Flags: true}
	if section != nil {
		opts.BodySection = []*imap.FetchItemBodySection{section}
	}
	for start := 0; start < len(uids); start += fetchPage {
		if err := ctx.Err(); err != nil {
			return err
		}
		page := uids[start:min(start+fetchPage, len(uids))]
		c.arm()
		msgs, err := c.client.Fetch(imap.UIDSetNum(page...), opts).Collect()
		if err != nil {
			return m.classify("fetch envelopes", err)
		}
		for _, msg := range msgs {
			fn(msg)
		}
	}
	return nil
}

// orAll is the criteria matching any of list (which is not empty).
func orAll(list []imap.SearchCriteria) *imap.SearchCriteria {
	if len(list) == 1 {
		return &list[0]
	}
	return &imap.SearchCriteria{Or: [][2]imap.SearchCriteria{{list[0], *orAll(list[1:])}}}
}

// hasAddress reports whether list holds addr, ignoring case.
func hasAddress(list []imap.Address, addr string) bool {
	for _, a := range list {
		if strings.EqualFold(a.Addr(), addr) {
			return true
		}
	}
	return false
}

// bareID is a Message-ID without its angle brackets; one that a SEARCH cannot quote is an error.
func bareID(messageID string) (string, error) {
	id := strings.Trim(strings.TrimSpace(messageID), "<>")
	if id == "" || strings.ContainsAny(id, " \"<>\r\n\\") {
		return "", fmt.Errorf("IMAP: cannot search for Message-ID %q", messageID)
	}
	return id, nil
}
