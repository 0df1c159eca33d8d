package smtp_test

import (
	"bufio"
	"context"
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
func acceptThenDrop(t *testing.T) (addr string, accepted chan string) {
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
			var saved []string
			s, err := smtp.New(smtp.Config{Addr: addr, TLS: "none", Timeout: 5 * time.Second,
				SaveSent: func(_ context.Context, id string, _ []byte, _ time.Time) error { saved = append(saved, id); return nil }})
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
			if len(saved) != 1 || saved[0] != "<once@example.com>" {
				t.Errorf("Sent copies %v, want the email's", saved)
			}
		})
	}
}
