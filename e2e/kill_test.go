package e2e_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"

	"github.com/eaapl/eaapl/devstack"
	"github.com/eaapl/eaapl/internal/testenv"
	"github.com/eaapl/eaapl/plan"
	"github.com/eaapl/eaapl/starter"
	"github.com/eaapl/eaapl/workflows"
)

// The kill tests of issue 12: each new command is interrupted in the middle of its task by SIGKILL to
// the `eaapl worker` process running it, and the program goes on on a second worker process started
// after the kill, with no write or email done twice. Where a task could finish between the test seeing
// it under way and the kill, the worker is first frozen with SIGSTOP, and the test checks that the task
// is still open in Temporal (so the kill did interrupt it) before it kills.

// killCase is one command's kill test.
type killCase struct {
	name string
	// setup writes the workspace's files and returns the plan to run.
	setup func(t *testing.T, k *killStack) string
	// interrupt waits until the doomed worker is in the middle of the task and stops it (SIGSTOP, or the
	// command's own way), then returns; the test then kills the worker.
	interrupt func(t *testing.T, k *killStack, doomed *workerProcess, workflowID string)
	// retried is the activity that must have run again on the second worker.
	retried string
	// check checks the result, the workspace and the mailbox.
	check func(t *testing.T, k *killStack, res workflows.Result)
}

// killStack is what the kill tests share: the Temporal dev server, Mailpit, the eaapl binary, and the
// workspace and data folder of the case under way, which both of its workers use (a volume two workers
// of a cluster mount).
type killStack struct {
	bin       string
	temporal  client.Client
	address   string
	mailpit   *devstack.Mailpit
	smtpAddr  string // what the workers send through; Mailpit's SMTP unless a case puts a proxy between
	contacts  string // a contacts file the workers are given (the cases do not read it)
	workspace string
	dataDir   string

	pageRequested chan struct{} // FetchURL: closed when the slow page is first asked for
	pageRequests  func() int    // FetchURL: how many times it was asked for
	held          *heldSMTP     // SendEmail: the proxy that holds the server's reply
}

func (k *killStack) env(queue string) []string {
	return append(workerEnv(k.address, queue, k.contacts, k.smtpAddr, k.mailpit.APIURL),
		"EAAPL_WORKSPACE="+k.workspace, "EAAPL_DATA_DIR="+k.dataDir, "EAAPL_HTTP_ALLOW=127.0.0.1", "EAAPL_PLANNER=rules")
}

func (k *killStack) put(t *testing.T, name string, data []byte) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(k.workspace, name), data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestKillEachNewCommandMidTask runs each case on a worker process that is killed in the middle of the
// case's task, and finishes it on a second one.
func TestKillEachNewCommandMidTask(t *testing.T) {
	srv := testenv.Temporal(t)
	mp := testenv.Mailpit(t)
	stack := &killStack{bin: buildEaapl(t), temporal: srv.Client(), address: srv.FrontendHostPort(), mailpit: mp, contacts: contactsCSV(t, 1)}

	for _, tc := range []killCase{
		{
			// A 50 MB document read and copied: the read is frozen as it starts, and read again, whole.
			name: "ReadDocument",
			setup: func(t *testing.T, k *killStack) string {
				k.put(t, "big.txt", bigDocument(50<<20))
				return planLarge
			},
			interrupt: stopWhenStarted("ReadDocument"),
			retried:   "ReadDocument",
			check: func(t *testing.T, k *killStack, res workflows.Result) {
				assertFileOnce(t, k, "copy.txt", bigDocument(50<<20))
			},
		},
		{
			// A 10,000-row spreadsheet (the most one step takes), read in pages, then one email saying how
			// many rows it has: the read is frozen in its pages, read again, and the email sent once.
			name: "ReadTable",
			setup: func(t *testing.T, k *killStack) string {
				writeRowsXLSX(t, filepath.Join(k.workspace, "big.xlsx"), 10000)
				return planCountRows
			},
			interrupt: stopWhenStarted("ReadTable"),
			retried:   "ReadTable",
			check: func(t *testing.T, k *killStack, res workflows.Result) {
				if n := output(t, res, "rows")["count"]; n != 10000.0 {
					t.Errorf("ReadTable counted %v rows, want 10000", n)
				}
				msgs := testenv.Messages(t, k.mailpit, "to:rows@example.com")
				if len(msgs) != 1 || strings.TrimSpace(msgs[0].Text) != "big.xlsx has 10000 rows" {
					t.Errorf("rows@example.com has %+v, want one email saying 10000 rows", msgs)
				}
			},
		},
		{
			// 200 files, one per row of a table: the worker is frozen once the first files of its batch
			// are written, before the batch reports them; the second worker runs the batch again and finds
			// them written by the task (already_written), each file once with its content.
			name: "WriteFile",
			setup: func(t *testing.T, k *killStack) string {
				var b strings.Builder
				b.WriteString("id,text\n")
				for i := 1; i <= crashContacts; i++ {
					fmt.Fprintf(&b, "%03d,%s\n", i, noteText(i))
				}
				k.put(t, "notes.csv", []byte(b.String()))
				return planWriteEach
			},
			interrupt: func(t *testing.T, k *killStack, doomed *workerProcess, workflowID string) {
				t.Helper()
				waitUntil(t, "the first note is written", func() bool {
					_, err := os.Stat(filepath.Join(k.workspace, "note-001.txt"))
					return err == nil
				})
				freeze(t, doomed)
				if n := openActivities(t, k.temporal, workflowID, "RunBatch"); n == 0 {
					t.Fatal("no batch of writes is open at the freeze: they all finished, and the kill would interrupt nothing")
				}
			},
			retried: "RunBatch",
			check: func(t *testing.T, k *killStack, res workflows.Result) {
				outcomes := map[string]int{}
				for _, s := range res.Steps {
					for _, it := range s.Items {
						if s.ID == "write" && it.Task != nil {
							outcomes[fmt.Sprint(it.Task.Output["outcome"])]++
						}
					}
				}
				if outcomes["created"]+outcomes["already_written"] != crashContacts || outcomes["already_written"] == 0 {
					t.Errorf("write outcomes %v, want %d in all, some already_written (by the killed worker)", outcomes, crashContacts)
				}
				for i := 1; i <= crashContacts; i++ {
					assertFileOnce(t, k, fmt.Sprintf("note-%03d.txt", i), []byte(noteText(i)))
				}
				entries, err := os.ReadDir(k.workspace)
				if err != nil {
					t.Fatal(err)
				}
				if want := crashContacts + 2; len(entries) != want { // the notes, notes.csv, .eaapl-workspace
					var names []string
					for _, e := range entries {
						if !strings.HasPrefix(e.Name(), "note-") {
							names = append(names, e.Name())
						}
					}
					t.Errorf("the workspace holds %d entries, want %d notes, notes.csv and EaaPL's records; others: %v", len(entries), crashContacts, names)
				}
			},
		},
		{
			// A page from a slow server: the worker is killed while the server holds its request; the
			// second worker fetches it again, and the page is emailed once.
			name: "FetchURL",
			setup: func(t *testing.T, k *killStack) string {
				return strings.ReplaceAll(planFetch, "PAGE_ADDRESS", slowPage(t, k).URL+"/")
			},
			interrupt: func(t *testing.T, k *killStack, doomed *workerProcess, workflowID string) {
				t.Helper()
				select {
				case <-k.pageRequested:
				case <-time.After(2 * time.Minute):
					t.Fatal("the page was not requested in two minutes")
				}
			},
			retried: "FetchURL",
			check: func(t *testing.T, k *killStack, res workflows.Result) {
				if n := k.pageRequests(); n != 2 {
					t.Errorf("the server had %d requests for the page, want 2 (the killed worker's and the second's)", n)
				}
				msgs := testenv.Messages(t, k.mailpit, "to:ops@example.com")
				if len(msgs) != 1 || !strings.Contains(msgs[0].Text, "All systems operational.") {
					t.Errorf("ops@example.com has %+v, want one email with the page", msgs)
				}
			},
		},
		{
			// An email with a 3 MB attachment: Mailpit has taken it (end of DATA) but the worker never
			// hears so, for its reply is held; the worker is killed, and the second worker finds the email
			// in Mailpit and does not send it again.
			name: "SendEmailWithAnAttachment",
			setup: func(t *testing.T, k *killStack) string {
				k.put(t, "slides.pdf", slidesPDF())
				k.held = holdAfterData(t, k.mailpit.SMTPAddr)
				k.smtpAddr = k.held.addr
				return planSlides
			},
			interrupt: func(t *testing.T, k *killStack, doomed *workerProcess, workflowID string) {
				t.Helper()
				select {
				case <-k.held.accepted:
				case <-time.After(2 * time.Minute):
					t.Fatal("no email ended its DATA in two minutes")
				}
				waitUntil(t, "Mailpit holds the email", func() bool { n, err := messageCount(k.mailpit.APIURL); return err == nil && n >= 1 })
			},
			retried: "SendEmail",
			check: func(t *testing.T, k *killStack, res workflows.Result) {
				if got := output(t, res, "send")["already_sent"]; got != true {
					t.Errorf("SendEmail's output already_sent = %v, want true: the second worker found the email in Mailpit", got)
				}
				msgs := testenv.Messages(t, k.mailpit, "")
				if len(msgs) != 1 {
					t.Fatalf("Mailpit holds %d emails, want exactly 1: %+v", len(msgs), msgs)
				}
				var full struct {
					Attachments []struct {
						PartID, FileName string
					}
				}
				getJSONInto(t, k.mailpit.APIURL+"/api/v1/message/"+msgs[0].ID, &full)
				if len(full.Attachments) != 1 || full.Attachments[0].FileName != "slides.pdf" {
					t.Fatalf("attachments %+v, want slides.pdf", full.Attachments)
				}
				resp, err := http.Get(k.mailpit.APIURL + "/api/v1/message/" + msgs[0].ID + "/part/" + full.Attachments[0].PartID)
				if err != nil {
					t.Fatal(err)
				}
				got, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if !bytes.Equal(got, slidesPDF()) {
					t.Errorf("the attachment has %d bytes, not the file's %d", len(got), len(slidesPDF()))
				}
			},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			k := *stack
			k.smtpAddr = mp.SMTPAddr
			k.workspace, k.dataDir = filepath.Join(t.TempDir(), "workspace"), filepath.Join(t.TempDir(), "data")
			if err := os.Mkdir(k.workspace, 0o755); err != nil {
				t.Fatal(err)
			}
			clearMailpit(t, mp)
			planJSON := tc.setup(t, &k)
			p, err := plan.Parse([]byte(planJSON))
			if err != nil {
				t.Fatalf("plan: %v", err)
			}
			queue, id := "kill-"+tc.name, "kill-"+strings.ToLower(tc.name)
			doomed := startWorkerProcess(t, k.bin, k.env(queue), "killed-"+tc.name)
			waitForPollers(t, k.temporal, queue, doomed)

			ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
			defer cancel()
			st := &starter.Starter{Client: k.temporal, TaskQueue: queue}
			run, err := st.Start(ctx, id, workflows.Input{Program: p.Program, Plan: p, MaxConcurrency: crashConcurrency})
			if err != nil {
				t.Fatal(err)
			}
			tc.interrupt(t, &k, doomed, id)
			doomed.kill(t)
			killed := time.Now()
			second := startWorkerProcess(t, k.bin, k.env(queue), "second-"+tc.name)

			res, err := st.Wait(ctx, run, 500*time.Millisecond, nil)
			if err != nil {
				t.Fatalf("program: %v (%s)", err, res.Summary)
			}
			if res.State != workflows.StateCompleted {
				t.Fatalf("program %s: %s", res.State, res.Summary)
			}
			if by := retriedActivities(t, k.temporal, id, tc.retried); by[second.id] == 0 {
				t.Errorf("%s ran again on %v, want on %s: the kill interrupted nothing", tc.retried, by, second.id)
			}
			t.Logf("done %s after the kill", time.Since(killed).Round(time.Second))
			tc.check(t, &k, res)
		})
	}
}

const planCountRows = `{"version": 1, "program": "Read big.xlsx and email how many rows it has to rows@example.com", "steps": [
	{"id": "rows", "command": "ReadTable", "args": {"path": "big.xlsx"}},
	{"id": "send", "command": "SendEmail", "args": {"to": "rows@example.com", "subject": "Rows", "body": "big.xlsx has ${steps.rows.count} rows"}}]}`

const planWriteEach = `{"version": 1, "program": "For each row in notes.csv, write its text to note-{id}.txt", "steps": [
	{"id": "rows", "command": "ReadTable", "args": {"path": "notes.csv"}},
	{"id": "write", "command": "WriteFile", "for_each": {"items": "${steps.rows.rows}", "as": "row"},
	 "args": {"path": "note-${row.id}.txt", "text": "${row.text}"}}]}`

func noteText(i int) string {
	return fmt.Sprintf("Note %d: %s.", i, strings.Repeat("remember the milk ", 20))
}

// bigDocument is a text document of about n bytes.
func bigDocument(n int) []byte {
	var b bytes.Buffer
	for i := 0; b.Len() < n; i++ {
		fmt.Fprintf(&b, "Line %d of the big report: sales were %d units in region %d.\n", i, i%977, i%13)
	}
	return b.Bytes()
}

// slidesPDF is a 3 MB file to attach: a few seconds of SMTP DATA through the delaying proxy.
func slidesPDF() []byte {
	return append([]byte("%PDF-1.4\n"), bytes.Repeat([]byte("slide data "), 300_000)...)
}

// writeRowsXLSX writes a spreadsheet of n rows under a header, with excelize's streaming writer.
func writeRowsXLSX(t *testing.T, path string, n int) {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	sw, err := f.NewStreamWriter("Sheet1")
	if err != nil {
		t.Fatal(err)
	}
	if err := sw.SetRow("A1", []any{"order", "email", "item"}); err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= n; i++ {
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		if err := sw.SetRow(cell, []any{fmt.Sprintf("A-%05d", i), fmt.Sprintf("person%d@example.com", i), "lamp"}); err != nil {
			t.Fatal(err)
		}
	}
	if err := sw.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := f.SaveAs(path); err != nil {
		t.Fatal(err)
	}
}

// assertFileOnce checks that the workspace holds the file with exactly the content, and no temporary
// file of a write left beside it.
func assertFileOnce(t *testing.T, k *killStack, name string, want []byte) {
	t.Helper()
	got, err := os.ReadFile(filepath.Join(k.workspace, name))
	if err != nil {
		t.Errorf("%s: %v", name, err)
		return
	}
	if sha256.Sum256(got) != sha256.Sum256(want) {
		t.Errorf("%s has %d bytes, not the %d it should", name, len(got), len(want))
	}
	matches, _ := filepath.Glob(filepath.Join(k.workspace, "*"+name+"*"))
	if len(matches) != 1 {
		t.Errorf("files named like %s: %v, want it alone", name, matches)
	}
}

// stopWhenStarted freezes the doomed worker as soon as Temporal says it has started the activity, and
// checks that the activity is still open then.
func stopWhenStarted(activity string) func(t *testing.T, k *killStack, doomed *workerProcess, workflowID string) {
	return func(t *testing.T, k *killStack, doomed *workerProcess, workflowID string) {
		t.Helper()
		waitUntil(t, activity+" starts on "+doomed.id, func() bool {
			return openActivities(t, k.temporal, workflowID, activity) > 0
		})
		freeze(t, doomed)
		if openActivities(t, k.temporal, workflowID, activity) == 0 {
			t.Fatalf("%s finished before the freeze: the kill would interrupt nothing", activity)
		}
	}
}

// freeze stops the worker process with SIGSTOP: it neither works nor reports until it is killed.
func freeze(t *testing.T, w *workerProcess) {
	t.Helper()
	if err := w.cmd.Process.Signal(syscall.SIGSTOP); err != nil {
		t.Fatalf("stop worker %s: %v", w.id, err)
	}
}

// openActivities is how many activities of the type the workflow has started and not finished.
func openActivities(t *testing.T, c client.Client, workflowID, activity string) int {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	d, err := c.DescribeWorkflowExecution(ctx, workflowID, "")
	if err != nil {
		return 0 // not started yet
	}
	n := 0
	for _, a := range d.GetPendingActivities() {
		if a.GetActivityType().GetName() == activity && a.GetState() == enumspb.PENDING_ACTIVITY_STATE_STARTED {
			n++
		}
	}
	return n
}

// retriedActivities counts, per worker, the activities of the type that started on a later attempt
// than the first.
func retriedActivities(t *testing.T, c client.Client, workflowID, activity string) map[string]int {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	scheduled, by := map[int64]bool{}, map[string]int{}
	it := c.GetWorkflowHistory(ctx, workflowID, "", false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	for it.HasNext() {
		e, err := it.Next()
		if err != nil {
			t.Fatalf("history of %s: %v", workflowID, err)
		}
		if a := e.GetActivityTaskScheduledEventAttributes(); a != nil && a.GetActivityType().GetName() == activity {
			scheduled[e.GetEventId()] = true
		}
		if a := e.GetActivityTaskStartedEventAttributes(); a != nil && scheduled[a.GetScheduledEventId()] && a.GetAttempt() > 1 {
			by[a.GetIdentity()]++
		}
	}
	return by
}

// waitUntil polls cond every few milliseconds for up to two minutes.
func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("waited two minutes for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// clearMailpit deletes every message, so that a case counts its own.
func clearMailpit(t *testing.T, mp *devstack.Mailpit) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodDelete, mp.APIURL+"/api/v1/messages", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("clear Mailpit: %s", resp.Status)
	}
}

// slowPage serves a status page on loopback whose first request is held until the test ends (the
// worker asking is killed meanwhile); k.pageRequested is closed when it arrives.
func slowPage(t *testing.T, k *killStack) *httptest.Server {
	t.Helper()
	k.pageRequested = make(chan struct{})
	release := make(chan struct{})
	var mu sync.Mutex
	requests := 0
	k.pageRequests = func() int { mu.Lock(); defer mu.Unlock(); return requests }
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		requests++
		first := requests == 1
		mu.Unlock()
		if first {
			close(k.pageRequested)
			select {
			case <-release:
			case <-r.Context().Done(): // the worker died
			}
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, `<html><head><title>Status</title></head><body><p>All systems operational.</p></body></html>`)
	}))
	t.Cleanup(func() { close(release); srv.Close() })
	return srv
}

// heldSMTP is an SMTP proxy that, once a message's DATA has ended, passes it on to the server and
// holds the server's reply from the client for good: the server has the email, and the client never
// hears so.
type heldSMTP struct {
	addr     string
	accepted chan struct{} // closed when a DATA ended
}

func holdAfterData(t *testing.T, target string) *heldSMTP {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	h := &heldSMTP{addr: l.Addr().String(), accepted: make(chan struct{})}
	done := make(chan struct{})
	t.Cleanup(func() { close(done) })
	var once sync.Once
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				up, err := net.Dial("tcp", target)
				if err != nil {
					return
				}
				defer up.Close()
				var mu sync.Mutex
				ended := false
				go func() { // server -> client, until a DATA has ended
					buf := make([]byte, 4096)
					for {
						n, err := up.Read(buf)
						mu.Lock()
						hold := ended
						mu.Unlock()
						if hold || err != nil {
							return
						}
						if _, err := c.Write(buf[:n]); err != nil {
							return
						}
					}
				}()
				var tail []byte
				buf := make([]byte, 32<<10)
				for {
					n, err := c.Read(buf)
					if n > 0 {
						seen := append(append([]byte(nil), tail...), buf[:n]...)
						if bytes.Contains(seen, []byte("\r\n.\r\n")) {
							mu.Lock()
							ended = true // before the server can answer
							mu.Unlock()
						}
						tail = seen[max(0, len(seen)-4):]
						if _, werr := up.Write(buf[:n]); werr != nil {
							return
						}
						if bytes.Contains(seen, []byte("\r\n.\r\n")) {
							once.Do(func() { close(h.accepted) })
							<-done // keep the server's side open until the test ends: the client waits for a reply
							return
						}
					}
					if err != nil {
						return
					}
				}
			}()
		}
	}()
	return h
}
