package smtp_test

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/eaapl/eaapl/activities/email"
	"github.com/eaapl/eaapl/activities/email/smtp"
)

// acceptThenDrop is an SMTP server that accepts one message and drops the connection at the next
// command (go-mail's RSET after the message), as a server or network failing right after the 250 does.
// It counts the messages it accepted.
func acceptThenDrop(t *testing.T) (addr string, accepted chan string) { return fakeSMTP(t, false) }

// fakeSMTP is acceptThenDrop, or, with silent, a server that takes the whole message and drops the
// connection instead of replying to the end of DATA: the client cannot know whether it was accepted.
func fakeSMTP(t *testing.T, silent bool) (addr string, accepted chan string) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	accepted = make(chan string, 10)
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				r := bufio.NewReader(c)
				say := func(s string) { _, _ = c.Write([]byte(s + "\r\n")) }
				say("220 fake ESMTP")
				var body strings.Builder
				inData, done := false, false
				for {
					line, err := r.ReadString('\n')
					if err != nil {
						return
					}
					switch {
					case inData && line == ".\r\n":
						inData, done = false, true
						accepted <- body.String()
						if silent {
							return
						}
						say("250 2.0.0 queued")
					case inData:
						body.WriteString(line)
					case done:
						return // drop, whatever the client says next
					case strings.HasPrefix(line, "EHLO"):
						say("250-fake\r\n250 8BITMIME")
					case strings.HasPrefix(line, "DATA"):
						inData = true
						say("354 go ahead")
					default:
						say("250 ok")
					}
				}
			}()
		}
	}()
	return l.Addr().String(), accepted
}

// An email the server accepted is sent, and its copy saved, even when the connection fails right after
// (the RSET or QUIT go-mail sends next): failing it would send it again on the retry, which finds no copy.
func TestAcceptedThenDroppedIsSent(t *testing.T) {
	msg := email.Message{From: "me@example.com", To: "bob@example.com", Subject: "Hi", Body: "Hello", MessageID: "<once@example.com>"}
	for _, tc := range []struct {
		name string
		send func(s *smtp.Sender) error
	}{
		{"Send", func(s *smtp.Sender) error { return s.Send(context.Background(), msg) }},
		{"Session", func(s *smtp.Sender) error {
			ss := s.Session()
			defer ss.Close()
			return ss.Send(context.Background(), msg)
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			addr, accepted := acceptThenDrop(t)
			copies := &recordedCopies{}
			s, err := smtp.New(smtp.Config{Addr: addr, TLS: "none", Timeout: 5 * time.Second, Copies: copies})
			if err != nil {
				t.Fatal(err)
			}
			if err := tc.send(s); err != nil {
				t.Fatalf("send: %v; the server had accepted the message", err)
			}
			select {
			case body := <-accepted:
				if !strings.Contains(body, "Message-ID: <once@example.com>") {
					t.Errorf("the server accepted %q, not the email", body)
				}
			default:
				t.Fatal("the server accepted nothing")
			}
			if got, want := copies.String(), "prepare <once@example.com>, confirm <once@example.com>"; got != want {
				t.Errorf("Sent copy calls %q, want %q", got, want)
			}
		})
	}
}

// A message handed over whose end of DATA got no reply may have been accepted: its copy stays in Sent
// unconfirmed (neither confirmed nor discarded), and the send fails, so that the retry asks.
func TestNoReplyToTheEndOfDataLeavesTheCopyUnconfirmed(t *testing.T) {
	addr, accepted := fakeSMTP(t, true)
	copies := &recordedCopies{}
	s, err := smtp.New(smtp.Config{Addr: addr, TLS: "none", Timeout: 5 * time.Second, Copies: copies})
	if err != nil {
		t.Fatal(err)
	}
	msg := email.Message{From: "me@example.com", To: "bob@example.com", Subject: "Hi", Body: "Hello", MessageID: "<unsure@example.com>"}
	if err := s.Send(context.Background(), msg); err == nil {
		t.Fatal("send whose end of DATA got no reply succeeded; want an error")
	}
	if len(accepted) != 1 {
		t.Fatal("the server was not handed the message, so the case under test did not happen")
	}
	if got, want := copies.String(), "prepare <unsure@example.com>"; got != want {
		t.Errorf("Sent copy calls %q, want %q", got, want)
	}
}

// recordedCopies is a smtp.SentCopies that records its calls; fail makes the call of that name fail.
type recordedCopies struct {
	calls []string
	raw   []byte // what Prepare was given
	fail  string
}

func (r *recordedCopies) call(name, id string) error {
	r.calls = append(r.calls, name+" "+id)
	if r.fail == name {
		return errors.New("Sent is full")
	}
	return nil
}

func (r *recordedCopies) Prepare(_ context.Context, id string, raw []byte, _ time.Time) error {
	r.raw = raw
	return r.call("prepare", id)
}

func (r *recordedCopies) Confirm(_ context.Context, id string, raw []byte, _ time.Time) error {
	if !bytes.Equal(raw, r.raw) {
		r.calls = append(r.calls, "confirm with other bytes")
	}
	return r.call("confirm", id)
}

func (r *recordedCopies) Discard(_ context.Context, id string) error { return r.call("discard", id) }

func (r *recordedCopies) String() string { return strings.Join(r.calls, ", ") }
