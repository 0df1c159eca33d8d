package testenv

import (
	"io"
	"net"
	"sync/atomic"
	"testing"
	"time"
)

// Proxy is a TCP proxy on loopback that holds each connection for a while before it forwards it.
type Proxy struct {
	Addr string // where clients connect
	held atomic.Int64
}

// Held is how many connections are waiting out their delay: their clients are in the middle of a
// conversation that has not reached the target yet.
func (p *Proxy) Held() int { return int(p.held.Load()) }

// SlowProxy forwards each TCP connection from a free loopback port to target after holding it for delay,
// as a distant or busy server would; it stops when the test ends. The crash tests put one in front of
// Mailpit's SMTP port so that a send of a few hundred emails lasts long enough to be interrupted in the
// middle, and so that they can see a worker's sends in flight. A connection dials target only when its
// delay is over, so a target that restarts meanwhile is reached again.
func SlowProxy(tb testing.TB, target string, delay time.Duration) *Proxy {
	tb.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatalf("slow proxy to %s: %v", target, err)
	}
	tb.Cleanup(func() { l.Close() })
	p := &Proxy{Addr: l.Addr().String()}
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return // closed at the end of the test
			}
			p.held.Add(1)
			go p.forwardAfter(c, target, delay)
		}
	}()
	return p
}

// forwardAfter waits, then pipes c to a new connection to target both ways until either side closes, and
// closes both, so that a client that dies mid-conversation drops the server's connection too.
func (p *Proxy) forwardAfter(c net.Conn, target string, delay time.Duration) {
	defer c.Close()
	time.Sleep(delay)
	p.held.Add(-1)
	up, err := net.DialTimeout("tcp", target, 10*time.Second)
	if err != nil {
		return
	}
	defer up.Close()
	done := make(chan struct{}, 2)
	go func() { _, _ = io.Copy(up, c); done <- struct{}{} }()
	go func() { _, _ = io.Copy(c, up); done <- struct{}{} }()
	<-done
}
