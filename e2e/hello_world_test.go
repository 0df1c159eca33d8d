// Package e2e runs English programs end to end on real parts: the Temporal CLI's dev server, Mailpit, a
// real worker with the real activities, and real files.
package e2e_test

import (
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/testsuite"

	"github.com/eaapl/eaapl/config"
	"github.com/eaapl/eaapl/devstack"
	"github.com/eaapl/eaapl/internal/testenv"
	"github.com/eaapl/eaapl/plan"
	"github.com/eaapl/eaapl/starter"
	"github.com/eaapl/eaapl/worker"
	"github.com/eaapl/eaapl/workflows"
)

var record = flag.Bool("record", false, "write the runs' histories to workflows/testdata/histories for the replay test")

const helloWorld = "Send an email to each of my contacts if I haven't emailed them this week that says 'Hello World!'"

const threeContacts = `BEGIN:VCARD
VERSION:3.0
FN:Alice Example
EMAIL:alice@example.com
END:VCARD
BEGIN:VCARD
VERSION:3.0
FN:Bob Example
EMAIL:bob@example.com
END:VCARD
BEGIN:VCARD
VERSION:3.0
FN:Carol Example
EMAIL:carol@example.com
END:VCARD
`

// testOwner is who starts the e2e programs and answers them (EAAPL_USER_ID).
const testOwner = "owner@example.com"

// stack is one Temporal dev server and one Mailpit, shared by the runs of a test.
type stack struct {
	temporal *testsuite.DevServer
	mailpit  *devstack.Mailpit
}

func newStack(t *testing.T) *stack {
	return &stack{temporal: testenv.Temporal(t), mailpit: testenv.Mailpit(t)}
}

// workerConfig is the configuration, from the environment, of a test's worker: its own task queue (named
// for the test), the contacts file, the stack's Mailpit, and the rule-based planner (a model key in the
// developer's shell must not send these tests to a model).
func (s *stack) workerConfig(t *testing.T, contactsFile, workerID string) config.Config {
	t.Helper()
	cfg, err := config.Load()
	if err != nil {
		t.Fatal(err)
	}
	cfg.TaskQueue = "e2e-" + strings.ReplaceAll(t.Name(), "/", "-")
	cfg.Contacts = contactsFile
	cfg.SMTPAddr, cfg.MailboxURL = s.mailpit.SMTPAddr, s.mailpit.APIURL
	cfg.WorkerID = workerID
	cfg.Planner = "rules"
	return cfg
}

// worker starts a real worker on its own task queue, reading the given contacts file, and returns a
// starter for that queue.
func (s *stack) worker(t *testing.T, contactsFile string, edit func(*config.Config)) *starter.Starter {
	t.Helper()
	cfg := s.workerConfig(t, contactsFile, "e2e-worker")
	cfg.TextAnalyzer = "embedded" // a model key in the developer's shell must not send their documents to a model
	cfg.ApprovalThreshold = 0     // the worker's gate: tests of approval set it
	if edit != nil {
		edit(&cfg)
	}
	startWorker(t, s.temporal.Client(), cfg)
	return &starter.Starter{Client: s.temporal.Client(), TaskQueue: cfg.TaskQueue, Identity: testOwner}
}

// run starts a program and waits for its result, as runProgram does, and records its history (-record).
func (s *stack) run(t *testing.T, st *starter.Starter, id string, in workflows.Input) (workflows.Result, error) {
	t.Helper()
	res, err := runProgram(t, st, id, in)
	s.recordHistory(t, id)
	return res, err
}

// runProgram starts a program and waits, up to 2 minutes, for its result; a failed program returns its
// result and the error.
func runProgram(t *testing.T, st *starter.Starter, id string, in workflows.Input) (workflows.Result, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	wr, err := st.Start(ctx, id, in)
	if err != nil {
		t.Fatal(err)
	}
	res, err := st.Wait(ctx, wr, 200*time.Millisecond, nil)
	var failed *starter.FailedError
	if errors.As(err, &failed) {
		res = failed.Result
	}
	return res, err
}

// history is the events of the workflow's history, read within a minute.
func history(t *testing.T, c client.Client, id string) []*historypb.HistoryEvent {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var events []*historypb.HistoryEvent
	it := c.GetWorkflowHistory(ctx, id, "", false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	for it.HasNext() {
		e, err := it.Next()
		if err != nil {
			t.Fatalf("history of %s: %v", id, err)
		}
		events = append(events, e)
	}
	return events
}

// recordHistory writes a run's history for the replay test, with -record.
func (s *stack) recordHistory(t *testing.T, id string) {
	t.Helper()
	s.recordHistoryAs(t, id, id)
}

// recordHistoryAs writes a run's history for the replay test under another name, with -record (a
// shard's workflow ID holds slashes).
func (s *stack) recordHistoryAs(t *testing.T, id, name string) {
	t.Helper()
	if !*record {
		return
	}
	out, err := exec.Command(testenv.Bin(t, "temporal"), "workflow", "show", "--workflow-id", id,
		"--address", s.temporal.FrontendHostPort(), "--output", "json").Output()
	if err != nil {
		t.Fatalf("temporal workflow show %s: %v", id, err)
	}
	path := filepath.Join(testenv.Root(t), "workflows", "testdata", "histories", name+".json")
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, out, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("recorded %s", path)
}

func itemStates(res workflows.Result, step string) map[string]string {
	out := map[string]string{}
	for _, s := range res.Steps {
		if s.ID == step {
			for _, it := range s.Items {
				out[it.Label] = it.State
			}
		}
	}
	return out
}

// messageIDs returns the Message-ID each SendEmail task of a step reported, by the recipient it reported.
func messageIDs(res workflows.Result, step string) map[string]string {
	out := map[string]string{}
	for _, s := range res.Steps {
		if s.ID != step {
			continue
		}
		for _, it := range s.Items {
			if it.Task != nil {
				id, _ := it.Task.Output["message_id"].(string)
				to, _ := it.Task.Output["recipient"].(string)
				out[to] = id
			}
		}
	}
	return out
}

// ourMessageID is the shape of the Message-ID activities.MessageID makes: "eaapl.", a 128-bit hash of the
// task's idempotency key in hex, "@" and the sender's domain (Mailpit shows it without angle brackets).
var ourMessageID = regexp.MustCompile(`^eaapl\.[0-9a-f]{32}@(.+)$`)

// checkMessageID says what is wrong with the Message-ID of an email Mailpit holds, if anything: it must be
// ours, on the sender's domain, the one its task reported (the task looks for that ID in the mailbox before
// it sends again, so another ID would send twice), and not one that another email already has.
func checkMessageID(held, reported, from string, seen map[string]bool) error {
	m := ourMessageID.FindStringSubmatch(held)
	_, domain, _ := strings.Cut(from, "@")
	switch {
	case m == nil:
		return fmt.Errorf("Message-ID %q is not one of ours (eaapl.<32 hex digits>@<domain>)", held)
	case m[1] != domain:
		return fmt.Errorf("Message-ID %q is not on the sender's domain %s", held, domain)
	case strings.Trim(reported, "<>") != held:
		return fmt.Errorf("Message-ID %q is not the one its task reported, %q", held, reported)
	case seen[held]:
		return fmt.Errorf("Message-ID %q is also another email's", held)
	}
	return nil
}

// TestHelloWorldMessageIDCheck makes sure that TestHelloWorld's check of the Message-IDs can fail.
func TestHelloWorldMessageIDCheck(t *testing.T) {
	const good = "eaapl.0123456789abcdef0123456789abcdef@example.com"
	for _, tc := range []struct {
		name, held, reported string
		seen                 map[string]bool
		want                 string // "" for none
	}{
		{"Ours", good, "<" + good + ">", nil, ""},
		{"Empty", "", "", nil, "not one of ours"},
		{"SomeoneElses", "CAJx8=Q@mail.gmail.com", "<CAJx8=Q@mail.gmail.com>", nil, "not one of ours"},
		{"ShortHash", "eaapl.0123@example.com", "<eaapl.0123@example.com>", nil, "not one of ours"},
		{"NoDomain", "eaapl.0123456789abcdef0123456789abcdef", "", nil, "not one of ours"},
		{"OtherDomain", "eaapl.0123456789abcdef0123456789abcdef@example.org", "<eaapl.0123456789abcdef0123456789abcdef@example.org>", nil, "sender's domain"},
		{"NotTheReportedOne", good, "<eaapl.ffffffffffffffffffffffffffffffff@example.com>", nil, "not the one its task reported"},
		{"NoneReported", good, "", nil, "not the one its task reported"},
		{"Twice", good, "<" + good + ">", map[string]bool{good: true}, "another email's"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := checkMessageID(tc.held, tc.reported, "me@example.com", tc.seen)
			switch {
			case tc.want == "" && err != nil:
				t.Errorf("checkMessageID(%q) = %v, want nil", tc.held, err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Errorf("checkMessageID(%q) = %v, want an error saying %q", tc.held, err, tc.want)
			}
		})
	}
}

func TestHelloWorld(t *testing.T) {
	s := newStack(t)
	ctx := context.Background()
	st := s.worker(t, testenv.WriteFile(t, "contacts.vcf", threeContacts), nil)
	user := "me@example.com"

	// Bob was emailed this week, so the program must skip him.
	monday := startOfWeek(time.Now())
	if _, err := devstack.SeedHistory(ctx, s.mailpit, user, "bob@example.com", monday); err != nil {
		t.Fatal(err)
	}
	before := testenv.Messages(t, s.mailpit, "")

	res, err := s.run(t, st, "hello-world", workflows.Input{Program: helloWorld, UserID: "user_123"})
	if err != nil {
		t.Fatalf("program failed: %v", err)
	}
	if got, want := res.State, workflows.StateCompleted; got != want {
		t.Fatalf("state = %q, want %q (%s)", got, want, res.Summary)
	}

	t.Run("MailpitHoldsExactlyTwoNewEmailsToTheRightPeople", func(t *testing.T) {
		after := testenv.Messages(t, s.mailpit, "")
		var sent []testenv.Message
		for _, m := range after {
			if !slices.ContainsFunc(before, func(b testenv.Message) bool { return b.ID == m.ID }) {
				sent = append(sent, m)
			}
		}
		if got, want := len(sent), 2; got != want {
			t.Fatalf("%d new emails, want %d: %+v", got, want, sent)
		}
		reported := messageIDs(res, "send")
		ids := map[string]bool{} // the Message-IDs of the emails checked so far
		var to []string
		for _, m := range sent {
			to = append(to, m.To...)
			if got, want := strings.TrimSpace(m.Text), "Hello World!"; got != want {
				t.Errorf("body to %v = %q, want %q", m.To, got, want)
			}
			if got, want := m.From, user; got != want {
				t.Errorf("from = %q, want %q", got, want)
			}
			if len(m.To) != 1 {
				t.Fatalf("email %q is to %v, want one recipient", m.MessageID, m.To)
			}
			if err := checkMessageID(m.MessageID, reported[m.To[0]], user, ids); err != nil {
				t.Errorf("the email to %s: %v", m.To[0], err)
			}
			ids[m.MessageID] = true
		}
		slices.Sort(to)
		if got, want := strings.Join(to, ","), "alice@example.com,carol@example.com"; got != want {
			t.Errorf("emailed %s, want %s", got, want)
		}
	})

	t.Run("TheResultSaysPerContactWhatWasDone", func(t *testing.T) {
		got := itemStates(res, "send")
		want := map[string]string{"alice@example.com": "done", "bob@example.com": "skipped", "carol@example.com": "done"}
		for k, v := range want {
			if got[k] != v {
				t.Errorf("%s: %q, want %q", k, got[k], v)
			}
		}
	})

	t.Run("RunningItAgainSendsNothing", func(t *testing.T) {
		n := len(testenv.Messages(t, s.mailpit, ""))
		res, err := s.run(t, st, "hello-world-again", workflows.Input{Program: helloWorld})
		if err != nil {
			t.Fatal(err)
		}
		for who, state := range itemStates(res, "send") {
			if state != "skipped" {
				t.Errorf("%s: %q, want skipped: everyone was emailed this week", who, state)
			}
		}
		if got := len(testenv.Messages(t, s.mailpit, "")); got != n {
			t.Errorf("the mailbox went from %d to %d messages", n, got)
		}
	})
}

func TestBadInput(t *testing.T) {
	s := newStack(t)

	t.Run("TextTheGrammarDoesNotCoverFailsWithTheQuotedPart", func(t *testing.T) {
		st := s.worker(t, testenv.WriteFile(t, "contacts.vcf", threeContacts), nil)
		_, err := s.run(t, st, "not-understood", workflows.Input{Program: "Send an email to each of my contacts if it rains that says 'Hi'"})
		if err == nil || !strings.Contains(err.Error(), "if it rains") {
			t.Fatalf("error = %v, want one that quotes %q", err, "if it rains")
		}
	})

	t.Run("AMissingContactsFileFailsNamingTheFile", func(t *testing.T) {
		missing := filepath.Join(t.TempDir(), "nobody.vcf")
		st := s.worker(t, missing, nil)
		res, err := s.run(t, st, "missing-contacts", workflows.Input{Program: helloWorld})
		if err == nil {
			t.Fatal("the program must fail")
		}
		if got := res.Steps[0]; got.State != "failed" || !strings.Contains(got.Reason, "nobody.vcf") {
			t.Fatalf("contacts step = %+v, want failed naming the file", got)
		}
	})

	// Issue 17 item 8: the row is skipped and reported with its file:line when the contacts are read, as a
	// row without an email is (before, it was a failed send item, and the program failed).
	t.Run("AnInvalidAddressSkipsThatContactOnly", func(t *testing.T) {
		contacts := "name,email\nAlice,alice@example.com\nBroken,broken@\n"
		st := s.worker(t, testenv.WriteFile(t, "contacts.csv", contacts), nil)
		res, err := s.run(t, st, "invalid-address", workflows.Input{Program: "Send 'Hi there' to all my contacts"})
		if err != nil {
			t.Fatalf("program: %v (%s)", err, res.Summary)
		}
		got := itemStates(res, "send")
		if len(got) != 1 || got["alice@example.com"] != "done" {
			t.Fatalf("send items = %v, want alice done alone", got)
		}
		if sk := skipped(t, res); len(sk) != 1 || !strings.HasPrefix(sk[0], `contacts.csv:3: "broken@" is not a valid email address`) {
			t.Fatalf("skipped = %q, want contacts.csv:3 reported", sk)
		}
		if n := len(testenv.Messages(t, s.mailpit, "to:alice@example.com subject:\"Hi there\"")); n != 1 {
			t.Errorf("alice got %d emails, want 1", n)
		}
	})

	t.Run("SMTPDownIsRetriedThenAsksAndAbortsWhenNobodyAnswers", func(t *testing.T) {
		if testing.Short() {
			t.Skip("waits for the retries to run out")
		}
		port, err := devstack.FreePort() // nothing listens there
		if err != nil {
			t.Fatal(err)
		}
		st := s.worker(t, testenv.WriteFile(t, "contacts.vcf", threeContacts), func(c *config.Config) {
			c.SMTPAddr = "127.0.0.1:" + strconv.Itoa(port)
		})
		// While it retries, the task's attempt shows (`eaapl status`); after its retries it asks retry, skip
		// or abort; nobody answers, and the default is abort.
		retrying := make(chan []starter.Retrying, 1)
		go func() {
			for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
				if r, err := st.Retrying(context.Background(), "smtp-down-asks"); err == nil && len(r) > 0 {
					retrying <- r
					return
				}
			}
			retrying <- nil
		}()
		res, err := s.run(t, st, "smtp-down-asks", workflows.Input{Program: "Send 'Are you there?' to carol@example.com", QuestionTimeout: "2s", QuestionDefault: "abort"})
		if r := <-retrying; len(r) != 1 || r[0].TaskID != "send" || r[0].Attempt < 2 || !strings.Contains(r[0].LastError, "unreachable") {
			t.Errorf("retrying tasks = %+v, want send on attempt 2 or more, its last error unreachable", r)
		}
		if err == nil {
			t.Fatal("the program must fail when the SMTP server is down")
		}
		send := res.Steps[len(res.Steps)-1]
		if send.State != "failed" || len(send.Items) != 1 || send.Items[0].Task == nil || send.Items[0].Task.Error == nil {
			t.Fatalf("send step = %+v, want one failed task", send)
		}
		if reason := send.Items[0].Reason; !strings.Contains(reason, "unreachable") || !strings.Contains(reason, "gave up") || !strings.Contains(reason, "aborted: q1") || !strings.Contains(reason, "had no answer within 2s") {
			t.Errorf("reason = %q, want it to say the server was unreachable, the retries ran out and nobody answered q1", reason)
		}
		if got, want := send.Items[0].Task.Attempt, int32(5); got != want {
			t.Errorf("attempts = %d, want the catalog's %d", got, want)
		}
	})
}

// TestABatchThatGivesUpAsksPerItem runs a for_each send while the mail server is down: the items run in
// batches, each gives up after the step's retries, and each asks retry, skip or abort, all open at once
// (no item waits for another's answer); the answers decide each item's end.
func TestABatchThatGivesUpAsksPerItem(t *testing.T) {
	s := newStack(t)
	port, err := devstack.FreePort() // nothing listens there
	if err != nil {
		t.Fatal(err)
	}
	st := s.worker(t, testenv.WriteFile(t, "contacts.vcf", threeContacts), func(c *config.Config) {
		c.SMTPAddr = "127.0.0.1:" + strconv.Itoa(port)
	})
	p, err := plan.Parse([]byte(`{"version": 1, "program": "Send 'Are you there?' to each of my contacts", "steps": [
		{"id": "contacts", "command": "RetrieveContacts"},
		{"id": "send", "command": "SendEmail", "depends_on": ["contacts"],
		 "for_each": {"items": "${steps.contacts.contacts}", "as": "contact"},
		 "args": {"to": "${contact}", "subject": "Are you there?", "body": "Are you there?"},
		 "retry": {"maximum_attempts": 2, "initial_interval": "100ms"}}]}`))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	wr, err := st.Start(ctx, "batch-gave-up", workflows.Input{Plan: p})
	if err != nil {
		t.Fatal(err)
	}
	// Answer once all three are open: if one waited for another's answer, they never would be.
	answered := false
	res, err := st.Wait(ctx, wr, 200*time.Millisecond, func(status workflows.Status) {
		if answered || len(status.Questions) < 3 {
			return
		}
		answered = true
		// Skip two, then abort with the last (an abort ends the questions still open).
		qs := slices.Clone(status.Questions)
		slices.SortFunc(qs, func(a, b workflows.Question) int {
			return cmp.Compare(b.Item, a.Item) // carol, bob, alice
		})
		for _, q := range qs {
			if q.Kind != workflows.KindDecision || !strings.Contains(q.Text, "failed after 2 attempts") || !strings.Contains(q.Text, "unreachable") {
				t.Errorf("question %+v, want a decision after the step's 2 attempts, saying the server is unreachable", q)
			}
			answer := workflows.AnswerSkip
			if q.Item == "alice@example.com" {
				answer = workflows.AnswerAbort
			}
			if _, err := st.Answer(ctx, "batch-gave-up", q.ID, answer); err != nil {
				t.Fatalf("answer %s: %v", q.ID, err)
			}
		}
	})
	var failed *starter.FailedError
	if !errors.As(err, &failed) {
		t.Fatalf("the program must fail when one item's answer is abort: %v", err)
	}
	res = failed.Result
	if !answered {
		t.Fatal("the three questions were never open at once")
	}
	s.recordHistory(t, "batch-gave-up")
	got := itemStates(res, "send")
	if got["alice@example.com"] != "failed" || got["bob@example.com"] != "skipped" || got["carol@example.com"] != "skipped" {
		t.Errorf("send items = %v, want alice failed (aborted) and the others skipped", got)
	}
	if res.State != workflows.StateFailed || !strings.Contains(res.Summary, "aborted") {
		t.Errorf("program %s: %s, want failed, saying it was aborted", res.State, res.Summary)
	}
}

// startOfWeek is Monday 00:00 of t's week.
func startOfWeek(t time.Time) time.Time {
	y, m, d := t.Date()
	return time.Date(y, m, d-(int(t.Weekday())+6)%7, 0, 0, 0, 0, t.Location())
}

// startWorker runs a worker, as `eaapl worker` does, until the test ends, its log discarded.
func startWorker(t *testing.T, c client.Client, cfg config.Config) {
	t.Helper()
	startWorkerLogging(t, c, cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
}

// startWorkerLogging is startWorker with the worker's log kept: it logs to logger.
func startWorkerLogging(t *testing.T, c client.Client, cfg config.Config, logger *slog.Logger) {
	t.Helper()
	svc, err := worker.Setup(context.Background(), cfg, logger)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	started, stopped := make(chan struct{}), make(chan error, 1)
	go func() {
		stopped <- svc.Run(ctx, c, func() error { close(started); return nil })
	}()
	select {
	case <-started:
	case err := <-stopped:
		t.Fatalf("worker: %v", err)
	}
	t.Cleanup(func() {
		cancel()
		<-stopped
		svc.Close()
	})
}
