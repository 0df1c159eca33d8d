package activities

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/smtp"
	"net/url"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/eaapl/eaapl/catalog"
	"github.com/eaapl/eaapl/devstack"
	"github.com/eaapl/eaapl/internal/testenv"
)

// startMailpit runs Mailpit for the test and returns its SMTP address and API URL.
func startMailpit(tb testing.TB, args ...string) (smtpAddr, apiURL string) {
	tb.Helper()
	m := testenv.Mailpit(tb, args...)
	return m.SMTPAddr, m.APIURL
}

// mailpitAPI calls Mailpit's API directly, to check what the code under test did.
func mailpitAPI(tb testing.TB, method, u string, body, v any) {
	tb.Helper()
	var r bytes.Buffer
	if body != nil {
		if err := json.NewEncoder(&r).Encode(body); err != nil {
			tb.Fatal(err)
		}
	}
	req, err := http.NewRequest(method, u, &r)
	if err != nil {
		tb.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		tb.Fatalf("%s %s: %s", method, u, resp.Status)
	}
	if v != nil {
		if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
			tb.Fatal(err)
		}
	}
}

// storedMessages returns the messages Mailpit holds with this Message-ID, in full.
func storedMessages(tb testing.TB, apiURL, messageID string) []mailpitMessage {
	tb.Helper()
	var res mailpitSearchResult
	mailpitAPI(tb, http.MethodGet, apiURL+"/api/v1/search?query="+url.QueryEscape("message-id:"+strings.Trim(messageID, "<>")), nil, &res)
	var msgs []mailpitMessage
	for _, s := range res.Messages {
		var m mailpitMessage
		mailpitAPI(tb, http.MethodGet, apiURL+"/api/v1/message/"+s.ID, nil, &m)
		msgs = append(msgs, m)
	}
	return msgs
}

// mailpitAddress and mailpitSearchResult are Mailpit's JSON, as the checks here read it.
type mailpitAddress struct {
	Name    string
	Address string
}

type mailpitSearchResult struct {
	MessagesCount int `json:"messages_count"`
	Messages      []struct {
		ID string
	} `json:"messages"`
}

// mailpitMessage is a message as GET /api/v1/message/{ID} returns it.
type mailpitMessage struct {
	MessageID string
	From      mailpitAddress
	To        []mailpitAddress
	Subject   string
	Text      string
	Username  string
}

func TestMailpit(t *testing.T) {
	smtpAddr, apiURL := startMailpit(t)
	sender, err := NewSMTP(SMTPConfig{Addr: smtpAddr, Username: "eaapl", Password: "secret", TLS: "opportunistic"})
	if err != nil {
		t.Fatal(err)
	}
	mailbox := NewMailpit(apiURL, nil)
	a := &testWorker{Mailbox: mailbox, Sender: sender, From: me, WorkerID: "worker_it"}
	ctx := context.Background()
	started := time.Now()

	t.Run("SendEmailSendsOnceAndMailpitHasIt", func(t *testing.T) {
		tk := task("task_003_2", map[string]any{
			"to":      map[string]any{"name": "Bob Example", "email": "bob@example.com", "source": "contacts.vcf:9"},
			"subject": "Hello World!",
			"body":    "Hello World!\nSee you soon.",
		})
		res, err := runActivity(t, a, a.SendEmail, tk)
		if err != nil {
			t.Fatal(err)
		}
		id := MessageID(tk.Context.IdempotencyKey, me.Address)
		if got, want := res.Output, map[string]any{"recipient": "bob@example.com", "message_id": id, "already_sent": false, "cc": []any{}, "attached": []any{}}; !reflect.DeepEqual(got, want) {
			t.Fatalf("output = %v, want %v", got, want)
		}
		if ok, err := mailbox.HasMessageID(ctx, id); err != nil || !ok {
			t.Fatalf("HasMessageID(%s) = %v, %v; want true", id, ok, err)
		}
		if ok, err := mailbox.HasMessageID(ctx, MessageID("another key", me.Address)); err != nil || ok {
			t.Fatalf("HasMessageID(another) = %v, %v; want false", ok, err)
		}
		// A Message-ID that only contains ours is not ours: the search matches substrings.
		if ok, err := mailbox.HasMessageID(ctx, strings.TrimSuffix(id, ">")[1:8]); err != nil || ok {
			t.Fatalf("HasMessageID(prefix) = %v, %v; want false", ok, err)
		}

		msgs := storedMessages(t, apiURL, id)
		if len(msgs) != 1 {
			t.Fatalf("Mailpit holds %d messages with ID %s, want 1", len(msgs), id)
		}
		m := msgs[0]
		if got, want := m.Subject, "Hello World!"; got != want {
			t.Errorf("subject = %q, want %q", got, want)
		}
		if got, want := strings.TrimRight(m.Text, "\r\n"), "Hello World!\r\nSee you soon."; strings.ReplaceAll(got, "\r\n", "\n") != strings.ReplaceAll(want, "\r\n", "\n") {
			t.Errorf("body = %q, want %q", got, want)
		}
		if m.From != (mailpitAddress{Name: "EaaPL Demo", Address: "me@example.com"}) {
			t.Errorf("from = %+v, want EaaPL Demo <me@example.com>", m.From)
		}
		if len(m.To) != 1 || m.To[0] != (mailpitAddress{Name: "Bob Example", Address: "bob@example.com"}) {
			t.Errorf("to = %+v, want Bob Example <bob@example.com>", m.To)
		}
		if got, want := "<"+m.MessageID+">", id; got != want {
			t.Errorf("Message-ID = %q, want %q", got, want)
		}
		if got, want := m.Username, "eaapl"; got != want {
			t.Errorf("SMTP user = %q, want %q (authentication was skipped)", got, want)
		}

		// The retry of a task whose email went out finds it and sends nothing.
		res, err = runActivity(t, a, a.SendEmail, tk)
		if err != nil {
			t.Fatal(err)
		}
		if res.Output["already_sent"] != true || res.Output["message_id"] != id {
			t.Fatalf("second attempt output = %v, want already_sent and the same message_id", res.Output)
		}
		if n := len(storedMessages(t, apiURL, id)); n != 1 {
			t.Fatalf("Mailpit holds %d messages with ID %s after a retry, want 1", n, id)
		}
	})

	// More history: Cc and Bcc recipients, another sender whose address contains ours, and one person
	// emailed twice.
	sendRaw(t, smtpAddr, "me@example.com", []string{"frank@example.com", "dave@example.com", "erin@example.com"},
		"From: EaaPL Demo <me@example.com>\r\nTo: frank@example.com\r\nCc: Dave <dave@example.com>\r\nSubject: cc and bcc\r\n\r\nhi\r\n")
	sendRaw(t, smtpAddr, "notme@example.com", []string{"gina@example.com"},
		"From: notme@example.com\r\nTo: gina@example.com\r\nSubject: not from me\r\n\r\nhi\r\n")
	send := func(to, key string) {
		t.Helper()
		if err := sender.Send(ctx, Message{From: me.Address, FromName: me.Name, To: to, Subject: "s", Body: "b", MessageID: MessageID(key, me.Address)}); err != nil {
			t.Fatal(err)
		}
	}
	send("ivy@example.com", "ivy-1")
	time.Sleep(20 * time.Millisecond)
	between := time.Now()
	time.Sleep(20 * time.Millisecond)
	send("ivy@example.com", "ivy-2")
	finished := time.Now()

	t.Run("EmailedFindsRecipientsWithinTheRangeOnly", func(t *testing.T) {
		to := []string{"BOB@example.com", "dave@example.com", "erin@example.com", "frank@example.com", "gina@example.com", "ivy@example.com", "zed@example.com"}
		for _, pageSize := range []int{250, 2} {
			m := NewMailpit(apiURL, nil).WithPageSize(pageSize)
			found, err := m.Emailed(ctx, "me@example.com", to, started.Add(-time.Hour), finished.Add(time.Hour))
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, addr := range to {
				if when, ok := found[addr]; ok {
					got = append(got, addr)
					if when.Before(started.Add(-time.Second)) || when.After(finished.Add(time.Second)) {
						t.Errorf("%s emailed at %v, outside the test's run %v..%v", addr, when, started, finished)
					}
				}
			}
			if want := []string{"BOB@example.com", "dave@example.com", "erin@example.com", "frank@example.com", "ivy@example.com"}; !reflect.DeepEqual(got, want) {
				t.Fatalf("page size %d: emailed %v, want %v", pageSize, got, want)
			}
			if len(found) != len(got) {
				t.Fatalf("page size %d: found %v has keys not asked for", pageSize, found)
			}
			if when := found["ivy@example.com"]; when.Before(between.Truncate(time.Millisecond)) {
				t.Errorf("ivy last emailed at %v, want the second email, after %v", when, between)
			}
		}
		for _, r := range []struct {
			name         string
			since, until time.Time
		}{
			{"Before", started.Add(-2 * time.Hour), started.Add(-time.Hour)},
			{"After", finished.Add(time.Hour), finished.Add(2 * time.Hour)},
			{"EndingJustBefore", started.Add(-time.Hour), started.Add(-10 * time.Millisecond)},
		} {
			found, err := mailbox.Emailed(ctx, "me@example.com", to, r.since, r.until)
			if err != nil {
				t.Fatal(err)
			}
			if len(found) != 0 {
				t.Errorf("%s the run: emailed %v, want nobody", r.name, found)
			}
		}
	})

	t.Run("SendsConcurrently", func(t *testing.T) {
		// A worker runs many SendEmail tasks at once through one Sender.
		const n = 20
		errs := make(chan error, n)
		for i := range n {
			go func() {
				errs <- sender.Send(ctx, Message{From: me.Address, To: fmt.Sprintf("crowd%d@example.net", i), Subject: "s", Body: "b", MessageID: MessageID(fmt.Sprint("crowd", i), me.Address)})
			}()
		}
		for range n {
			if err := <-errs; err != nil {
				t.Fatal(err)
			}
		}
		var res mailpitSearchResult
		mailpitAPI(t, http.MethodGet, apiURL+"/api/v1/search?query="+url.QueryEscape("to:@example.net"), nil, &res)
		if res.MessagesCount != n {
			t.Fatalf("Mailpit holds %d of the %d messages sent at once", res.MessagesCount, n)
		}
	})

	t.Run("CheckEmailHistoryAsActivity", func(t *testing.T) {
		contacts := []any{
			map[string]any{"name": "Zed", "email": "zed@example.com", "source": "c.csv:2"},
			map[string]any{"name": "Bob", "email": "bob@example.com", "source": "c.csv:3"},
			map[string]any{"name": "Gina", "email": "gina@example.com", "source": "c.csv:4"},
		}
		res, err := runActivity(t, a, a.CheckEmailHistory, catalog.Task{TaskID: "task_002", Parameters: map[string]any{
			"contacts": contacts, "since": started.Add(-time.Hour).Format(time.RFC3339),
		}})
		if err != nil {
			t.Fatal(err)
		}
		if got, want := res.Output["emailed"], []any{"bob@example.com"}; !reflect.DeepEqual(got, want) {
			t.Fatalf("emailed = %v, want %v", got, want)
		}
		if got, want := res.Output["not_emailed"], []any{contacts[0], contacts[2]}; !reflect.DeepEqual(got, want) {
			t.Fatalf("not_emailed = %v, want %v", got, want)
		}
	})
}

// sendRaw sends a message exactly as written, with the envelope recipients given, as another mail
// client would.
func sendRaw(tb testing.TB, addr, from string, rcpts []string, msg string) {
	tb.Helper()
	if err := smtp.SendMail(addr, nil, from, rcpts, []byte(msg)); err != nil {
		tb.Fatal(err)
	}
}

func TestSMTPErrors(t *testing.T) {
	smtpAddr, apiURL := startMailpit(t, "--enable-chaos")
	sender, err := NewSMTP(SMTPConfig{Addr: smtpAddr, Username: "eaapl", Password: "secret", TLS: "opportunistic", Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	a := &testWorker{Mailbox: NewMailpit(apiURL, nil), Sender: sender, From: me}
	params := map[string]any{"to": "bob@example.com", "subject": "s", "body": "b"}

	chaos := func(t *testing.T, trigger string, code int) {
		t.Helper()
		mailpitAPI(t, http.MethodPut, apiURL+"/api/v1/chaos", map[string]any{trigger: map[string]int{"ErrorCode": code, "Probability": 100}}, nil)
		t.Cleanup(func() { mailpitAPI(t, http.MethodPut, apiURL+"/api/v1/chaos", map[string]any{}, nil) })
	}
	for _, tc := range []struct {
		name, trigger string
		code          int
		wantType      string // "" for retryable
		fragments     []string
	}{
		{"PermanentRecipientRefusalIsInvalidArgument", "Recipient", 550, catalog.ErrInvalidArgument, []string{"SMTP server " + smtpAddr + " refused the message", "550"}},
		{"PermanentSenderRefusalIsInvalidArgument", "Sender", 553, catalog.ErrInvalidArgument, []string{"553"}},
		{"RefusedCredentialsAreUnauthorized", "Authentication", 535, catalog.ErrUnauthorized, []string{"refused the credentials", "535"}},
		{"TemporaryRefusalIsRetried", "Recipient", 451, "", []string{"SMTP server " + smtpAddr + " deferred the message", "451"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			chaos(t, tc.trigger, tc.code)
			tk := task("t", params)
			tk.Context.IdempotencyKey = tc.name
			_, err := runActivity(t, a, a.SendEmail, tk)
			if tc.wantType == "" {
				assertRetryable(t, err, tc.fragments...)
			} else {
				assertAppError(t, err, tc.wantType, tc.fragments...)
			}
			if n := len(storedMessages(t, apiURL, MessageID(tc.name, me.Address))); n != 0 {
				t.Fatalf("Mailpit holds %d copies of a refused message", n)
			}
		})
	}
	t.Run("UnreachableServerIsRetried", func(t *testing.T) {
		down := freeAddr(t)
		s, err := NewSMTP(SMTPConfig{Addr: down, TLS: "none", Timeout: 2 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		a := &testWorker{Mailbox: NewMailpit(apiURL, nil), Sender: s, From: me}
		_, err = runActivity(t, a, a.SendEmail, task("t", params))
		assertRetryable(t, err, "SMTP server "+down+" unreachable", "refused")
	})
	t.Run("UnreachableMailboxIsRetried", func(t *testing.T) {
		down := "http://" + freeAddr(t)
		a := &testWorker{Mailbox: NewMailpit(down, nil), Sender: sender, From: me}
		_, err := runActivity(t, a, a.CheckEmailHistory, catalog.Task{TaskID: "t", Parameters: map[string]any{
			"contacts": []any{map[string]any{"email": "bob@example.com"}}, "since": "2026-01-01T00:00:00Z",
		}})
		assertRetryable(t, err, "mailbox "+down+" unreachable")
		_, err = runActivity(t, a, a.SendEmail, task("t", params))
		assertRetryable(t, err, "mailbox "+down+" unreachable")
	})
	t.Run("ErrorsAreClassifiedOutsideActivitiesToo", func(t *testing.T) {
		chaos(t, "Recipient", 550)
		err := sender.Send(context.Background(), Message{From: me.Address, To: "bob@example.com", Subject: "s", Body: "b", MessageID: MessageID("direct", me.Address)})
		var rejected *RejectedError
		if !errors.As(err, &rejected) || rejected.Code != 550 || rejected.Auth {
			t.Fatalf("Send error = %#v, want a *RejectedError with code 550", err)
		}
	})
}

// freeAddr returns a loopback address with a port that nothing listens on.
func freeAddr(tb testing.TB) string {
	tb.Helper()
	port, err := devstack.FreePort()
	if err != nil {
		tb.Fatal(err)
	}
	return "127.0.0.1:" + strconv.Itoa(port)
}
