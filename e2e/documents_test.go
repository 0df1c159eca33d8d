package e2e_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"
	"google.golang.org/protobuf/proto"

	"github.com/eaapl/eaapl/config"
	"github.com/eaapl/eaapl/internal/testenv"
	"github.com/eaapl/eaapl/plan"
	"github.com/eaapl/eaapl/starter"
	"github.com/eaapl/eaapl/workflows"
)

// The programs of issue 12 (documents, tables, files, web pages, text analysis, attachments) as the plans
// `eaapl run --plan` takes, run on a real dev stack: the Temporal dev server, Mailpit, a real worker whose
// workspace is a folder of real files, and a real HTTP server on loopback.

const q3Report = `# Q3 report

Revenue grew every month of the quarter, and the new plan sold better than we hoped.

| Month | Revenue | Costs |
| --- | --- | --- |
| July | 120 | 90 |
| August | 150 | 88 |
| September | 180 | 85 |

The team shipped the mobile app in August. Support tickets fell after the release.
Costs fell slightly as the cloud bill shrank. Next quarter we will hire two engineers.
`

const meetingNotes = `# Meeting notes

The team met on Monday to plan the launch of the new website.
Alice will write the announcement and send it to the press on Friday.
Bob reported that the servers are ready and the load tests passed.
The launch date is fixed for the first of March.
Carol asked for a budget review before the launch.
Everyone agreed that the launch will go ahead as planned.
`

const todo = "Buy milk\nCall the plumber\nSend the slides to Carol\n"

// documentsStack is a stack with a worker whose workspace is a fresh folder, that may fetch from
// 127.0.0.1 (EAAPL_HTTP_ALLOW).
type documentsStack struct {
	*stack
	st        *starter.Starter
	workspace string
}

func newDocumentsStack(t *testing.T) *documentsStack {
	s := newStack(t)
	root := t.TempDir()
	ws := filepath.Join(root, "workspace")
	if err := os.Mkdir(ws, 0o755); err != nil {
		t.Fatal(err)
	}
	st := s.worker(t, testenv.WriteFile(t, "contacts.vcf", threeContacts), func(c *config.Config) {
		c.Workspace = ws
		c.DataDir = filepath.Join(root, "data")
		c.HTTPAllow = "127.0.0.1"
	})
	return &documentsStack{stack: s, st: st, workspace: ws}
}

func (d *documentsStack) put(t *testing.T, name string, data []byte) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(d.workspace, name), data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// runPlan runs a plan given as JSON, as `eaapl run --plan` does.
func (d *documentsStack) runPlan(t *testing.T, id, planJSON string) (workflows.Result, error) {
	t.Helper()
	p, err := plan.Parse([]byte(planJSON))
	if err != nil {
		t.Fatalf("plan %s: %v", id, err)
	}
	return d.run(t, d.st, id, workflows.Input{Plan: p})
}

// output is the output of a step without for_each.
func output(t *testing.T, res workflows.Result, step string) map[string]any {
	t.Helper()
	for _, s := range res.Steps {
		if s.ID == step && len(s.Items) == 1 && s.Items[0].Task != nil {
			return s.Items[0].Task.Output
		}
	}
	t.Fatalf("step %s has no output: %+v", step, res.Steps)
	return nil
}

// mailTo returns the messages Mailpit holds for an address, their text with LF line ends (SMTP's are
// CRLF).
func mailTo(t *testing.T, d *documentsStack, addr string) []testenv.Message {
	t.Helper()
	msgs := testenv.Messages(t, d.mailpit, "to:"+addr)
	for i := range msgs {
		msgs[i].Text = strings.ReplaceAll(msgs[i].Text, "\r\n", "\n")
	}
	return msgs
}

// TestReadAnalyzeAndSummarize is the spec's example: "Open the document q3-report.md, analyze it for
// trends, and summarize it".
func TestReadAnalyzeAndSummarize(t *testing.T) {
	d := newDocumentsStack(t)
	d.put(t, "q3-report.md", []byte(q3Report))
	res, err := d.runPlan(t, "q3-report", planQ3Report)
	if err != nil {
		t.Fatalf("program: %v (%+v)", err, res)
	}
	read := output(t, res, "read")
	if read["title"] != "Q3 report" || read["format"] != "markdown" {
		t.Errorf("ReadDocument output %v, want the title Q3 report and the format markdown", read)
	}
	trends := output(t, res, "trends")
	report, _ := trends["report"].(string)
	if !strings.Contains(report, "Revenue went up from 120 (July) to 180 (September)") || !strings.Contains(report, "Costs went down") {
		t.Errorf("trends report %q, want revenue up from 120 to 180 and costs down", report)
	}
	list, _ := trends["trends"].([]any)
	if len(list) != 2 {
		t.Fatalf("trends %v, want the two series Revenue and Costs", list)
	}
	revenue, _ := list[0].(map[string]any)
	if revenue["direction"] != "up" || revenue["slope"] != 30.0 || revenue["method"] != "least-squares" {
		t.Errorf("revenue trend %v, want up with a slope of 30 per month by least squares", revenue)
	}
	sum := output(t, res, "summarize")
	summary, _ := sum["summary"].(string)
	sentences, _ := sum["sentences"].([]any)
	if sum["method"] != "textrank" || len(sentences) != 3 {
		t.Fatalf("summary %v, want 3 sentences by textrank", sum)
	}
	for _, s := range sentences {
		if !strings.Contains(q3Report, s.(string)) {
			t.Errorf("summary sentence %q is not one of the document's", s)
		}
	}
	if summary == "" {
		t.Error("empty summary")
	}
}

const planQ3Report = `{"version": 1, "program": "Open the document q3-report.md, analyze it for trends, and summarize it", "steps": [
	{"id": "read", "command": "ReadDocument", "args": {"path": "q3-report.md"}},
	{"id": "trends", "command": "AnalyzeTrends", "args": {"text": "${steps.read.text}"}},
	{"id": "summarize", "command": "Summarize", "args": {"text": "${steps.read.text}"}}]}`

// TestSummarizeAndEmail: "Summarize meeting-notes.md and email the summary to alice@example.com".
func TestDocumentsByEmail(t *testing.T) {
	d := newDocumentsStack(t)
	d.put(t, "meeting-notes.md", []byte(meetingNotes))
	d.put(t, "todo.txt", []byte(todo))

	t.Run("SummarizeAndEmailTheSummary", func(t *testing.T) {
		res, err := d.runPlan(t, "summary-by-email", planSummaryByEmail)
		if err != nil {
			t.Fatalf("program: %v (%+v)", err, res)
		}
		summary, _ := output(t, res, "summarize")["summary"].(string)
		msgs := mailTo(t, d, "alice@example.com")
		if len(msgs) != 1 {
			t.Fatalf("alice has %d messages, want 1", len(msgs))
		}
		if got := strings.TrimSpace(msgs[0].Text); got != summary || summary == "" {
			t.Errorf("alice's message says %q, want the summary %q", got, summary)
		}
		if msgs[0].Subject != "Summary of meeting-notes.md" {
			t.Errorf("subject %q", msgs[0].Subject)
		}
	})

	t.Run("ReadAFileAndEmailIt", func(t *testing.T) {
		res, err := d.runPlan(t, "todo-by-email", planTodoByEmail)
		if err != nil {
			t.Fatalf("program: %v (%+v)", err, res)
		}
		msgs := mailTo(t, d, "bob@example.com")
		if len(msgs) != 1 {
			t.Fatalf("bob has %d messages, want 1", len(msgs))
		}
		if got := strings.TrimSpace(msgs[0].Text); got != strings.TrimSpace(todo) {
			t.Errorf("bob's message says %q, want the file %q", got, todo)
		}
	})

	t.Run("APathOutsideTheWorkspaceIsRefusedAndNothingIsSent", func(t *testing.T) {
		// The file is there, one folder up: it must not be read.
		if err := os.WriteFile(filepath.Join(filepath.Dir(d.workspace), "secrets.txt"), []byte("the launch codes"), 0o644); err != nil {
			t.Fatal(err)
		}
		before := len(mailTo(t, d, "bob@example.com"))
		// "..": refused when the plan is checked, before any step runs.
		res, err := d.runPlan(t, "secrets-by-email", planSecretsByEmail)
		if err == nil {
			t.Fatalf("the program succeeded: %+v", res)
		}
		if !strings.Contains(err.Error(), `could not be planned: invalid plan: step "read": args.path: "../secrets.txt" is outside the workspace`) || len(res.Steps) != 0 {
			t.Errorf("program %s: %v, want it refused at planning naming ../secrets.txt as outside the workspace, no step run", res.State, err)
		}
		// An absolute path elsewhere: only the worker knows the folder, and its workspace refuses it
		// before reading.
		abs := filepath.Join(filepath.Dir(d.workspace), "secrets.txt")
		res, err = d.runPlan(t, "secrets-by-absolute-path", strings.ReplaceAll(planSecretsByEmail, "../secrets.txt", abs))
		if err == nil {
			t.Fatalf("the program succeeded: %+v", res)
		}
		if res.State != workflows.StateFailed || !strings.Contains(res.Summary+stepReasons(res), abs+" is outside the workspace") {
			t.Errorf("program %s: %s %s, want it failed naming %s as outside the workspace", res.State, res.Summary, stepReasons(res), abs)
		}
		if got := len(mailTo(t, d, "bob@example.com")); got != before {
			t.Errorf("bob got %d new messages, want none", got-before)
		}
		for _, m := range testenv.Messages(t, d.mailpit, "launch codes") {
			t.Errorf("a message holds the secret: %+v", m)
		}
	})
}

func stepReasons(res workflows.Result) string {
	var b strings.Builder
	for _, s := range res.Steps {
		b.WriteString(" " + s.Reason)
		for _, it := range s.Items {
			b.WriteString(" " + it.Reason)
		}
	}
	return b.String()
}

const planSummaryByEmail = `{"version": 1, "program": "Summarize meeting-notes.md and email the summary to alice@example.com", "steps": [
	{"id": "read", "command": "ReadDocument", "args": {"path": "meeting-notes.md"}},
	{"id": "summarize", "command": "Summarize", "args": {"text": "${steps.read.text}"}},
	{"id": "send", "command": "SendEmail", "args": {"to": "alice@example.com", "subject": "Summary of meeting-notes.md", "body": "${steps.summarize.summary}"}}]}`

const planTodoByEmail = `{"version": 1, "program": "Read todo.txt and email it to bob@example.com", "steps": [
	{"id": "read", "command": "ReadDocument", "args": {"path": "todo.txt"}},
	{"id": "send", "command": "SendEmail", "args": {"to": "bob@example.com", "subject": "todo.txt", "body": "${steps.read.text}"}}]}`

const planSecretsByEmail = `{"version": 1, "program": "Read ../secrets.txt and email it to bob@example.com", "steps": [
	{"id": "read", "command": "ReadDocument", "args": {"path": "../secrets.txt"}},
	{"id": "send", "command": "SendEmail", "args": {"to": "bob@example.com", "subject": "secrets.txt", "body": "${steps.read.text}"}}]}`

// TestEmailEachRowOfASpreadsheet: "For each row in orders.xlsx, email the address in the email column
// saying 'Your order {order} has shipped'", on an .xlsx written by excelize.
func TestEmailEachRowOfASpreadsheet(t *testing.T) {
	d := newDocumentsStack(t)
	f := excelize.NewFile()
	rows := [][]any{{"order", "email", "item"}, {"A-1001", "alice@example.com", "lamp"}, {"A-1002", "bob@example.com", "desk"}, {"A-1003", "carol@example.com", "chair"}}
	for i, r := range rows {
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		if err := f.SetSheetRow("Sheet1", cell, &r); err != nil {
			t.Fatal(err)
		}
	}
	if err := f.SaveAs(filepath.Join(d.workspace, "orders.xlsx")); err != nil {
		t.Fatal(err)
	}
	res, err := d.runPlan(t, "orders", planOrders)
	if err != nil {
		t.Fatalf("program: %v (%+v)", err, res)
	}
	if got := itemStates(res, "send"); len(got) != 3 || got["alice@example.com"] != "done" || got["bob@example.com"] != "done" || got["carol@example.com"] != "done" {
		t.Errorf("send items %v, want one done per row, named by its address", got)
	}
	for _, r := range rows[1:] {
		msgs := mailTo(t, d, r[1].(string))
		want := fmt.Sprintf("Your order %s has shipped", r[0])
		if len(msgs) != 1 || strings.TrimSpace(msgs[0].Text) != want || msgs[0].Subject != want {
			t.Errorf("%s has %+v, want one message %q", r[1], msgs, want)
		}
	}
}

const planOrders = `{"version": 1, "program": "For each row in orders.xlsx, email the address in the email column saying 'Your order {order} has shipped'", "steps": [
	{"id": "rows", "command": "ReadTable", "args": {"path": "orders.xlsx"}},
	{"id": "send", "command": "SendEmail", "for_each": {"items": "${steps.rows.rows}", "as": "row"},
	 "args": {"to": "${row.email}", "subject": "Your order ${row.order} has shipped", "body": "Your order ${row.order} has shipped"}}]}`

// TestFetchAPageAndEmailIt: "Fetch https://status.example.test/ and email the page to ops@example.com",
// the page served on loopback and allowed through EAAPL_HTTP_ALLOW; an address it does not allow is
// refused with nothing sent.
func TestFetchAPageAndEmailIt(t *testing.T) {
	d := newDocumentsStack(t)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, `<html><head><title>Status</title><script>alert("no")</script></head><body><h1>Status</h1><p>All systems operational.</p></body></html>`)
	}))
	defer srv.Close()

	res, err := d.runPlan(t, "fetch-status", strings.ReplaceAll(planFetch, "PAGE_ADDRESS", srv.URL+"/"))
	if err != nil {
		t.Fatalf("program: %v (%+v)", err, res)
	}
	if out := output(t, res, "fetch"); out["title"] != "Status" || out["status"] != 200.0 {
		t.Errorf("FetchURL output %v, want the title Status and status 200", out)
	}
	msgs := mailTo(t, d, "ops@example.com")
	if len(msgs) != 1 || !strings.Contains(msgs[0].Text, "All systems operational.") || strings.Contains(msgs[0].Text, "alert") {
		t.Fatalf("ops has %+v, want one message with the page's text and no script", msgs)
	}

	// 127.0.0.2 is loopback too, and not allowed: refused before anything is sent to it.
	other := strings.Replace(srv.URL, "127.0.0.1", "127.0.0.2", 1) + "/"
	res, err = d.runPlan(t, "fetch-refused", strings.ReplaceAll(planFetch, "PAGE_ADDRESS", other))
	if err == nil || !strings.Contains(stepReasons(res), "loopback address") || !strings.Contains(stepReasons(res), "EAAPL_HTTP_ALLOW") {
		t.Errorf("fetching %s: %v %s, want a refusal naming a loopback address and EAAPL_HTTP_ALLOW", other, err, stepReasons(res))
	}
	if got := len(mailTo(t, d, "ops@example.com")); got != 1 {
		t.Errorf("ops has %d messages after the refused fetch, want still 1", got)
	}
}

const planFetch = `{"version": 1, "program": "Fetch PAGE_ADDRESS and email the page to ops@example.com", "steps": [
	{"id": "fetch", "command": "FetchURL", "args": {"url": "PAGE_ADDRESS"}},
	{"id": "send", "command": "SendEmail", "args": {"to": "ops@example.com", "subject": "${steps.fetch.title}", "body": "${steps.fetch.text}"}}]}`

// TestSendWithAnAttachment: "Send 'Slides attached' to carol@example.com with slides.pdf attached" (and a
// copy to dave), checked in Mailpit: the attachment's name, type and bytes, and the copy.
func TestSendWithAnAttachment(t *testing.T) {
	d := newDocumentsStack(t)
	slides := append([]byte("%PDF-1.4\n"), bytes.Repeat([]byte("slide data "), 5000)...)
	d.put(t, "slides.pdf", slides)
	res, err := d.runPlan(t, "slides", planSlides)
	if err != nil {
		t.Fatalf("program: %v (%+v)", err, res)
	}
	out := output(t, res, "send")
	if got, _ := out["attached"].([]any); len(got) != 1 || got[0] != "slides.pdf" {
		t.Errorf("SendEmail output %v, want slides.pdf attached", out)
	}
	msgs := mailTo(t, d, "carol@example.com")
	if len(msgs) != 1 || strings.TrimSpace(msgs[0].Text) != "Slides attached" {
		t.Fatalf("carol has %+v, want one message 'Slides attached'", msgs)
	}
	var full struct {
		Cc          []struct{ Address string }
		Attachments []struct {
			PartID, FileName, ContentType string
			Size                          int
		}
	}
	getJSONInto(t, d.mailpit.APIURL+"/api/v1/message/"+msgs[0].ID, &full)
	if len(full.Cc) != 1 || full.Cc[0].Address != "dave@example.com" {
		t.Errorf("Cc %+v, want dave@example.com", full.Cc)
	}
	if len(full.Attachments) != 1 || full.Attachments[0].FileName != "slides.pdf" || full.Attachments[0].ContentType != "application/pdf" {
		t.Fatalf("attachments %+v, want slides.pdf as application/pdf", full.Attachments)
	}
	resp, err := http.Get(d.mailpit.APIURL + "/api/v1/message/" + msgs[0].ID + "/part/" + full.Attachments[0].PartID)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !bytes.Equal(got, slides) {
		t.Errorf("the attachment has %d bytes, not the file's %d", len(got), len(slides))
	}
}

const planSlides = `{"version": 1, "program": "Send 'Slides attached' to carol@example.com with slides.pdf attached", "steps": [
	{"id": "send", "command": "SendEmail", "args": {"to": "carol@example.com", "subject": "Slides attached", "body": "Slides attached",
	 "attachments": ["slides.pdf"], "cc": ["dave@example.com"]}}]}`

func getJSONInto(t *testing.T, u string, v any) {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		t.Fatalf("GET %s: %v", u, err)
	}
}

// TestLargeDocumentStaysOutOfTheHistory passes a 50 MB document from ReadDocument to WriteFile: the copy
// is byte for byte the original, and the history holds only a reference to it.
func TestLargeDocumentStaysOutOfTheHistory(t *testing.T) {
	d := newDocumentsStack(t)
	var b bytes.Buffer
	for i := 0; b.Len() < 50<<20; i++ {
		fmt.Fprintf(&b, "Line %d of the big report: sales were %d units in region %d.\n", i, i%977, i%13)
	}
	big := b.Bytes()
	d.put(t, "big.txt", big)
	res, err := d.runPlan(t, "large-document", planLarge)
	if err != nil {
		t.Fatalf("program: %v (%+v)", err, res)
	}
	text, _ := output(t, res, "read")["text"].(map[string]any)
	if ref, _ := text["ref"].(string); !strings.HasPrefix(ref, "sha256:") || text["size"] != float64(len(big)) {
		t.Fatalf("ReadDocument's text %v, want a sha256 reference of %d bytes", text, len(big))
	}
	copied, err := os.ReadFile(filepath.Join(d.workspace, "copy.txt"))
	if err != nil {
		t.Fatal(err)
	}
	if sha256.Sum256(copied) != sha256.Sum256(big) {
		t.Fatalf("copy.txt (%d bytes) is not big.txt (%d bytes)", len(copied), len(big))
	}
	size, events := historySize(t, d, "large-document")
	t.Logf("history of a 50 MB document's program: %d bytes in %d events", size, events)
	if size > 100<<10 {
		t.Errorf("history is %d bytes, want under 100 KB: the document entered it", size)
	}
}

const planLarge = `{"version": 1, "program": "Read big.txt and write it to copy.txt", "steps": [
	{"id": "read", "command": "ReadDocument", "args": {"path": "big.txt"}},
	{"id": "write", "command": "WriteFile", "args": {"path": "copy.txt", "text": "${steps.read.text}"}}]}`

// q3Workspace is a new folder, root, with a workspace folder in it, ws, that holds q3-report.md (q3Report);
// the worker's data folder can go in root.
func q3Workspace(t *testing.T) (root, ws string) {
	t.Helper()
	root = t.TempDir()
	ws = filepath.Join(root, "workspace")
	if err := os.Mkdir(ws, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(ws, "q3-report.md"), []byte(q3Report), 0o644); err != nil {
		t.Fatal(err)
	}
	return root, ws
}

// historySize is the size of a workflow's history in bytes (its events as protobuf) and its event count.
func historySize(t *testing.T, d *documentsStack, id string) (int, int) {
	t.Helper()
	events := history(t, d.temporal.Client(), id)
	size := 0
	for _, e := range events {
		size += proto.Size(e)
	}
	return size, len(events)
}

// TestWriteFileOnce: a program run again under the same workflow ID (the same tasks, so the same
// idempotency keys, as a retry has) leaves one file with the right content; a file the program did not
// write is a question, and replaced only on "replace".
func TestWriteFileOnce(t *testing.T) {
	d := newDocumentsStack(t)
	defer func() { d.st.AllowReuse = false }()
	for run := range 2 {
		d.st.AllowReuse = run == 1 // the same ID again, as `eaapl run --allow-reuse` asks
		res, err := d.runPlan(t, "write-once", planWrite)
		if err != nil {
			t.Fatalf("run %d: %v (%+v)", run+1, err, res)
		}
		want := map[int]string{0: "created", 1: "already_written"}[run]
		if got := output(t, res, "write")["outcome"]; got != want {
			t.Errorf("run %d: outcome %v, want %s", run+1, got, want)
		}
	}
	entries, err := os.ReadDir(d.workspace)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if !slices.Equal(names, []string{".eaapl-workspace", "report.txt"}) {
		t.Errorf("workspace holds %v, want report.txt (and EaaPL's records) alone", names)
	}
	if got, _ := os.ReadFile(filepath.Join(d.workspace, "report.txt")); string(got) != "Weekly report: all good." {
		t.Errorf("report.txt = %q", got)
	}

	// Someone else's file: the program asks before replacing it.
	d.put(t, "notes.txt", []byte("my own notes"))
	p, err := plan.Parse([]byte(strings.ReplaceAll(planWrite, "report.txt", "notes.txt")))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	wr, err := d.st.Start(ctx, "write-asks", workflows.Input{Plan: p})
	if err != nil {
		t.Fatal(err)
	}
	var question string
	res, err := d.st.Wait(ctx, wr, 200*time.Millisecond, func(status workflows.Status) {
		if question != "" || len(status.Questions) == 0 {
			return
		}
		q := status.Questions[0]
		question = q.Text
		if got, _ := os.ReadFile(filepath.Join(d.workspace, "notes.txt")); string(got) != "my own notes" {
			t.Errorf("notes.txt was changed before the answer: %q", got)
		}
		if _, err := d.st.Answer(ctx, "write-asks", q.ID, "replace"); err != nil {
			t.Errorf("answer: %v", err)
		}
	})
	var failed *starter.FailedError
	if errors.As(err, &failed) || err != nil {
		t.Fatalf("program: %v (%+v)", err, res)
	}
	if !strings.Contains(question, "notes.txt already exists") || !strings.Contains(question, "replace it?") {
		t.Errorf("question %q, want one naming notes.txt and asking to replace it", question)
	}
	if got, _ := os.ReadFile(filepath.Join(d.workspace, "notes.txt")); string(got) != "Weekly report: all good." {
		t.Errorf("notes.txt = %q after the answer replace", got)
	}
}

const planWrite = `{"version": 1, "program": "Write 'Weekly report: all good.' to report.txt", "steps": [
	{"id": "write", "command": "WriteFile", "args": {"path": "report.txt", "text": "Weekly report: all good."}}]}`

// TestDocumentPlansReadBack checks what `eaapl run` reads back before these plans run: each step in
// words, the analysis steps saying that nothing is sent to a model, an email naming its attachment and copy.
func TestDocumentPlansReadBack(t *testing.T) {
	const local = "on the worker with no model: nothing is sent anywhere"
	for _, tc := range []struct {
		plan string
		want []string
	}{
		{planQ3Report, []string{"Read the document q3-report.md.", "Find the trends in the document's text (step 1), " + local + ".", "Summarize the document's text (step 1), " + local + "."}},
		{planSummaryByEmail, []string{"Read the document meeting-notes.md.", "Summarize the document's text (step 1), " + local + ".", `Send the summary (step 2) with the subject "Summary of meeting-notes.md" to alice@example.com.`}},
		{planTodoByEmail, []string{"Read the document todo.txt.", `Send the document's text (step 1) with the subject "todo.txt" to bob@example.com.`}},
		{planOrders, []string{"Read the rows of orders.xlsx.", `Send "Your order {order} has shipped" (each row's order filled in) to the address in the email column of each row of step 1.`}},
		{planFetch, []string{"Fetch the page PAGE_ADDRESS.", "Send the page's text (step 1) to ops@example.com."}},
		{planSlides, []string{`Send "Slides attached" to carol@example.com with slides.pdf attached and a copy to dave@example.com.`}},
		{planLarge, []string{"Read the document big.txt.", "Write the document's text (step 1) to the file copy.txt."}},
		{planWrite, []string{`Write "Weekly report: all good." to the file report.txt.`}},
	} {
		p, err := plan.Parse([]byte(tc.plan))
		if err != nil {
			t.Fatal(err)
		}
		if got := starter.ReadBack(p, time.Now()); !slices.Equal(got, tc.want) {
			t.Errorf("read-back of %q:\n got %q\nwant %q", p.Program, got, tc.want)
		}
	}
}
