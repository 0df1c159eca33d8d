package mailpit

import (
	"context"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/eaapl/eaapl/activities/email"
)

// The dev stack's Mailpit holds every message its SMTP server received, the user's own and those sent to
// the user alike: the user's inbox is the messages addressed to the user. Mailpit (v1.33.1) has no
// In-Reply-To or References anywhere but in a message's headers: its search has no term for them (nor
// for any other header: its text search covers From, To, Cc, Bcc, Reply-To, Return-Path, the subject and
// the body) and its message summaries do not carry them. So Answering searches for the messages to the
// user since a time, page by page (250 a page), and reads the headers (GET /api/v1/message/{ID}/headers)
// of each message it has not read before: a message in Mailpit never changes, so the Mailbox remembers
// the thread headers of the messages it read (threadCache), and a poll that repeats an earlier one (an
// await_reply step polls every minute, and a program may wait for many replies) costs its search pages and
// one request per message that arrived since. The pages are bounded (maxInboxScan messages by default):
// beyond that the search fails, saying so, rather than miss a reply buried under newer mail and report
// "no reply".

// maxInboxScan bounds the messages one search reads: a reply under more newer messages than this is an
// error, not a "no reply".
const maxInboxScan = 2000

// WithScanLimit returns the mailbox reading at most n messages in one inbox search (maxInboxScan by
// default), so that a test can reach the bound.
func (m *Mailbox) WithScanLimit(n int) *Mailbox {
	c := *m
	c.scanLimit = n
	return &c
}

// Answering returns the messages to user received at or after since whose In-Reply-To or References
// names messageID, oldest first, at most email.MaxReplies.
func (m *Mailbox) Answering(ctx context.Context, user, messageID string, since time.Time) ([]email.Received, error) {
	id := strings.Trim(strings.TrimSpace(messageID), "<>")
	if id == "" {
		return nil, fmt.Errorf("mailpit: no Message-ID to look for replies to")
	}
	candidates, err := m.received(ctx, user, inboxQuery(user, "", since), since)
	if err != nil {
		return nil, err
	}
	var out []email.Received
	for _, c := range candidates {
		th, err := m.thread(ctx, c.id)
		if err != nil {
			return nil, err
		}
		inReplyTo := slices.Contains(th.inReplyTo, id)
		if inReplyTo || slices.Contains(th.references, id) {
			c.msg.InReplyTo = inReplyTo
			out = append(out, c.msg)
		}
	}
	return out[:min(len(out), email.MaxReplies)], nil
}

// thread is the Message-IDs a message's In-Reply-To and References name, read from its headers once and
// then remembered.
func (m *Mailbox) thread(ctx context.Context, mailpitID string) (thread, error) {
	if th, ok := m.threads.get(mailpitID); ok {
		return th, nil
	}
	var headers map[string][]string
	if err := m.get(ctx, m.base+"/api/v1/message/"+url.PathEscape(mailpitID)+"/headers", &headers); err != nil {
		return thread{}, err
	}
	th := thread{inReplyTo: messageIDs(header(headers, "In-Reply-To")), references: messageIDs(header(headers, "References"))}
	m.threads.put(mailpitID, th)
	return th, nil
}

// thread is what Answering needs of a message's headers.
type thread struct {
	inReplyTo, references []string // Message-IDs, without brackets
}

// maxRemembered bounds the messages a Mailbox remembers the thread headers of: a few times the most
// one search reads, a few hundred bytes each.
const maxRemembered = 5 * maxInboxScan

// threadCache remembers the thread headers of the messages read, by Mailpit's id (Mailpit gives each
// message a new random one, and never changes a message), forgetting the longest-remembered beyond its
// bound. It is safe for concurrent use: the worker runs many FindReply tasks at once on one Mailbox.
type threadCache struct {
	mu    sync.Mutex
	byID  map[string]thread
	order []string // ids, first remembered first
	max   int
}

func newThreadCache(max int) *threadCache {
	return &threadCache{byID: make(map[string]thread), max: max}
}

func (c *threadCache) get(id string) (thread, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	th, ok := c.byID[id]
	return th, ok
}

func (c *threadCache) put(id string, th thread) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.byID[id]; ok {
		return
	}
	for len(c.order) >= c.max {
		delete(c.byID, c.order[0])
		c.order = c.order[1:]
	}
	c.byID[id] = th
	c.order = append(c.order, id)
}

// ReceivedFrom returns the messages from the address from to user received at or after since, oldest
// first, at most email.MaxReplies.
func (m *Mailbox) ReceivedFrom(ctx context.Context, user, from string, since time.Time) ([]email.Received, error) {
	candidates, err := m.received(ctx, user, inboxQuery(user, from, since), since)
	if err != nil {
		return nil, err
	}
	var out []email.Received
	for _, c := range candidates {
		if strings.EqualFold(c.msg.From, strings.TrimSpace(from)) {
			out = append(out, c.msg)
		}
	}
	return out[:min(len(out), email.MaxReplies)], nil
}

type candidate struct {
	id  string // Mailpit's own id, for its API
	msg email.Received
}

// received returns every message the query finds that is addressed to the user (To, Cc or Bcc, checked
// here: to: is a substring match) and was received at or after since, oldest first. It reads the search
// page by page, newest first, and fails when more messages match than its scan limit.
func (m *Mailbox) received(ctx context.Context, user, query string, since time.Time) ([]candidate, error) {
	var out []candidate
	for start := 0; ; {
		page, err := m.search(ctx, query, start, min(m.pageSize, m.scanLimit-start))
		if err != nil {
			return nil, err
		}
		for _, s := range page.Messages {
			if s.Created.Before(since) || !addressedTo(s, user) {
				continue
			}
			c := candidate{id: s.ID, msg: email.Received{MessageID: strings.Trim(s.MessageID, "<>"), Subject: s.Subject, At: s.Created}}
			if s.From != nil {
				c.msg.From = strings.TrimSpace(s.From.Address)
			}
			out = append(out, c)
		}
		start += len(page.Messages)
		if len(page.Messages) == 0 || start >= page.MessagesCount {
			break
		}
		if start >= m.scanLimit {
			return nil, fmt.Errorf("mailpit: %d messages match %q, more than the %d one search reads; a reply among them could be missed", page.MessagesCount, query, m.scanLimit)
		}
	}
	slices.SortStableFunc(out, func(a, b candidate) int { return a.msg.At.Compare(b.msg.At) })
	return out, nil
}

// inboxQuery is the search for messages to user (and from from, when set) since a time. Mailpit splits a
// query at spaces and drops double quotes, so an address holding either is left out of the query: the
// caller checks the sender itself, and the user's address comes from the configuration.
func inboxQuery(user, from string, since time.Time) string {
	var terms []string
	for _, t := range []struct{ key, addr string }{{"to:", user}, {"from:", from}} {
		if a := strings.TrimSpace(t.addr); a != "" && !strings.ContainsAny(a, " \"") {
			terms = append(terms, t.key+a)
		}
	}
	terms = append(terms, "after:"+since.UTC().Truncate(time.Second).Format(time.RFC3339))
	return strings.Join(terms, " ")
}

// addressedTo reports whether the message went to user, in To, Cc or Bcc (Mailpit adds envelope
// recipients missing from the headers to Bcc).
func addressedTo(s mailpitSummary, user string) bool {
	for _, list := range [][]mailpitAddress{s.To, s.Cc, s.Bcc} {
		for _, a := range list {
			if strings.EqualFold(strings.TrimSpace(a.Address), strings.TrimSpace(user)) {
				return true
			}
		}
	}
	return false
}

// header is a header's values joined, its name matched case-insensitively.
func header(h map[string][]string, name string) string {
	for k, v := range h {
		if strings.EqualFold(k, name) {
			return strings.Join(v, " ")
		}
	}
	return ""
}

// msgIDPattern is one <id> of a Message-ID list (In-Reply-To, References).
var msgIDPattern = regexp.MustCompile(`<([^<>\s]+)>`)

// messageIDs lists the Message-IDs of an In-Reply-To or References header, without their brackets; a
// header that holds a single bare id gives that id.
func messageIDs(v string) []string {
	var ids []string
	for _, m := range msgIDPattern.FindAllStringSubmatch(v, -1) {
		ids = append(ids, m[1])
	}
	if bare := strings.TrimSpace(v); len(ids) == 0 && strings.Contains(bare, "@") && !strings.ContainsAny(bare, " \t") {
		ids = append(ids, bare)
	}
	return ids
}

var _ email.Inbox = (*Mailbox)(nil)
