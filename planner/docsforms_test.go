package planner

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/eaapl/eaapl/plan"
)

// planStepsJSON is a plan's steps without their descriptions, as JSON, to compare two wordings' plans.
func planStepsJSON(t *testing.T, program string) string {
	t.Helper()
	p := mustPlan(t, &Rules{}, program, now)
	steps := make([]plan.Step, len(p.Steps))
	for i, s := range p.Steps {
		s.Description = ""
		s.SkipReason = "" // it quotes the wording
		steps[i] = s
	}
	b, err := json.Marshal(steps)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestIterationWordingsPlanAsTheirPlainForm: each wording of an iteration over rows or lines is the
// plan of its plain form, step for step.
func TestIterationWordingsPlanAsTheirPlainForm(t *testing.T) {
	for wording, plain := range map[string]string{
		"For every row in orders.csv, send 'Your order {order}' to the address in the email column":                                        "For each row in orders.csv, send 'Your order {order}' to the address in the email column",
		"For each of the rows of the table orders.csv, email the address in the email column saying 'Thanks'":                              "For each row in orders.csv, email the address in the email column saying 'Thanks'",
		"For each of the rows in orders.csv, email the address in the email column saying 'Thanks'":                                        "For each row in orders.csv, email the address in the email column saying 'Thanks'",
		"For each row in the table orders.xlsx, email the address in the email column saying 'Thanks'":                                     "For each row in orders.xlsx, email the address in the email column saying 'Thanks'",
		"For every line in list.txt, send 'Hi' to it":                                                                                      "For each line in list.txt, send 'Hi' to it",
		"For each of the lines of the file list.txt, send 'Hi' to it":                                                                      "For each line in list.txt, send 'Hi' to it",
		"For each line in addresses.txt, email it 'Hello'":                                                                                 "For each line in addresses.txt, send 'Hello' to it",
		"For each line in addresses.txt, email it saying 'Hello'":                                                                          "For each line in addresses.txt, send 'Hello' to it",
		"For each row in orders.xlsx where the status is late, email the address in the email column saying 'Late'":                        "For each row in orders.xlsx where status is late, email the address in the email column saying 'Late'",
		"For each row in orders.xlsx where the status is 'late', email the address in the email column saying 'Late'":                      "For each row in orders.xlsx where status is late, email the address in the email column saying 'Late'",
		"For each row in orders.csv where the region is north and the status is late, email the address in the email column saying 'Late'": "For each row in orders.csv where region is north and status is late, email the address in the email column saying 'Late'",
	} {
		t.Run(wording, func(t *testing.T) {
			if got, want := planStepsJSON(t, wording), planStepsJSON(t, plain); got != want {
				t.Fatalf("plan\n got: %s\nwant: %s", got, want)
			}
		})
	}
}

// TestTheSpecChainInOtherWordsPlansWhatItSays: "look for trends" and "find the trends" (no text named)
// find the trends in it, the document just read, as "analyze it for trends" does; later "it" is still
// the document, and "the summary" the summary.
func TestTheSpecChainInOtherWordsPlansWhatItSays(t *testing.T) {
	for wording, plain := range map[string]string{
		"Open report.txt, look for trends and summarise it":                                            "Open the document report.txt, analyze it for trends, and summarize it",
		"Open report.txt, look for the trends in it and summarise it":                                  "Open the document report.txt, analyze it for trends, and summarize it",
		"Read notes.md, find the trends, then summarize it and email the summary to alice@example.com": "Read notes.md, analyze it for trends, then summarize it and email the summary to alice@example.com",
		"Look for trends in report.txt and email the trends to bob@example.com":                        "Find the trends in report.txt and email the trends to bob@example.com",
	} {
		t.Run(wording, func(t *testing.T) {
			if got, want := planStepsJSON(t, wording), planStepsJSON(t, plain); got != want {
				t.Fatalf("plan\n got: %s\nwant: %s", got, want)
			}
		})
	}
	p := mustPlan(t, &Rules{}, "Read notes.md, find the trends, then summarize it and email the summary to alice@example.com", now)
	if got := len(p.Steps); got != 4 {
		t.Fatalf("%d steps, want read, analyze, summarize, send", got)
	}
	if a, s := p.Steps[1], p.Steps[2]; a.Command != "AnalyzeTrends" || a.Args["text"] != "${steps.read.text}" || s.Command != "Summarize" || s.Args["text"] != "${steps.read.text}" {
		t.Fatalf("steps %+v, %+v: want the trends and the summary of the document", a, s)
	}
	if send := p.Steps[3]; send.Args["body"] != "${steps.summarize.summary}" {
		t.Fatalf("the email sends %v, want the summary", send.Args["body"])
	}
	for _, tt := range []struct{ program, part, why string }{
		{"Summarize notes.md and look for trends", "look for trends", `"it" could be the document's text or the summary`},
		{"Look for trends", "Look for trends", "nothing before it made"},
		{"Read notes.md, find the trends and email it to bob@example.com", "it", `"it" could be the document's text or the trends`},
	} {
		_, err := (&Rules{}).Plan(context.Background(), tt.program, now)
		assertRefused(t, err, tt.part, tt.why)
	}
}

// TestWhereTakesAnAddressAndKeepsOnlyItsRows evaluates "where email is bob@example.com" as the
// interpreter does: the rows whose cell is the address, ignoring case and spaces, and no other.
func TestWhereTakesAnAddressAndKeepsOnlyItsRows(t *testing.T) {
	c, err := plan.Compile(mustPlan(t, &Rules{}, "For each row in orders.csv where email is Bob@Example.com, send 'Found you' to the address in the email column", now))
	if err != nil {
		t.Fatal(err)
	}
	for cell, want := range map[string]bool{"bob@example.com": true, " BOB@example.com ": true, "ann@example.com": false, "bob@example.co": false} {
		row := map[string]any{"email": cell}
		ok, err := c.Condition("send", plan.Scope{Now: now, ItemName: "row", Item: row})
		if err != nil || ok != want {
			t.Errorf("row with email %q: kept = %v, %v; want %v", cell, ok, err, want)
		}
	}
}

// TestIterationNearMissesAreRefusedSayingWhy: symbols for "is", a row as an address, and "it" with a
// message where no list is gone over are refused, quoting the part, never guessed.
func TestIterationNearMissesAreRefusedSayingWhy(t *testing.T) {
	for _, tt := range []struct{ program, part, why string }{
		{"For each row in orders.csv where status = late, email the address in the email column saying 'Late'", "where status =", `"=" is not a word of the grammar; write is (or is not)`},
		{"For each row in orders.csv where status != late, email the address in the email column saying 'Late'", "where status !=", `"!=" is not a word of the grammar`},
		{"For each row in orders.csv, email it 'Hi'", "it", "a row is not an address"},
		{"For each row in orders.csv, send 'Hi' to it", "to it", "a row is not an address"},
		{"Read todo.txt and email it 'Hi'", "it 'Hi'", "say either what a step made or a message, not both"},
		{"For each line in addresses.txt, email it", "For each line in addresses.txt, email it", "say the message and whom"},
	} {
		t.Run(tt.program, func(t *testing.T) {
			_, err := (&Rules{}).Plan(context.Background(), tt.program, now)
			assertRefused(t, err, tt.part, tt.why)
		})
	}
}

// TestAConditionOnAFileReadsItFirst: "if todo.txt contains" reads the file, tests its text on the worker
// (FindText) and sends "it", the file's text; "if report.csv has more than 5 rows" reads the rows and
// holds by their count, as the interpreter evaluates it.
func TestAConditionOnAFileReadsItFirst(t *testing.T) {
	p := mustPlan(t, &Rules{}, "If todo.txt contains 'urgent', email it to bob@example.com", now)
	read, _ := p.Step("read")
	test, _ := p.Step("test")
	send, _ := p.Step("send")
	if read.Command != "ReadDocument" || read.Args["path"] != "todo.txt" || test.Command != "FindText" || test.Args["text"] != "${steps.read.text}" || test.Args["phrase"] != "urgent" {
		t.Fatalf("steps %+v, %+v: want todo.txt read, then its text tested", read, test)
	}
	if send.If != "steps.test.contains" || send.Args["body"] != "${steps.read.text}" {
		t.Fatalf("send if %q body %v: want the file's text, if it contains urgent", send.If, send.Args["body"])
	}

	c, err := plan.Compile(mustPlan(t, &Rules{}, "If report.csv has more than 5 rows, send 'Big report' to bob@example.com", now))
	if err != nil {
		t.Fatal(err)
	}
	for count, want := range map[int]bool{6: true, 5: false, 0: false} {
		out := map[string]any{"rows": map[string]any{"rows": []any{}, "count": count}}
		ok, err := c.Condition("send", plan.Scope{Now: now, Steps: out})
		if err != nil || ok != want {
			t.Errorf("%d rows: send = %v, %v; want %v", count, ok, err, want)
		}
	}
	if rows, _ := c.Plan.Step("rows"); rows.Command != "ReadTable" || rows.Args["path"] != "report.csv" {
		t.Fatalf("rows step %+v, want ReadTable of report.csv", rows)
	}
}

// TestTwoFiles: two files after email are two attachments; two files for one text are refused, one
// statement each.
func TestTwoFiles(t *testing.T) {
	p := mustPlan(t, &Rules{}, "Email a.txt and b.txt to bob@example.com saying 'Both files'", now)
	send, _ := p.Step("send")
	if got, ok := send.Args["attachments"].([]any); !ok || len(got) != 2 || got[0] != "a.txt" || got[1] != "b.txt" {
		t.Fatalf("attachments = %v, want a.txt and b.txt", send.Args["attachments"])
	}
	for _, tt := range []struct{ program, part, why string }{
		{"Summarize a.txt and b.txt", "a.txt and b.txt", "takes one text at a time: write a statement for each, like Summarize a.txt, then Summarize b.txt"},
		{"Read a.txt and b.txt and email it to bob@example.com", "a.txt and b.txt", "takes one path at a time"},
		{"If report.csv has more than 5, send 'Big' to bob@example.com", "If report.csv has more than 5", "say what to count"},
		{"If report.csv has more than 5 files, send 'Big' to bob@example.com", "If report.csv has more than 5 files", "a file has rows (a .csv or .xlsx table) or lines"},
	} {
		_, err := (&Rules{}).Plan(context.Background(), tt.program, now)
		assertRefused(t, err, tt.part, tt.why)
	}
}

// TestTwoWhereClausesReadBackJoinedByAnd: the read-back of two column tests says both must hold.
func TestTwoWhereClausesReadBackJoinedByAnd(t *testing.T) {
	p := mustPlan(t, &Rules{}, "For each row in orders.csv where the region is north and the status is late, email the address in the manager column saying 'Late'", now)
	send, _ := p.Step("send")
	sel, ok := ReadBackSelection(p, send.ForEach.Items, send.ForEach.As, send.If, fixedTimes{})
	if want := `whose region is "north" and whose status is "late"`; !ok || sel.Filter != want {
		t.Fatalf("filter %q (%v), want %q", sel.Filter, ok, want)
	}
}
