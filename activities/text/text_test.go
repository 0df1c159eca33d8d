package text_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/eaapl/eaapl/activities"
	"github.com/eaapl/eaapl/activities/text"
	"github.com/eaapl/eaapl/activities/text/embedded"
	"github.com/eaapl/eaapl/catalog"
	"github.com/eaapl/eaapl/plan"
	"github.com/eaapl/eaapl/starter"
)

func run(t *testing.T, command string, params map[string]any) map[string]any {
	t.Helper()
	c := &activities.Commands{Deps: catalog.Deps{text.Deps{Analyzer: embedded.Analyzer{}}}}
	res, err := c.Run(context.Background(), catalog.Task{TaskID: "t1", Command: command, Parameters: params})
	if err != nil {
		t.Fatalf("%s: %v", command, err)
	}
	return res.Output
}

func TestAnalysis(t *testing.T) {
	doc := "# Sales\n\nJan: 10\nFeb: 20\nMar: 30\n\nThe team grew. Sales went up every month. The office moved to Berlin. Costs stayed low.\n"
	t.Run("Trends", func(t *testing.T) {
		out := run(t, "AnalyzeTrends", map[string]any{"text": doc})
		if got, want := out["report"], "Sales went up from 10 (Jan) to 30 (Mar), +20 (+200.0%); highest 30 (Mar), lowest 10 (Jan); 10 per step."; got != want {
			t.Errorf("report %q, want %q", got, want)
		}
	})
	t.Run("TrendsOfATablesRows", func(t *testing.T) {
		rows := []any{map[string]any{"month": "Jan", "units": "5"}, map[string]any{"month": "Feb", "units": "3"}}
		out := run(t, "AnalyzeTrends", map[string]any{"rows": rows, "header": []any{"month", "units"}})
		if tr := out["trends"].([]text.Trend); len(tr) != 1 || tr[0].Direction != "down" || tr[0].Series != "units" {
			t.Errorf("trends %+v, want units going down", out["trends"])
		}
	})
	t.Run("Summarize", func(t *testing.T) {
		out := run(t, "Summarize", map[string]any{"text": doc, "sentences": 2})
		if len(out["sentences"].([]string)) != 2 || out["method"] != "textrank" {
			t.Errorf("summary %v, want 2 sentences by textrank", out)
		}
		for _, s := range out["sentences"].([]string) {
			if !strings.Contains(doc, s) {
				t.Errorf("%q is not a sentence of the text", s)
			}
		}
	})
	t.Run("ExtractFindsWhatIsThereAndMakesNothingUp", func(t *testing.T) {
		out := run(t, "Extract", map[string]any{"text": "Total: $40\nContact: ann@example.com", "fields": []any{"total", "due date"}})
		if v := out["values"].(map[string]string); v["total"] != "$40" || len(v) != 1 || out["found"] != 1 {
			t.Errorf("values %v, want total alone", out)
		}
	})
	t.Run("ClassifyGivesNoLabelOnATie", func(t *testing.T) {
		out := run(t, "Classify", map[string]any{"text": "the invoice for the flight", "labels": []any{"invoice", "flight"}})
		if out["label"] != "" || out["reason"] == "" {
			t.Errorf("classification %v, want no label and a reason", out)
		}
	})
}

// TestReadBackSaysWhereTheTextGoes: with a model configured, each analysis step's read-back names the model
// and its host and says the text is sent to it; without one, that nothing is sent anywhere.
func TestReadBackSaysWhereTheTextGoes(t *testing.T) {
	p, err := plan.Parse([]byte(`{"version": 1, "program": "Open the document q3-report.md, analyze it for trends, and summarize it", "steps": [
	{"id": "read", "command": "ReadDocument", "args": {"path": "q3-report.md"}},
	{"id": "trends", "command": "AnalyzeTrends", "args": {"text": "${steps.read.text}"}},
	{"id": "summarize", "command": "Summarize", "args": {"text": "${steps.read.text}"}},
	{"id": "fields", "command": "Extract", "args": {"text": "${steps.read.text}", "fields": ["total"]}},
	{"id": "kind", "command": "Classify", "args": {"text": "${steps.read.text}", "labels": ["report", "invoice"]}}]}`))
	if err != nil {
		t.Fatal(err)
	}
	m := catalog.ModelView{Name: "gpt-x", Host: "127.0.0.1:11434"}
	got := starter.ReadBack(p, time.Now(), starter.WithModel(m, true))
	want := []string{
		"Read the document q3-report.md.",
		`Find the trends in the document's text (step 1), computed on the worker; a text with no table or "Label: 120" lines is sent to the model gpt-x at 127.0.0.1:11434 to find its series.`,
		"Summarize the document's text (step 1) with the model gpt-x at 127.0.0.1:11434: the document's text is sent to it.",
		"Take total out of the document's text (step 1) with the model gpt-x at 127.0.0.1:11434: the document's text is sent to it.",
		`Classify the document's text (step 1) as "report" or "invoice" with the model gpt-x at 127.0.0.1:11434: the document's text is sent to it.`,
	}
	if !slices.Equal(got, want) {
		t.Errorf("read-back with a model:\n got %q\nwant %q", got, want)
	}
	for i, s := range starter.ReadBack(p, time.Now())[1:] {
		if !strings.HasSuffix(s, "on the worker with no model: nothing is sent anywhere.") {
			t.Errorf("read-back of step %d without a model: %q", i+2, s)
		}
	}
}

func TestTextCommandsShareTheAnalysisDef(t *testing.T) {
	for _, s := range []*catalog.Spec{text.Summarize, text.AnalyzeTrends, text.Extract, text.Classify} {
		c := s.Command
		if c.SideEffect != catalog.Reads || c.Timeout != catalog.Duration(2*time.Minute) || c.HeartbeatTimeout != catalog.Duration(catalog.HeartbeatTimeout) || !c.Label.None {
			t.Errorf("%s: side effect %v, timeout %v, heartbeat %v, label %+v; want a read with 2m, the heartbeat and no label", c.Name, c.SideEffect, c.Timeout, c.HeartbeatTimeout, c.Label)
		}
		if s.Hint == nil || s.Hint(text.ModelRetryLater) == "" {
			t.Errorf("%s: no failure hint", c.Name)
		}
	}
	if verb, detail := text.Classify.Outcome("completed", map[string]any{"label": "urgent"}); verb != "completed" || detail != "urgent" {
		t.Errorf("Classify's outcome = %q, %q; want completed, urgent", verb, detail)
	}
}

// TestReadBackOfListsItCannotRead: a fields or labels list that holds anything but texts (here a value of
// an earlier step) is read back without naming its items, rather than naming only some of them.
func TestReadBackOfListsItCannotRead(t *testing.T) {
	p, err := plan.Parse([]byte(`{"version": 1, "program": "fields and labels", "steps": [
	{"id": "read", "command": "ReadDocument", "args": {"path": "q3-report.md"}},
	{"id": "fields", "command": "Extract", "args": {"text": "${steps.read.text}", "fields": ["total", "${steps.read.path}"]}},
	{"id": "kind", "command": "Classify", "args": {"text": "${steps.read.text}", "labels": ["${steps.read.path}", "invoice"]}},
	{"id": "none", "command": "Classify", "args": {"text": "${steps.read.text}", "labels": []}}]}`))
	if err != nil {
		t.Fatal(err)
	}
	got := starter.ReadBack(p, time.Now())
	want := []string{
		"Read the document q3-report.md.",
		"Take fields out of the document's text (step 1), on the worker with no model: nothing is sent anywhere.",
		"Classify the document's text (step 1), on the worker with no model: nothing is sent anywhere.",
		"Classify the document's text (step 1), on the worker with no model: nothing is sent anywhere.",
	}
	if !slices.Equal(got, want) {
		t.Errorf("read-back:\n got %q\nwant %q", got, want)
	}
}
