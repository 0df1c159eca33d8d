package mailpit

import (
	"context"
	"fmt"
	"net/http"
	"net/smtp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/eaapl/eaapl/devstack"
	"github.com/eaapl/eaapl/internal/testenv"
)

// TestRepliesInMailpit finds replies in a real Mailpit: by In-Reply-To, by References, and by sender, among
// the user's own sent mail and messages to others.
func TestRepliesInMailpit(t *testing.T) {
	m, send, since := bobReplied(t)
	send("alice@example.com", "me@example.com", "Subject: Re: Re\r\nMessage-ID: <alice-refs@x>\r\nIn-Reply-To: <other@x>\r\nReferences: <ask@eaapl.test>\r\n <other@x>")
	send("bob@example.com", "carol@example.com", "Subject: Re\r\nMessage-ID: <bob-to-carol@x>\r\nIn-Reply-To: <ask@eaapl.test>")
	send("carol@example.com", "me@example.com", "Subject: Hi\r\nMessage-ID: <carol@x>\r\nIn-Reply-To: <ask@eaapl.test-not>")
	mailbox := New(m.APIURL, nil)
	ctx := context.Background()

	got, err := mailbox.Answering(ctx, "me@example.com", "<ask@eaapl.test>", since)
	if err != nil {
		t.Fatal(err)
	}
	ids := map[string]bool{}
	for _, r := range got {
		ids[r.MessageID] = r.InReplyTo
	}
	if len(got) != 2 || ids["bob-irt@x"] != true || ids["alice-refs@x"] != false {
		t.Fatalf("Answering = %+v; want Bob's (In-Reply-To) and Alice's (References) only: not Carol's, nor Bob's to Carol", got)
	}
	if later, err := mailbox.Answering(ctx, "me@example.com", "ask@eaapl.test", time.Now().Add(time.Hour)); err != nil || len(later) != 0 {
		t.Fatalf("Answering since an hour from now = %+v, %v; want none", later, err)
	}
	from, err := mailbox.ReceivedFrom(ctx, "me@example.com", "bob@example.com", since)
	if err != nil {
		t.Fatal(err)
	}
	if len(from) != 1 || from[0].MessageID != "bob-irt@x" || from[0].From != "bob@example.com" {
		t.Fatalf("ReceivedFrom(bob) = %+v; want Bob's one message to me", from)
	}
	if none, err := mailbox.ReceivedFrom(ctx, "me@example.com", "dave@example.com", since); err != nil || len(none) != 0 {
		t.Fatalf("ReceivedFrom(dave) = %+v, %v; want none", none, err)
	}
}

// TestAReplyUnderManyNewerMessagesIsFound buries Bob's reply under 150 newer messages to the user: the
// search reads every page (40 a page here), so the reply is found by its In-Reply-To and by its sender;
// with a scan limit below the messages there are, the search fails, saying so, rather than report no reply.
func TestAReplyUnderManyNewerMessagesIsFound(t *testing.T) {
	m, send, since := bobReplied(t)
	const newer = 150
	for i := range newer {
		send(fmt.Sprintf("news%d@example.com", i), "me@example.com", fmt.Sprintf("Subject: News %d\r\nMessage-ID: <news-%d@x>", i, i))
	}
	mailbox := New(m.APIURL, nil).WithPageSize(40)
	ctx := context.Background()

	got, err := mailbox.Answering(ctx, "me@example.com", "<ask@eaapl.test>", since)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].MessageID != "bob-irt@x" || !got[0].InReplyTo {
		t.Fatalf("Answering = %+v; want Bob's reply, by its In-Reply-To, under %d newer messages", got, newer)
	}
	from, err := mailbox.ReceivedFrom(ctx, "me@example.com", "bob@example.com", since)
	if err != nil {
		t.Fatal(err)
	}
	if len(from) != 1 || from[0].MessageID != "bob-irt@x" {
		t.Fatalf("ReceivedFrom(bob) = %+v; want Bob's reply", from)
	}

	_, err = mailbox.WithScanLimit(100).Answering(ctx, "me@example.com", "<ask@eaapl.test>", since)
	if err == nil || !strings.Contains(err.Error(), "more than the 100 one search reads") {
		t.Fatalf("Answering with a scan limit of 100 under %d messages: err = %v; want it to say the search stopped at 100", newer+1, err)
	}
}

// bobReplied is a Mailpit in which the user asked Bob "Are you coming?" (<ask@eaapl.test>) and Bob
// replied (<bob-irt@x>, whose In-Reply-To names it); send sends more, from one address to another with the
// headers given (lines joined by CRLF); since is a moment before the first message.
func bobReplied(t *testing.T) (m *devstack.Mailpit, send func(from, to, headers string), since time.Time) {
	t.Helper()
	m = testenv.Mailpit(t)
	send = func(from, to, headers string) {
		t.Helper()
		msg := "From: " + from + "\r\nTo: " + to + "\r\n" + headers + "\r\n\r\nbody\r\n"
		if err := smtp.SendMail(m.SMTPAddr, nil, from, []string{to}, []byte(msg)); err != nil {
			t.Fatal(err)
		}
	}
	since = time.Now().Add(-2 * time.Second)
	send("me@example.com", "bob@example.com", "Subject: Are you coming?\r\nMessage-ID: <ask@eaapl.test>")
	send("bob@example.com", "me@example.com", "Subject: Re: Are you coming?\r\nMessage-ID: <bob-irt@x>\r\nIn-Reply-To: <ask@eaapl.test>")
	return m, send, since
}

// countingTransport counts the requests to Mailpit by kind: searches and header reads.
type countingTransport struct {
	mu               sync.Mutex
	searches, header int
}

func (c *countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	c.mu.Lock()
	switch {
	case strings.HasSuffix(r.URL.Path, "/api/v1/search"):
		c.searches++
	case strings.HasSuffix(r.URL.Path, "/headers"):
		c.header++
	}
	c.mu.Unlock()
	return http.DefaultTransport.RoundTrip(r)
}

func (c *countingTransport) take() (searches, headers int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	searches, headers = c.searches, c.header
	c.searches, c.header = 0, 0
	return searches, headers
}

// TestAPollReadsOnlyTheHeadersOfNewMessages polls for replies to the user's question among 120 other
// messages to the user, as an await_reply step does every minute: the first poll reads every candidate's
// headers once, a poll that repeats it reads only its search page, and a poll after one more message (a
// reply by References) reads that message's headers alone; the replies are found each time.
func TestAPollReadsOnlyTheHeadersOfNewMessages(t *testing.T) {
	m, send, since := bobReplied(t)
	const others = 120
	for i := range others {
		send(fmt.Sprintf("news%d@example.com", i), "me@example.com", fmt.Sprintf("Subject: News %d\r\nMessage-ID: <news-%d@x>", i, i))
	}
	counter := &countingTransport{}
	mailbox := New(m.APIURL, &http.Client{Transport: counter})
	ctx := context.Background()
	poll := func(what string, wantReplies, wantSearches, wantHeaders int) {
		t.Helper()
		got, err := mailbox.Answering(ctx, "me@example.com", "<ask@eaapl.test>", since)
		if err != nil {
			t.Fatal(err)
		}
		searches, headers := counter.take()
		if len(got) != wantReplies || searches != wantSearches || headers != wantHeaders {
			t.Errorf("%s: %d replies with %d searches and %d header reads, want %d, %d and %d", what, len(got), searches, headers, wantReplies, wantSearches, wantHeaders)
		}
	}
	poll("the first poll", 1, 1, others+1) // Bob's reply and the others
	poll("the same poll again", 1, 1, 0)
	send("alice@example.com", "me@example.com", "Subject: Re: Re\r\nMessage-ID: <alice-refs@x>\r\nIn-Reply-To: <other@x>\r\nReferences: <ask@eaapl.test>")
	poll("a poll after Alice's reply", 2, 1, 1)
	poll("a poll after that", 2, 1, 0)
	// A copy of the mailbox (another page size) remembers what the mailbox read.
	if _, err := mailbox.WithPageSize(40).Answering(ctx, "me@example.com", "<ask@eaapl.test>", since); err != nil {
		t.Fatal(err)
	}
	if searches, headers := counter.take(); searches != 4 || headers != 0 {
		t.Errorf("a poll 40 a page read %d pages and %d headers, want 4 pages (122 messages) and no headers", searches, headers)
	}
}

// TestTheThreadCacheForgetsTheLongestRemembered checks the cache's bound: beyond it, the message
// remembered first is read again, not one read lately.
func TestTheThreadCacheForgetsTheLongestRemembered(t *testing.T) {
	c := newThreadCache(2)
	c.put("a", thread{inReplyTo: []string{"x@a"}})
	c.put("b", thread{})
	c.put("a", thread{}) // already remembered: kept as it was
	c.put("c", thread{})
	if _, ok := c.get("a"); ok {
		t.Error("a, remembered first, is still remembered past the bound of 2")
	}
	for _, id := range []string{"b", "c"} {
		if _, ok := c.get(id); !ok {
			t.Errorf("%s is forgotten, want it remembered", id)
		}
	}
	if n := len(c.byID); n != 2 {
		t.Errorf("%d remembered, want 2", n)
	}
}
