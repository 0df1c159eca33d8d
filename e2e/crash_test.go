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
	"github.com/eaapl/eaapl/workflows"
)

// The crash tests run a Hello World send to crashContacts contacts through real `eaapl worker` processes,
// crashConcurrency batches of crashContacts/crashConcurrency items at once, each batch one SMTP session.
// Every chunk a worker sends to Mailpit is held for smtpDelay (testenv.DelaySMTP), so that each email
// takes a few hundred milliseconds and the send several seconds; the tests interrupt it once Mailpit holds
// interruptAt emails and the interrupted worker is in the middle of a batch.
const (
	crashContacts    = 200
	crashConcurrency = 10
	crashBatch       = crashContacts / crashConcurrency // items per batch
	smtpDelay        = 50 * time.Millisecond
	interruptAt      = 40
)

// A batch's heartbeats, as activities.RunBatch and the Temporal SDK send them: the first one, with the
// results so far, once an item ends batchFirstHeartbeat after the batch began; the next ones reach
// Temporal no sooner than heartbeatThrottle after that (0.8 of SendEmail's 10s heartbeat timeout).
const (
	batchFirstHeartbeat = 500 * time.Millisecond
	heartbeatThrottle   = 8 * time.Second
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
		fmt.Fprintf(&b, "Person %d,%s\n", i, personAddress(i))
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
		"EAAPL_APPROVAL_THRESHOLD=0", // the runs here are not asked for approval
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
	// Decoded before Total is read: Go leaves the order of a return's operands around a call unspecified.
	err = json.NewDecoder(resp.Body).Decode(&list)
	return list.Total, err
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
		to := personAddress(i)
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

// sendStats counts the send items of a result: per worker that completed them, how many the workflow ran
// more than once (a failed item goes again in a later batch), and which found their email already sent
// by an earlier attempt.
func sendStats(res workflows.Result) (byWorker map[string]int, retried int, alreadySent map[string]string) {
	byWorker, alreadySent = map[string]int{}, map[string]string{}
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
				alreadySent[it.Label] = it.Task.WorkerID
			}
		}
	}
	return byWorker, retried, alreadySent
}

// retriedBatches reads the program's history and counts, per worker, the RunBatch activities that
// completed on a later attempt than the first: batches whose earlier attempt was lost.
func retriedBatches(t *testing.T, c client.Client, workflowID string) map[string]int {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	batches, by := map[int64]bool{}, map[string]int{}
	it := c.GetWorkflowHistory(ctx, workflowID, "", false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	for it.HasNext() {
		e, err := it.Next()
		if err != nil {
			t.Fatalf("history of %s: %v", workflowID, err)
		}
		if a := e.GetActivityTaskScheduledEventAttributes(); a != nil && a.GetActivityType().GetName() == "RunBatch" {
			batches[e.GetEventId()] = true
		}
		if a := e.GetActivityTaskStartedEventAttributes(); a != nil && batches[a.GetScheduledEventId()] && a.GetAttempt() > 1 {
			by[a.GetIdentity()]++
		}
	}
	return by
}

// resumable reports whether a worker's open SMTP session is in a batch that will be resumed, if the
// worker dies now, after its first heartbeat with at least one email Mailpit already holds: two emails
// ended after batchFirstHeartbeat (the first may be the last one that heartbeat recorded), and the next
// heartbeat cannot have reached Temporal yet. The session opened as its batch began (with its first send).
// (Had the worker's keep-alive heartbeated first, on a slow first send, Temporal would hold no results at
// all, and the next attempt would check every item: more emails found, never fewer.)
func resumable(s testenv.Session, now time.Time) bool {
	late := 0
	for _, e := range s.Emails {
		if e.Sub(s.Opened) >= batchFirstHeartbeat {
			late++
		}
	}
	return late >= 2 && now.Sub(s.Opened) < heartbeatThrottle-time.Second
}

// TestFailoverWithoutDuplicates kills one of two worker processes with SIGKILL in the middle of a send:
// the other finishes the program, the dead worker's batches are retried there once their heartbeat times
// out, resuming after the items their heartbeats recorded and finding in the mailbox the emails sent
// after that, and every contact gets exactly one email.
func TestFailoverWithoutDuplicates(t *testing.T) {
	p := startFailoverPair(t, "failover", contactsCSV(t, crashContacts))
	doomed, survivor := p.doomed, p.survivor

	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	st := p.starter
	run, err := st.Start(ctx, "failover", workflows.Input{Program: helloWorld, MaxConcurrency: crashConcurrency})
	if err != nil {
		t.Fatal(err)
	}

	// Kill it in the middle of a batch whose emails Mailpit holds beyond the batch's last heartbeat: the
	// batch must resume on the survivor and find them there.
	inFlight, killed := p.killMidBatch(t, interruptAt, crashContacts, "with emails sent after its first heartbeat",
		func(s testenv.Session) bool { return resumable(s, time.Now()) })

	res, err := st.Wait(ctx, run, 500*time.Millisecond, nil)
	if err != nil {
		t.Fatalf("program: %v", err)
	}
	byWorker, retried, alreadySent := sendStats(res)
	batches := retriedBatches(t, p.srv.Client(), "failover")
	t.Logf("done %s after the kill; sends per worker %v, batches retried per worker %v, %d items retried, %d found already sent",
		time.Since(killed).Round(time.Second), byWorker, batches, retried, len(alreadySent))
	assertOneEmailPerContact(t, res, p.mp.APIURL, crashContacts)
	assertFeedback(t, res)
	// The items the doomed worker's heartbeats recorded keep its results; those it sent after its last
	// heartbeat (every 2 s) the survivor finds already sent in the mailbox; the survivor did the others.
	if byWorker[doomed.id]+len(alreadySent) == 0 || byWorker[survivor.id] == 0 {
		t.Errorf("sends per worker %v, %d found already sent: both workers must have done some, else nothing failed over", byWorker, len(alreadySent))
	}
	// Every batch the killed worker was in the middle of ran again on the survivor.
	if batches[survivor.id] < inFlight || len(batches) != 1 {
		t.Errorf("batches retried per worker %v, want at least the %d in flight at the kill, all on %s", batches, inFlight, survivor.id)
	}
	// The emails sent after a batch's last heartbeat were found in the mailbox, not sent again.
	if len(alreadySent) == 0 {
		t.Error("no item found its email already sent, but the killed worker had sent some after its batch's last heartbeat")
	}
	for label, worker := range alreadySent {
		if worker != survivor.id {
			t.Errorf("%s: already sent, found by %s, want the survivor, which resumed the killed worker's batch", label, worker)
		}
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
	r := startRestartRig(t, "restart", contactsCSV(t, crashContacts))
	c, w := r.client, r.worker

	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	if _, err := r.starter.Start(ctx, "restart", workflows.Input{Program: helloWorld, MaxConcurrency: crashConcurrency}); err != nil {
		t.Fatal(err)
	}

	// Stop it while the worker is in the middle of batches, with items left to send.
	restarted := r.restartMidSend(t, interruptAt, crashContacts, "with items left to send",
		func(s testenv.Session) bool { return len(s.Emails) < crashBatch-2 })

	// A client from before the restart reconnects like the worker does.
	var res workflows.Result
	if err := c.GetWorkflow(ctx, "restart", "").Get(ctx, &res); err != nil {
		t.Fatalf("program: %v", err)
	}
	byWorker, retried, alreadySent := sendStats(res)
	batches := retriedBatches(t, c, "restart")
	t.Logf("done %s after the restart; sends per worker %v, %d items and %v batches retried, %d found already sent",
		time.Since(restarted).Round(time.Second), byWorker, retried, batches, len(alreadySent))
	assertOneEmailPerContact(t, res, r.mailbox(), crashContacts)
	assertFeedback(t, res)
	// The batches under way lost their SMTP server: their remaining items failed and went again in later
	// batches, or, their results lost with the server, the batches themselves went again.
	if retried == 0 && len(batches) == 0 {
		t.Error("no item and no batch was retried, so the stop interrupted nothing")
	}
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
