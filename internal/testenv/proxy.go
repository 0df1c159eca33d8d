package testenv

import (
	"io"
	"net"
	"testing"
	"time"
)

// SlowProxy forwards each TCP connection from a free loopback port to target after holding it for delay,
// as a distant or busy server would, and returns the port's address; it stops when the test ends. The
// crash tests use it in front of Mailpit's SMTP port so that a send of a few hundred emails lasts long
// enough to be interrupted in the middle. A connection dials target only when its delay is over, so a
// target that restarts meanwhile is reached again.
func SlowProxy(tb testing.TB, target string, delay time.Duration) string {
	tb.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatalf("slow proxy to %s: %v", target, err)
	}
	tb.Cleanup(func() { l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return // closed at the end of the test
			}
			go forwardAfter(c, target, delay)
		}
	}()
	return l.Addr().String()
}

// forwardAfter waits, then pipes c to a new connection to target both ways until either side closes, and
// closes both, so that a client that dies mid-conversation drops the server's connection too.
func forwardAfter(c net.Conn, target string, delay time.Duration) {
	defer c.Close()
	time.Sleep(delay)
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
