package imapbox_test

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/eaapl/eaapl/internal/imapbox"
	"github.com/eaapl/eaapl/internal/mailtest"
)

var largeFolder = flag.Int("imap.messages", 20_000, "messages in the Sent folder of TestLargeSentFolderIsSearchedNotDownloaded (100000 takes about 5 minutes)")

// TestLargeSentFolderIsSearchedNotDownloaded puts 20,000 messages (-imap.messages) into Dovecot's Sent
// folder and checks that the history of this week and the Message-ID check read a few kilobytes of them.
func TestLargeSentFolderIsSearchedNotDownloaded(t *testing.T) {
	total, thisWeek := *largeFolder, 5
	sys := mailtest.Start(t, mailtest.Options{})
	now := time.Now().Truncate(time.Second)
	sent := filepath.Join(sys.Dir, "mail", mailtest.Me.Address, "Maildir", ".Sent")
	uid, gid := dovecotIDs(t)
	var size int64
	for _, sub := range []string{"", "cur", "new", "tmp"} {
		if err := os.MkdirAll(filepath.Join(sent, sub), 0o700); err != nil {
			t.Fatal(err)
		}
	}
	for i := range total {
		at := now.AddDate(0, 0, -8-i%700) // the last two years, before this week
		to := fmt.Sprintf("person%d@example.com", i%5000)
		if i < thisWeek {
			at, to = now.Add(-time.Duration(i+1)*time.Hour), "bob@example.com"
		}
		raw := message(fmt.Sprintf("m%06d@eaapl.test", i), to, "Message "+strconv.Itoa(i), at)
		path := filepath.Join(sent, "cur", fmt.Sprintf("%d.M%dP1.mailtest:2,S", at.Unix(), i))
		if err := os.WriteFile(path, raw, 0o600); err != nil {
			t.Fatal(err)
		}
		size += int64(len(raw))
	}
	if err := filepath.Walk(filepath.Join(sys.Dir, "mail", mailtest.Me.Address), func(p string, _ os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		return os.Lchown(p, uid, gid)
	}); err != nil {
		t.Fatal(err)
	}

	proxy := countingProxy(t, sys.IMAPAddr)
	m := mailbox(t, sys, imapbox.Config{URL: "imap://me%40example.com@" + proxy.addr, Timeout: 2 * time.Minute})
	ctx := context.Background()
	started := time.Now()
	got, err := m.Emailed(ctx, mailtest.Me.Address, []string{"bob@example.com", "person7@example.com"}, now.AddDate(0, 0, -7), now.Add(time.Second))
	if err != nil {
		t.Fatal(err)
	}
	first := time.Since(started)
	if len(got) != 1 || !got["bob@example.com"].Equal(now.Add(-time.Hour)) {
		t.Fatalf("Emailed = %v; want bob@example.com an hour ago, and not person7 (emailed before this week)", got)
	}
	started = time.Now()
	has, err := m.HasMessageID(ctx, fmt.Sprintf("m%06d@eaapl.test", total/2+1))
	if err != nil || !has {
		t.Fatalf("HasMessageID of an old message = %v, %v; want true", has, err)
	}
	cold := time.Since(started)
	started = time.Now()
	if has, err := m.HasMessageID(ctx, fmt.Sprintf("m%06d@eaapl.test", total/3)); err != nil || !has {
		t.Fatalf("HasMessageID of another old message = %v, %v; want true", has, err)
	}
	warm := time.Since(started)
	read := proxy.read.Load()
	t.Logf("%d messages (%d bytes) in Sent: history of this week took %s (Dovecot indexing the folder first), the Message-ID check %s, then %s; %d bytes came from the server",
		total, size, first.Round(time.Millisecond), cold.Round(time.Millisecond), warm.Round(time.Millisecond), read)
	if read > 64<<10 {
		t.Fatalf("read %d bytes from the server for a search of a %d-byte folder; want a few kilobytes", read, size)
	}
}

func dovecotIDs(tb testing.TB) (int, int) {
	tb.Helper()
	u, err := lookupID("dovecot")
	if err != nil {
		tb.Fatal(err)
	}
	return u[0], u[1]
}

// proxy is a TCP proxy that counts the bytes the server sends.
type proxy struct {
	addr string
	read atomic.Int64
}

func countingProxy(tb testing.TB, target string) *proxy {
	tb.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { l.Close() })
	p := &proxy{addr: l.Addr().String()}
	go func() {
		for {
			client, err := l.Accept()
			if err != nil {
				return
			}
			server, err := net.Dial("tcp", target)
			if err != nil {
				client.Close()
				continue
			}
			go func() { io.Copy(server, client); server.Close() }()
			go func() { io.Copy(client, countingReader{server, &p.read}); client.Close() }()
		}
	}()
	return p
}

func lookupID(name string) ([2]int, error) {
	u, err := user.Lookup(name)
	if err != nil {
		return [2]int{}, err
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	return [2]int{uid, gid}, nil
}

// countingReader adds what it reads to n as it goes.
type countingReader struct {
	r io.Reader
	n *atomic.Int64
}

func (c countingReader) Read(b []byte) (int, error) {
	k, err := c.r.Read(b)
	c.n.Add(int64(k))
	return k, err
}
