package planner

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/eaapl/eaapl/plan"
)

// TestDocumentProgramsPlanAsTheEngineerExpects plans the programs of issue 12 and compares each step's
// id, command, args and for_each with the plans of e2e/documents_test.go.
func TestDocumentProgramsPlanAsTheEngineerExpects(t *testing.T) {
	cases := []struct{ program, steps string }{
		{"Open the document q3-report.md, analyze it for trends, and summarize it", `[
			{"id": "read", "command": "ReadDocument", "args": {"path": "q3-report.md"}},
			{"id": "analyze", "command": "AnalyzeTrends", "args": {"text": "${steps.read.text}"}},
			{"id": "summarize", "command": "Summarize", "args": {"text": "${steps.read.text}"}}]`},
		{"Summarize meeting-notes.md and email the summary to alice@example.com", `[
			{"id": "read", "command": "ReadDocument", "args": {"path": "meeting-notes.md"}},
			{"id": "summarize", "command": "Summarize", "args": {"text": "${steps.read.text}"}},
			{"id": "send_2", "command": "SendEmail", "args": {"to": {"name": "", "email": "alice@example.com"}, "subject": "Summary of meeting-notes.md", "body": "${steps.summarize.summary}"}}]`},
		{"Read todo.txt and email it to bob@example.com", `[
			{"id": "read", "command": "ReadDocument", "args": {"path": "todo.txt"}},
			{"id": "send_2", "command": "SendEmail", "args": {"to": {"name": "", "email": "bob@example.com"}, "subject": "todo.txt", "body": "${steps.read.text}"}}]`},
		{"For each row in orders.xlsx, email the address in the email column saying 'Your order {order} has shipped'", `[
			{"id": "rows", "command": "ReadTable", "args": {"path": "orders.xlsx", "columns": ["email", "order"]}},
			{"id": "send", "command": "SendEmail", "for_each": {"items": "${steps.rows.rows}", "as": "row"},
			 "args": {"to": "${row.email}", "subject": "Your order ${row.order} has shipped", "body": "Your order ${row.order} has shipped"}}]`},
		{"Fetch https://status.example.test/ and email the page to ops@example.com", `[
			{"id": "fetch", "command": "FetchURL", "args": {"url": "https://status.example.test/"}},
			{"id": "send_2", "command": "SendEmail", "args": {"to": {"name": "", "email": "ops@example.com"}, "subject": "${steps.fetch.title}", "body": "${steps.fetch.text}"}}]`},
		{"Send 'Slides attached' to carol@example.com with slides.pdf attached", `[
			{"id": "compose", "command": "ComposeEmail", "args": {"body": "Slides attached"}},
			{"id": "send", "command": "SendEmail", "args": {"to": {"name": "", "email": "carol@example.com"}, "subject": "${steps.compose.subject}", "body": "${steps.compose.body}", "attachments": ["slides.pdf"]}}]`},
		{"Send 'Slides attached' to carol@example.com with slides.pdf attached and a copy to dave@example.com", `[
			{"id": "compose", "command": "ComposeEmail", "args": {"body": "Slides attached"}},
			{"id": "send", "command": "SendEmail", "args": {"to": {"name": "", "email": "carol@example.com"}, "subject": "${steps.compose.subject}", "body": "${steps.compose.body}",
			 "attachments": ["slides.pdf"], "cc": ["dave@example.com"]}}]`},
		{"Send 'Costs ${x}' to carol@example.com with a.pdf and b.xlsx attached", `[
			{"id": "compose", "command": "ComposeEmail", "args": {"body": "Costs $${x}"}},
			{"id": "send", "command": "SendEmail", "args": {"to": {"name": "", "email": "carol@example.com"}, "subject": "${steps.compose.subject}", "body": "${steps.compose.body}", "attachments": ["a.pdf", "b.xlsx"]}}]`},
	}
	for _, tc := range cases {
		t.Run(tc.program, func(t *testing.T) {
			p, err := (&Rules{}).Plan(context.Background(), tc.program, time.Date(2026, 1, 5, 10, 0, 0, 0, time.UTC))
			if err != nil {
				t.Fatal(err)
			}
			var want []plan.Step
			if err := json.Unmarshal([]byte(tc.steps), &want); err != nil {
				t.Fatal(err)
			}
			got := make([]plan.Step, len(p.Steps))
			for i, s := range p.Steps {
				got[i] = plan.Step{ID: s.ID, Command: s.Command, Args: s.Args, ForEach: s.ForEach}
			}
			g, _ := json.Marshal(got)
			w, _ := json.Marshal(want)
			if string(g) != string(w) {
				t.Errorf("steps\n %s\nwant\n %s", g, w)
			}
		})
	}
}

// TestDocumentNearMissesAreRefusedWithThePartQuoted: the forms never guess.
func TestDocumentNearMissesAreRefusedWithThePartQuoted(t *testing.T) {
	for program, part := range map[string]string{
		"Read todo.txt":              "Read todo.txt",
		"Read todo.txt and print it": "print",
		"Summarize notes.md and email it to bob@example.com":                                          "it",
		"Read todo.txt and email the summary to bob@example.com":                                      "the summary",
		"Read todo.txt, summarize it, summarize it":                                                   "it",
		"Fetch https://status.example.test/ and email the document to ops@example.com":                "the document",
		"For each row in orders.xlsx, email the address in the email column saying 'Hi {first name}'": "'Hi {first name}'",
		"For each row in orders.xlsx, email the address in the email column saying 'Hi ${row.x}'":     "'Hi ${row.x}'",
	} {
		_, err := (&Rules{}).Plan(context.Background(), program, time.Date(2026, 1, 5, 10, 0, 0, 0, time.UTC))
		var nu *NotUnderstoodError
		if !errors.As(err, &nu) || nu.Part != part {
			t.Errorf("%q: %v, want the part %q quoted", program, err, part)
		}
	}
}

// TestDocsEnglishDocumentExamplesAreUnderstood plans every program in the code blocks of docs/english.md's
// section on documents.
func TestDocsEnglishDocumentExamplesAreUnderstood(t *testing.T) {
	doc, err := os.ReadFile("../docs/english.md")
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(doc), "## Documents, tables, pages and attachments\n")
	if !ok {
		t.Fatal("docs/english.md has no section on documents")
	}
	section, _, _ = strings.Cut(section, "\n## ")
	blocks := strings.Split(section, "```")
	n := 0
	for i := 1; i < len(blocks); i += 2 {
		for _, line := range strings.Split(strings.TrimSpace(blocks[i]), "\n") {
			n++
			p, err := (&Rules{}).Plan(context.Background(), line, time.Date(2026, 1, 5, 10, 0, 0, 0, time.UTC))
			if err != nil || plan.Validate(p) != nil {
				t.Errorf("%q: %v", line, err)
			}
		}
	}
	if n < 7 {
		t.Errorf("the section has %d examples, want every form's", n)
	}
}

// TestAPathOutOfTheWorkspaceIsRefusedBeforeAnythingRuns: a file that leaves the workspace through ".."
// is refused by the planner, so `eaapl run` starts nothing, instead of a program that fails at its first
// step. The worker's workspace still refuses what only it can tell (an absolute path elsewhere, a link out).
func TestAPathOutOfTheWorkspaceIsRefusedBeforeAnythingRuns(t *testing.T) {
	for _, program := range []string{
		"Read ../secrets.txt and email it to bob@example.com",
		"Summarize reports/../../q3.md and email the summary to alice@example.com",
		"Send 'Slides attached' to carol@example.com with ../slides.pdf attached",
	} {
		_, err := (&Rules{}).Plan(context.Background(), program, time.Date(2026, 1, 5, 10, 0, 0, 0, time.UTC))
		var bad *plan.ValueError
		if !errors.As(err, &bad) || !strings.Contains(err.Error(), "is outside the workspace") || !strings.Contains(err.Error(), "nothing was read or sent") {
			t.Errorf("%q: %v, want it refused as outside the workspace", program, err)
		}
	}
	if _, err := (&Rules{}).Plan(context.Background(), "Read notes/../todo.txt and email it to bob@example.com", time.Date(2026, 1, 5, 10, 0, 0, 0, time.UTC)); err != nil {
		t.Errorf("a path that stays inside: %v", err)
	}
}
