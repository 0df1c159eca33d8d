package e2e_test

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/eaapl/eaapl/activities/contentvalue"
	"github.com/eaapl/eaapl/config"
	"github.com/eaapl/eaapl/devstack"
	"github.com/eaapl/eaapl/internal/testenv"
	"github.com/eaapl/eaapl/starter"
	"github.com/eaapl/eaapl/workflows"
)

// TestShardedForEach runs a for_each over 2,000 contacts with a shard size of 500 on the dev stack: the
// contacts are a stored list (more than RetrieveContacts carries), its items run in 4 ForEachShard child
// workflows that each read their own range of it, each contact gets exactly one email, `eaapl status`
// counts the items of every shard while they run, and every run's history (the program's and each
// shard's) stays far under Temporal's limits; the program's holds no item.
func TestShardedForEach(t *testing.T) {
	const n, size, id = 2000, 500, "sharded-stored-list"
	s := newStack(t)
	st := s.worker(t, numberedContacts(t, n), func(c *config.Config) {
		c.DataDir = t.TempDir()
		// A slower mail server, so that the shards end at times a status poll can tell apart.
		c.SMTPAddr = testenv.DelaySMTP(t, s.mailpit.SMTPAddr, 10*time.Millisecond).Addr
	})
	var statuses []string // eaapl status's lines for the send step, while shards ran
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	wr, err := st.Start(ctx, id, workflows.Input{Program: "Send 'Hi there' to all my contacts", ShardSize: size})
	if err != nil {
		t.Fatal(err)
	}
	res, err := st.Wait(ctx, wr, 100*time.Millisecond, func(cur workflows.Status) {
		var b strings.Builder
		starter.PrintStatus(&b, cur)
		for _, line := range strings.Split(b.String(), "\n") {
			if strings.Contains(line, "send") && cur.State == workflows.StateRunning {
				statuses = append(statuses, strings.TrimSpace(line))
			}
		}
	})
	s.recordHistory(t, id)
	if err != nil {
		t.Fatalf("program failed: %v", err)
	}
	if got, want := res.Summary, fmt.Sprintf("send: %d done, 0 skipped, 0 failed", n); got != want {
		t.Fatalf("summary = %q, want %q", got, want)
	}
	reported := 0
	for _, r := range res.Steps[len(res.Steps)-1].Reports {
		reported += r.Count
	}
	if got := len(res.Steps[len(res.Steps)-1].Reports); got != n/size || reported != n {
		t.Errorf("the send step's result has %d reports of %d items, want one per shard, %d items in all", got, reported, n)
	}
	shards := []string{id}
	for k := 1; k <= n/size; k++ {
		shards = append(shards, workflows.ShardID(id, "send", k))
	}
	for k, wf := range shards[1:] {
		s.recordHistoryAs(t, wf, fmt.Sprintf("%s-shard-%d", id, k+1))
	}

	t.Run("StatusCountsTheItemsOfEveryShard", func(t *testing.T) {
		// Some line while it ran says that items of more than one shard are done: more than a shard's
		// worth, fewer than all.
		var between []string
		counts := regexp.MustCompile(`running: (\d+)/(\d+) done`)
		for _, line := range statuses {
			m := counts.FindStringSubmatch(line)
			if m == nil {
				continue
			}
			done, _ := strconv.Atoi(m[1])
			if total, _ := strconv.Atoi(m[2]); total == n && done > size && done < n {
				between = append(between, line)
			}
		}
		t.Logf("%d status lines while it ran, %d counting more than one shard, e.g. %q", len(statuses), len(between), between[:min(1, len(between))])
		if len(between) == 0 {
			t.Errorf("no status while it ran counted more than one shard's items; the send step's lines were %q", statuses)
		}
	})

	t.Run("EachContactGotExactlyOneEmail", func(t *testing.T) { assertOneEmailEach(t, s.mailpit, n, numberedContact) })

	t.Run("EveryHistoryIsUnderTheLimits", func(t *testing.T) {
		const maxEvents, maxBytes = 10240, 10 << 20
		children, pages := 0, 0
		for _, wf := range shards {
			hist := history(t, s.temporal.Client(), wf)
			events, bytes := len(hist), 0
			for _, e := range hist {
				bytes += proto.Size(e)
				if e.GetStartChildWorkflowExecutionInitiatedEventAttributes() != nil {
					children++
				}
				if a := e.GetActivityTaskScheduledEventAttributes(); a != nil && a.GetActivityType().GetName() == contentvalue.ReadListPage {
					pages++
				}
			}
			if events == 0 || events > maxEvents || bytes > maxBytes {
				t.Errorf("%s: %d events, %d bytes; want some, and at most %d events and %d bytes", wf, events, bytes, maxEvents, maxBytes)
			}
			// Before the stored list, the program's history held every contact twice (744 KB).
			if wf == id && bytes > 100<<10 {
				t.Errorf("the program's history is %d bytes, want under 100 KB: its items reach it", bytes)
			}
			t.Logf("%s: %d events, %d bytes", wf, events, bytes)
		}
		if children != n/size {
			t.Errorf("%d child workflows started, want %d shards of %d", children, n/size, size)
		}
		if pages != n/listPage {
			t.Errorf("%d pages of the stored list read, want %d (each shard its own %d items, in pages of %d)", pages, n/listPage, size, listPage)
		}
	})
}

// TestShardedHelloWorld runs Hello World itself over 2,000 contacts (a stored list) in shards of 500 on
// the dev stack, twice. CheckEmailHistory gets the stored list, not its contacts, and writes what it
// found as stored lists: neither run's program history holds a contact. The first run sends each
// contact exactly one email; the second finds all 2,000 emailed (past the 1,000 addresses its output
// carries itself, so each shard reads them), and sends nothing.
func TestShardedHelloWorld(t *testing.T) {
	const n, size = 2000, 500
	s := newStack(t)
	st := s.worker(t, contactsCSV(t, n), func(c *config.Config) { c.DataDir = t.TempDir() })
	for _, run := range []struct {
		id                   string
		done, skipped, total int // the send step's items, and Mailpit's emails after it
	}{
		{"sharded-hello-world", n, 0, n},
		{"sharded-hello-world-again", 0, n, n},
	} {
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
		defer cancel()
		wr, err := st.Start(ctx, run.id, workflows.Input{Program: helloWorld, ShardSize: size})
		if err != nil {
			t.Fatal(err)
		}
		res, err := st.Wait(ctx, wr, 200*time.Millisecond, nil)
		s.recordHistory(t, run.id)
		s.recordHistoryAs(t, workflows.ShardID(run.id, "send", 1), run.id+"-shard-1")
		if err != nil {
			t.Fatalf("%s: %v", run.id, err)
		}
		if got, want := res.Summary, fmt.Sprintf("send: %d done, %d skipped, 0 failed", run.done, run.skipped); got != want {
			t.Fatalf("%s: summary = %q, want %q", run.id, got, want)
		}
		got := map[string]int{}
		msgs := testenv.Messages(t, s.mailpit, "")
		for _, m := range msgs {
			for _, to := range m.To {
				got[to]++
			}
		}
		for i := 1; i <= n; i++ {
			if addr := fmt.Sprintf("person%d@example.com", i); got[addr] != 1 {
				t.Errorf("%s: %s got %d emails, want 1", run.id, addr, got[addr])
			}
		}
		if len(msgs) != run.total {
			t.Errorf("%s: Mailpit holds %d emails, want %d", run.id, len(msgs), run.total)
		}
		for k := 0; k <= n/size; k++ {
			wf := run.id
			if k > 0 {
				wf = workflows.ShardID(run.id, "send", k)
			}
			hist := history(t, s.temporal.Client(), wf)
			events, bytes, contacts := len(hist), 0, 0
			for _, e := range hist {
				bytes += proto.Size(e)
				if a := e.GetActivityTaskScheduledEventAttributes(); a != nil && a.GetActivityType().GetName() == contentvalue.ReadListPage {
					contacts++
				}
			}
			if events == 0 || events > 10240 || bytes > 10<<20 {
				t.Errorf("%s: %d events, %d bytes; want some, and at most 10,240 events and 10 MB", wf, events, bytes)
			}
			// Before, CheckEmailHistory's contacts were read into the program: 2,000 contacts, 4 pages,
			// 750 KB. What it holds now is the shards' first 100 items each, which its result lists.
			if k == 0 && (contacts > 0 || bytes > 200<<10) {
				t.Errorf("%s: %d bytes, %d pages of a stored list read; want under 200 KB and none", wf, bytes, contacts)
			}
			t.Logf("%s: %d events, %d bytes, %d pages read", wf, events, bytes, contacts)
		}
	}
}

// listPage is how many items a shard reads at once (workflows.listPageItems).
const listPage = 500

// The sharded crash tests send Hello World to shardedContacts contacts in shards of shardedSize through
// real `eaapl worker` processes that share one content store (EAAPL_DATA_DIR), each email held up by
// testenv.DelaySMTP as in the crash tests, and interrupt the send once Mailpit holds shardedInterrupt.
const (
	shardedContacts  = 2000
	shardedSize      = 500
	shardedInterrupt = 300
)

// TestShardedForEachFailover kills one of two worker processes with SIGKILL in the middle of a shard's
// batches: the other finishes the shards (their workflow tasks, and the batches whose heartbeats time
// out), and every contact gets exactly one email.
func TestShardedForEachFailover(t *testing.T) {
	p := startFailoverPair(t, "sharded-failover", contactsCSV(t, shardedContacts), "EAAPL_DATA_DIR="+t.TempDir())

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	st := p.starter
	run, err := st.Start(ctx, "sharded-failover", workflows.Input{Program: helloWorld, MaxConcurrency: crashConcurrency, ShardSize: shardedSize})
	if err != nil {
		t.Fatal(err)
	}
	p.killMidBatch(t, shardedInterrupt, shardedContacts, "", anySession)
	res, err := st.Wait(ctx, run, 500*time.Millisecond, nil)
	if err != nil {
		t.Fatalf("program: %v", err)
	}
	assertShardedOnce(t, res, p.mp)
	if !p.survivor.running() {
		t.Error("the surviving worker exited")
	}
}

// TestShardedForEachRestart stops the whole dev stack (the Temporal dev server with its SQLite file,
// and Mailpit with its database) in the middle of a sharded send and starts it again on the same ports
// and data: the worker, which stays up, reconnects, the program and its shards resume and complete, and
// nothing is sent twice.
func TestShardedForEachRestart(t *testing.T) {
	r := startRestartRig(t, "sharded-restart", contactsCSV(t, shardedContacts), "EAAPL_DATA_DIR="+t.TempDir())
	c, w := r.client, r.worker

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	if _, err := r.starter.Start(ctx, "sharded-restart", workflows.Input{Program: helloWorld, MaxConcurrency: crashConcurrency, ShardSize: shardedSize}); err != nil {
		t.Fatal(err)
	}
	restarted := r.restartMidSend(t, shardedInterrupt, shardedContacts, "", anySession)

	var res workflows.Result
	if err := c.GetWorkflow(ctx, "sharded-restart", "").Get(ctx, &res); err != nil {
		t.Fatalf("program: %v", err)
	}
	t.Logf("done %s after the restart", time.Since(restarted).Round(time.Second))
	assertShardedOnce(t, res, r.stack.Mailpit)
	if !w.running() {
		t.Error("the worker exited while the server was away")
	}
}

// assertShardedOnce checks that the sharded Hello World completed with every send done, and that Mailpit
// holds exactly one email per contact (person1@example.com on).
func assertShardedOnce(t *testing.T, res workflows.Result, mp *devstack.Mailpit) {
	t.Helper()
	if got, want := res.Summary, fmt.Sprintf("send: %d done, 0 skipped, 0 failed", shardedContacts); res.State != workflows.StateCompleted || got != want {
		t.Errorf("program %s: %q, want completed: %q", res.State, got, want)
	}
	assertOneEmailEach(t, mp, shardedContacts, personAddress)
}

// TestQuestionInsideAShard runs a send to 1,100 contacts (a stored list) in shards of 500 through a mail
// server that refuses one recipient for now (451, a refusal a retry may fix): the shard retries it, gives
// up, and hands it back; the program asks retry, skip or abort, and while the question is open the other
// contacts are sent to. The server then takes the recipient, the answer retry sends it, and each contact
// has exactly one email.
func TestQuestionInsideAShard(t *testing.T) {
	const n, size, id = 1100, 500, "sharded-question"
	const refused = "person777@example.com"
	s := newStack(t)
	proxy := refuseRecipient(t, s.mailpit.SMTPAddr, refused)
	st := s.worker(t, contactsCSV(t, n), func(c *config.Config) { c.DataDir, c.SMTPAddr = t.TempDir(), proxy.addr })
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	wr, err := st.Start(ctx, id, workflows.Input{Program: "Send 'Hi there' to all my contacts", ShardSize: size})
	if err != nil {
		t.Fatal(err)
	}
	var q workflows.Question
	deadline := time.Now().Add(2 * time.Minute)
	for q.ID == "" {
		if time.Now().After(deadline) {
			t.Fatal("no question about the refused recipient after two minutes")
		}
		time.Sleep(200 * time.Millisecond)
		qs, err := st.Questions(ctx, id)
		if err == nil && len(qs) > 0 {
			q = qs[0]
		}
	}
	if q.Kind != workflows.KindDecision || q.Item != refused || !strings.Contains(q.Text, "451") {
		t.Errorf("question = %+v, want a decision about %s that quotes the server's 451", q, refused)
	}
	waitForMessages(t, s.mailpit.APIURL, n-1) // the others went on while it was open
	proxy.refusing.Store(false)
	if _, err := st.Answer(ctx, id, q.ID, "retry"); err != nil {
		t.Fatalf("answer retry: %v", err)
	}
	res, err := st.Wait(ctx, wr, 200*time.Millisecond, nil)
	if err != nil {
		t.Fatalf("program: %v", err)
	}
	if got, want := res.Summary, fmt.Sprintf("send: %d done, 0 skipped, 0 failed", n); got != want {
		t.Errorf("summary = %q, want %q", got, want)
	}
	assertOneEmailEach(t, s.mailpit, n, personAddress)
}

// recipientRefuser is an SMTP proxy on loopback that answers "451" to RCPT TO the one address while
// refusing is true, and passes everything else on to the server.
type recipientRefuser struct {
	addr     string
	refusing atomic.Bool
}

func refuseRecipient(t *testing.T, target, address string) *recipientRefuser {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	p := &recipientRefuser{addr: l.Addr().String()}
	p.refusing.Store(true)
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go p.serve(c, target, address)
		}
	}()
	return p
}

// serve passes a session on line by line: SMTP without pipelining (what net/smtp speaks) says one
// command and waits for its reply, so a refusal written in place of the server's is the only reply.
func (p *recipientRefuser) serve(c net.Conn, target, address string) {
	defer c.Close()
	s, err := net.Dial("tcp", target)
	if err != nil {
		return
	}
	defer s.Close()
	var mu sync.Mutex // one writer to the client at a time
	go func() {
		r := bufio.NewReader(s)
		for {
			line, err := r.ReadBytes('\n')
			if err != nil {
				c.Close()
				return
			}
			mu.Lock()
			_, _ = c.Write(line)
			mu.Unlock()
		}
	}()
	r := bufio.NewReader(c)
	data := false
	for {
		line, err := r.ReadBytes('\n')
		if err != nil {
			return
		}
		cmd := strings.ToUpper(strings.TrimSpace(string(line)))
		switch {
		case data && cmd == ".":
			data = false
		case data:
		case cmd == "DATA":
			data = true
		case strings.HasPrefix(cmd, "RCPT TO:") && strings.Contains(cmd, strings.ToUpper(address)) && p.refusing.Load():
			mu.Lock()
			_, _ = c.Write([]byte("451 4.3.0 " + address + ": mailbox busy, try again later\r\n"))
			mu.Unlock()
			continue
		}
		if _, err := s.Write(line); err != nil {
			return
		}
	}
}
