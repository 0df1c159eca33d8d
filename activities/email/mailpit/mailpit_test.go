package mailpit

import (
	"context"
	"net/smtp"
	"testing"
	"time"

	"github.com/eaapl/eaapl/internal/testenv"
)

// TestSearchQueryNarrowsOnTheServer checks that Mailpit understands Emailed's query (the sender and the
// dates) itself; otherwise every page of all history would come back.
func TestSearchQueryNarrowsOnTheServer(t *testing.T) {
	m := testenv.Mailpit(t)
	started := time.Now()
	msg := "From: me@example.com\r\nTo: bob@example.com\r\nSubject: s\r\nMessage-ID: <q1@example.com>\r\n\r\nb\r\n"
	if err := smtp.SendMail(m.SMTPAddr, nil, "me@example.com", []string{"bob@example.com"}, []byte(msg)); err != nil {
		t.Fatal(err)
	}
	mailbox := New(m.APIURL, nil)
	ctx := context.Background()
	res, err := mailbox.search(ctx, emailedQuery("me@example.com", started.Add(-2*time.Hour), started.Add(-time.Hour)), 0, 10)
	if err != nil {
		t.Fatal(err)
	}
	if res.MessagesCount != 0 {
		t.Fatalf("query for a past range matched %d messages, want 0", res.MessagesCount)
	}
	res, err = mailbox.search(ctx, emailedQuery("me@example.com", started.Add(-time.Hour), time.Now().Add(time.Hour)), 0, 10)
	if err != nil {
		t.Fatal(err)
	}
	if res.MessagesCount != 1 {
		t.Fatalf("query for the run matched %d messages, want 1", res.MessagesCount)
	}
	res, err = mailbox.search(ctx, emailedQuery("other@example.com", started.Add(-time.Hour), time.Now().Add(time.Hour)), 0, 10)
	if err != nil {
		t.Fatal(err)
	}
	if res.MessagesCount != 0 {
		t.Fatalf("query for another sender matched %d messages, want 0", res.MessagesCount)
	}
}
