// Package mailpit is the email family's Mailbox over Mailpit's HTTP API: the dev stack's record of the
// user's sent mail, which the worker wires into email.Deps.
package mailpit

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Mailbox is an email.Mailbox over Mailpit's HTTP API (https://mailpit.axllent.org/docs/api-v1/): every message the
// dev stack's SMTP server received is the user's sent mail.
type Mailbox struct {
	base      string
	client    *http.Client
	pageSize  int
	scanLimit int          // the most messages one inbox search reads (inbox.go)
	threads   *threadCache // the thread headers of the messages read (inbox.go), shared by its copies
}

// mailpitPageSize is how many messages one search request returns.
const mailpitPageSize = 250

// New returns the Mailbox of the Mailpit whose web UI and API are at baseURL (such as
// http://127.0.0.1:8025, including any --webroot path). A nil httpClient means http.DefaultClient.
func New(baseURL string, httpClient *http.Client) *Mailbox {
	if httpClient == nil {
		httpClient = http.DefaultClient
	}
	return &Mailbox{base: strings.TrimRight(baseURL, "/"), client: httpClient, pageSize: mailpitPageSize, scanLimit: maxInboxScan,
		threads: newThreadCache(maxRemembered)}
}

// WithPageSize returns the mailbox asking for n messages per search request (250 by default): a small n
// makes a test cross pages.
func (m *Mailbox) WithPageSize(n int) *Mailbox {
	c := *m
	c.pageSize = n
	return &c
}

// mailpitAddress is net/mail.Address as Mailpit's JSON writes it.
type mailpitAddress struct {
	Name    string
	Address string
}

// mailpitSummary is the part of a message summary (GET /api/v1/search) that history needs.
type mailpitSummary struct {
	ID        string
	MessageID string
	From      *mailpitAddress
	To        []mailpitAddress
	Cc        []mailpitAddress
	Bcc       []mailpitAddress // Mailpit adds envelope recipients missing from the headers here
	Subject   string
	Created   time.Time // when Mailpit received it: when it was sent
}

// mailpitSearchResult is the body of GET /api/v1/search.
type mailpitSearchResult struct {
	MessagesCount int              `json:"messages_count"` // messages matching the query, over all pages
	Start         int              `json:"start"`
	Messages      []mailpitSummary `json:"messages"`
}

// Emailed searches Mailpit once for the messages from `from` in the range, page by page, and keeps those
// whose To, Cc or Bcc holds one of the addresses. The query is
//
//	from:me@example.com after:2026-11-23T00:00:00Z before:2026-11-25T21:40:01Z
//
// One query for all contacts, because a query per contact would make thousands of requests for a large
// address book. from: and the dates narrow the search on the server (from: is a substring match on the
// From header and the dates are whole seconds, widened to cover the range), and the exact sender, the
// exact time range and the recipients are then checked here.
func (m *Mailbox) Emailed(ctx context.Context, from string, to []string, since, until time.Time) (map[string]time.Time, error) {
	wanted := make(map[string][]string, len(to)) // lower-case address -> the strings of to that spell it
	for _, addr := range to {
		k := strings.ToLower(strings.TrimSpace(addr))
		wanted[k] = append(wanted[k], addr)
	}
	found := make(map[string]time.Time)
	query := emailedQuery(from, since, until)
	for start := 0; ; {
		page, err := m.search(ctx, query, start, m.pageSize)
		if err != nil {
			return nil, err
		}
		for _, msg := range page.Messages {
			if msg.From == nil || !strings.EqualFold(strings.TrimSpace(msg.From.Address), strings.TrimSpace(from)) {
				continue
			}
			if msg.Created.Before(since) || !msg.Created.Before(until) {
				continue
			}
			for _, list := range [][]mailpitAddress{msg.To, msg.Cc, msg.Bcc} {
				for _, rcpt := range list {
					for _, addr := range wanted[strings.ToLower(strings.TrimSpace(rcpt.Address))] {
						if last, ok := found[addr]; !ok || msg.Created.After(last) {
							found[addr] = msg.Created
						}
					}
				}
			}
		}
		start += len(page.Messages)
		if len(page.Messages) == 0 || start >= page.MessagesCount {
			return found, nil
		}
	}
}

// emailedQuery is the Mailpit search of Emailed. Mailpit splits a query at spaces and drops double quotes,
// so an address that holds either cannot be searched for and is left to the client-side check.
func emailedQuery(from string, since, until time.Time) string {
	var terms []string
	if from = strings.TrimSpace(from); from != "" && !strings.ContainsAny(from, " \"") {
		terms = append(terms, "from:"+from)
	}
	after := since.UTC().Truncate(time.Second)
	before := ceilSecond(until.UTC())
	terms = append(terms, "after:"+after.Format(time.RFC3339), "before:"+before.Format(time.RFC3339))
	return strings.Join(terms, " ")
}

// HasMessageID searches Mailpit for the Message-ID, then compares it exactly: the search matches substrings.
func (m *Mailbox) HasMessageID(ctx context.Context, messageID string) (bool, error) {
	id := strings.Trim(strings.TrimSpace(messageID), "<>")
	if id == "" || strings.ContainsAny(id, " \"") {
		return false, fmt.Errorf("mailpit: cannot search for Message-ID %q", messageID)
	}
	query := "message-id:" + id
	for start := 0; ; {
		page, err := m.search(ctx, query, start, m.pageSize)
		if err != nil {
			return false, err
		}
		for _, msg := range page.Messages {
			if strings.Trim(msg.MessageID, "<>") == id {
				return true, nil
			}
		}
		start += len(page.Messages)
		if len(page.Messages) == 0 || start >= page.MessagesCount {
			return false, nil
		}
	}
}

// search runs one page of GET /api/v1/search. Every failure is retryable: Mailpit down, slow or erroring
// is a reason to try again later, and the error names the URL so that an operator can check it.
func (m *Mailbox) search(ctx context.Context, query string, start, limit int) (mailpitSearchResult, error) {
	q := url.Values{}
	q.Set("query", query)
	q.Set("start", strconv.Itoa(start))
	q.Set("limit", strconv.Itoa(limit))
	u := m.base + "/api/v1/search?" + q.Encode()
	var res mailpitSearchResult
	if err := m.get(ctx, u, &res); err != nil {
		return mailpitSearchResult{}, err
	}
	return res, nil
}

// get fetches u and decodes its JSON body into v.
func (m *Mailbox) get(ctx context.Context, u string, v any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return fmt.Errorf("mailpit %s: %w", u, err)
	}
	req.Header.Set("Accept", "application/json")
	resp, err := m.client.Do(req)
	if err != nil {
		return fmt.Errorf("mailbox %s unreachable: %w", m.base, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		return fmt.Errorf("mailpit %s: %s: %s", u, resp.Status, strings.TrimSpace(string(body)))
	}
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		return fmt.Errorf("mailpit %s: decode response: %w", u, err)
	}
	return nil
}

// ceilSecond rounds t up to a whole second: Mailpit's search takes whole seconds.
func ceilSecond(t time.Time) time.Time {
	if c := t.Truncate(time.Second); !c.Equal(t) {
		return c.Add(time.Second)
	}
	return t
}
