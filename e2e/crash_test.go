package e2e_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	taskqueuepb "go.temporal.io/api/taskqueue/v1"
	"go.temporal.io/sdk/client"
	sdklog "go.temporal.io/sdk/log"

	"github.com/eaapl/eaapl/devstack"
	"github.com/eaapl/eaapl/internal/testenv"
	"github.com/eaapl/eaapl/starter"
	"github.com/eaapl/eaapl/workflows"
)

// The crash tests run a Hello World send to crashContacts contacts through real `eaapl worker` processes,
// with every SMTP connection held for smtpDelay so that the send lasts several seconds, and interrupt it
// once Mailpit holds interruptAt emails (and, for the kill, the killed worker has sends in flight).
const (
	crashContacts    = 200
	crashConcurrency = 10
	smtpDelay        = 250 * time.Millisecond
	interruptAt      = 40
)

// buildEaapl builds cmd/eaapl into a temporary folder, as `make build` does into bin/, and returns its path.
func buildEaapl(t *testing.T) string {
	t.Helper()
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("the go command is not on PATH, and the test builds eaapl with it: %v", err)
	}
	out := filepath.Join(t.TempDir(), "eaapl")
	cmd := exec.Command(goBin, "build", "-o", out, "./cmd/eaapl")
	cmd.Dir = testenv.Root(t)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build ./cmd/eaapl: %v\n%s", err, b)
	}
	return out
}

// contactsCSV writes an address book of n contacts, person1@example.com and on.
func contactsCSV(t *testing.T, n int) string {
	t.Helper()
	var b strings.Builder
	b.WriteString("name,email\n")
	for i := 1; i <= n; i++ {
		fmt.Fprintf(&b, "Person %d,person%d@example.com\n", i, i)
	}
	return testenv.WriteFile(t, "contacts.csv", b.String())
}

// workerProcess is an `eaapl worker` child process.
type workerProcess struct {
	id   string
	cmd  *exec.Cmd
	log  string // its output
	done chan struct{}
}

// startWorkerProcess starts `eaapl worker` with the environment env (on top of the test's) and the given
// worker ID; it is stopped when the test ends, and its output is shown if the test failed.
func startWorkerProcess(t *testing.T, bin string, env []string, id string) *workerProcess {
	t.Helper()
	w := &workerProcess{id: id, log: filepath.Join(t.TempDir(), id+".log"), done: make(chan struct{})}
	out, err := os.Create(w.log)
	if err != nil {
		t.Fatal(err)
	}
	w.cmd = exec.Command(bin, "worker")
	w.cmd.Env = append(append(os.Environ(), env...), "EAAPL_WORKER_ID="+id)
	w.cmd.Stdout, w.cmd.Stderr = out, out
	if err := w.cmd.Start(); err != nil {
		t.Fatalf("start eaapl worker: %v", err)
	}
	go func() {
		_ = w.cmd.Wait()
		out.Close()
		close(w.done)
	}()
	t.Cleanup(func() {
		_ = w.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-w.done:
		case <-time.After(15 * time.Second):
			_ = w.cmd.Process.Kill()
			<-w.done
		}
		if t.Failed() {
			b, _ := os.ReadFile(w.log)
			t.Logf("output of worker %s:\n%s", id, tail(string(b), 40))
		}
	})
	return w
}

// kill ends the worker with SIGKILL: no shutdown, no goodbye to Temporal, connections dropped mid-way.
func (w *workerProcess) kill(t *testing.T) {
	t.Helper()
	if err := w.cmd.Process.Kill(); err != nil {
		t.Fatalf("kill worker %s: %v", w.id, err)
	}
	<-w.done
}

func (w *workerProcess) running() bool {
	select {
	case <-w.done:
		return false
	default:
		return true
	}
}

func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// workerEnv is the environment of a worker that serves queue on the Temporal server at address, reads
// contacts, sends through smtpAddr and reads the mailbox at mailboxURL, without Kafka.
func workerEnv(address, queue, contacts, smtpAddr, mailboxURL string) []string {
	return []string{
		"TEMPORAL_ADDRESS=" + address,
		"TEMPORAL_NAMESPACE=default",
		"EAAPL_TASK_QUEUE=" + queue,
		"EAAPL_CONTACTS=" + contacts,
		"EAAPL_SMTP_ADDR=" + smtpAddr,
		"EAAPL_MAILBOX_URL=" + mailboxURL,
		"EAAPL_USER_EMAIL=me@example.com",
		"EAAPL_LOG_LEVEL=info",
		"KAFKA_BROKERS=",
	}
}

// waitForPollers waits until every worker polls queue for activities.
func waitForPollers(t *testing.T, c client.Client, queue string, workers ...*workerProcess) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		resp, err := c.DescribeTaskQueue(ctx, queue, enumspb.TASK_QUEUE_TYPE_ACTIVITY)
		cancel()
		missing := []string{}
		for _, w := range workers {
			if !w.running() {
				t.Fatalf("worker %s exited before it polled", w.id)
			}
			if err != nil || !slices.ContainsFunc(resp.GetPollers(), func(p *taskqueuepb.PollerInfo) bool { return p.GetIdentity() == w.id }) {
				missing = append(missing, w.id)
			}
		}
		if len(missing) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("workers %v do not poll %s after a minute (last error: %v)", missing, queue, err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// messageCount is how many messages Mailpit holds; an error while it is down.
func messageCount(apiURL string) (int, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, apiURL+"/api/v1/messages?limit=1", nil)
	if err != nil {
		return 0, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	var list struct {
		Total int `json:"total"`
	}
	if resp.StatusCode != http.StatusOK {
		return 0, fmt.Errorf("GET messages: %s", resp.Status)
	}
	return list.Total, json.NewDecoder(resp.Body).Decode(&list)
}

// waitForMessages waits until Mailpit holds at least n messages and returns how many it holds.
func waitForMessages(t *testing.T, apiURL string, n int) int {
	t.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	for {
		got, err := messageCount(apiURL)
		if err == nil && got >= n {
			return got
		}
		if time.Now().After(deadline) {
			t.Fatalf("Mailpit holds %d messages after two minutes, want %d (last error: %v)", got, n, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// assertOneEmailPerContact checks that the program completed with every send done, and that Mailpit holds
// exactly one email per contact: n messages, n distinct Message-IDs, n distinct recipients.
func assertOneEmailPerContact(t *testing.T, res workflows.Result, apiURL string, n int) {
	t.Helper()
	if res.State != workflows.StateCompleted {
		t.Errorf("program %s: %s", res.State, res.Summary)
	}
	sent := itemStates(res, "send")
	done := 0
	for _, state := range sent {
		if state == workflows.StateDone {
			done++
		}
	}
	if done != n {
		t.Errorf("%d sends done, want %d (%s)", done, n, res.Summary)
	}
	msgs := testenv.Messages(t, &devstack.Mailpit{APIURL: apiURL}, "")
	byID, byRecipient := map[string]int{}, map[string]int{}
	for _, m := range msgs {
		byID[m.MessageID]++
		for _, to := range m.To {
			byRecipient[to]++
		}
	}
	for id, k := range byID {
		if k > 1 {
			t.Errorf("Message-ID %s is in the mailbox %d times", id, k)
		}
	}
	for i := 1; i <= n; i++ {
		to := fmt.Sprintf("person%d@example.com", i)
		if k := byRecipient[to]; k != 1 {
			t.Errorf("%s received %d emails, want exactly 1", to, k)
		}
	}
	if len(msgs) != n || len(byID) != n {
		t.Errorf("the mailbox holds %d messages with %d Message-IDs, want %d of each", len(msgs), len(byID), n)
	}
}

// assertFeedback checks that every task that ran says which worker ran it, on which attempt, and what it
// used (catalog.TaskResult), as the worker processes measured it.
func assertFeedback(t *testing.T, res workflows.Result) {
	t.Helper()
	for _, s := range res.Steps {
		for _, it := range s.Items {
			if it.State != workflows.StateDone {
				continue
			}
			if task := it.Task; task == nil || task.WorkerID == "" || task.Attempt < 1 || task.Resources == nil {
				t.Errorf("step %s item %d (%s): task result %+v, want its worker, attempt and resources", s.ID, it.Item, it.Label, task)
				return
			}
		}
	}
}

// taskStats counts the send tasks of a result: per worker that completed them, how many needed more than one
// attempt, and how many found their email already sent by an earlier attempt.
func taskStats(res workflows.Result) (byWorker map[string]int, retried, alreadySent int) {
	byWorker = map[string]int{}
	for _, s := range res.Steps {
		if s.ID != "send" {
			continue
		}
		for _, it := range s.Items {
			if it.Task == nil {
				continue
			}
			byWorker[it.Task.WorkerID]++
			if it.Task.Attempt > 1 {
				retried++
			}
			if it.Task.Output["already_sent"] == true {
				alreadySent++
			}
		}
	}
	return byWorker, retried, alreadySent
}

// TestFailoverWithoutDuplicates kills one of two worker processes with SIGKILL in the middle of a send:
// the other finishes the program, the dead worker's tasks are retried there once their heartbeat times
// out, and every contact gets exactly one email.
func TestFailoverWithoutDuplicates(t *testing.T) {
	bin := buildEaapl(t)
	srv := testenv.Temporal(t)
	mp := testenv.Mailpit(t)
	queue, contacts := "failover", contactsCSV(t, crashContacts)
	// Each worker sends through its own proxy, so that the test sees the doomed one's sends in flight.
	doomedSMTP := testenv.SlowProxy(t, mp.SMTPAddr, smtpDelay)
	doomed := startWorkerProcess(t, bin, workerEnv(srv.FrontendHostPort(), queue, contacts, doomedSMTP.Addr, mp.APIURL), "worker-killed")
	survivor := startWorkerProcess(t, bin, workerEnv(srv.FrontendHostPort(), queue, contacts, testenv.SlowProxy(t, mp.SMTPAddr, smtpDelay).Addr, mp.APIURL), "worker-survivor")
	waitForPollers(t, srv.Client(), queue, doomed, survivor)

	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	st := &starter.Starter{Client: srv.Client(), TaskQueue: queue}
	run, err := st.Start(ctx, "failover", workflows.Input{Program: helloWorld, MaxConcurrency: crashConcurrency})
	if err != nil {
		t.Fatal(err)
	}

	// Kill it while it holds sends that have not reached Mailpit: their tasks must go to the survivor.
	waitForMessages(t, mp.APIURL, interruptAt)
	deadline := time.Now().Add(time.Minute)
	for doomedSMTP.Held() == 0 {
		if time.Now().After(deadline) {
			t.Fatalf("%s has no send in flight after a minute", doomed.id)
		}
		time.Sleep(time.Millisecond)
	}
	inFlight := doomedSMTP.Held()
	killed := time.Now()
	doomed.kill(t)
	n, err := messageCount(mp.APIURL)
	if err != nil {
		t.Fatal(err)
	}
	if n >= crashContacts {
		t.Fatalf("the send was over (%d emails) before the kill; the test proves nothing", n)
	}
	t.Logf("killed %s with %d sends in flight and %d of %d emails in Mailpit", doomed.id, inFlight, n, crashContacts)

	res, err := st.Wait(ctx, run, 500*time.Millisecond, nil)
	if err != nil {
		t.Fatalf("program: %v", err)
	}
	byWorker, retried, alreadySent := taskStats(res)
	t.Logf("done %s after the kill; sends per worker %v, %d retried, %d found already sent", time.Since(killed).Round(time.Second), byWorker, retried, alreadySent)
	assertOneEmailPerContact(t, res, mp.APIURL, crashContacts)
	assertFeedback(t, res)
	if byWorker[doomed.id] == 0 || byWorker[survivor.id] == 0 {
		t.Errorf("sends per worker %v: both workers must have done some, else nothing failed over", byWorker)
	}
	// The sends the killed worker had in flight were tried again on the survivor.
	if retried < inFlight {
		t.Errorf("%d sends needed a second attempt, want at least the %d in flight at the kill", retried, inFlight)
	}
	if !survivor.running() {
		t.Error("the surviving worker exited")
	}
}

// TestRestartMidProgram stops the whole dev stack (the Temporal dev server with its SQLite file, and
// Mailpit with its database) in the middle of a send, as `eaapl dev` runs it, and starts it again on the
// same ports and data: the worker process, which stays up, reconnects, the program resumes and completes,
// and nothing is sent twice.
func TestRestartMidProgram(t *testing.T) {
	bin := buildEaapl(t)
	opts := devstack.Options{
		TemporalBin: testenv.Bin(t, "temporal"),
		MailpitBin:  testenv.Bin(t, "mailpit"),
		DataDir:     t.TempDir(),
		KafkaPort:   -1,
	}
	for _, port := range []*int{&opts.TemporalPort, &opts.UIPort, &opts.SMTPPort, &opts.MailpitPort} {
		p, err := devstack.FreePort()
		if err != nil {
			t.Fatal(err)
		}
		*port = p
	}
	start := func() *devstack.Stack {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		s, err := devstack.Start(ctx, opts)
		if err != nil {
			t.Fatalf("start the dev stack: %v", err)
		}
		t.Cleanup(func() { stopStack(t, s) })
		return s
	}
	stack := start()
	queue := "restart"
	address, mailbox := stack.Temporal.Address, stack.Mailpit.APIURL
	env := workerEnv(address, queue, contactsCSV(t, crashContacts), testenv.SlowProxy(t, stack.Mailpit.SMTPAddr, smtpDelay).Addr, mailbox)
	w := startWorkerProcess(t, bin, env, "worker-restart")
	c := dialTemporal(t, address)
	waitForPollers(t, c, queue, w)

	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	st := &starter.Starter{Client: c, TaskQueue: queue}
	if _, err := st.Start(ctx, "restart", workflows.Input{Program: helloWorld, MaxConcurrency: crashConcurrency}); err != nil {
		t.Fatal(err)
	}

	n := waitForMessages(t, mailbox, interruptAt)
	stopStack(t, stack)
	if n >= crashContacts {
		t.Fatalf("the send was over (%d emails) before the stop; the test proves nothing", n)
	}
	t.Logf("stopped the stack with %d of %d emails in Mailpit", n, crashContacts)
	time.Sleep(3 * time.Second) // the worker polls a server that is not there
	restarted := time.Now()
	start()

	// A client from before the restart reconnects like the worker does.
	var res workflows.Result
	if err := c.GetWorkflow(ctx, "restart", "").Get(ctx, &res); err != nil {
		t.Fatalf("program: %v", err)
	}
	byWorker, retried, alreadySent := taskStats(res)
	t.Logf("done %s after the restart; sends per worker %v, %d retried, %d found already sent", time.Since(restarted).Round(time.Second), byWorker, retried, alreadySent)
	assertOneEmailPerContact(t, res, mailbox, crashContacts)
	assertFeedback(t, res)
	if !w.running() {
		t.Error("the worker exited while the server was away")
	}
}

// stopStack stops the dev stack's parts as `eaapl dev` does on Ctrl-C; stopping it again does nothing.
func stopStack(t *testing.T, s *devstack.Stack) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := s.Stop(ctx); err != nil {
		t.Errorf("stop the dev stack: %v", err)
	}
}

// dialTemporal returns a client of the server at address, closed when the test ends.
func dialTemporal(t *testing.T, address string) client.Client {
	t.Helper()
	c, err := client.Dial(client.Options{HostPort: address, Logger: sdklog.NewStructuredLogger(slog.New(slog.DiscardHandler))})
	if err != nil {
		t.Fatalf("connect to Temporal at %s: %v", address, err)
	}
	t.Cleanup(c.Close)
	return c
}
