package testenv

import (
	"bytes"
	"io"
	"net"
	"sync"
	"testing"
	"time"
)

// SMTPProxy is a TCP proxy on loopback in front of an SMTP server that delays everything a client says,
// and watches the SMTP sessions that go through it.
type SMTPProxy struct {
	Addr string // where clients connect

	mu       sync.Mutex
	sessions map[*proxySession]bool // open, not yet QUIT
}

// Session is an SMTP session seen by an SMTPProxy.
type Session struct {
	Opened time.Time   // when the client connected
	Emails []time.Time // when the end of each email's DATA was passed on to the server, which then has it
}

type proxySession struct{ Session }

// Sessions returns the sessions still open: their clients connected and have not said QUIT, so they are in
// the middle of a batch of sends.
func (p *SMTPProxy) Sessions() []Session {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make([]Session, 0, len(p.sessions))
	for s := range p.sessions {
		out = append(out, Session{Opened: s.Opened, Emails: append([]time.Time(nil), s.Emails...)})
	}
	return out
}

// DelaySMTP forwards each TCP connection from a free loopback port to target, holding every chunk the
// client sends for delay before passing it on, as a distant or busy server would; it stops when the test
// ends. SMTP is a conversation of one command and one reply at a time (MAIL, RCPT, DATA, the message,
// NOOP or RSET between messages), so each email takes several delays even when a client keeps one
// connection for many of them. The crash tests put one in front of Mailpit so that a send of a few hundred
// emails lasts long enough to be interrupted in the middle, and so that they can see a worker's sessions
// in flight.
func DelaySMTP(tb testing.TB, target string, delay time.Duration) *SMTPProxy {
	tb.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatalf("SMTP proxy to %s: %v", target, err)
	}
	tb.Cleanup(func() { l.Close() })
	p := &SMTPProxy{Addr: l.Addr().String(), sessions: map[*proxySession]bool{}}
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return // closed at the end of the test
			}
			go p.forward(c, target, delay)
		}
	}()
	return p
}

// forward pipes c to a new connection to target both ways until either side closes, and closes both, so
// that a client that dies mid-conversation drops the server's connection too. A target that is down
// (restarting) closes c at once, as the server itself would refuse it.
func (p *SMTPProxy) forward(c net.Conn, target string, delay time.Duration) {
	defer c.Close()
	up, err := net.DialTimeout("tcp", target, 10*time.Second)
	if err != nil {
		return
	}
	defer up.Close()
	s := &proxySession{Session{Opened: time.Now()}}
	p.mu.Lock()
	p.sessions[s] = true
	p.mu.Unlock()
	end := func() {
		p.mu.Lock()
		delete(p.sessions, s)
		p.mu.Unlock()
	}
	defer end()
	done := make(chan struct{}, 2)
	go func() { // client -> server, each chunk late
		defer func() { done <- struct{}{} }()
		var tail []byte // the end of what came before, for an end of DATA split across chunks
		buf := make([]byte, 32<<10)
		for {
			n, err := c.Read(buf)
			if n > 0 {
				chunk := buf[:n]
				if bytes.HasPrefix(bytes.ToUpper(chunk), []byte("QUIT")) {
					end() // the session is over, whatever is left is the goodbye
				}
				time.Sleep(delay)
				if _, werr := up.Write(chunk); werr != nil {
					return
				}
				// "\r\n.\r\n" is 5 bytes and the tail 4, so each end counts once.
				seen := append(append([]byte(nil), tail...), chunk...)
				ends := bytes.Count(seen, []byte("\r\n.\r\n"))
				tail = seen[max(0, len(seen)-4):]
				if ends > 0 {
					p.mu.Lock()
					for range ends {
						s.Emails = append(s.Emails, time.Now())
					}
					p.mu.Unlock()
				}
			}
			if err != nil {
				return
			}
		}
	}()
	go func() { _, _ = io.Copy(c, up); done <- struct{}{} }()
	<-done
}
